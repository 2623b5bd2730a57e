/// Appends little-endian scalars, strings and raw bytes to a growing byte array.
///
/// The serialisation half of every `.modplan` section: the writer never fails; alignment padding is zero bytes.
public struct ByteWriter: Sendable {
  /// Everything written so far.
  public private(set) var bytes: [UInt8] = []

  public init(reservingCapacity capacity: Int = 0) {
    bytes.reserveCapacity(capacity)
  }

  /// Number of bytes written so far (the offset of the next write).
  public var count: Int { bytes.count }

  public mutating func u8(_ v: UInt8) { bytes.append(v) }
  public mutating func u16(_ v: UInt16) { appendLE(v) }
  public mutating func u32(_ v: UInt32) { appendLE(v) }
  public mutating func u64(_ v: UInt64) { appendLE(v) }
  public mutating func i32(_ v: Int32) { appendLE(UInt32(bitPattern: v)) }
  public mutating func i64(_ v: Int64) { appendLE(UInt64(bitPattern: v)) }
  public mutating func f32(_ v: Float) { appendLE(v.bitPattern) }
  public mutating func f64(_ v: Double) { appendLE(v.bitPattern) }
  /// A non-negative `Int` as u64 (sizes, offsets, counts).
  public mutating func count64(_ v: Int) {
    precondition(v >= 0, "negative size written to a plan")
    appendLE(UInt64(v))
  }

  /// A UTF-8 string, prefixed by its byte length as u32.
  public mutating func string(_ s: String) {
    let utf8 = Array(s.utf8)
    u32(UInt32(utf8.count))
    bytes.append(contentsOf: utf8)
  }

  /// Raw bytes, no length prefix.
  public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

  /// Raw bytes, no length prefix.
  public mutating func raw(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }

  /// Zero bytes until `count` is a multiple of `alignment` (a power of two).
  public mutating func pad(toAlignment alignment: Int) {
    let target = alignUp(bytes.count, to: alignment)
    bytes.append(contentsOf: repeatElement(0, count: target - bytes.count))
  }

  /// Overwrites the u32 at `offset` (which must already have been written), e.g. to back-patch a count.
  public mutating func patchU32(_ v: UInt32, at offset: Int) {
    for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
  }

  /// Overwrites the u64 at `offset` (which must already have been written).
  public mutating func patchU64(_ v: UInt64, at offset: Int) {
    for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
  }

  private mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
    var x = v.littleEndian
    withUnsafeBytes(of: &x) { bytes.append(contentsOf: $0) }
  }
}

/// A read past the end of a buffer, or a value that cannot be represented (e.g. a u64 size above `Int.max`).
public struct ByteReadError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Offset at which the failing read started.
  public var offset: Int
  public var message: String
  public init(offset: Int, _ message: String) {
    self.offset = offset
    self.message = message
  }
  public var description: String { "at byte \(offset): \(message)" }
}

/// Reads little-endian scalars from a byte buffer, bounds-checked: every overrun throws instead of trapping.
///
/// The buffer is borrowed, not copied; the caller keeps it alive (e.g. a `PlanFile` section).
public struct ByteReader {
  /// The bytes being read.
  public let buffer: UnsafeRawBufferPointer
  /// Offset of the next read.
  public private(set) var offset: Int = 0

  public init(_ buffer: UnsafeRawBufferPointer) {
    self.buffer = buffer
  }

  /// Bytes not read yet.
  public var remaining: Int { buffer.count - offset }
  /// True when every byte has been read.
  public var isAtEnd: Bool { offset == buffer.count }

  public mutating func u8() throws(ByteReadError) -> UInt8 { try loadLE(UInt8.self) }
  public mutating func u16() throws(ByteReadError) -> UInt16 { try loadLE(UInt16.self) }
  public mutating func u32() throws(ByteReadError) -> UInt32 { try loadLE(UInt32.self) }
  public mutating func u64() throws(ByteReadError) -> UInt64 { try loadLE(UInt64.self) }
  public mutating func i32() throws(ByteReadError) -> Int32 { Int32(bitPattern: try loadLE(UInt32.self)) }
  public mutating func i64() throws(ByteReadError) -> Int64 { Int64(bitPattern: try loadLE(UInt64.self)) }
  public mutating func f32() throws(ByteReadError) -> Float { Float(bitPattern: try loadLE(UInt32.self)) }
  public mutating func f64() throws(ByteReadError) -> Double { Double(bitPattern: try loadLE(UInt64.self)) }

  /// A u64 that must fit in a non-negative `Int` (a size, offset or count).
  public mutating func count64() throws(ByteReadError) -> Int {
    let at = offset
    let v = try u64()
    guard v <= UInt64(Int.max) else { throw ByteReadError(offset: at, "value \(v) is too large") }
    return Int(v)
  }

  /// A u32 length-prefixed UTF-8 string; invalid UTF-8 is an error.
  public mutating func string() throws(ByteReadError) -> String {
    let at = offset
    let n = Int(try u32())
    let b = try bytes(n)
    guard let s = String(validating: b, as: UTF8.self) else {
      throw ByteReadError(offset: at, "string is not valid UTF-8")
    }
    return s
  }

  /// The next `count` bytes, borrowed from the buffer.
  public mutating func bytes(_ count: Int) throws(ByteReadError) -> UnsafeRawBufferPointer {
    guard count >= 0, count <= remaining else {
      throw ByteReadError(offset: offset, "needs \(count) bytes, only \(remaining) left")
    }
    let slice = UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
    offset += count
    return slice
  }

  /// Skips to the next multiple of `alignment` (relative to the buffer start).
  public mutating func skipPadding(toAlignment alignment: Int) throws(ByteReadError) {
    _ = try bytes(alignUp(offset, to: alignment) - offset)
  }

  /// Moves to an absolute offset within the buffer.
  public mutating func seek(to newOffset: Int) throws(ByteReadError) {
    guard newOffset >= 0, newOffset <= buffer.count else {
      throw ByteReadError(offset: offset, "seek to \(newOffset) outside \(buffer.count) bytes")
    }
    offset = newOffset
  }

  private mutating func loadLE<T: FixedWidthInteger>(_: T.Type) throws(ByteReadError) -> T {
    let n = MemoryLayout<T>.size
    guard n <= remaining, let base = buffer.baseAddress else {
      throw ByteReadError(offset: offset, "needs \(n) bytes, only \(remaining) left")
    }
    let v = T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    offset += n
    return v
  }
}

/// Rounds `value` up to a multiple of `alignment` (a power of two).
@inline(__always)
func alignUp(_ value: Int, to alignment: Int) -> Int {
  (value + alignment - 1) & ~(alignment - 1)
}

/// `bytes.withUnsafeBytes(body)` that keeps `body`'s typed error (the standard library's version is `rethrows`).
func withBytes<T, E: Error>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
  let r: Result<T, E> = bytes.withUnsafeBytes { b in
    do throws(E) { return .success(try body(b)) } catch { return .failure(error) }
  }
  return try r.get()
}
