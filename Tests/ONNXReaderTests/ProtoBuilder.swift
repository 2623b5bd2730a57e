/// A tiny protobuf writer for hand-made (often deliberately malformed) ONNX test models.
struct PB {
  var bytes: [UInt8] = []

  mutating func varint(_ v: UInt64) {
    var v = v
    while v >= 0x80 {
      bytes.append(UInt8(v & 0x7F) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  mutating func int(_ field: Int, _ v: Int64) {
    varint(UInt64(field << 3))
    varint(UInt64(bitPattern: v))
  }

  mutating func float(_ field: Int, _ v: Float) {
    varint(UInt64(field << 3 | 5))
    withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
  }

  mutating func data(_ field: Int, _ d: [UInt8]) {
    varint(UInt64(field << 3 | 2))
    varint(UInt64(d.count))
    bytes.append(contentsOf: d)
  }

  mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }
  mutating func message(_ field: Int, _ m: PB) { data(field, m.bytes) }
}

/// Builders for the ONNX messages the tests need (field numbers from onnx.proto).
enum ONNXProto {
  static func tensor(
    name: String, dtype: Int64 = 1, dims: [Int64], raw: [UInt8]? = nil, floats: [Float]? = nil,
    external: [(String, String)]? = nil
  ) -> PB {
    var t = PB()
    for d in dims { t.int(1, d) }
    t.int(2, dtype)
    if let floats {
      var packed = PB()
      for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { packed.bytes.append(contentsOf: $0) } }
      t.data(4, packed.bytes)
    }
    t.string(8, name)
    if let raw { t.data(9, raw) }
    if let external {
      for (k, v) in external {
        var e = PB()
        e.string(1, k)
        e.string(2, v)
        t.message(13, e)
      }
      t.int(14, 1)
    }
    return t
  }

  /// AttributeProto: pass exactly one of the value arguments.
  static func attribute(_ name: String, int: Int64? = nil, float: Float? = nil, ints: [Int64]? = nil,
                        string: String? = nil, tensor: PB? = nil) -> PB {
    var a = PB()
    a.string(1, name)
    if let int { a.int(3, int); a.int(20, 2) }
    if let float { a.float(2, float); a.int(20, 1) }
    if let ints { for i in ints { a.int(8, i) }; a.int(20, 7) }
    if let string { a.string(4, string); a.int(20, 3) }
    if let tensor { a.message(5, tensor); a.int(20, 4) }
    return a
  }

  static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "", domain: String = "",
                   attrs: [PB] = []) -> PB {
    var n = PB()
    for i in inputs { n.string(1, i) }
    for o in outputs { n.string(2, o) }
    if !name.isEmpty { n.string(3, name) }
    n.string(4, op)
    for a in attrs { n.message(5, a) }
    if !domain.isEmpty { n.string(7, domain) }
    return n
  }

  static func valueInfo(_ name: String, dtype: Int64 = 1, dims: [Int64?]) -> PB {
    var shape = PB()
    for d in dims {
      var dim = PB()
      if let d { dim.int(1, d) } else { dim.string(2, "N") }
      shape.message(1, dim)
    }
    var tt = PB()
    tt.int(1, dtype)
    tt.message(2, shape)
    var tp = PB()
    tp.message(1, tt)
    var vi = PB()
    vi.string(1, name)
    vi.message(2, tp)
    return vi
  }

  static func model(nodes: [PB], initializers: [PB] = [], inputs: [PB], outputs: [PB], opset: Int64 = 17) -> [UInt8] {
    var g = PB()
    for n in nodes { g.message(1, n) }
    g.string(2, "test")
    for t in initializers { g.message(5, t) }
    for i in inputs { g.message(11, i) }
    for o in outputs { g.message(12, o) }
    var os = PB()
    os.string(1, "")
    os.int(2, opset)
    var m = PB()
    m.int(1, 8)
    m.string(2, "tests")
    m.message(7, g)
    m.message(8, os)
    return m.bytes
  }

  /// A one-node model `y = op(x, extra inputs…)` over an f32[1,4] input.
  static func single(_ node: PB, initializers: [PB] = [], opset: Int64 = 17) -> [UInt8] {
    model(nodes: [node], initializers: initializers, inputs: [valueInfo("x", dims: [1, 4])],
          outputs: [valueInfo("y", dims: [1, 4])], opset: opset)
  }
}

/// Little-endian bytes of floats.
func floatBytes(_ xs: [Float]) -> [UInt8] {
  xs.flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian) { Array($0) } }
}
