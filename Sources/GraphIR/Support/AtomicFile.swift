#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An I/O failure while writing an output file; the message names the path and the OS reason.
public struct FileWriteError: Error, CustomStringConvertible, Sendable {
  public var path: String
  public var reason: String
  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }
  public var description: String { "cannot write '\(path)': \(reason)" }
}

/// Writes files atomically: into a temporary file in the destination directory, fsync'ed, then renamed over the
/// destination. A failure (or a crash) never leaves a partial or clobbered output behind.
public enum AtomicFile {
  /// Writes `bytes` to `path` atomically.
  public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws(FileWriteError) {
    try write(to: path) { fd in
      var off = 0
      while off < bytes.count {
        guard let base = bytes.baseAddress else { break }
        let n = systemWrite(fd, base + off, bytes.count - off)
        if n < 0 {
          if errno == EINTR { continue }
          return String(cString: strerror(errno))
        }
        off += n
      }
      return nil
    }
  }

  /// Writes `bytes` to `path` atomically.
  public static func write(_ bytes: [UInt8], to path: String) throws(FileWriteError) {
    let r: Result<Void, FileWriteError> = bytes.withUnsafeBytes { b in
      do throws(FileWriteError) { try write(b, to: path); return .success(()) } catch { return .failure(error) }
    }
    try r.get()
  }

  /// Writes the UTF-8 of `text` to `path` atomically.
  public static func write(text: String, to path: String) throws(FileWriteError) {
    try write(Array(text.utf8), to: path)
  }

  /// Core: `body` writes to the temporary file descriptor and returns an error string or nil.
  public static func write(to path: String, _ body: (Int32) -> String?) throws(FileWriteError) {
    let dir = directory(of: path)
    var st = stat()
    guard stat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
      throw FileWriteError(path: path, reason: "directory '\(dir)' does not exist")
    }
    if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
      throw FileWriteError(path: path, reason: "is a directory")
    }
    var template = Array((dir + "/.\(baseName(of: path)).tmp.XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
    let tmp = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if let err = body(fd) {
      close(fd)
      unlink(tmp)
      throw FileWriteError(path: path, reason: err)
    }
    fchmod(fd, 0o644)
    if fsync(fd) != 0 {
      let e = String(cString: strerror(errno))
      close(fd)
      unlink(tmp)
      throw FileWriteError(path: path, reason: e)
    }
    close(fd)
    if rename(tmp, path) != 0 {
      let e = String(cString: strerror(errno))
      unlink(tmp)
      throw FileWriteError(path: path, reason: e)
    }
  }

  /// The directory part of `path` ("." if none).
  public static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let d = String(path[..<slash])
    return d.isEmpty ? "/" : d
  }

  /// The last path component.
  public static func baseName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
  }
}

/// The C library's write(2), named so it does not clash with `AtomicFile.write`.
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
  #if canImport(Glibc)
  return Glibc.write(fd, p, n)
  #else
  return Darwin.write(fd, p, n)
  #endif
}
