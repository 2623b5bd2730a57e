/// A protobuf message as a tree of wire-format fields, for structure-aware mutation: a length-delimited field whose
/// payload itself parses as fields is kept as a sub-message, so a mutation deep inside it still re-encodes with
/// consistent lengths (the mutation reaches the reader's semantics instead of failing at the first length check).
struct ProtoField {
  enum Value {
    case varint(UInt64)
    case fixed64(UInt64)
    case fixed32(UInt32)
    case bytes([UInt8])
    case message([ProtoField])
  }

  var number: UInt64
  var value: Value
  /// Added to the encoded length of a length-delimited field (a deliberately wrong length field).
  var lengthDelta: Int64 = 0
  /// When set, the length varint is replaced by this raw value (a huge or tiny length field).
  var lengthOverride: UInt64?

  init(_ number: UInt64, _ value: Value) {
    self.number = number
    self.value = value
  }
}

/// Encoding and decoding of `ProtoField` trees.
enum ProtoTree {
  /// Payloads larger than this stay opaque bytes (weights), so parsing a 46 MB model stays cheap.
  static let maxSubmessageBytes = 1 << 16

  /// Parses `bytes` as a message; nil when the bytes are not a well-formed field sequence.
  static func parse(_ bytes: ArraySlice<UInt8>, depth: Int = 0) -> [ProtoField]? {
    var out: [ProtoField] = []
    var i = bytes.startIndex
    func varint() -> UInt64? {
      var v: UInt64 = 0
      var shift: UInt64 = 0
      while i < bytes.endIndex, shift < 64 {
        let b = bytes[i]
        i += 1
        v |= UInt64(b & 0x7F) << shift
        if b & 0x80 == 0 { return v }
        shift += 7
      }
      return nil
    }
    while i < bytes.endIndex {
      guard let key = varint(), key >> 3 != 0 else { return nil }
      let number = key >> 3
      switch key & 7 {
      case 0:
        guard let v = varint() else { return nil }
        out.append(ProtoField(number, .varint(v)))
      case 1:
        guard bytes.endIndex - i >= 8 else { return nil }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
        i += 8
        out.append(ProtoField(number, .fixed64(v)))
      case 5:
        guard bytes.endIndex - i >= 4 else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[i + k]) << (8 * UInt32(k)) }
        i += 4
        out.append(ProtoField(number, .fixed32(v)))
      case 2:
        guard let n = varint(), n <= UInt64(bytes.endIndex - i) else { return nil }
        let payload = bytes[i..<(i + Int(n))]
        i += Int(n)
        if n > 0, n <= maxSubmessageBytes, depth < 64, let sub = parse(payload, depth: depth + 1),
          !looksLikeText(payload)
        {
          out.append(ProtoField(number, .message(sub)))
        } else {
          out.append(ProtoField(number, .bytes(Array(payload))))
        }
      default:
        return nil
      }
    }
    return out
  }

  /// Printable ASCII that happens to parse as fields is far more likely a name than a message.
  private static func looksLikeText(_ b: ArraySlice<UInt8>) -> Bool {
    b.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
  }

  static func encodeVarint(_ v: UInt64, into out: inout [UInt8]) {
    var v = v
    while v >= 0x80 {
      out.append(UInt8(v & 0x7F) | 0x80)
      v >>= 7
    }
    out.append(UInt8(v))
  }

  static func serialize(_ fields: [ProtoField]) -> [UInt8] {
    var out: [UInt8] = []
    for f in fields { serialize(f, into: &out) }
    return out
  }

  static func serialize(_ f: ProtoField, into out: inout [UInt8]) {
    func lengthDelimited(_ payload: [UInt8]) {
      encodeVarint(f.number << 3 | 2, into: &out)
      let n = f.lengthOverride ?? UInt64(bitPattern: max(0, Int64(payload.count) &+ f.lengthDelta))
      encodeVarint(n, into: &out)
      out += payload
    }
    switch f.value {
    case .varint(let v):
      encodeVarint(f.number << 3, into: &out)
      encodeVarint(v, into: &out)
    case .fixed64(let v):
      encodeVarint(f.number << 3 | 1, into: &out)
      for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
    case .fixed32(let v):
      encodeVarint(f.number << 3 | 5, into: &out)
      for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) }
    case .bytes(let b): lengthDelimited(b)
    case .message(let m): lengthDelimited(serialize(m))
    }
  }

  /// Index paths of every field in the tree (for picking a mutation target uniformly).
  static func paths(_ fields: [ProtoField], prefix: [Int] = [], into out: inout [[Int]]) {
    for (i, f) in fields.enumerated() {
      out.append(prefix + [i])
      if case .message(let m) = f.value { paths(m, prefix: prefix + [i], into: &out) }
    }
  }

  /// Applies `body` to the field list that contains the field at `path`, with that field's index.
  static func withParent(
    _ fields: inout [ProtoField], _ path: ArraySlice<Int>, _ body: (inout [ProtoField], Int) -> Void
  ) {
    guard let first = path.first else { return }
    if path.count == 1 { return body(&fields, first) }
    guard case .message(var m) = fields[first].value else { return }
    withParent(&m, path.dropFirst(), body)
    fields[first].value = .message(m)
  }

  /// Values that break sizes and dims: zero, negative (as two's complement varints), huge.
  static let extremeVarints: [UInt64] = [
    0, 1, 2, 0x7F, 0x80, 0x7FFF_FFFF, 0xFFFF_FFFF, 1 << 32, 1 << 40, 1 << 62, .max >> 1, .max, UInt64(bitPattern: -1),
    UInt64(bitPattern: -2), 1 << 63,
  ]

  /// One structure-aware mutation of a message tree: change a varint (dims, types, counts), break a length field,
  /// duplicate, drop or reorder a field, or flip bits inside one payload.
  static func mutate(_ tree: inout [ProtoField], _ rng: inout SplitMix64) {
    var all: [[Int]] = []
    paths(tree, into: &all)
    guard !all.isEmpty else { return }
    let path = rng.pick(all)
    let choice = rng.below(7)
    withParent(&tree, path[...]) { fields, i in
      switch choice {
      case 0:
        if case .varint = fields[i].value {
          fields[i].value = .varint(rng.pick(extremeVarints))
        } else {
          fields[i].value = .varint(rng.pick(extremeVarints))  // wrong wire type for the field
        }
      case 1:
        switch fields[i].value {
        case .bytes, .message:
          if rng.chance(0.5) {
            fields[i].lengthOverride = rng.pick([0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 1 << 40, .max >> 1, .max])
          } else {
            fields[i].lengthDelta = Int64(rng.below(9)) - 4
          }
        default: fields[i].number = rng.pick([0, 1, 2, 5, 7, 1 << 29 - 1, UInt64(rng.below(32))])
        }
      case 2: fields.insert(fields[i], at: i + 1)  // duplicated section / repeated singular field
      case 3: fields.remove(at: i)
      case 4: fields.swapAt(i, rng.below(fields.count))
      case 5:
        if case .bytes(var b) = fields[i].value, !b.isEmpty {
          ByteMutator.any(&b, &rng)
          fields[i].value = .bytes(b)
        } else if case .fixed32 = fields[i].value {
          fields[i].value = .fixed32(rng.pick([0, 0x7F80_0000, 0x7FC0_0000, 0xFF80_0000, 0xFFFF_FFFF]))
        } else {
          fields[i].number = UInt64(1 + rng.below(24))  // a known field number with possibly the wrong type
        }
      default:
        // Move a field one level deeper: wrap it in a copy of itself (nesting) or splice a sibling into a message.
        if case .message(var m) = fields[i].value {
          m.append(fields[rng.below(fields.count)])
          fields[i].value = .message(m)
        } else {
          fields[i].value = .bytes([])
        }
      }
    }
  }
}
