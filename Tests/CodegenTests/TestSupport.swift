import Foundation
import TestSupport
import Testing

/// A fresh temporary directory for one test, removed when the value is dropped via `cleanup()`.
struct TempDir {
  let path: String

  init() throws {
    let base = FileManager.default.temporaryDirectory.path
    path = base + "/modc-codegen-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  func file(_ name: String) -> String { path + "/" + name }

  func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs python3 with `script`; returns false when it fails (tests state `.requires(pythonHasNumpy, …)`).
func runPython(_ script: String, in dir: String) -> Bool {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = ["python3", "-c", script]
  p.currentDirectoryURL = URL(fileURLWithPath: dir)
  p.standardOutput = FileHandle.nullDevice
  p.standardError = FileHandle.nullDevice
  do { try p.run() } catch { return false }
  p.waitUntilExit()
  return p.terminationStatus == 0
}

/// Whether python3 with numpy can be used to generate test data.
let pythonHasNumpy: Bool = Prerequisites.python(imports: "numpy")

/// The shared fixtures directory (…/shared/fixtures next to the repository checkout), if present.
let fixturesDir: String? = {
  // #filePath is <repo>/Tests/CodegenTests/TestSupport.swift; fixtures live in <repo>/../shared/fixtures
  // (for worktrees under /work/wt/<name> also try /work/shared/fixtures).
  let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  let candidates = [
    repo.deletingLastPathComponent().appendingPathComponent("shared/fixtures").path,
    repo.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures").path,
  ]
  return candidates.first { FileManager.default.fileExists(atPath: $0 + "/README.md") }
}()

/// Raw bytes of a file.
func readBytes(_ path: String) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Writes raw bytes to a file.
func writeBytes(_ bytes: [UInt8], _ path: String) throws {
  try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Compares `actual` with `Tests/CodegenTests/Snapshots/<name>`; `RECORD_SNAPSHOTS=1` (re)writes the file instead.
func assertSnapshot(_ actual: String, named name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
  let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
  let file = dir.appendingPathComponent(name)
  if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try actual.write(to: file, atomically: true, encoding: .utf8)
    return
  }
  guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
    Issue.record("missing snapshot \(name); run with RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
    return
  }
  #expect(actual == expected, "snapshot \(name) differs", sourceLocation: sourceLocation)
}
