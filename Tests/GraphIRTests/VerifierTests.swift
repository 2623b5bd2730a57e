import Testing

@testable import GraphIR

/// A tiny typed graph: x → conv → relu → y, with weights as constants.
func convReluGraph(wShape: [Int] = [8, 3, 3, 3], attrs: ConvAttrs = ConvAttrs(pads: [1, 1, 1, 1])) -> Graph {
  var g = Graph()
  let x = g.addValue(name: "x", type: ty("f32[1,3,8,8]"))
  g.inputs = [x]
  let w = g.addConstant(name: "w", TensorData(shape: wShape, floats: Array(repeating: 0, count: wShape.reduce(1, *))))
  let c = g.addValue(name: "c")
  g.appendNode(name: "conv1", op: .conv(attrs), inputs: [x, w], outputs: [c])
  let y = g.addValue(name: "y")
  g.appendNode(name: "relu1", op: .relu, inputs: [c], outputs: [y])
  g.outputs = [y]
  return g
}

func problems(_ g: Graph) -> [String] { Verifier.problems(g).map(\.description) }

@Suite struct VerifierTests {
  @Test func validGraphPasses() throws {
    var g = convReluGraph()
    try Verifier.verify(g)
    try ShapeInference().run(on: &g)
    try Verifier.verify(g)
    #expect(Verifier.unsupportedOps(g).isEmpty)
  }

  @Test func undefinedInput() {
    var g = convReluGraph()
    let ghost = g.addValue(name: "ghost", type: ty("f32[1]"))
    g.appendNode(name: "add1", op: .add, inputs: [g.outputs[0], ghost], outputs: [g.addValue(name: "z")])
    #expect(problems(g) == ["node 'add1' (Add): input 'ghost' is not defined by any node, graph input or constant"])
  }

  @Test func doubleDefinition() {
    var g = convReluGraph()
    g.appendNode(name: "relu2", op: .relu, inputs: [g.inputs[0]], outputs: [g.outputs[0]])
    #expect(problems(g) == ["node 'relu2' (Relu): value 'y' is defined more than once (by node 'relu1' and node 'relu2')"])
  }

  @Test func cycleNamesItsNodes() {
    var g = Graph()
    let x = g.addValue(name: "x", type: ty("f32[2]"))
    g.inputs = [x]
    let a = g.addValue(name: "a"), b = g.addValue(name: "b")
    g.appendNode(name: "add", op: .add, inputs: [x, b], outputs: [a])
    g.appendNode(name: "relu", op: .relu, inputs: [a], outputs: [b])
    g.outputs = [b]
    #expect(problems(g) == ["node 'add' (Add): nodes form a cycle: 'add' -> 'relu' -> 'add'"])
  }

  @Test func useBeforeDefinition() {
    var g = convReluGraph()
    g.nodes.swapAt(0, 1)
    #expect(problems(g) == [
      "node 'relu1' (Relu): input 'c' is used before node 'conv1' defines it (nodes are not in topological order)"
    ])
  }

  @Test func badGroup() {
    var g = Graph()
    let x = g.addValue(name: "x", type: ty("f32[1,64,56,56]"))
    g.inputs = [x]
    let w = g.addConstant(name: "w", TensorData(shape: [64, 32, 1, 1], floats: Array(repeating: 0, count: 64 * 32)))
    let y = g.addValue(name: "y")
    g.appendNode(name: "layer1.0.conv1", op: .conv(ConvAttrs()), inputs: [x, w], outputs: [y])
    g.outputs = [y]
    #expect(problems(g) == [
      "node 'layer1.0.conv1' (Conv): weight has 32 input channels per group, but input X has 64 channels / group 1"
    ])
    var g0 = g
    g0.nodes[0].op = .conv(ConvAttrs(group: 0))
    #expect(problems(g0) == [
      "node 'layer1.0.conv1' (Conv): group must be ≥ 1, but is 0"
    ])
  }

  @Test func wrongRank() {
    var g = Graph()
    let a = g.addValue(name: "a", type: ty("f32[1,2,512]"))
    let b = g.addConstant(name: "b", TensorData(shape: [512, 10], floats: Array(repeating: 0, count: 5120)))
    g.inputs = [a]
    let y = g.addValue(name: "y")
    g.appendNode(name: "fc", op: .gemm(GemmAttrs()), inputs: [a, b], outputs: [y])
    g.outputs = [y]
    #expect(problems(g) == ["node 'fc' (Gemm): input A must have rank 2, but has type f32[1,2,512]"])
  }

  @Test func kExceedsChannels() {
    var g = Graph()
    let x = g.addValue(name: "x", type: ty("f32[1,16,8,8]"))
    g.inputs = [x]
    func c(_ n: String, _ s: [Int]) -> ValueID {
      g.addConstant(name: n, TensorData(shape: s, floats: Array(repeating: 0, count: s.reduce(1, *))))
    }
    let params = [c("w1", [1, 16]), c("b1", [1]), c("w2", [16, 1]), c("b2", [16])]
    let idx = g.addValue(name: "idx"), sc = g.addValue(name: "sc")
    g.appendNode(name: "layer1.1.router", op: .modRouter(MoDRouterAttrs(block: "layer1.1", capacity: 1, k: 32)),
                 inputs: [x] + params, outputs: [idx, sc])
    g.outputs = [idx]
    #expect(problems(g) == ["node 'layer1.1.router' (MoDRouter): k = 32 exceeds the 16 channels of X"])
  }

  @Test func arityAndAttributeRanges() {
    var g = convReluGraph()
    g.nodes[0].inputs = [g.inputs[0]]
    #expect(problems(g) == ["node 'conv1' (Conv): has 1 inputs, but conv takes 2–3"])
    var h = convReluGraph(attrs: ConvAttrs(strides: [0, 1], pads: [1, 1, 1, -1]))
    h.nodes[1].outputs.append(h.addValue(name: "extra"))
    #expect(problems(h) == [
      "node 'conv1' (Conv): strides must be ≥ 1, but are [0,1]",
      "node 'conv1' (Conv): pads must be ≥ 0, but are [1,1,1,-1]",
      "node 'relu1' (Relu): has 2 outputs, but relu produces 1",
    ])
    var bn = Graph()
    let x = bn.addValue(name: "x", type: ty("f32[1,2,4,4]"))
    bn.inputs = [x]
    let p = (0..<4).map { bn.addConstant(name: "p\($0)", TensorData(shape: [2], floats: [1, 1])) }
    bn.appendNode(name: "bn", op: .batchNorm(BatchNormAttrs(epsilon: 0)), inputs: [x] + p, outputs: [bn.addValue(name: "y")])
    #expect(problems(bn) == ["node 'bn' (BatchNormalization): epsilon must be > 0, but is 0.0"])
  }

  @Test func typesMustAgreeWithInference() {
    var g = convReluGraph()
    g.setType(ValueID(2), ty("f32[1,8,4,4]"))  // conv output "c"
    #expect(problems(g) == [
      "node 'conv1' (Conv): output 'c' has type f32[1,8,4,4], but shape inference gives f32[1,8,8,8]"
    ])
  }

  @Test func problemsAreSortedByNodeOrderGraphLevelFirst() {
    var g = convReluGraph(wShape: [8, 4, 3, 3])
    g.outputs.append(g.addValue(name: "never"))
    let ghost = g.addValue(name: "ghost")
    g.nodes[1].inputs = [ghost]
    #expect(problems(g) == [
      "tensor 'never': graph output is never defined",
      "node 'conv1' (Conv): weight has 4 input channels per group, but input X has 3 channels / group 1",
      "node 'relu1' (Relu): input 'ghost' is not defined by any node, graph input or constant",
    ])
    #expect(throws: GraphErrors.self) { try Verifier.verify(g) }
  }

  @Test func unsupportedOpsAreListedAtOnce() {
    var g = convReluGraph()
    let y = g.outputs[0]
    let a = g.addValue(name: "a"), b = g.addValue(name: "b"), c = g.addValue(name: "c2")
    g.appendNode(name: "r1", op: .opaque(OpaqueAttrs(opType: "Resize")), inputs: [y], outputs: [a])
    g.appendNode(name: "lrn", op: .opaque(OpaqueAttrs(opType: "LRN")), inputs: [a], outputs: [b])
    g.appendNode(name: "r2", op: .opaque(OpaqueAttrs(opType: "Resize")), inputs: [b], outputs: [c])
    let ops = Verifier.unsupportedOps(g)
    #expect(ops.map(\.opType) == ["Resize", "LRN"])
    #expect(ops.map(\.nodes) == [["r1", "r2"], ["lrn"]])
    #expect(Verifier.unsupportedOpsError(g)?.description == "unsupported ops: Resize ×2 ('r1', 'r2'); LRN ×1 ('lrn')")
    #expect(Verifier.problems(g).isEmpty)
  }
}
