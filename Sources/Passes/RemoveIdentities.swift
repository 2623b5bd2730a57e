import GraphIR

/// Removes `identity` and inference-time `dropout` nodes by forwarding their input to every use.
///
/// Given `%3 = identity(%2)`, `%4 = relu(%3)`, the result is `%4 = relu(%2)`. When the identity's output is a
/// graph output, the graph output is redirected instead (and the output keeps its ONNX name). Chains of identities
/// collapse to their source; all uses are rewritten in one sweep at the end (linear in the graph size).
public struct RemoveIdentities: Pass {
  public static let summary = "Remove Identity and Dropout (inference) nodes."
  public init() {}

  public func run(on graph: inout Graph, context: inout PassContext) throws {
    // Every value a node reads or the graph returns (a read dropout mask keeps its node).
    var read = Set(graph.outputs)
    for n in graph.nodes { read.formUnion(n.inputs) }
    let graphInputs = Set(graph.inputs)
    var graphOutputs = Set(graph.outputs)
    // Removed output → the value that replaces it (always resolved to the end of its chain).
    var forward: [ValueID: ValueID] = [:]
    var removed = Set<NodeID>()
    for n in graph.nodes {
      switch n.op {
      case .identity, .dropout:
        guard let first = n.inputs.first, let dst = n.outputs.first else { continue }
        if n.outputs.count > 1, read.contains(n.outputs[1]) { continue }
        let src = forward[first] ?? first
        let isGraphOutput = graphOutputs.contains(dst)
        if isGraphOutput && (graphInputs.contains(src) || graphOutputs.contains(src)) { continue }
        forward[dst] = src
        if isGraphOutput {
          graph[src].name = graph[dst].name
          graphOutputs.remove(dst)
          graphOutputs.insert(src)
        }
        removed.insert(n.id)
      default:
        continue
      }
    }
    guard !removed.isEmpty else { return }
    graph.nodes.removeAll { removed.contains($0.id) }
    graph.replaceUses(forward)
  }
}
