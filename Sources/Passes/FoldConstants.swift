import GraphIR

/// Replaces nodes whose inputs are all constants (or whose result depends only on static types, like `shape`)
/// by constants: folds exporter shape chains (Shape → Gather → Unsqueeze → Concat → Reshape) and
/// ConstantOfShape/Equal/Where/Expand chains, one sweep in topological order (so whole chains fold at once).
///
/// Given `%s = shape(%x : f32[1,512,1,1])`, `%g = gather(%s, %zero) {axis=0}`, the result is constants
/// `%s = [1,512,1,1]` and `%g = 1`. Only small tensors are evaluated (see `ConstantEvaluator.maxElements`).
public struct FoldConstants: Pass {
  public static let summary = "Evaluate nodes with constant inputs (shape chains) and replace them by constants."
  public init() {}

  public func run(on graph: inout Graph, context: inout PassContext) throws {
    let evaluator = ConstantEvaluator()
    var folded = Set<NodeID>()
    for n in graph.nodes {
      switch n.op {
      // Never fold the model's real computation or ops with side outputs we do not evaluate.
      case .conv, .batchNorm, .gemm, .matMul, .maxPool, .averagePool, .globalAveragePool, .globalMaxPool,
        .modRouter, .modGather, .modFuse, .opaque:
        continue
      default:
        break
      }
      guard let values = evaluator.evaluate(n, in: graph), values.count == n.outputs.count else { continue }
      for (v, d) in zip(n.outputs, values) {
        graph.constants[v] = .data(d)
        graph.setType(v, d.type)
      }
      folded.insert(n.id)
    }
    guard !folded.isEmpty else { return }
    graph.nodes.removeAll { folded.contains($0.id) }
    graph.eliminateDeadCode()
  }
}
