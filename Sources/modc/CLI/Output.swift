#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` to standard error (unbuffered, safe from any thread).
func writeStderr(_ text: String) {
  var bytes = Array(text.utf8)
  if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
  bytes.withUnsafeBytes { b in
    var off = 0
    while off < b.count, let base = b.baseAddress {
      let n = write(2, base + off, b.count - off)
      if n <= 0 { break }
      off += n
    }
  }
}
