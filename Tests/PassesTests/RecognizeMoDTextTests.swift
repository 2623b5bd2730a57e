import GraphIR
import Testing

@testable import Passes

/// RecognizeMoD on hand-written IR: a MatMul + Add second router layer (weight stored [in, out], so the pass
/// derives the transposed [out, in] constant), one Unsqueeze with axes [2, 3], and no `layerS.I` in any name.
@Suite("RecognizeMoD text IR")
struct RecognizeMoDTextTests {
  static let conv = "{auto_pad=\"NOTSET\" dilations=[1,1] group=1 kernel_shape=[1,1] pads=[0,0,0,0] strides=[1,1]}"

  static let before = """
    graph "t" {
      input %0 "x" : f32[1,4,2,2]
      const %1 "w1" : f32[1,4] #0000000000000001
      const %2 "b1" : f32[1] #0000000000000002
      const %3 "w2_in_out" : f32[1,4] #0000000000000003
      const %4 "b2" : f32[4] #0000000000000004
      const %5 "k" : i64[1] #0000000000000005
      const %6 "axes23" : i64[2] #0000000000000006
      const %7 "map" : i64[4] #0000000000000007
      const %8 "cw" : f32[2,2,1,1] #0000000000000008
      const %9 "zero" : i64[1] #0000000000000009
      const %10 "two" : i64[1] #000000000000000a
      const %11 "big" : i64[1] #000000000000000b
      const %12 "one" : i64[1] #000000000000000c
      %13 = global_average_pool(%0) : f32[1,4,1,1]  # "pool"
      %14 = flatten(%13) {axis=1} : f32[1,4]  # "flat"
      %15 = gemm(%14, %1, %2) {alpha=1.0 beta=1.0 transA=false transB=true} : f32[1,1]  # "fc1"
      %16 = relu(%15) : f32[1,1]  # "hidden"
      %17 = matmul(%16, %3) : f32[1,4]  # "fc2"
      %18 = add(%17, %4) : f32[1,4]  # "fc2_bias"
      %19 = sigmoid(%18) : f32[1,4]  # "score"
      %20, %21 = topk(%19, %5) {axis=1 largest=true sorted=true} : f32[1,2], i64[1,2]  # "topk"
      %22 = unsqueeze(%21, %6) : i64[1,2,1,1]  # "idx4"
      %23 = expand(%22, %7) : i64[1,2,2,2]  # "idx_map"
      %24 = gather_elements(%0, %23) {axis=1} : f32[1,2,2,2]  # "pick"
      %25 = conv(%24, %8) \(conv) : f32[1,2,2,2]  # "body"
      %26 = unsqueeze(%20, %6) : f32[1,2,1,1]  # "v4"
      %27 = mul(%25, %26) : f32[1,2,2,2]  # "scale"
      %28 = slice(%0, %9, %10, %12) : f32[1,2,2,2]  # "head"
      %29 = add(%28, %27) : f32[1,2,2,2]  # "sum"
      %30 = relu(%29) : f32[1,2,2,2]  # "act"
      %31 = slice(%0, %10, %11, %12) : f32[1,2,2,2]  # "tail"
      %32 = concat(%30, %31) {axis=1} : f32[1,4,2,2]  # "cat"
      output %32
    }
    """

  static let expected = """
    graph "t" {
      input %0 "x" : f32[1,4,2,2]
      const %1 "w1" : f32[1,4] #0000000000000001
      const %2 "b1" : f32[1] #0000000000000002
      const %3 "b2" : f32[4] #0000000000000004
      const %4 "cw" : f32[2,2,1,1] #0000000000000008
      const %5 "w2_in_out.transposed" : f32[4,1] #b53e19840eecae22
      %6 "topk_output_1", %7 "topk_output_0" = mod.router(%0, %1, %2, %5, %3) {block="layer1.0" capacity=2 k=2} : i64[1,2], f32[1,2]  # "layer1.0.router"
      %8 "pick_output_0" = mod.gather(%0, %6) {block="layer1.0"} : f32[1,2,2,2]  # "layer1.0.gather"
      %9 = conv(%8, %4) {dilations=[1,1] kernel_shape=[1,1] pads=[0,0,0,0] strides=[1,1]} : f32[1,2,2,2]  # "body"
      %10 "cat_output_0" = mod.fuse(%0, %9, %7, %6) {block="layer1.0" mode="first-k" relu=true} : f32[1,4,2,2]  # "layer1.0.fuse"
      output %10
    }

    """

  /// Integer constants the text form cannot carry (it prints weights as checksums).
  static let ints: [String: [Int64]] = [
    "k": [2], "axes23": [2, 3], "map": [1, 2, 2, 2], "zero": [0], "two": [2], "big": [Int64.max], "one": [1],
  ]

  func parsed(_ text: String) throws -> Graph {
    var g = try parseGraph(text)
    for v in g.values {
      if let data = Self.ints[v.name] { g.constants[v.id] = .data(TensorData(shape: [data.count], int64s: data)) }
    }
    return g
  }

  @Test func recognisesMatMulRouterFromText() throws {
    var g = try parsed(Self.before)
    var context = PassContext()
    try RecognizeMoD().run(on: &g, context: &context)
    let text = printGraph(g)
    // No residual blocks around it, so structural numbering names it layer1.0; k = 2 of C = 4 → capacity 2. The
    // second layer's weight becomes a derived [out, in] = [4, 1] constant (its checksum mixes the source's).
    #expect(text == Self.expected)
    #expect(g.nodes.count == 4)
    try Verifier.verify(g)
    #expect(checkMoDInvariants(g).isEmpty)
    #expect(context.remarks.last == "RecognizeMoD: recognised 1 MoD block(s), names numbered by graph structure")
  }

  @Test(
    arguments: [
      (
        "K from an input", "const %5 \"k\" : i64[1] #0000000000000005", "input %99 \"k_in\" : i64[1]",
        "%20, %21 = topk(%19, %5)",
        "%20, %21 = topk(%19, %99)", "K is not a constant"
      ),
      ("unsorted TopK", "largest=true sorted=true", "largest=true sorted=false", "", "", "unsorted"),
      ("Mul of another tensor", "%27 = mul(%25, %26)", "%27 = mul(%25, %25)", "", "", "scale 0 tensors"),
      ("sigmoid replaced", "%19 = sigmoid(%18)", "%19 = relu(%18)", "", "", "not a Sigmoid output"),
    ] as [(String, String, String, String, String, String)])
  func nearMissInText(_ label: String, _ from1: String, _ to1: String, _ from2: String, _ to2: String, _ phrase: String)
    throws
  {
    var text = Self.before.replacingOccurrences(of: from1, with: to1)
    if !from2.isEmpty { text = text.replacingOccurrences(of: from2, with: to2) }
    #expect(text != Self.before, "edit \(label) did not apply")
    var g = try parsed(text)
    try ShapeInference().run(on: &g)
    let count = g.nodes.count
    var context = PassContext()
    try RecognizeMoD().run(on: &g, context: &context)
    #expect(g.nodes.count == count, "\(label): \(context.remarks)")
    #expect(context.remarks.contains { $0.contains(phrase) }, "\(label): \(context.remarks)")
    #expect(context.remarks.last == "RecognizeMoD: recognised 0 MoD block(s)")
  }
}
