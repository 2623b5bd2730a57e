import GraphIR

/// Decoders for shape manipulation: Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Concat, Slice, Pad.
let shapeDecoders: [String: NodeDecoder] = [
  "Flatten": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 1...1)
    return .flatten(FlattenAttrs(axis: try c.attrs.int("axis", default: 1)))
  },
  "Reshape": decodeReshape,
  "Squeeze": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    .squeeze(try axesForm(&c))
  },
  "Unsqueeze": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    let a = try axesForm(&c)
    if c.opset < 13, a.axes == nil { throw c.attrs.error("axes", "required attribute is missing") }
    if c.opset >= 13, c.inputs.count < 2 { throw c.error("expected 2 inputs (data, axes), got \(c.inputs.count)") }
    return .unsqueeze(a)
  },
  "Transpose": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 1...1)
    let perm = try c.attrs.ints("perm", minimum: 0)
    if let perm, Set(perm) != Set(0..<perm.count) { throw c.attrs.error("perm", "\(perm) is not a permutation") }
    return .transpose(TransposeAttrs(perm: perm))
  },
  "Concat": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 1...Int.max)
    guard let axis = try c.attrs.int("axis") ?? (c.opset < 4 ? 1 : nil) else {
      throw c.attrs.error("axis", "required attribute is missing")
    }
    return .concat(AxisAttrs(axis: axis))
  },
  "Slice": decodeSlice,
  "Pad": decodePad,
]

/// Squeeze/Unsqueeze: `axes` attribute before opset 13, second input from 13.
private func axesForm(_ c: inout NodeContext) throws(ONNXReadError) -> AxesAttrs {
  if c.opset < 13 {
    try c.expect(inputs: 1...1)
    return AxesAttrs(axes: try c.attrs.ints("axes"))
  }
  try c.expect(inputs: 1...2)
  return AxesAttrs(axes: nil)
}

@Sendable func decodeReshape(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  if c.opset < 5 {
    // Opset 1–4: the target shape is an attribute; turn it into the constant second input of the modern form.
    try c.expect(inputs: 1...1)
    c.attrs.ignore("consumed_inputs")
    guard let shape = try c.attrs.ints("shape") else { throw c.attrs.error("shape", "required attribute is missing") }
    c.materialize(1, suffix: "shape", TensorData(shape: [shape.count], int64s: shape.map { Int64($0) }), in: &g)
    return .reshape(ReshapeAttrs())
  }
  try c.expect(inputs: 2...2)
  return .reshape(ReshapeAttrs(allowZero: try c.attrs.bool("allowzero", default: false)))
}

@Sendable func decodeSlice(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  if c.opset < 10 {
    try c.expect(inputs: 1...1)
    guard let starts = try c.attrs.ints("starts") else { throw c.attrs.error("starts", "required attribute is missing") }
    guard let ends = try c.attrs.ints("ends") else { throw c.attrs.error("ends", "required attribute is missing") }
    let axes = try c.attrs.ints("axes")
    guard starts.count == ends.count, axes.map({ $0.count == starts.count }) ?? true else {
      throw c.attrs.error("ends", "starts, ends and axes must have the same length")
    }
    return .slice(SliceAttrs(starts: starts, ends: ends, axes: axes))
  }
  try c.expect(inputs: 3...5)
  if c.inputs[1] == nil || c.inputs[2] == nil { throw c.error("starts and ends inputs are required") }
  if c.inputs.count == 5, c.inputs[3] == nil {
    throw c.error("empty axes input with steps present is not supported")
  }
  return .slice(SliceAttrs())
}

@Sendable func decodePad(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  let mode = try c.attrs.enumValue("mode", default: PadMode.constant)
  if c.opset < 11 {
    try c.expect(inputs: 1...1)
    // Opset 1 spelled the attribute `paddings`.
    guard let pads = try c.attrs.ints(c.opset < 2 ? "paddings" : "pads") else {
      throw c.attrs.error("pads", "required attribute is missing")
    }
    return .pad(PadAttrs(mode: mode, pads: pads, value: try c.attrs.float("value", default: 0)))
  }
  try c.expect(inputs: 2...(c.opset >= 18 ? 4 : 3))
  if c.inputs[1] == nil { throw c.error("pads input is required") }
  if c.inputs.count == 4, c.inputs[2] == nil {
    // Empty constant_value with axes present: materialize the ONNX default 0 in the data's element type.
    let dtype = c.inputs[0].flatMap { g.type(of: $0)?.dtype } ?? .f32
    let zero = TensorStorage(zeroedCount: dtype.byteSize)
    c.materialize(2, suffix: "constant_value", TensorData(dtype: dtype, shape: [], storage: zero), in: &g)
  }
  return .pad(PadAttrs(mode: mode))
}
