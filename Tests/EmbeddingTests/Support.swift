import Foundation
import TestSupport
import Testing

/// Paths, fixtures, processes and temp directories for the embedding tests.
enum Env {
  /// The package root: the nearest directory above this file that holds Package.swift.
  static let root: URL = {
    var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while dir.path != "/" {
      if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
      dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  }()

  /// The debug products `swift build --build-tests` leaves under .build/debug.
  static var debugDir: URL { root.appendingPathComponent(".build/debug") }

  /// Directories holding `NAME.onnx` (+ `.input.npy`, `.output.npy`): the nearest `shared/fixtures` above this
  /// file, then $MODC_MODELS, then build/models.
  static let modelDirs: [URL] = {
    var dirs: [URL] = []
    var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while dir.path != "/" {
      let f = dir.appendingPathComponent("shared/fixtures")
      if FileManager.default.fileExists(atPath: f.path) {
        dirs.append(f)
        break
      }
      dir = dir.deletingLastPathComponent()
    }
    if let m = ProcessInfo.processInfo.environment["MODC_MODELS"] { dirs.append(URL(fileURLWithPath: m)) }
    dirs.append(root.appendingPathComponent("build/models"))
    return dirs
  }()

  /// `NAME.onnx` from the first model directory that has it together with its reference input and output.
  static func model(_ name: String) -> URL? {
    for d in modelDirs {
      let onnx = d.appendingPathComponent("\(name).onnx")
      let out = d.appendingPathComponent("\(name).output.npy")
      if FileManager.default.fileExists(atPath: onnx.path), FileManager.default.fileExists(atPath: out.path) {
        return onnx
      }
    }
    return nil
  }

  /// `model.onnx` with its extension replaced by `suffix` (e.g. ".input.npy").
  static func sibling(_ onnx: URL, _ suffix: String) -> String {
    onnx.deletingPathExtension().path + suffix
  }

  /// Whether `command` (a program name) is on PATH.
  static func which(_ command: String) -> Bool {
    (try? run("/usr/bin/env", ["sh", "-c", "command -v \(command)"]).status) == 0
  }

  /// The result of one process run.
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
    var log: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
  }

  /// Runs `executable args…`; output goes through temporary files so large outputs cannot dead-lock a pipe.
  static func run(
    _ executable: String, _ args: [String], in directory: URL? = nil, environment: [String: String] = [:]
  ) throws -> Result {
    let r = try runChildProcess(executable, args, in: directory,
      environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
  }

  /// Runs a shell command line with `sh -c`.
  static func sh(_ command: String, in directory: URL? = nil, environment: [String: String] = [:]) throws -> Result {
    try run("/bin/sh", ["-c", command], in: directory, environment: environment)
  }
}

/// A fresh temporary directory, removed with `remove()`.
struct TempDir {
  let url: URL
  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("modc-embed-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }
  func path(_ name: String) -> String { url.appendingPathComponent(name).path }
  func remove() { try? FileManager.default.removeItem(at: url) }
}
