import CKernels
import GraphIR

/// Heap memory for weight blobs that runs read on every inference: `modc_weights_alloc` puts blobs of 2 MiB and
/// more on transparent huge pages (fewer TLB misses, unbroken prefetch streams when the weights come from DRAM).
enum WeightMemory {
  /// Uninitialised weight memory for `count` bytes (at least 64-byte aligned), or nil when out of memory.
  static func allocate(_ count: Int) -> UnsafeMutableRawPointer? { modc_weights_alloc(max(count, 1)) }

  /// Releases memory from `allocate`.
  static func free(_ p: UnsafeMutableRawPointer?) { modc_weights_free(p) }

  /// A copy of `source` in weight memory, released with the storage; nil when out of memory.
  static func storage(copying source: UnsafeRawBufferPointer) -> TensorStorage? {
    guard let p = allocate(source.count) else { return nil }
    if let base = source.baseAddress, source.count > 0 { p.copyMemory(from: base, byteCount: source.count) }
    return TensorStorage(bytes: UnsafeRawBufferPointer(start: p, count: source.count)) { b in
      modc_weights_free(UnsafeMutableRawPointer(mutating: b.baseAddress))
    }
  }
}
