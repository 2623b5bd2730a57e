import GraphIR

/// Rewrites the many spellings of "global average pool, then flatten" into `global_average_pool` + `flatten`.
///
/// - `reduce_mean(X[N,C,H,W]) {axes=[2,3] keepdims=1}` (axes as attribute or constant input, negative axes too)
///   → `global_average_pool(X)`; with `keepdims=0` → `flatten(global_average_pool(X)) {axis=1}`.
/// - `average_pool(X) {kernel_shape=[H,W]}` with no padding covering the whole map → `global_average_pool(X)`.
/// - `reshape(Y[N,C,1,1], shape)` / `squeeze(Y) {axes=[2,3]}` whose result is `[N,C]` → `flatten(Y) {axis=1}`.
/// Needs inferred types; nodes without static shapes are left alone.
public struct CanonicalizeGlobalPool: Pass {
  public static let summary = "ReduceMean/AveragePool over H,W → GlobalAveragePool; Reshape/Squeeze to [N,C] → Flatten."
  public init() {}

  public func run(on graph: inout Graph, context: inout PassContext) throws {
    var inserted: [(after: NodeID, node: Node)] = []
    for i in graph.nodes.indices {
      let n = graph.nodes[i]
      guard let x = n.inputs.first, let xt = graph.type(of: x), let out = n.outputs.first,
        let ot = graph.type(of: out)
      else { continue }
      switch n.op {
      case .reduceMean(let a) where xt.rank == 4:
        let axes = a.axes ?? (n.inputs.count > 1 ? graph.constantData(n.inputs[1])?.int64s().map { Int($0) } : nil)
        guard let axes, Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3] else { continue }
        if a.keepDims {
          graph.nodes[i].op = .globalAveragePool
          graph.nodes[i].inputs = [x]
        } else {
          let mid = graph.addValue(name: "\(graph[out].name).pooled", type: TensorType(xt.dtype, Array(xt.shape.prefix(2)) + [.fixed(1), .fixed(1)]))
          graph.nodes[i].op = .globalAveragePool
          graph.nodes[i].inputs = [x]
          graph.nodes[i].outputs = [mid]
          let flat = graph.makeNode(name: "\(n.name).flatten", op: .flatten(FlattenAttrs(axis: 1)), inputs: [mid], outputs: [out])
          inserted.append((n.id, flat))
        }
      case .averagePool(let a) where xt.rank == 4:
        guard let s = xt.staticShape, a.kernelShape == [s[2], s[3]], a.pads.allSatisfy({ $0 == 0 }),
          a.autoPad == .notSet || a.autoPad == .valid, a.dilations.allSatisfy({ $0 == 1 })
        else { continue }
        graph.nodes[i].op = .globalAveragePool
      case .reshape, .squeeze, .flatten:
        if case .flatten(let f) = n.op, f.axis == 1 { continue }
        guard xt.rank == 4, ot.rank == 2, let s = xt.staticShape, s[2] == 1, s[3] == 1,
          ot.shape[1] == .fixed(s[1]), ot.shape[0] == xt.shape[0]
        else { continue }
        graph.nodes[i].op = .flatten(FlattenAttrs(axis: 1))
        graph.nodes[i].inputs = [x]
      default:
        continue
      }
    }
    if !inserted.isEmpty {
      // One rebuild instead of an index search and insert per node.
      let after = Dictionary(inserted.map { ($0.after, [$0.node]) }, uniquingKeysWith: +)
      graph.nodes = graph.nodes.flatMap { [$0] + (after[$0.id] ?? []) }
    }
    graph.eliminateDeadCode()
  }
}
