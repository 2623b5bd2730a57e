/// Per-node cost figures reported by `modc stats`: multiply-accumulates, parameters and output size.
public struct NodeCost: Sendable {
  public var node: String
  public var op: String
  public var outputTypes: [TensorType]
  /// Multiply-accumulate operations (Conv, Gemm/MatMul and the MoD router's two FC layers; 0 for other ops).
  public var macs: Int
  /// Float weight elements first read by this node (each constant counted once, at its first consumer).
  public var params: Int
  /// Bytes of all outputs (0 if a shape is not static).
  public var outputBytes: Int
}

/// Whole-graph totals of `NodeCost`.
public struct GraphCost: Sendable {
  public var nodes: [NodeCost]
  public var totalMACs: Int { nodes.reduce(0) { $0 + $1.macs } }
  public var totalParams: Int { nodes.reduce(0) { $0 + $1.params } }
  public var totalOutputBytes: Int { nodes.reduce(0) { $0 + $1.outputBytes } }
}

extension Graph {
  /// Computes per-node costs. Requires inferred types; nodes with unknown shapes count 0 MACs.
  public func cost() -> GraphCost {
    var seen = Set<ValueID>()
    var rows: [NodeCost] = []
    rows.reserveCapacity(nodes.count)
    for n in nodes {
      var params = 0
      for v in n.inputs where !seen.contains(v) {
        guard let c = constants[v], c.type.dtype.isFloat else { continue }
        seen.insert(v)
        params += c.type.elementCount ?? 0
      }
      let outs = n.outputs.compactMap { type(of: $0) }
      let bytes = outs.reduce(0) { acc, t in acc + (t.byteCount ?? 0) }
      rows.append(NodeCost(node: n.name, op: n.op.onnxOpType, outputTypes: outs, macs: macs(of: n), params: params,
        outputBytes: bytes))
    }
    return GraphCost(nodes: rows)
  }

  /// MACs of one node from its (static) input and output shapes.
  public func macs(of n: Node) -> Int {
    func shape(_ v: ValueID) -> [Int]? { type(of: v)?.staticShape }
    switch n.op {
    case .conv:
      guard n.inputs.count >= 2, let w = shape(n.inputs[1]), let y = n.outputs.first.flatMap(shape), w.count >= 2
      else { return 0 }
      // Y elements × (C_in / group) × kernel volume; W is [C_out, C_in/group, k...].
      return y.reduce(1, *) * w.dropFirst().reduce(1, *)
    case .gemm(let a):
      guard n.inputs.count >= 2, let x = shape(n.inputs[0]), let y = n.outputs.first.flatMap(shape), x.count == 2
      else { return 0 }
      let k = a.transA ? x[0] : x[1]
      return y.reduce(1, *) * k
    case .matMul:
      guard let x = shape(n.inputs[0]), let y = n.outputs.first.flatMap(shape), let k = x.last else { return 0 }
      return y.reduce(1, *) * k
    case .modRouter:
      // Two FC layers per sample: hidden×C and C×hidden.
      guard n.inputs.count >= 4, let x = shape(n.inputs[0]), let w1 = shape(n.inputs[1]), x.count >= 2,
        w1.count == 2
      else { return 0 }
      return x[0] * 2 * w1[0] * w1[1]
    case .batchNorm, .relu, .sigmoid, .add, .sub, .mul, .div, .sum, .equal, .where, .expand, .maxPool,
      .averagePool, .globalAveragePool, .globalMaxPool, .reduceMean, .softmax, .flatten, .reshape, .squeeze,
      .unsqueeze, .transpose, .concat, .slice, .pad, .cast, .shape, .gather, .constantOfShape, .identity, .dropout,
      .topK, .gatherElements, .scatterElements, .scatterND, .modGather, .modFuse, .opaque:
      return 0
    }
  }
}
