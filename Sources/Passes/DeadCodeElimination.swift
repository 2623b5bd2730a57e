import GraphIR

/// Removes nodes whose outputs nobody reads (and constants nobody reads).
///
/// Given `%5 = relu(%4)` with `%5` unused and not a graph output, the node is deleted; repeated to a fixpoint in a
/// single backwards sweep.
public struct DeadCodeElimination: Pass {
  public static let summary = "Remove nodes and constants whose results are never used."
  public init() {}

  public func run(on graph: inout Graph, context: inout PassContext) throws {
    graph.eliminateDeadCode()
  }
}

extension Graph {
  /// Deletes unused nodes and constants; keeps graph inputs even if unused.
  public mutating func eliminateDeadCode() {
    var live = Set(outputs)
    var keep = [Bool](repeating: false, count: nodes.count)
    for i in nodes.indices.reversed() {
      let n = nodes[i]
      if n.outputs.contains(where: live.contains) {
        keep[i] = true
        live.formUnion(n.inputs)
      }
    }
    if keep.contains(false) {
      nodes = nodes.indices.filter { keep[$0] }.map { nodes[$0] }
    }
    for c in constants.keys where !live.contains(c) { constants[c] = nil }
  }
}
