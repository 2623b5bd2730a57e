import GraphIR

/// Decoders for Conv and BatchNormalization.
let convDecoders: [String: NodeDecoder] = [
  "Conv": decodeConv,
  "BatchNormalization": decodeBatchNorm,
]

@Sendable func decodeConv(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  try c.expect(inputs: 2...3)
  let group = try c.attrs.int("group", default: 1)
  guard group >= 1 else { throw c.attrs.error("group", "must be ≥ 1, got \(group)") }
  return .conv(ConvAttrs(
    kernelShape: try c.attrs.ints("kernel_shape", minimum: 1) ?? [],
    strides: try c.attrs.ints("strides", minimum: 1) ?? [],
    pads: try c.attrs.ints("pads", minimum: 0) ?? [],
    dilations: try c.attrs.ints("dilations", minimum: 1) ?? [],
    group: group,
    autoPad: try c.attrs.enumValue("auto_pad", default: AutoPad.notSet)))
}

@Sendable func decodeBatchNorm(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  try c.expect(inputs: 5...5, outputs: 1...5)
  if c.outputCount > 1 { throw c.error("training-mode outputs (running mean/var) are not supported") }
  if try c.attrs.bool("training_mode", default: false) {
    throw c.attrs.error("training_mode", "training mode is not supported")
  }
  if c.opset < 7, try c.attrs.bool("is_test", default: true) == false {
    throw c.attrs.error("is_test", "training mode is not supported")
  }
  // `spatial` (opset < 9) and `momentum` have no effect on inference; `consumed_inputs` is opset-1 legacy.
  c.attrs.ignore("spatial", "momentum", "consumed_inputs")
  return .batchNorm(BatchNormAttrs(epsilon: try c.attrs.float("epsilon", default: 1e-5)))
}
