/// Byte ranges of a serialized ModelProto that hold no weights: everything except the payloads of TensorProto
/// `raw_data` / `float_data` fields of graph initializers. Mutating there reaches the reader's logic; mutating
/// inside 46 MB of floats would only test memcpy.
enum ONNXRegions {
  /// One protobuf field: its number, wire type, and where its payload lies (`whole` includes the key).
  struct Field {
    var number: UInt64
    var wireType: UInt64
    var whole: Range<Int>
    var payload: Range<Int>
  }

  /// The fields of the message in `range`, or nil if it is not a well-formed field sequence.
  static func fields(_ b: [UInt8], _ range: Range<Int>) -> [Field]? {
    var out: [Field] = []
    var i = range.lowerBound
    func varint() -> UInt64? {
      var v: UInt64 = 0
      var shift: UInt64 = 0
      while i < range.upperBound, shift < 64 {
        let x = b[i]
        i += 1
        v |= UInt64(x & 0x7F) << shift
        if x & 0x80 == 0 { return v }
        shift += 7
      }
      return nil
    }
    while i < range.upperBound {
      let start = i
      guard let key = varint() else { return nil }
      let payloadStart: Int
      switch key & 7 {
      case 0:
        guard varint() != nil else { return nil }
        payloadStart = i
      case 1: (payloadStart, i) = (i, i + 8)
      case 5: (payloadStart, i) = (i, i + 4)
      case 2:
        guard let n = varint(), n <= UInt64(range.upperBound - i) else { return nil }
        payloadStart = i
        i += Int(n)
      default: return nil
      }
      guard i <= range.upperBound else { return nil }
      out.append(Field(number: key >> 3, wireType: key & 7, whole: start..<i, payload: payloadStart..<i))
    }
    return out
  }

  /// The weight-free ranges (never empty: the whole buffer when it does not parse).
  static func weightFree(_ b: [UInt8]) -> [Range<Int>] {
    var weights: [Range<Int>] = []
    for f in fields(b, 0..<b.count) ?? [] where f.number == 7 && f.wireType == 2 {
      for g in fields(b, f.payload) ?? [] where g.number == 5 && g.wireType == 2 {
        for t in fields(b, g.payload) ?? [] where (t.number == 9 || t.number == 4) && t.payload.count > 64 {
          weights.append(t.payload)
        }
      }
    }
    var free: [Range<Int>] = []
    var at = 0
    for w in weights.sorted(by: { $0.lowerBound < $1.lowerBound }) {
      if w.lowerBound > at { free.append(at..<w.lowerBound) }
      at = max(at, w.upperBound)
    }
    if at < b.count { free.append(at..<b.count) }
    return free.isEmpty ? [0..<max(b.count, 1)] : free
  }
}
