import GraphIR

/// Decoders for pooling and reductions.
let poolDecoders: [String: NodeDecoder] = [
  "MaxPool": decodeMaxPool,
  "AveragePool": decodeAveragePool,
  "GlobalAveragePool": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 1...1)
    return .globalAveragePool
  },
  "GlobalMaxPool": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 1...1)
    return .globalMaxPool
  },
  "ReduceMean": decodeReduceMean,
]

private func poolAttrs(_ c: inout NodeContext, average: Bool) throws(ONNXReadError) -> PoolAttrs {
  guard let kernel = try c.attrs.ints("kernel_shape", minimum: 1) else {
    throw c.attrs.error("kernel_shape", "required attribute is missing")
  }
  return PoolAttrs(
    kernelShape: kernel,
    strides: try c.attrs.ints("strides", minimum: 1) ?? [],
    pads: try c.attrs.ints("pads", minimum: 0) ?? [],
    dilations: try c.attrs.ints("dilations", minimum: 1) ?? [],
    autoPad: try c.attrs.enumValue("auto_pad", default: AutoPad.notSet),
    ceilMode: try c.attrs.bool("ceil_mode", default: false),
    countIncludePad: average ? try c.attrs.bool("count_include_pad", default: false) : false)
}

@Sendable func decodeMaxPool(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  try c.expect(inputs: 1...1, outputs: 1...2)
  if c.outputCount > 1 { throw c.error("the Indices output is not supported") }
  if try c.attrs.int("storage_order", default: 0) != 0 {
    throw c.attrs.error("storage_order", "only row-major (0) is supported")
  }
  return .maxPool(try poolAttrs(&c, average: false))
}

@Sendable func decodeAveragePool(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  try c.expect(inputs: 1...1)
  return .averagePool(try poolAttrs(&c, average: true))
}

@Sendable func decodeReduceMean(_ c: inout NodeContext, _ g: inout Graph) throws(ONNXReadError) -> Op {
  // Opset < 18: axes attribute; from 18: optional second input.
  try c.expect(inputs: c.opset < 18 ? 1...1 : 1...2)
  return .reduceMean(ReduceAttrs(
    axes: c.opset < 18 ? try c.attrs.ints("axes") : nil,
    keepDims: try c.attrs.bool("keepdims", default: true),
    noopWithEmptyAxes: c.opset >= 18 ? try c.attrs.bool("noop_with_empty_axes", default: false) : false))
}
