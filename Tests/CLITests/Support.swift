import Foundation
import TestSupport
import Testing

/// Runs the built `modc` binary and locates the package root, fixtures and golden files.
enum CLI {
  /// The package root: the nearest directory above this file that holds Package.swift.
  static let packageRoot: URL = {
    var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while dir.path != "/" {
      if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
      dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  }()

  /// `.build/debug/modc` under the package root.
  static var binary: String { packageRoot.appendingPathComponent(".build/debug/modc").path }

  /// The shared fixtures directory (`…/shared/fixtures`), found by walking up from this file; nil when absent.
  static let fixtures: URL? = {
    var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while dir.path != "/" {
      let f = dir.appendingPathComponent("shared/fixtures")
      if FileManager.default.fileExists(atPath: f.appendingPathComponent("cifar_resnet20_op17.onnx").path) { return f }
      dir = dir.deletingLastPathComponent()
    }
    return nil
  }()

  static var hasFixtures: Bool { fixtures != nil }
  /// The prerequisite of every CLI suite: `.requires(CLI.hasBinary, CLI.built)`.
  static var hasBinary: Bool { FileManager.default.isExecutableFile(atPath: binary) }
  static let built = "the built modc (.build/debug/modc: swift build --build-tests)"
  static var hasDot: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/dot") }

  /// Every command `modc --help` lists, in order (kept in sync with main.swift by `commandListMatchesHelp`).
  static let commands = ["dump", "stats", "convert", "emit-c", "run", "bench", "verify", "export-onnx", "viz", "passes",
    "completion"]

  /// The result of one run.
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
    var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: true) }
  }

  /// Thrown when the binary has not been built.
  struct MissingBinary: Error, CustomStringConvertible {
    var description: String { "\(CLI.binary) not found: run 'swift build --build-tests' (or 'swift build') first" }
  }

  /// Runs `modc args…` (or `executable` with args) in `directory`; output is captured through temporary files, so
  /// large outputs cannot dead-lock a pipe.
  static func run(
    _ args: [String], in directory: URL? = nil, environment: [String: String]? = nil, executable: String? = nil
  ) throws -> Result {
    let exe = executable ?? binary
    guard FileManager.default.isExecutableFile(atPath: exe) else { throw MissingBinary() }
    let r = try runChildProcess(exe, args, in: directory, environment: environment)
    return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
  }

  /// Compares `actual` with `Golden/<name>`; `RECORD_GOLDEN=1` rewrites the file instead.
  static func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
      try actual.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
      Issue.record("missing golden \(url.path); record it with RECORD_GOLDEN=1", sourceLocation: sourceLocation)
      return
    }
    #expect(actual == expected, "output differs from Golden/\(name) (re-record with RECORD_GOLDEN=1)",
      sourceLocation: sourceLocation)
  }
}

/// A fresh temporary directory.
struct TempDir {
  let url: URL
  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("modc-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }
  func path(_ name: String) -> String { url.appendingPathComponent(name).path }
  var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] }
  func remove() { try? FileManager.default.removeItem(at: url) }

  /// Writes a float32 `.npy` of zeros with `shape`.
  func writeNPY(_ name: String, shape: [Int]) throws -> String {
    let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
    bytes += Array(header.utf8)
    bytes += [UInt8](repeating: 0, count: 4 * shape.reduce(1, *))
    let p = path(name)
    try Data(bytes).write(to: URL(fileURLWithPath: p))
    return p
  }
}
