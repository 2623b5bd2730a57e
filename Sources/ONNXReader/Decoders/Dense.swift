import GraphIR

/// Decoders for Gemm, MatMul and Softmax.
let denseDecoders: [String: NodeDecoder] = [
  "Gemm": decodeGemm,
  "MatMul": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 2...2)
    return .matMul
  },
  "Softmax": decodeSoftmax,
]

@Sendable func decodeGemm(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  try c.expect(inputs: c.opset < 11 ? 3...3 : 2...3)
  c.attrs.ignore("broadcast")  // opset < 7; C always broadcasts since.
  return .gemm(GemmAttrs(
    alpha: try c.attrs.float("alpha", default: 1),
    beta: try c.attrs.float("beta", default: 1),
    transA: try c.attrs.bool("transA", default: false),
    transB: try c.attrs.bool("transB", default: false)))
}

@Sendable func decodeSoftmax(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  try c.expect(inputs: 1...1)
  // Before opset 13 Softmax flattens to 2-D at `axis` (default 1); from 13 it works along `axis` (default -1).
  let legacy = c.opset < 13
  return .softmax(SoftmaxAttrs(axis: try c.attrs.int("axis", default: legacy ? 1 : -1), coerce2D: legacy))
}
