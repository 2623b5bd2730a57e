import GraphIR
import Passes
import Testing

/// Golden tests for fusion, canonicalisation and the MoD passes.
@Suite struct GoldenMoDAndFusionTests {
  /// A BasicBlock (BN already folded) between two ReLUs, C = 8: input → stem conv → block → output.
  static let basicBlock = """
    graph "g" {
      input %x "x" : f32[1,8,4,4]
      const %w0 "w0" : f32[8,8,3,3] #0000000000000010
      const %b0 "b0" : f32[8] #0000000000000011
      const %w1 "w1" : f32[8,8,3,3] #0000000000000012
      const %b1 "b1" : f32[8] #0000000000000013
      const %w2 "w2" : f32[8,8,3,3] #0000000000000014
      const %b2 "b2" : f32[8] #0000000000000015
      %s = conv(%x, %w0, %b0) {pads=[1,1,1,1]} : f32[1,8,4,4]  # "stem"
      %a = relu(%s) : f32[1,8,4,4]  # "stem_relu"
      %c1 = conv(%a, %w1, %b1) {pads=[1,1,1,1]} : f32[1,8,4,4]  # "conv1"
      %r1 = relu(%c1) : f32[1,8,4,4]  # "relu1"
      %c2 = conv(%r1, %w2, %b2) {pads=[1,1,1,1]} : f32[1,8,4,4]  # "conv2"
      %sum = add(%c2, %a) : f32[1,8,4,4]  # "add"
      %y = relu(%sum) : f32[1,8,4,4]  # "relu2"
      output %y
    }
    """

  @Test func fuseResidualAndRelu() throws {
    try assertPass(FuseConvEpilogue(), input: Self.basicBlock, expected: """
      graph "g" {
        input %0 "x" : f32[1,8,4,4]
        const %1 "w0" : f32[8,8,3,3] #0000000000000010
        const %2 "b0" : f32[8] #0000000000000011
        const %3 "w1" : f32[8,8,3,3] #0000000000000012
        const %4 "b1" : f32[8] #0000000000000013
        const %5 "w2" : f32[8,8,3,3] #0000000000000014
        const %6 "b2" : f32[8] #0000000000000015
        %7 "stem_relu_output_0" = conv(%0, %1, %2) {fused_relu=true pads=[1,1,1,1]} : f32[1,8,4,4]  # "stem"
        %8 "relu1_output_0" = conv(%7, %3, %4) {fused_relu=true pads=[1,1,1,1]} : f32[1,8,4,4]  # "conv1"
        %9 "relu2_output_0" = conv(%8, %5, %6, %7) {fused_relu=true fused_residual=true pads=[1,1,1,1]} : f32[1,8,4,4]  # "conv2"
        output %9
      }
      """)
  }

  @Test func insertMoDIntoBasicBlock() throws {
    // One block, index 0 of stage 1: only an explicit --blocks list can choose it.
    try assertPass(InsertMoD(placement: .blocks(["layer1.0"]), capacity: 4, seed: 1), input: Self.basicBlock, expected: """
      graph "g" {
        input %0 "x" : f32[1,8,4,4]
        const %1 "w0" : f32[8,8,3,3] #0000000000000010
        const %2 "b0" : f32[8] #0000000000000011
        const %3 "layer1.0.fc1.weight" : f32[1,8] #df5ce24dcee13b3a
        const %4 "layer1.0.fc1.bias" : f32[1] #d97e479edfd85c30
        const %5 "layer1.0.fc2.weight" : f32[8,1] #36b662899b580ce2
        const %6 "layer1.0.fc2.bias" : f32[8] #dfbf9b720899f3fe
        const %7 "w1.mod_k2" : f32[2,2,3,3] #5917016fcef3c7a5
        const %8 "b1.mod_k2" : f32[2] #4086d8c0bfa40ea5
        const %9 "w2.mod_k2" : f32[2,2,3,3] #d8259f094da5dac7
        const %10 "b2.mod_k2" : f32[2] #5969d9c599f10e6f
        %11 = conv(%0, %1, %2) {pads=[1,1,1,1]} : f32[1,8,4,4]  # "stem"
        %12 = relu(%11) : f32[1,8,4,4]  # "stem_relu"
        %13 "layer1.0.router.indices", %14 "layer1.0.router.scores" = mod.router(%12, %3, %4, %5, %6) {block="layer1.0" capacity=4 k=2} : i64[1,2], f32[1,2]  # "layer1.0.router"
        %15 "layer1.0.gathered" = mod.gather(%12, %13) {block="layer1.0"} : f32[1,2,4,4]  # "layer1.0.gather"
        %16 "conv1_output_0.mod" = conv(%15, %7, %8) {pads=[1,1,1,1]} : f32[1,2,4,4]  # "conv1.mod"
        %17 "relu1_output_0.mod" = relu(%16) : f32[1,2,4,4]  # "relu1.mod"
        %18 "conv2_output_0.mod" = conv(%17, %9, %10) {pads=[1,1,1,1]} : f32[1,2,4,4]  # "conv2.mod"
        %19 "relu2_output_0" = mod.fuse(%12, %18, %14, %13) {block="layer1.0" mode="first-k" relu=true} : f32[1,8,4,4]  # "layer1.0.fuse"
        output %19
      }
      """)
  }

  @Test func everyNthNeverPicksBlockZero() throws {
    var g = try parseGraph(Self.basicBlock)
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    try InsertMoD(placement: .every(1), capacity: 4).run(on: &g, context: &ctx)
    #expect(g.modBlocks().isEmpty)
    #expect(ctx.warnings.isEmpty)
  }

  @Test func expandMoDGivesStandardOps() throws {
    var g = try parseGraph(Self.basicBlock)
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    try InsertMoD(placement: .blocks(["layer1.0"]), capacity: 4, seed: 1).run(on: &g, context: &ctx)
    try ExpandMoD().run(on: &g, context: &ctx)
    try Verifier.verify(g)
    let ops = g.nodes.map(\.op.onnxOpType)
    #expect(ops == ["Conv", "Relu", "GlobalAveragePool", "Flatten", "Gemm", "Relu", "Gemm", "Sigmoid", "TopK", "Unsqueeze",
      "Expand", "GatherElements", "Conv", "Relu", "Conv", "Unsqueeze", "Mul", "Slice", "Add", "Relu", "Slice", "Concat"])
    // Recognising the expanded form gives the MoD ops back.
    try RecognizeMoD().run(on: &g, context: &ctx)
    #expect(g.modBlocks().map(\.k) == [2])
  }

  @Test func reduceMeanOverHWBecomesGlobalAveragePool() throws {
    try assertPass(CanonicalizeGlobalPool(), input: """
      graph "g" {
        input %x "x" : f32[2,8,4,4]
        %m = reduce_mean(%x) {axes=[-1,-2] keepdims=false} : f32[2,8]  # "mean"
        output %m
      }
      """, expected: """
      graph "g" {
        input %0 "x" : f32[2,8,4,4]
        %1 "mean_output_0.pooled" = global_average_pool(%0) : f32[2,8,1,1]  # "mean"
        %2 "mean_output_0" = flatten(%1) {axis=1} : f32[2,8]  # "mean.flatten"
        output %2
      }
      """)
  }

  @Test func averagePoolOverWholeMapBecomesGlobal() throws {
    try assertPass(CanonicalizeGlobalPool(), input: """
      graph "g" {
        input %x "x" : f32[1,8,7,7]
        %p = average_pool(%x) {kernel_shape=[7,7] strides=[1,1]} : f32[1,8,1,1]  # "pool"
        output %p
      }
      """, expected: """
      graph "g" {
        input %0 "x" : f32[1,8,7,7]
        %1 = global_average_pool(%0) : f32[1,8,1,1]  # "pool"
        output %1
      }
      """)
  }
}

/// InsertMoD's bad-input errors: each names the block / key and the numbers.
@Suite struct InsertMoDErrorTests {
  func run(_ pass: InsertMoD, _ text: String = GoldenMoDAndFusionTests.basicBlock) throws {
    var g = try parseGraph(text)
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    try pass.run(on: &g, context: &ctx)
  }

  func message(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return "no error"
  }

  @Test func capacityZero() {
    #expect(message { try run(InsertMoD(placement: .blocks(["layer1.0"]), capacity: 0)) } == "--capacity must be ≥ 1, got 0")
  }

  @Test func capacityLargerThanChannels() {
    #expect(message { try run(InsertMoD(placement: .blocks(["layer1.0"]), capacity: 9)) }
      == "block layer1.0: capacity 9 is larger than its 8 channels (k = ⌊8/9⌋ = 0)")
  }

  @Test func modEveryZero() {
    #expect(message { try run(InsertMoD(placement: .every(0))) } == "--mod-every must be ≥ 1, got 0")
  }

  @Test func unknownBlock() {
    #expect(message { try run(InsertMoD(placement: .blocks(["layer9.9"]), capacity: 4)) }
      == "block 'layer9.9' does not exist (blocks: layer1.0)")
  }

  @Test func noConvBlocks() {
    let text = """
      graph "g" {
        input %x "x" : f32[1,8,4,4]
        %y = relu(%x) : f32[1,8,4,4]  # "r"
        output %y
      }
      """
    #expect(message { try run(InsertMoD(), text) } == "no Conv-Blocks (residual conv blocks) found in the model")
  }

  @Test func routerWeightsMissingExtraAndWrongShape() {
    func w(_ shape: [Int]) -> TensorData { TensorData(shape: shape, floats: [Float](repeating: 0.1, count: shape.reduce(1, *))) }
    var good: [String: TensorData] = ["layer1.0.fc1.weight": w([1, 8]), "layer1.0.fc1.bias": w([1]),
      "layer1.0.fc2.weight": w([8, 1]), "layer1.0.fc2.bias": w([8])]
    var missing = good
    missing["layer1.0.fc2.bias"] = nil
    #expect(message { try run(InsertMoD(placement: .blocks(["layer1.0"]), capacity: 4, routerWeights: missing)) }
      == "tensor 'layer1.0.fc2.bias': router weights: missing key 'layer1.0.fc2.bias'")
    var extra = good
    extra["layer2.1.fc1.weight"] = w([1])
    #expect(message { try run(InsertMoD(placement: .blocks(["layer1.0"]), capacity: 4, routerWeights: extra)) }
      == "tensor 'layer2.1.fc1.weight': router weights: unexpected key 'layer2.1.fc1.weight' (no MoD block uses it)")
    good["layer1.0.fc2.weight"] = w([8, 2])
    #expect(message { try run(InsertMoD(placement: .blocks(["layer1.0"]), capacity: 4, routerWeights: good)) }
      == "tensor 'layer1.0.fc2.weight': router weights: 'layer1.0.fc2.weight' has shape [8, 2], expected [8, 1] (C=8, hidden=1)")
  }
}
