import GraphIR

/// Lowers `mod.router` / `mod.gather` / `mod.fuse` to standard ONNX ops, for `modc export-onnx` (and as the
/// "generic-op path" that fused MoD kernels are compared against).
///
/// `mod.router(X, W1, B1, W2, B2)` becomes GlobalAveragePool → Flatten → Gemm → Relu → Gemm → Sigmoid → TopK;
/// `mod.gather(X, I)` becomes Unsqueeze(I, [2,3]) → Expand to [1,1,H,W] → GatherElements(X, ·, axis=1);
/// `mod.fuse(X, P, V, I)` becomes Mul(P, Unsqueeze(V)) then, for first-k, Slice(X, 0:k) + · → Relu → Concat with
/// Slice(X, k:C); for scatter, GatherElements(X, I') + · → Relu → ScatterElements(X, I', ·, axis=1).
public struct ExpandMoD: Pass {
  public static let summary = "Lower MoD ops to standard ONNX ops (GAP, Gemm, Sigmoid, TopK, GatherElements, …)."
  public init() {}

  public func run(on graph: inout Graph, context: inout PassContext) throws {
    var out: [Node] = []
    out.reserveCapacity(graph.nodes.count)
    var expandedIndex: [ValueID: ValueID] = [:]
    for n in graph.nodes {
      var b = NodeEmitter(graph: graph, prefix: n.name)
      switch n.op {
      case .modRouter(let a):
        try b.router(n, k: a.k)
      case .modGather:
        let e = try b.expandedIndices(n.inputs[1], like: n.inputs[0])
        expandedIndex[n.inputs[1]] = e
        b.emit(.gatherElements(AxisAttrs(axis: 1)), [n.inputs[0], e], outputs: [n.outputs[0]])
      case .modFuse(let a):
        try b.fuse(n, mode: a.mode, relu: a.relu, expanded: expandedIndex[n.inputs[3]])
      default:
        out.append(n)
        continue
      }
      graph = b.graph
      out += b.nodes
    }
    graph.nodes = out
  }
}

/// Appends typed nodes and constants named after a source node (`<name>/<op>_<i>`).
private struct NodeEmitter {
  var graph: Graph
  var prefix: String
  var nodes: [Node] = []

  init(graph: Graph, prefix: String) {
    self.graph = graph
    self.prefix = prefix
  }

  func type(_ v: ValueID) throws -> TensorType {
    guard let t = graph.type(of: v), t.rank >= 2 else { throw GraphError(node: prefix, "MoD value without a known type") }
    return t
  }

  /// Emits a node with fresh outputs of the given types, or with the given existing outputs.
  @discardableResult
  mutating func emit(_ op: Op, _ inputs: [ValueID], types: [TensorType] = [], outputs: [ValueID]? = nil) -> [ValueID] {
    let name = "\(prefix)/\(op.onnxOpType)_\(nodes.count)"
    let outs = outputs ?? types.enumerated().map { i, t in graph.addValue(name: "\(name).out\(i)", type: t) }
    nodes.append(graph.makeNode(name: name, op: op, inputs: inputs, outputs: outs))
    return outs
  }

  mutating func ints(_ values: [Int], _ tag: String) -> ValueID {
    graph.addConstant(name: "\(prefix).\(tag)", TensorData(shape: [values.count], int64s: values.map { Int64($0) }))
  }

  mutating func router(_ n: Node, k: Int) throws {
    let x = try type(n.inputs[0])
    let (b, c) = (x.shape[0], x.shape[1])
    let hidden = graph.type(of: n.inputs[1])?.shape.first ?? .fixed(1)
    let g = emit(.globalAveragePool, [n.inputs[0]], types: [TensorType(x.dtype, [b, c, .fixed(1), .fixed(1)])])[0]
    let f = emit(.flatten(FlattenAttrs(axis: 1)), [g], types: [TensorType(x.dtype, [b, c])])[0]
    let h = emit(.gemm(GemmAttrs(transB: true)), [f, n.inputs[1], n.inputs[2]], types: [TensorType(x.dtype, [b, hidden])])[0]
    let r = emit(.relu, [h], types: [TensorType(x.dtype, [b, hidden])])[0]
    let s = emit(.gemm(GemmAttrs(transB: true)), [r, n.inputs[3], n.inputs[4]], types: [TensorType(x.dtype, [b, c])])[0]
    let p = emit(.sigmoid, [s], types: [TensorType(x.dtype, [b, c])])[0]
    let kc = ints([k], "k")
    // ONNX TopK returns (values, indices); the router returns (indices, scores).
    emit(.topK(TopKAttrs(axis: 1, largest: true, sorted: true)), [p, kc], outputs: [n.outputs[1], n.outputs[0]])
  }

  /// `I[B,k]` → `I'[B,k,H,W]` (the index of each routed channel broadcast over H×W).
  mutating func expandedIndices(_ idx: ValueID, like xv: ValueID) throws -> ValueID {
    let x = try type(xv)
    let i = try type(idx)
    let u = emit(.unsqueeze(AxesAttrs()), [idx, ints([2, 3], "axes23")],
      types: [TensorType(.i64, [i.shape[0], i.shape[1], .fixed(1), .fixed(1)])])[0]
    return emit(.expand, [u, ints([1, 1] + x.shape[2...].map { $0.value ?? 1 }, "hw")],
      types: [TensorType(.i64, [i.shape[0], i.shape[1], x.shape[2], x.shape[3]])])[0]
  }

  mutating func fuse(_ n: Node, mode: MoDFusion, relu: Bool, expanded: ValueID?) throws {
    let (xv, pv, sv, iv) = (n.inputs[0], n.inputs[1], n.inputs[2], n.inputs[3])
    let x = try type(xv)
    let p = try type(pv)
    let s = try type(sv)
    let k = p.shape[1].value ?? 1
    let c = x.shape[1].value ?? k
    let v4 = emit(.unsqueeze(AxesAttrs()), [sv, ints([2, 3], "axes23")],
      types: [TensorType(s.dtype, [s.shape[0], s.shape[1], .fixed(1), .fixed(1)])])[0]
    let scaled = emit(.mul, [pv, v4], types: [p])[0]
    switch mode {
    case .firstK:
      let head = emit(.slice(SliceAttrs()), [xv, ints([0], "start0"), ints([k], "k_end"), ints([1], "axis1")], types: [p])[0]
      let sum = emit(.add, [head, scaled], types: [p])[0]
      let act = relu ? emit(.relu, [sum], types: [p])[0] : sum
      if k == c {
        emit(.identity, [act], outputs: [n.outputs[0]])
        return
      }
      let tailType = TensorType(x.dtype, [x.shape[0], .fixed(c - k), x.shape[2], x.shape[3]])
      let tail = emit(.slice(SliceAttrs()), [xv, ints([k], "k_start"), ints([c], "c_end"), ints([1], "axis1")], types: [tailType])[0]
      emit(.concat(AxisAttrs(axis: 1)), [act, tail], outputs: [n.outputs[0]])
    case .scatter:
      let e = try expanded ?? expandedIndices(iv, like: xv)
      let picked = emit(.gatherElements(AxisAttrs(axis: 1)), [xv, e], types: [p])[0]
      let sum = emit(.add, [picked, scaled], types: [p])[0]
      let act = relu ? emit(.relu, [sum], types: [p])[0] : sum
      emit(.scatterElements(ScatterAttrs(axis: 1)), [xv, e, act], outputs: [n.outputs[0]])
    }
  }
}
