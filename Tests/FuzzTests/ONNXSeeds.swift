/// Small ONNX models written field by field, so the harness has seeds without the fixtures and can build shapes the
/// exporter never writes (deeply nested subgraphs, huge dims, raw-data tensors of every element type).
enum ONNXSeeds {
  typealias F = ProtoField

  static func str(_ n: UInt64, _ s: String) -> F { F(n, .bytes(Array(s.utf8))) }
  static func int(_ n: UInt64, _ v: Int64) -> F { F(n, .varint(UInt64(bitPattern: v))) }
  static func msg(_ n: UInt64, _ fs: [F]) -> F { F(n, .message(fs)) }

  /// ValueInfoProto `name : elem_type[dims]` (a dim < 0 becomes the symbolic dim "N").
  static func valueInfo(_ n: UInt64, _ name: String, elemType: Int64 = 1, dims: [Int64]) -> F {
    let shape = dims.map { d in msg(1, [d < 0 ? str(2, "N") : int(1, d)]) }
    return msg(n, [str(1, name), msg(2, [msg(1, [int(1, elemType), msg(2, shape)])])])
  }

  /// NodeProto.
  static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String, attrs: [F] = []) -> F {
    msg(1, inputs.map { str(1, $0) } + outputs.map { str(2, $0) } + [str(3, name), str(4, op)] + attrs)
  }

  static func intsAttr(_ name: String, _ vs: [Int64]) -> F { msg(5, [str(1, name), int(20, 7)] + vs.map { int(8, $0) }) }
  static func intAttr(_ name: String, _ v: Int64) -> F { msg(5, [str(1, name), int(20, 2), int(3, v)]) }
  static func floatAttr(_ name: String, _ v: Float) -> F {
    msg(5, [str(1, name), int(20, 1), F(2, .fixed32(v.bitPattern))])
  }

  /// TensorProto initializer with raw little-endian data.
  static func initializer(_ name: String, dataType: Int64 = 1, dims: [Int64], raw: [UInt8]) -> F {
    msg(5, dims.map { int(1, $0) } + [int(2, dataType), str(8, name), F(9, .bytes(raw))])
  }

  static func floats(_ xs: [Float]) -> [UInt8] {
    xs.flatMap { x in (0..<4).map { UInt8(truncatingIfNeeded: x.bitPattern >> (8 * UInt32($0))) } }
  }

  /// ModelProto around `graph` fields (ir_version 8, opset 17).
  static func model(_ graph: [F], opset: Int64 = 17) -> [UInt8] {
    ProtoTree.serialize([
      int(1, 8), str(2, "fuzz"), str(3, "0"), msg(7, graph), msg(8, [str(1, ""), int(2, opset)]),
    ])
  }

  /// x -> Conv(3x3, pads 1) -> Relu -> Add(x) -> GlobalAveragePool -> Flatten -> Gemm.
  static var convBlock: [UInt8] {
    let w = floats((0..<(4 * 4 * 9)).map { Float($0 % 7) * 0.1 - 0.3 })
    let fcw = floats((0..<(3 * 4)).map { Float($0) * 0.05 })
    return model([
      str(2, "block"),
      valueInfo(11, "x", dims: [1, 4, 6, 6]),
      initializer("w", dims: [4, 4, 3, 3], raw: w),
      initializer("b", dims: [4], raw: floats([0.1, -0.1, 0.2, 0])),
      initializer("fc.w", dims: [3, 4], raw: fcw),
      initializer("fc.b", dims: [3], raw: floats([0, 1, 2])),
      node(
        "Conv", ["x", "w", "b"], ["c"], name: "conv",
        attrs: [intsAttr("kernel_shape", [3, 3]), intsAttr("pads", [1, 1, 1, 1]), intsAttr("strides", [1, 1])]),
      node("Relu", ["c"], ["r"], name: "relu"),
      node("Add", ["r", "x"], ["s"], name: "add"),
      node("MaxPool", ["s"], ["p"], name: "pool", attrs: [intsAttr("kernel_shape", [2, 2]), intsAttr("strides", [2, 2])]),
      node("GlobalAveragePool", ["p"], ["g"], name: "gap"),
      node("Flatten", ["g"], ["f"], name: "flatten", attrs: [intAttr("axis", 1)]),
      node("Gemm", ["f", "fc.w", "fc.b"], ["y"], name: "fc", attrs: [intAttr("transB", 1), floatAttr("alpha", 1)]),
      valueInfo(12, "y", dims: [1, 3]),
    ])
  }

  /// Shape arithmetic through constants: Shape -> Gather -> Concat -> Reshape, with int64 initializers.
  static var reshapeChain: [UInt8] {
    func i64s(_ xs: [Int64]) -> [UInt8] { xs.flatMap { x in (0..<8).map { UInt8(truncatingIfNeeded: x >> (8 * Int64($0))) } } }
    return model([
      str(2, "shapes"),
      valueInfo(11, "x", dims: [-1, 2, 3, 4]),
      initializer("idx", dataType: 7, dims: [1], raw: i64s([0])),
      initializer("tail", dataType: 7, dims: [1], raw: i64s([-1])),
      node("Shape", ["x"], ["s"], name: "shape"),
      node("Gather", ["s", "idx"], ["n"], name: "gather", attrs: [intAttr("axis", 0)]),
      node("Concat", ["n", "tail"], ["t"], name: "concat", attrs: [intAttr("axis", 0)]),
      node("Reshape", ["x", "t"], ["y"], name: "reshape"),
      node("Transpose", ["y"], ["z"], name: "transpose", attrs: [intsAttr("perm", [1, 0])]),
      valueInfo(12, "z", dims: [24, -1]),
    ])
  }

  /// A node whose GRAPH attribute nests `depth` levels of If subgraphs. Built level by level as bytes (no
  /// recursion here), in time quadratic in `depth`: keep it to a few thousand.
  static func nestedSubgraphs(depth: Int) -> [UInt8] {
    var inner = ProtoTree.serialize([str(2, "leaf"), node("Relu", ["x"], ["y"], name: "leaf")])
    func wrap(_ g: [UInt8], name: String) -> F {
      msg(5, [str(1, name), int(20, 5), F(6, .bytes(g))])
    }
    for d in 0..<depth {
      inner = ProtoTree.serialize([str(2, "g\(d)"), node("If", ["c"], ["y"], name: "if\(d)", attrs: [wrap(inner, name: "then_branch")])])
    }
    return model([
      str(2, "nested"), valueInfo(11, "c", elemType: 9, dims: []), valueInfo(11, "x", dims: [2]),
      node("If", ["c"], ["y"], name: "top", attrs: [wrap(inner, name: "then_branch"), wrap(inner, name: "else_branch")]),
      valueInfo(12, "y", dims: [2]),
    ])
  }

  /// Every seed built here.
  static var all: [(name: String, bytes: [UInt8])] {
    [
      ("convBlock", convBlock), ("reshapeChain", reshapeChain), ("nested8", nestedSubgraphs(depth: 8)),
      ("nested2000", nestedSubgraphs(depth: 2000)),
    ]
  }
}
