import GraphIR

/// Removes `identity` and inference-time `dropout` nodes by forwarding their input to every use.
///
/// Given `%3 = identity(%2)`, `%4 = relu(%3)`, the result is `%4 = relu(%2)`. When the identity's output is a
/// graph output, the graph output is redirected instead (and the output keeps its ONNX name).
public struct RemoveIdentities: Pass {
  public static let summary = "Remove Identity and Dropout (inference) nodes."
  public init() {}

  public func run(on graph: inout Graph, context: inout PassContext) throws {
    var removed = Set<NodeID>()
    for n in graph.nodes {
      switch n.op {
      case .identity, .dropout:
        guard let src = n.inputs.first, let dst = n.outputs.first else { continue }
        // A dropout mask output that someone reads keeps the node.
        if n.outputs.count > 1, graph.nodes.contains(where: { $0.inputs.contains(n.outputs[1]) }) { continue }
        let isGraphOutput = graph.outputs.contains(dst)
        if isGraphOutput && (graph.inputs.contains(src) || graph.outputs.contains(src)) { continue }
        graph.replaceUses(of: dst, with: src)
        if isGraphOutput { graph[src].name = graph[dst].name }
        removed.insert(n.id)
      default:
        continue
      }
    }
    if !removed.isEmpty { graph.nodes.removeAll { removed.contains($0.id) } }
  }
}
