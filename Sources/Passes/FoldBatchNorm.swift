import GraphIR

/// Folds an inference BatchNormalization into the Conv that feeds it.
///
/// Given
/// ```
/// %3 = conv(%x, %w, %b) {…}
/// %4 = batch_norm(%3, %gamma, %beta, %mean, %var) {epsilon=1e-05}
/// ```
/// the result is `%4 = conv(%x, %w', %b')` with `s = gamma / sqrt(var + eps)`, `w' = w · s` (per output
/// channel) and `b' = (b − mean) · s + beta` (b = 0 when the conv had no bias). The conv keeps its ONNX name; the
/// folded weights are named `<conv>.bn_folded.weight|bias`. A BN whose input is not a single-use conv output stays.
public struct FoldBatchNorm: Pass {
  public static let summary = "Fold BatchNormalization into the preceding Conv (weights and bias rescaled)."
  public init() {}

  public func run(on graph: inout Graph, context: inout PassContext) throws {
    let index = graph.rewriteIndex()
    var removed = Set<NodeID>()
    for bnIndex in graph.nodes.indices {
      let bn = graph.nodes[bnIndex]
      guard case .batchNorm(let attrs) = bn.op, bn.inputs.count == 5, bn.outputs.count >= 1,
        let convIndex = index.producers[bn.inputs[0]], case .conv(let conv) = graph.nodes[convIndex].op,
        !conv.fusedRelu, !conv.fusedResidual, index.isPrivate(bn.inputs[0])
      else { continue }
      let convNode = graph.nodes[convIndex]
      guard convNode.inputs.count >= 2, let w = graph.floatConstant(convNode.inputs[1]),
        let wShape = w.type.staticShape, let cout = wShape.first
      else { continue }
      let params = bn.inputs[1...4].map { graph.floatConstant($0) }
      guard params.allSatisfy({ $0 != nil && $0!.type.elementCount == cout }) else { continue }
      let bias: Constant? = convNode.inputs.count >= 3 ? graph.floatConstant(convNode.inputs[2]) : nil
      if convNode.inputs.count >= 3 && bias?.type.elementCount != cout { continue }

      let eps = attrs.epsilon
      let bnParams = params.compactMap { $0 }
      let perOut = wShape.dropFirst().reduce(1, *)
      let wNew = DerivedConstant(sources: [w] + bnParams).add(
        to: &graph, name: "\(convNode.name).bn_folded.weight", shape: wShape, tag: "bn_fold_w"
      ) { f in
        let (wf, gamma, variance) = (f[0], f[1], f[4])
        var out = wf
        for o in 0..<cout {
          let s = gamma[o] / (variance[o] + eps).squareRoot()
          for j in 0..<perOut { out[o * perOut + j] *= s }
        }
        return out
      }
      let bNew = DerivedConstant(sources: bnParams + (bias.map { [$0] } ?? [])).add(
        to: &graph, name: "\(convNode.name).bn_folded.bias", shape: [cout], tag: "bn_fold_b"
      ) { f in
        let (gamma, beta, mean, variance) = (f[0], f[1], f[2], f[3])
        let b0 = f.count > 4 ? f[4] : [Float](repeating: 0, count: cout)
        return (0..<cout).map { o in (b0[o] - mean[o]) * (gamma[o] / (variance[o] + eps).squareRoot()) + beta[o] }
      }
      graph.nodes[convIndex].inputs = [convNode.inputs[0], wNew, bNew]
      graph.nodes[convIndex].outputs = [bn.outputs[0]]
      removed.insert(bn.id)
    }
    if !removed.isEmpty {
      graph.nodes.removeAll { removed.contains($0.id) }
      graph.eliminateDeadCode()
    }
  }
}
