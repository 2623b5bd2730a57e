#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Immutable bytes of a constant tensor: heap memory (64-byte aligned) or a region of a memory-mapped file.
///
/// It is a class so that large weights are shared, never copied, when a graph value is copied; the bytes never
/// change after creation, which is what makes it `Sendable`.
public final class TensorStorage: @unchecked Sendable {
  /// The bytes. Valid for the life of this object.
  public let bytes: UnsafeRawBufferPointer
  private let release: (@Sendable (UnsafeRawBufferPointer) -> Void)?

  /// Wraps memory owned elsewhere; `release` is called once when the storage dies (e.g. munmap, free).
  public init(bytes: UnsafeRawBufferPointer, release: (@Sendable (UnsafeRawBufferPointer) -> Void)?) {
    self.bytes = bytes
    self.release = release
  }

  /// Allocates `count` zeroed bytes, 64-byte aligned.
  public convenience init(zeroedCount count: Int) {
    let n = max(count, 1)
    let p = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
    p.initializeMemory(as: UInt8.self, repeating: 0, count: n)
    self.init(bytes: UnsafeRawBufferPointer(start: p, count: count)) { b in
      b.baseAddress.map { UnsafeMutableRawPointer(mutating: $0).deallocate() }
    }
  }

  /// Copies `source` into fresh 64-byte aligned heap memory.
  public convenience init(copying source: UnsafeRawBufferPointer) {
    let n = max(source.count, 1)
    let p = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
    if let base = source.baseAddress, source.count > 0 { p.copyMemory(from: base, byteCount: source.count) }
    self.init(bytes: UnsafeRawBufferPointer(start: p, count: source.count)) { b in
      b.baseAddress.map { UnsafeMutableRawPointer(mutating: $0).deallocate() }
    }
  }

  /// Builds storage by letting `fill` write `count` bytes into fresh aligned memory.
  public convenience init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
    let n = max(count, 1)
    let p = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
    do {
      try fill(UnsafeMutableRawBufferPointer(start: p, count: count))
    } catch {
      p.deallocate()
      throw error
    }
    self.init(bytes: UnsafeRawBufferPointer(start: p, count: count)) { b in
      b.baseAddress.map { UnsafeMutableRawPointer(mutating: $0).deallocate() }
    }
  }

  deinit { release?(bytes) }
}

/// A constant tensor (a weight, or a folded constant): element type, static shape and its bytes (little-endian).
public struct TensorData: Sendable {
  public var dtype: DType
  public var shape: [Int]
  public let storage: TensorStorage

  /// Wraps `storage`; the caller guarantees `storage.bytes.count == elementCount * dtype.byteSize`.
  public init(dtype: DType, shape: [Int], storage: TensorStorage) {
    self.dtype = dtype
    self.shape = shape
    self.storage = storage
  }

  public var elementCount: Int { shape.reduce(1, *) }
  public var bytes: UnsafeRawBufferPointer { storage.bytes }
  public var type: TensorType { TensorType(dtype, shape) }

  /// A float32 tensor from values (row-major).
  public init(shape: [Int], floats: [Float]) {
    precondition(shape.reduce(1, *) == floats.count, "shape/element count mismatch")
    let s = floats.withUnsafeBytes { TensorStorage(copying: $0) }
    self.init(dtype: .f32, shape: shape, storage: s)
  }

  /// An int64 tensor from values (row-major).
  public init(shape: [Int], int64s: [Int64]) {
    precondition(shape.reduce(1, *) == int64s.count, "shape/element count mismatch")
    let s = int64s.withUnsafeBytes { TensorStorage(copying: $0) }
    self.init(dtype: .i64, shape: shape, storage: s)
  }

  /// Elements converted to Float (any numeric dtype; f16 is decoded). Strings give an empty array.
  public func floats() -> [Float] {
    let n = elementCount
    let b = bytes
    switch dtype {
    case .f32: return Array(b.bindMemory(to: Float.self).prefix(n))
    case .f64: return b.bindMemory(to: Double.self).prefix(n).map { Float($0) }
    case .f16: return b.bindMemory(to: UInt16.self).prefix(n).map { Float(Float16(bitPattern: $0)) }
    case .bf16: return b.bindMemory(to: UInt16.self).prefix(n).map { Float(bitPattern: UInt32($0) << 16) }
    case .string: return []
    default: return int64s().map { Float($0) }
    }
  }

  /// Elements converted to Int64 (integer, bool and float dtypes; floats are truncated).
  public func int64s() -> [Int64] {
    let n = elementCount
    let b = bytes
    switch dtype {
    case .i64: return Array(b.bindMemory(to: Int64.self).prefix(n))
    case .i32: return b.bindMemory(to: Int32.self).prefix(n).map { Int64($0) }
    case .i16: return b.bindMemory(to: Int16.self).prefix(n).map { Int64($0) }
    case .i8: return b.bindMemory(to: Int8.self).prefix(n).map { Int64($0) }
    case .u8, .bool: return b.bindMemory(to: UInt8.self).prefix(n).map { Int64($0) }
    case .u16: return b.bindMemory(to: UInt16.self).prefix(n).map { Int64($0) }
    case .u32: return b.bindMemory(to: UInt32.self).prefix(n).map { Int64($0) }
    case .u64: return b.bindMemory(to: UInt64.self).prefix(n).map { Int64(truncatingIfNeeded: $0) }
    case .f32, .f64, .f16, .bf16:
      return floats().map { $0.isFinite ? Int64(max(min($0, 9.2e18), -9.2e18)) : 0 }
    case .string: return []
    }
  }

  /// A fast 64-bit content hash (shape, dtype and bytes), printed by `modc dump` instead of the weights.
  public var checksum: UInt64 { TensorData.hash(bytes, seed: UInt64(dtype.onnxCode) &* 0x9E37_79B9_7F4A_7C15) }

  /// 64-bit hash over `bytes`, 8 bytes at a time (not cryptographic; for identifying weights).
  public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed ^ UInt64(bytes.count)
    let words = bytes.count / 8
    var i = 0
    @inline(__always) func mix(_ v: UInt64) {
      h ^= v &* 0x87C3_7B91_1142_53D5
      h = (h << 31) | (h >> 33)
      h = h &* 0x4CF5_AD43_2745_937F
    }
    while i < words {
      mix(bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
      i += 1
    }
    var tail: UInt64 = 0
    for j in (words * 8)..<bytes.count { tail = (tail << 8) | UInt64(bytes[j]) }
    mix(tail)
    h ^= h >> 29
    h = h &* 0xBF58_476D_1CE4_E5B9
    h ^= h >> 32
    return h
  }
}
