import GraphIR
import Passes
import Testing

/// Before/Expected IR tests, one or more per pass. Weights are absent in text, so constants derived by a pass carry
/// checksums derived from their sources (deterministic).
@Suite struct GoldenPassTests {
  static let convBN = """
    graph "g" {
      input %x "x" : f32[1,4,8,8]
      const %w "w" : f32[4,4,3,3] #0000000000000001
      const %g "g" : f32[4] #0000000000000002
      const %b "b" : f32[4] #0000000000000003
      const %m "m" : f32[4] #0000000000000004
      const %v "v" : f32[4] #0000000000000005
      %c = conv(%x, %w) {pads=[1,1,1,1]} : f32[1,4,8,8]  # "conv1"
      %n = batch_norm(%c, %g, %b, %m, %v) {epsilon=1e-05} : f32[1,4,8,8]  # "bn1"
      %y = relu(%n) : f32[1,4,8,8]  # "relu1"
      output %y
    }
    """

  @Test func foldBatchNormIntoConv() throws {
    try assertPass(FoldBatchNorm(), input: Self.convBN, expected: """
      graph "g" {
        input %0 "x" : f32[1,4,8,8]
        const %1 "conv1.bn_folded.weight" : f32[4,4,3,3] #c23f60aeaef6ea66
        const %2 "conv1.bn_folded.bias" : f32[4] #fda7c34fd992f86c
        %3 "bn1_output_0" = conv(%0, %1, %2) {pads=[1,1,1,1]} : f32[1,4,8,8]  # "conv1"
        %4 = relu(%3) : f32[1,4,8,8]  # "relu1"
        output %4
      }
      """)
  }

  @Test func batchNormAfterNonConvStays() throws {
    let input = Self.convBN.replacingFirst("%c = conv(%x, %w) {pads=[1,1,1,1]}", with: "%c = relu(%x)")
    let out = try runPass(FoldBatchNorm(), on: input)
    #expect(out.contains("batch_norm("))
  }

  @Test func removeIdentityAndDropout() throws {
    try assertPass(RemoveIdentities(), input: """
      graph "g" {
        input %x "x" : f32[2,3]
        %a = identity(%x) : f32[2,3]  # "id"
        %b = relu(%a) : f32[2,3]  # "r"
        %c = dropout(%b) : f32[2,3]  # "drop"
        output %c
      }
      """, expected: """
      graph "g" {
        input %0 "x" : f32[2,3]
        %1 "drop_output_0" = relu(%0) : f32[2,3]  # "r"
        output %1
      }
      """)
  }

  @Test func deadCodeElimination() throws {
    try assertPass(DeadCodeElimination(), input: """
      graph "g" {
        input %x "x" : f32[2,3]
        const %unused "unused" : f32[3] #0000000000000009
        %a = relu(%x) : f32[2,3]  # "live"
        %b = sigmoid(%x) : f32[2,3]  # "dead1"
        %c = relu(%b) : f32[2,3]  # "dead2"
        output %a
      }
      """, expected: """
      graph "g" {
        input %0 "x" : f32[2,3]
        %1 = relu(%0) : f32[2,3]  # "live"
        output %1
      }
      """)
  }

  @Test func foldShapeChainIntoConstants() throws {
    // The legacy exporter without constant folding: Shape → Gather → Unsqueeze → Concat → Reshape. Built with the
    // Graph API because the shape-chain constants need data (text constants have none).
    var g = Graph(name: "g")
    let x = g.addValue(name: "x", type: TensorType(.f32, [1, 512, 1, 1]))
    g.inputs = [x]
    let zero = g.addConstant(name: "zero", TensorData(shape: [], int64s: [0]))
    let axes = g.addConstant(name: "axes", TensorData(shape: [1], int64s: [0]))
    let minus1 = g.addConstant(name: "minus1", TensorData(shape: [1], int64s: [-1]))
    let s = g.addValue(name: "s")
    let gi = g.addValue(name: "g")
    let u = g.addValue(name: "u")
    let c = g.addValue(name: "c")
    let r = g.addValue(name: "r")
    g.appendNode(name: "Shape_0", op: .shape(ShapeAttrs()), inputs: [x], outputs: [s])
    g.appendNode(name: "Gather_1", op: .gather(AxisAttrs(axis: 0)), inputs: [s, zero], outputs: [gi])
    g.appendNode(name: "Unsqueeze_2", op: .unsqueeze(AxesAttrs()), inputs: [gi, axes], outputs: [u])
    g.appendNode(name: "Concat_3", op: .concat(AxisAttrs(axis: 0)), inputs: [u, minus1], outputs: [c])
    g.appendNode(name: "Reshape_4", op: .reshape(ReshapeAttrs()), inputs: [x, c], outputs: [r])
    g.outputs = [r]
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    try FoldConstants().run(on: &g, context: &ctx)
    try CanonicalizeGlobalPool().run(on: &g, context: &ctx)
    try Verifier.verify(g)
    #expect(printGraph(g).trimmingCharacters() == """
      graph "g" {
        input %0 "x" : f32[1,512,1,1]
        %1 "r" = flatten(%0) {axis=1} : f32[1,512]  # "Reshape_4"
        output %1
      }
      """)
  }
}

extension String {
  func replacingFirst(_ a: String, with b: String) -> String {
    let parts = components(separatedBy: a, maxSplits: 1)
    return parts.count == 2 ? parts[0] + b + parts[1] : self
  }

  private func components(separatedBy sep: String, maxSplits: Int) -> [String] {
    let s = Array(self)
    let p = Array(sep)
    guard !p.isEmpty, s.count >= p.count else { return [self] }
    for i in 0...(s.count - p.count) where Array(s[i..<(i + p.count)]) == p {
      return [String(s[..<i]), String(s[(i + p.count)...])]
    }
    return [self]
  }
}
