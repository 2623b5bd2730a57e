import Testing

@testable import GraphIR

/// Builds `x → Shape → Gather(0) → Unsqueeze(0) → Concat(·, [-1]) → Reshape(x, ·)`, as the torch exporter emits
/// for `x.view(x.size(0), -1)`.
func torchFlattenChain(input: String) -> (Graph, ValueID) {
  var g = Graph()
  let x = g.addValue(name: "x", type: ty(input))
  g.inputs = [x]
  let s = g.addValue(name: "s")
  g.appendNode(name: "shape", op: .shape(ShapeAttrs()), inputs: [x], outputs: [s])
  let zero = g.addConstant(name: "zero", i64s([0], shape: []))
  let n = g.addValue(name: "n")
  g.appendNode(name: "gather", op: .gather(AxisAttrs(axis: 0)), inputs: [s, zero], outputs: [n])
  let u = g.addValue(name: "u")
  g.appendNode(name: "unsqueeze", op: .unsqueeze(AxesAttrs(axes: [0])), inputs: [n], outputs: [u])
  let m1 = g.addConstant(name: "minus1", i64s([-1]))
  let c = g.addValue(name: "c")
  g.appendNode(name: "concat", op: .concat(AxisAttrs(axis: 0)), inputs: [u, m1], outputs: [c])
  let y = g.addValue(name: "y")
  g.appendNode(name: "reshape", op: .reshape(ReshapeAttrs()), inputs: [x, c], outputs: [y])
  g.outputs = [y]
  return (g, y)
}

@Suite struct ShapeInferenceGraphTests {
  @Test func shapeChainFoldsToStaticReshape() throws {
    var (g, y) = torchFlattenChain(input: "f32[2,512,1,1]")
    let values = try ShapeInference().runCollectingValues(on: &g)
    #expect(g.type(of: y)?.description == "f32[2,512]")
    let concat = try #require(g.values.first { $0.name == "c" })
    #expect(values[concat.id]?.int64s() == [2, -1])
  }

  @Test func symbolicBatchIsBoundByInputShape() throws {
    var (g, y) = torchFlattenChain(input: "f32[N,512,1,1]")
    var unbound = g
    try ShapeInference().run(on: &unbound)
    // N unknown: the shape chain cannot fold, so Reshape only knows its rank (fresh symbols).
    #expect(unbound.type(of: y)?.description == "f32[_y_0,_y_1]")
    let flag = try ShapeInference.parseInputShapeFlag("x=4x512x1x1")
    try ShapeInference(inputShapes: [flag.name: flag.shape]).run(on: &g)
    #expect(g.type(of: y)?.description == "f32[4,512]")
    #expect(g.type(of: g.inputs[0])?.description == "f32[4,512,1,1]")
  }

  @Test func bindingOneInputAppliesEverywhere() throws {
    var g = Graph()
    let a = g.addValue(name: "a", type: ty("f32[N,3]"))
    let b = g.addValue(name: "b", type: ty("f32[N,3]"))
    g.inputs = [a, b]
    let s = g.addValue(name: "s", type: ty("f32[N,3]"))
    g.appendNode(name: "add", op: .add, inputs: [a, b], outputs: [s])
    g.outputs = [s]
    try ShapeInference(inputShapes: ["a": [.fixed(8), .fixed(3)]]).run(on: &g)
    #expect(g.type(of: b)?.description == "f32[8,3]")
    #expect(g.type(of: s)?.description == "f32[8,3]")
  }

  @Test func inputShapeErrors() throws {
    var (g, _) = torchFlattenChain(input: "f32[N,512,1,1]")
    #expect(throws: GraphError(tensor: "x", "--input-shape [1,3,224,224] conflicts with the declared type f32[N,512,1,1]")) {
      try ShapeInference(inputShapes: ["x": try ShapeInference.parseShape("1x3x224x224")]).run(on: &g)
    }
    #expect(throws: GraphError(tensor: "input", "--input-shape names no graph input (inputs: x)")) {
      try ShapeInference(inputShapes: ["input": [.fixed(1)]]).run(on: &g)
    }
  }

  @Test(arguments: [
    ("1x3x224x224", "[1,3,224,224]"), ("Nx3x224x224", "[N,3,224,224]"), ("batch,3,32,32", "[batch,3,32,32]"),
  ])
  func parseShape(_ text: String, _ expected: String) throws {
    #expect(shapeString(try ShapeInference.parseShape(text)) == expected)
  }

  @Test func parseShapeErrors() {
    #expect(throws: GraphError("invalid shape '1x-3': dim -3 is negative")) {
      try ShapeInference.parseShape("1x-3")
    }
    #expect(throws: GraphError("invalid shape '1xx3': '' is neither a size nor a symbol name")) {
      try ShapeInference.parseShape("1xx3")
    }
    #expect(throws: GraphError("invalid --input-shape '1x3': expected NAME=DIMS, e.g. input=1x3x224x224")) {
      try ShapeInference.parseInputShapeFlag("1x3")
    }
  }

  @Test func declaredTypesAreCheckedAndRefined() throws {
    var g = Graph()
    let x = g.addValue(name: "x", type: ty("f32[1,16,8,8]"))
    g.inputs = [x]
    let p = g.addValue(name: "p", type: ty("f32[N,16,1,1]"))  // value_info with a symbol: refined
    g.appendNode(name: "gap", op: .globalAveragePool, inputs: [x], outputs: [p])
    let r = g.addValue(name: "r", type: ty("f32[1,16,2,2]"))  // wrong
    g.appendNode(name: "relu", op: .relu, inputs: [p], outputs: [r])
    g.outputs = [r]
    #expect(throws: GraphError(node: "relu", op: "Relu", "output 'r' is inferred as f32[1,16,1,1], but declared as f32[1,16,2,2]")) {
      try ShapeInference().run(on: &g)
    }
    #expect(g.type(of: p)?.description == "f32[1,16,1,1]")
  }

  @Test func errorsNameTheNode() throws {
    var g = Graph()
    let x = g.addValue(name: "x", type: ty("f32[1,64,56,56]"))
    let w = g.addConstant(name: "w", TensorData(shape: [64, 32, 3, 3], floats: Array(repeating: 0, count: 64 * 32 * 9)))
    g.inputs = [x]
    let y = g.addValue(name: "y")
    g.appendNode(name: "layer1.0.conv1", op: .conv(ConvAttrs(pads: [1, 1, 1, 1])), inputs: [x, w], outputs: [y])
    g.outputs = [y]
    let err = #expect(throws: GraphError.self) { try ShapeInference().run(on: &g) }
    #expect(err?.description
      == "node 'layer1.0.conv1' (Conv): weight has 32 input channels per group, but input X has 64 channels / group 1")
  }

  @Test func opaqueOpsUseDeclaredTypesOrStop() throws {
    var g = Graph()
    let x = g.addValue(name: "x", type: ty("f32[1,3,8,8]"))
    g.inputs = [x]
    let r = g.addValue(name: "r", type: ty("f32[1,3,16,16]"))
    g.appendNode(name: "up", op: .opaque(OpaqueAttrs(opType: "Resize")), inputs: [x], outputs: [r])
    let y = g.addValue(name: "y")
    g.appendNode(name: "relu", op: .relu, inputs: [r], outputs: [y])
    g.outputs = [y]
    var ok = g
    try ShapeInference().run(on: &ok)
    #expect(ok.type(of: y)?.description == "f32[1,3,16,16]")
    g.setType(r, nil)
    #expect(throws: GraphError(node: "up", op: "Resize", "cannot infer shapes through unsupported op Resize")) {
      try ShapeInference().run(on: &g)
    }
  }

  @Test func absentOptionalInputIsSkipped() throws {
    var g = Graph()
    let x = g.addValue(name: "x", type: ty("f32[4,6]"))
    g.inputs = [x]
    let starts = g.addConstant(name: "starts", i64s([0]))
    let ends = g.addConstant(name: "ends", i64s([Int64.max]))
    let absent = g.addValue(name: "")
    let steps = g.addConstant(name: "steps", i64s([2]))
    let y = g.addValue(name: "y")
    g.appendNode(name: "slice", op: .slice(SliceAttrs()), inputs: [x, starts, ends, absent, steps], outputs: [y])
    g.outputs = [y]
    try ShapeInference().run(on: &g)
    #expect(g.type(of: y)?.description == "f32[2,6]")
    #expect(Verifier.problems(g).isEmpty)
  }

  /// The legacy exporter's MoD pattern: TopK → Unsqueeze ×2 → Expand (shape from a ConstantOfShape/Equal/Where
  /// chain) → GatherElements.
  @Test func modExportPatternIsStatic() throws {
    var g = Graph()
    let x = g.addValue(name: "x", type: ty("f32[1,16,8,8]"))
    let s = g.addValue(name: "scores", type: ty("f32[1,16]"))
    g.inputs = [x, s]
    let k = g.addConstant(name: "k", i64s([4]))
    let v = g.addValue(name: "v"), idx = g.addValue(name: "idx")
    g.appendNode(name: "topk", op: .topK(TopKAttrs(axis: 1)), inputs: [s, k], outputs: [v, idx])
    let u1 = g.addValue(name: "u1"), u2 = g.addValue(name: "u2")
    g.appendNode(name: "unsq1", op: .unsqueeze(AxesAttrs(axes: [-1])), inputs: [idx], outputs: [u1])
    g.appendNode(name: "unsq2", op: .unsqueeze(AxesAttrs(axes: [-1])), inputs: [u1], outputs: [u2])
    let four = g.addConstant(name: "four", i64s([4]))
    let ones = g.addValue(name: "ones")
    g.appendNode(name: "cos", op: .constantOfShape(ConstantOfShapeAttrs(dtype: .i64, value: 1)), inputs: [four], outputs: [ones])
    let minus1 = g.addConstant(name: "m1", i64s([-1], shape: []))
    let neg = g.addValue(name: "neg")
    g.appendNode(name: "mul", op: .mul, inputs: [ones, minus1], outputs: [neg])
    let target = g.addConstant(name: "target", i64s([-1, -1, 8, 8]))
    let eq = g.addValue(name: "eq")
    g.appendNode(name: "equal", op: .equal, inputs: [target, neg], outputs: [eq])
    let shape = g.addValue(name: "shape")
    g.appendNode(name: "where", op: .where, inputs: [eq, ones, target], outputs: [shape])
    let e = g.addValue(name: "e")
    g.appendNode(name: "expand", op: .expand, inputs: [u2, shape], outputs: [e])
    let xk = g.addValue(name: "xk")
    g.appendNode(name: "gather", op: .gatherElements(AxisAttrs(axis: 1)), inputs: [x, e], outputs: [xk])
    g.outputs = [xk, v]
    try ShapeInference().run(on: &g)
    #expect(g.type(of: e)?.description == "i64[1,4,8,8]")
    #expect(g.type(of: xk)?.description == "f32[1,4,8,8]")
    #expect(g.type(of: v)?.description == "f32[1,4]")
    try Verifier.verify(g)
  }
}
