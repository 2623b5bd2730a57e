import GraphIR

/// Decoders for TopK, GatherElements, ScatterElements (and legacy Scatter) and ScatterND.
let selectionDecoders: [String: NodeDecoder] = [
  "TopK": decodeTopK,
  "GatherElements": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 2...2)
    return .gatherElements(AxisAttrs(axis: try c.attrs.int("axis", default: 0)))
  },
  "ScatterElements": decodeScatterElements,
  "Scatter": decodeScatterElements,
  "ScatterND": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 3...3)
    return .scatterND(ScatterAttrs(reduction: try c.attrs.enumValue("reduction", default: ScatterReduction.none)))
  },
]

@Sendable func decodeTopK(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  // Opset < 10: `k` attribute; from 10: K input. largest/sorted from opset 11.
  try c.expect(inputs: c.opset < 10 ? 1...1 : 2...2, outputs: 2...2)
  var k: Int? = nil
  if c.opset < 10 {
    guard let kk = try c.attrs.int("k") else { throw c.attrs.error("k", "required attribute is missing") }
    guard kk >= 0 else { throw c.attrs.error("k", "must be ≥ 0, got \(kk)") }
    k = kk
  }
  return .topK(TopKAttrs(
    axis: try c.attrs.int("axis", default: -1),
    largest: try c.attrs.bool("largest", default: true),
    sorted: try c.attrs.bool("sorted", default: true),
    k: k))
}

@Sendable func decodeScatterElements(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  try c.expect(inputs: 3...3)
  return .scatterElements(ScatterAttrs(
    axis: try c.attrs.int("axis", default: 0),
    reduction: try c.attrs.enumValue("reduction", default: ScatterReduction.none)))
}
