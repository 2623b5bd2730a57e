import Foundation
import TestSupport
import Testing

/// Paths, temporary directories and a child-process runner that also reports the child's peak RSS.
enum Env {
  /// The package root: the nearest directory above this file that holds Package.swift.
  static let packageRoot: String = {
    var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while dir.path != "/" {
      if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir.path }
      dir = dir.deletingLastPathComponent()
    }
    return FileManager.default.currentDirectoryPath
  }()

  /// `.build/debug/modc` (built by `swift build --build-tests`); nil when absent.
  static var modc: String? {
    let p = packageRoot + "/.build/debug/modc"
    return FileManager.default.isExecutableFile(atPath: p) ? p : nil
  }

  /// `…/shared/fixtures`, found by walking up from this file.
  static let fixtures: String? = {
    var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while dir.path != "/" {
      let f = dir.appendingPathComponent("shared/fixtures").path
      if FileManager.default.fileExists(atPath: f + "/cifar_resnet20_op17.onnx") { return f }
      dir = dir.deletingLastPathComponent()
    }
    return nil
  }()

  /// A small CIFAR ResNet-20 and its input: the shared fixture, else the generated one ($MODC_MODELS or
  /// build/models, which `make test` always generates), so a standalone clone runs these tests too.
  static var cifarModel: (onnx: String, input: String)? {
    var dirs = fixtures.map { [$0] } ?? []
    dirs.append(ProcessInfo.processInfo.environment["MODC_MODELS"] ?? packageRoot + "/build/models")
    for d in dirs where FileManager.default.fileExists(atPath: d + "/cifar_resnet20_op17.onnx") {
      return (d + "/cifar_resnet20_op17.onnx", d + "/cifar_resnet20_op17.input.npy")
    }
    return nil
  }

  /// What `.requires` names for the prerequisites above.
  static let cifarWhat = "cifar_resnet20_op17 (../shared/fixtures or the generated models: make models)"
  static let modcWhat = "the built modc (swift build --build-tests)"

  /// A C compiler on PATH (`cc`, `clang` or `gcc`), or nil.
  static let cCompiler: String? = {
    for name in ["cc", "clang", "gcc"] {
      for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
      }
    }
    return nil
  }()
}

/// A fresh temporary directory, removed by `remove()`.
struct TempDir {
  let path: String
  init() throws {
    var t = Array((NSTemporaryDirectory() + "/modc-reliab.XXXXXX").utf8CString)
    guard let p = t.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      throw POSIXError(.EACCES)
    }
    path = String(cString: p)
  }
  func file(_ name: String) -> String { path + "/" + name }
  func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The outcome of one child process.
struct ChildResult {
  var status: Int32
  var stdout: String
  var stderr: String
  /// Peak resident set size of the child, in bytes (from wait4's rusage).
  var maxRSS: Int
}

/// Runs `argv` (argv[0] an absolute path) with stdout/stderr captured through files and returns its exit status and
/// peak RSS. Fails the test (returns nil) if the child runs longer than `timeout` seconds.
func runChild(_ argv: [String], timeout: Double = 300) throws -> ChildResult? {
  let tmp = try TempDir()
  defer { tmp.remove() }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, tmp.file("out"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  posix_spawn_file_actions_addopen(&actions, 2, tmp.file("err"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
  cArgs.append(nil)
  defer { for p in cArgs { free(p) } }
  var pid = pid_t()
  let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
  guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
  var status: Int32 = 0
  var usage = rusage()
  let deadline = Date().addingTimeInterval(timeout)
  while true {
    let r = wait4(pid, &status, WNOHANG, &usage)
    if r == pid { break }
    if r < 0 && errno != EINTR { throw POSIXError(.ECHILD) }
    if Date() > deadline {
      kill(pid, SIGKILL)
      _ = wait4(pid, &status, 0, &usage)
      Issue.record("\(argv.joined(separator: " ")) did not finish within \(timeout) s")
      return nil
    }
    usleep(20_000)
  }
  let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
  return ChildResult(
    status: exit,
    stdout: (try? String(contentsOfFile: tmp.file("out"), encoding: .utf8)) ?? "",
    stderr: (try? String(contentsOfFile: tmp.file("err"), encoding: .utf8)) ?? "",
    maxRSS: Int(usage.ru_maxrss) * 1024)
}

/// Current resident set size of this process in bytes (from /proc/self/statm), or nil.
func currentRSS() -> Int? {
  guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
  let fields = s.split(separator: " ")
  guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
  return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
