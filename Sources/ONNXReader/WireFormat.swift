/// A bounds-checked reader of the protobuf wire format over borrowed bytes.
///
/// Used for the top two levels of a model (ModelProto → graph, GraphProto → initializer) so that weights are
/// never unpacked all at once. Every length is validated: truncation is an error, never an out-of-bounds read.
struct WireReader {
  /// One top-level field: number, wire type and the byte ranges of the whole field and of its payload.
  struct Field {
    var number: UInt64
    var wireType: UInt8
    /// Tag + payload.
    var whole: Range<Int>
    /// Payload only (for length-delimited fields, without the length prefix).
    var payload: Range<Int>
  }

  let bytes: UnsafeRawBufferPointer
  /// Offset of `bytes[0]` in the file, for error messages.
  let base: Int
  private(set) var pos: Int
  let end: Int

  init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>, base: Int = 0) {
    self.bytes = bytes
    self.base = base
    self.pos = range.lowerBound
    self.end = range.upperBound
  }

  var atEnd: Bool { pos >= end }

  private func fail(_ at: Int, _ reason: String) -> ONNXReadError {
    ONNXReadError(.notONNX(offset: base + at, reason: reason))
  }

  mutating func varint() throws(ONNXReadError) -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    let start = pos
    while true {
      guard pos < end else { throw fail(start, "truncated varint") }
      let b = bytes[pos]
      pos += 1
      if shift == 63 && b > 1 { throw fail(start, "varint overflows 64 bits") }
      result |= UInt64(b & 0x7F) << shift
      if b & 0x80 == 0 { return result }
      shift += 7
      if shift > 63 { throw fail(start, "varint longer than 10 bytes") }
    }
  }

  /// Reads the next field, skipping its payload.
  mutating func next() throws(ONNXReadError) -> Field {
    let start = pos
    let key = try varint()
    let number = key >> 3
    let wt = UInt8(key & 7)
    guard number != 0 else { throw fail(start, "field number 0") }
    let payloadStart: Int
    switch wt {
    case 0:
      payloadStart = pos
      _ = try varint()
    case 1, 5:
      payloadStart = pos
      let n = wt == 1 ? 8 : 4
      guard end - pos >= n else { throw fail(start, "truncated fixed-width field \(number)") }
      pos += n
    case 2:
      let len = try varint()
      payloadStart = pos
      guard len <= UInt64(end - pos) else {
        throw fail(start, "field \(number) claims \(len) bytes but only \(end - pos) remain (truncated file?)")
      }
      pos += Int(len)
    default:
      throw fail(start, "invalid wire type \(wt) for field \(number)")
    }
    return Field(number: number, wireType: wt, whole: start..<pos, payload: payloadStart..<pos)
  }
}

/// Growable byte buffer used to collect the non-weight fields of a message for one protobuf-c unpack.
struct ByteSink {
  var bytes: [UInt8] = []
  mutating func append(_ src: UnsafeRawBufferPointer, _ r: Range<Int>) {
    bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: src[r]))
  }
  mutating func appendVarint(_ v: UInt64) {
    var v = v
    while v >= 0x80 {
      bytes.append(UInt8(v & 0x7F) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }
}
