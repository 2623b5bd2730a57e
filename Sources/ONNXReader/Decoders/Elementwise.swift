import GraphIR

/// Decoders for elementwise ops (numpy broadcasting, opset ≥ 7 semantics).
let elementwiseDecoders: [String: NodeDecoder] = [
  "Relu": unary(.relu),
  "Sigmoid": unary(.sigmoid),
  "Add": binary(.add),
  "Sub": binary(.sub),
  "Mul": binary(.mul),
  "Div": binary(.div),
  "Equal": binary(.equal),
  "Sum": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 1...Int.max)
    c.attrs.ignore("consumed_inputs")
    return .sum
  },
  "Where": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 3...3)
    return .where
  },
  "Expand": { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 2...2)
    return .expand
  },
]

private func unary(_ op: Op) -> NodeDecoder {
  { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 1...1)
    c.attrs.ignore("consumed_inputs")
    return op
  }
}

private func binary(_ op: Op) -> NodeDecoder {
  { (c: inout NodeContext, g: inout Graph) throws(ONNXReadError) -> Op in
    try c.expect(inputs: 2...2)
    // Opset < 7 `broadcast`/`axis`: numpy broadcasting covers the trailing-axis case; other axes are refused.
    if c.opset < 7 {
      c.attrs.ignore("consumed_inputs", "broadcast")
      if let axis = try c.attrs.int("axis"), axis != -1 {
        throw c.attrs.error("axis", "legacy broadcast along axis \(axis) is not supported")
      }
    }
    return op
  }
}
