#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only, private memory mapping of a whole file; unmapped when the last reference dies.
///
/// Zero-copy `TensorStorage` over external data keeps its `MappedFile` alive through the release closure.
final class MappedFile: @unchecked Sendable {
  /// The mapped bytes (empty for an empty file).
  let bytes: UnsafeRawBufferPointer
  let path: String

  /// Maps `path`; `what` names the file in error messages.
  init(path: String) throws(ONNXReadError) {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      let err = String(cString: strerror(errno))
      throw ONNXReadError(.io("cannot open '\(path)': \(err)"))
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw ONNXReadError(.io("cannot stat '\(path)'")) }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw ONNXReadError(.io("'\(path)' is not a regular file")) }
    let size = Int(st.st_size)
    if size == 0 {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
      throw ONNXReadError(.io("cannot map '\(path)' (\(size) bytes)"))
    }
    bytes = UnsafeRawBufferPointer(start: p, count: size)
  }

  /// Tells the kernel the pages fully inside `range` are no longer needed (they refault from the file if read).
  func release(_ range: Range<Int>) {
    guard let base = bytes.baseAddress, !range.isEmpty else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (range.lowerBound + page - 1) / page * page
    let end = range.upperBound / page * page
    guard end > start else { return }
    _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
  }

  deinit {
    if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
  }
}
