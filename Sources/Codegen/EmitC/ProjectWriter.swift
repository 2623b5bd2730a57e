#if canImport(Glibc)
import Glibc
#endif

extension CProject {
  /// Checks, before any work, that `dir` can receive a project: its parent exists and is writable, and `dir` is
  /// absent, or an empty directory, or (with `force`) any directory. Returns `dir` without trailing slashes.
  @discardableResult
  public static func checkDestination(_ dir: String, force: Bool) throws(EmitCError) -> String {
    var path = dir
    while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
    guard !path.isEmpty, path != "/", path != ".", path != ".." else {
      throw EmitCError("cannot write '\(dir)': choose a new or empty directory")
    }
    let parent = parentDirectory(path)
    var st = stat()
    guard stat(parent, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
      throw EmitCError("cannot write '\(dir)': directory '\(parent)' does not exist")
    }
    guard access(parent, W_OK | X_OK) == 0 else { throw EmitCError("cannot write '\(dir)': '\(parent)' is not writable") }
    if lstat(path, &st) == 0 {
      guard (st.st_mode & S_IFMT) == S_IFDIR else {
        throw EmitCError("cannot write '\(dir)': it exists and is not a directory")
      }
      if !force && !isEmptyDirectory(path) {
        throw EmitCError("output directory '\(dir)' exists and is not empty (use --force to replace it)")
      }
    }
    return path
  }

  /// Writes the project into directory `dir`, all or nothing: files go to a fresh temporary directory next to `dir`,
  /// which is then renamed into place. An existing non-empty `dir` is an error unless `force`, in which case it is
  /// replaced (moved aside, then deleted after the rename). Returns the bytes written.
  @discardableResult
  public func write(to dir: String, force: Bool) throws(EmitCError) -> Int {
    let path = try Self.checkDestination(dir, force: force)
    let parent = parentDirectory(path)
    var st = stat()
    let exists = lstat(path, &st) == 0
    let base = lastComponent(path)
    guard let tmp = makeTempDirectory(parent + "/.\(base).tmp.XXXXXX") else {
      throw EmitCError("cannot write '\(dir)': cannot create a temporary directory in '\(parent)': \(errnoText())")
    }
    chmod(tmp, 0o755)  // mkdtemp makes it private; the result is an ordinary directory
    do throws(EmitCError) {
      for f in files { try writeFile(tmp + "/" + f.path, f.chunks) }
      if exists {
        guard let old = makeTempDirectory(parent + "/.\(base).old.XXXXXX") else {
          throw EmitCError("cannot replace '\(dir)': \(errnoText())")
        }
        guard rename(path, old + "/" + base) == 0 else {
          rmdir(old)
          throw EmitCError("cannot replace '\(dir)': \(errnoText())")
        }
        guard rename(tmp, path) == 0 else {
          let e = errnoText()
          rename(old + "/" + base, path)
          rmdir(old)
          throw EmitCError("cannot write '\(dir)': \(e)")
        }
        removeTree(old)
      } else if rename(tmp, path) != 0 {
        throw EmitCError("cannot write '\(dir)': \(errnoText())")
      }
    } catch {
      removeTree(tmp)
      throw error
    }
    return byteCount
  }
}

private func errnoText() -> String { String(cString: strerror(errno)) }

private func parentDirectory(_ path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  let d = String(path[..<slash])
  return d.isEmpty ? "/" : d
}

private func lastComponent(_ path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return path }
  return String(path[path.index(after: slash)...])
}

private func isEmptyDirectory(_ path: String) -> Bool { opendir(path).map { closedir($0) } != nil && directoryEntries(path).isEmpty }

private func makeTempDirectory(_ template: String) -> String? {
  var t = Array(template.utf8CString)
  let r = t.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
  guard r != nil else { return nil }
  return String(decoding: t.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Writes `bytes` to `path`, creating its parent directory (one level, e.g. `kernels/`) when missing.
private func writeFile(_ path: String, _ chunks: [[UInt8]]) throws(EmitCError) {
  let dir = parentDirectory(path)
  var st = stat()
  if stat(dir, &st) != 0 && mkdir(dir, 0o755) != 0 { throw EmitCError("cannot create '\(dir)': \(errnoText())") }
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  guard fd >= 0 else { throw EmitCError("cannot write '\(path)': \(errnoText())") }
  defer { close(fd) }
  for bytes in chunks {
    var off = 0
    let failure: String? = bytes.withUnsafeBytes { b in
      while off < b.count, let p = b.baseAddress {
        let n = Glibc.write(fd, p + off, b.count - off)
        if n < 0 {
          if errno == EINTR { continue }
          return errnoText()
        }
        off += n
      }
      return nil
    }
    if let failure { throw EmitCError("cannot write '\(path)': \(failure)") }
  }
  // Durable before the directory is renamed into place (as AtomicFile does for single files).
  guard fsync(fd) == 0 else { throw EmitCError("cannot write '\(path)': \(errnoText())") }
}

/// Deletes a directory tree this writer created (or the previous output it replaced with --force); symbolic links
/// are removed, never followed.
private func removeTree(_ path: String) {
  var st = stat()
  guard lstat(path, &st) == 0 else { return }
  if (st.st_mode & S_IFMT) == S_IFDIR {
    for name in directoryEntries(path) { removeTree(path + "/" + name) }
    rmdir(path)
  } else {
    unlink(path)
  }
}

/// Names in a directory, without `.` and `..`.
private func directoryEntries(_ path: String) -> [String] {
  guard let d = opendir(path) else { return [] }
  defer { closedir(d) }
  var out: [String] = []
  while let e = readdir(d) {
    let name = withUnsafeBytes(of: e.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    if name != "." && name != ".." { out.append(name) }
  }
  return out
}
