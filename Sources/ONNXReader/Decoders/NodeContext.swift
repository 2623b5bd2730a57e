import GraphIR

/// Decodes one ONNX node of a known op type into an `Op`, possibly rewriting its inputs
/// (e.g. materializing a default `Pad` value, or turning an opset-4 `Reshape` shape attribute into an input).
typealias NodeDecoder = @Sendable (inout NodeContext, inout Graph) throws(ONNXReadError) -> Op

/// Everything a node decoder sees: names, opset, typed attributes and the resolved inputs.
struct NodeContext {
  let name: String
  let opType: String
  /// Default-domain opset version the model imports.
  let opset: Int
  var attrs: NodeAttributes
  /// Resolved inputs; nil marks an empty (omitted) interior optional input. Trailing empties are already dropped.
  var inputs: [ValueID?]
  /// Number of outputs (trailing empty outputs already dropped).
  let outputCount: Int

  func error(_ reason: String) -> ONNXReadError {
    ONNXReadError(.badNode(node: name, op: opType, reason: reason))
  }

  /// Checks the number of inputs and outputs against the ONNX schema.
  func expect(inputs i: ClosedRange<Int>, outputs o: ClosedRange<Int> = 1...1) throws(ONNXReadError) {
    guard i.contains(inputs.count) else {
      let want = i.lowerBound == i.upperBound ? "\(i.lowerBound)" : "\(i.lowerBound)...\(i.upperBound)"
      throw error("expected \(want) inputs, got \(inputs.count)")
    }
    guard o.contains(outputCount) else {
      let want = o.lowerBound == o.upperBound ? "\(o.lowerBound)" : "\(o.lowerBound)...\(o.upperBound)"
      throw error("expected \(want) outputs, got \(outputCount)")
    }
  }

  /// Replaces input `slot` (appending empties if needed) with a new graph constant named after this node.
  mutating func materialize(_ slot: Int, suffix: String, _ data: TensorData, in graph: inout Graph) {
    while inputs.count <= slot { inputs.append(nil) }
    inputs[slot] = graph.addConstant(name: "\(name).\(suffix)", data)
  }
}

/// The decoder for each default-domain op type modc understands, gathered from the per-family tables.
let onnxDecoders: [String: NodeDecoder] = {
  var all: [String: NodeDecoder] = [:]
  for table in [convDecoders, poolDecoders, elementwiseDecoders, denseDecoders, shapeDecoders, dataDecoders,
                selectionDecoders] {
    all.merge(table) { a, _ in a }
  }
  return all
}()
