#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns every C allocation made while building a protobuf-c message tree for packing; frees them all at once.
///
/// Tensor payloads are not copied: `raw_data` points straight at `TensorStorage` bytes, which outlive the pack.
final class CArena {
  private var blocks: [UnsafeMutableRawPointer] = []

  /// A NUL-terminated copy of `s`.
  func str(_ s: String) -> UnsafeMutablePointer<CChar> {
    let bytes = Array(s.utf8CString)
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
    p.initialize(from: bytes, count: bytes.count)
    blocks.append(UnsafeMutableRawPointer(p))
    return p
  }

  /// A C array holding `xs` (nil when empty, as protobuf-c expects for zero-length repeated fields).
  func array<T>(_ xs: [T]) -> UnsafeMutablePointer<T>? {
    guard !xs.isEmpty else { return nil }
    let p = UnsafeMutablePointer<T>.allocate(capacity: xs.count)
    p.initialize(from: xs, count: xs.count)
    blocks.append(UnsafeMutableRawPointer(p))
    return p
  }

  /// A new message initialized by its protobuf-c `*_init` function.
  func message<T>(_ initialize: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
    let p = UnsafeMutablePointer<T>.allocate(capacity: 1)
    initialize(p)
    blocks.append(UnsafeMutableRawPointer(p))
    return p
  }

  deinit {
    // Every block holds trivial C data (the message structs' pointers refer to other blocks), so no deinitialize.
    for b in blocks { b.deallocate() }
  }
}
