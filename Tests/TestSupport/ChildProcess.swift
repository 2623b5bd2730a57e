import Foundation

/// Exit status and captured output of one child process.
public struct ChildProcessOutput: Sendable {
  public var status: Int32
  public var stdout: String
  public var stderr: String
}

/// Runs `executable args…` with stdin closed and captures stdout/stderr through temporary files (so large outputs
/// cannot dead-lock a pipe). `environment` replaces the child's environment when given. Shared by the test targets
/// that drive the `modc` binary, compilers and Python.
public func runChildProcess(
  _ executable: String, _ args: [String], in directory: URL? = nil, environment: [String: String]? = nil
) throws -> ChildProcessOutput {
  let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("modc-child-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: tmp) }
  let outURL = tmp.appendingPathComponent("stdout")
  let errURL = tmp.appendingPathComponent("stderr")
  _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
  _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
  let out = try FileHandle(forWritingTo: outURL)
  let err = try FileHandle(forWritingTo: errURL)
  let p = Process()
  p.executableURL = URL(fileURLWithPath: executable)
  p.arguments = args
  p.standardOutput = out
  p.standardError = err
  p.standardInput = FileHandle.nullDevice
  if let directory { p.currentDirectoryURL = directory }
  if let environment { p.environment = environment }
  try p.run()
  p.waitUntilExit()
  try out.close()
  try err.close()
  return ChildProcessOutput(
    status: p.terminationStatus,
    stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
    stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}
