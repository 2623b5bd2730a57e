import Codegen
import Foundation
import TestSupport
import Testing

/// Helpers for the emit-c tests: paths, processes, compilers, `.npy` comparison.
enum Env {
  /// The repository root (Tests/EmitCTests/EmitCSupport.swift is two levels below it).
  static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

  /// `shared/fixtures`, found by walking up from the repository (skip the fixture tests when absent).
  static let fixtures: String? = {
    var dir = URL(fileURLWithPath: repo)
    for _ in 0..<4 {
      let c = dir.appendingPathComponent("shared/fixtures").path
      if FileManager.default.fileExists(atPath: c + "/README.md") { return c }
      dir = dir.deletingLastPathComponent()
    }
    return nil
  }()

  /// The modc binary built next to the test bundle (the test target depends on it), else in .build/debug.
  static let modc: String? = {
    var candidates: [String] = []
    if let exe = CommandLine.arguments.first {
      candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("modc").path)
    }
    candidates += [repo + "/.build/debug/modc", repo + "/.build/release/modc"]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
  }()

  static func which(_ tool: String) -> String? {
    for d in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let p = "\(d)/\(tool)"
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
  }

  /// C compilers available here (gcc and clang when installed).
  static let compilers: [String] = ["gcc", "clang"].filter { which($0) != nil }

  /// The shared fixtures directory, or a thrown failure (use with `.requires(Env.fixtures != nil, …)`).
  static func requireFixtures(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    try #require(fixtures, "shared/fixtures missing", sourceLocation: sourceLocation)
  }

  /// The generated models (`$MODC_MODELS`, else build/models).
  static var models: String {
    if let m = ProcessInfo.processInfo.environment["MODC_MODELS"], !m.isEmpty { return m }
    return repo + "/build/models"
  }
}

/// Result of a child process.
struct ProcessResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs `argv` (looked up on PATH) in `dir`, capturing output.
@discardableResult
func run(_ argv: [String], in dir: String? = nil) throws -> ProcessResult {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = argv
  if let dir { p.currentDirectoryURL = URL(fileURLWithPath: dir) }
  let out = Pipe()
  let err = Pipe()
  p.standardOutput = out
  p.standardError = err
  try p.run()
  // Read before waiting so a chatty child cannot fill the pipe and block.
  let o = out.fileHandleForReading.readDataToEndOfFile()
  let e = err.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return ProcessResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
    stderr: String(decoding: e, as: UTF8.self))
}

/// A fresh temporary directory.
struct Scratch {
  let path: String
  init() throws {
    path = FileManager.default.temporaryDirectory.path + "/modc-emitc-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
  func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// `max|a − b| / max|b|` of two float `.npy` files of equal shape (nil if shapes differ).
func relativeError(_ a: String, _ b: String) throws -> Float? {
  let x = try NPY.read(a)
  let y = try NPY.read(b)
  guard x.shape == y.shape else { return nil }
  let fx = x.floats
  let fy = y.floats
  let scale = fy.map(abs).max() ?? 0
  let diff = zip(fx, fy).map { abs($0 - $1) }.max() ?? 0
  return scale > 0 ? diff / scale : diff
}

/// Emits `model` with `flags` into `dir` through the modc binary; records a failure and returns false on error.
func emit(_ model: String, _ flags: [String], to dir: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
  let modc = try #require(Env.modc, "the built modc missing", sourceLocation: sourceLocation)
  let r = try run([modc, "emit-c", model, "-o", dir, "--quiet"] + flags)
  #expect(r.status == 0, "emit-c failed: \(r.stderr)", sourceLocation: sourceLocation)
  return r.status == 0
}

/// `make -C dir` with a compiler and flags; records the compiler output on failure.
func make(_ dir: String, cc: String, cflags: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
  let r = try run(["make", "-s", "-j2", "-C", dir, "CC=\(cc)", "CFLAGS=\(cflags)"])
  #expect(r.status == 0, "make with \(cc) failed: \(r.stderr.prefix(4000))", sourceLocation: sourceLocation)
  return r.status == 0
}
