import GraphIR

/// Decoders for data-movement ops: Cast, Shape, Gather, ConstantOfShape, Identity, Dropout.
let dataDecoders: [String: NodeDecoder] = [
  "Cast": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 1...1)
    c.attrs.ignore("saturate", "round_mode")
    guard let to = try c.attrs.int("to") else { throw c.attrs.error("to", "required attribute is missing") }
    guard let dt = DType(onnxCode: Int32(truncatingIfNeeded: to)) else {
      throw c.attrs.error("to", "unsupported data type \(to) (\(dataTypeName(Int32(truncatingIfNeeded: to))))")
    }
    return .cast(CastAttrs(to: dt))
  },
  "Shape": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 1...1)
    return .shape(ShapeAttrs(start: try c.attrs.int("start", default: 0), end: try c.attrs.int("end")))
  },
  "Gather": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 2...2)
    return .gather(AxisAttrs(axis: try c.attrs.int("axis", default: 0)))
  },
  "ConstantOfShape": decodeConstantOfShape,
  "Identity": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 1...1)
    return .identity
  },
  "Dropout": decodeDropout,
]

@Sendable func decodeConstantOfShape(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  try c.expect(inputs: 1...1)
  guard let t = try c.attrs.tensor("value") else { return .constantOfShape(ConstantOfShapeAttrs()) }
  guard t.elementCount == 1 else {
    throw c.attrs.error("value", "expected a one-element tensor, got \(t.type)")
  }
  let v: Double = t.dtype.isFloat ? Double(t.floats().first ?? 0) : Double(t.int64s().first ?? 0)
  return .constantOfShape(ConstantOfShapeAttrs(dtype: t.dtype, value: v))
}

@Sendable func decodeDropout(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  // Opset < 12: ratio attribute (and is_test before 7); from 12: optional ratio and training_mode inputs.
  try c.expect(inputs: c.opset < 12 ? 1...1 : 1...3, outputs: 1...2)
  // `is_test` (opset < 7) and `ratio`/`seed` do not change inference.
  c.attrs.ignore("ratio", "seed", "consumed_inputs", "is_test")
  if c.inputs.count == 3, let t = c.inputs[2], let mode = g.constantData(t), mode.int64s().contains(where: { $0 != 0 }) {
    throw c.error("training_mode = true is not supported")
  }
  return .dropout
}
