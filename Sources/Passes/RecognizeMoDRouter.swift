import GraphIR

/// Why a TopK that looks like a MoD router was left as generic ops (becomes a `--verbose` remark).
struct NotMoD: Error {
  var reason: String
  init(_ reason: String) { self.reason = reason }
}

/// A router parameter of a recognised block: an existing constant, or one derived from constants (transposed
/// weight, reshaped or broadcast bias, zero bias).
struct RouterParam {
  var existing: ValueID?
  var name: String = ""
  var shape: [Int] = []
  var sources: [Constant] = []
  var tag: String = ""
  var compute: ([[Float]]) -> [Float] = { _ in [] }

  static func use(_ v: ValueID) -> RouterParam { RouterParam(existing: v) }

  /// The parameter as a value of `graph` (adding the derived constant if needed).
  func materialize(in graph: inout Graph) -> ValueID {
    if let existing { return existing }
    return DerivedConstant(sources: sources).add(to: &graph, name: name, shape: shape, tag: tag, compute: compute)
  }
}

/// One dense layer of the router: `input · Wᵀ + b` with W stored as [out, in].
struct RouterDense {
  var input: ValueID
  var outFeatures: Int
  var inFeatures: Int
  var weight: RouterParam
  var bias: RouterParam
  var nodes: [Int]
}

/// The router part of a match: X, C, k, hidden width, parameters and the matched node indices.
struct RouterMatch {
  var x: ValueID
  var xShape: [Int]
  var k: Int
  var hidden: Int
  var params: [RouterParam]
  /// TopK outputs: `values` become the router's scores, `indices` its indices.
  var scores: ValueID
  var indices: ValueID
  var nodes: [Int]
}

/// Read-only pattern matching over one graph snapshot (producer and consumer maps built once).
struct MoDMatcher {
  let graph: Graph
  let producers: [ValueID: Int]
  let consumers: [ValueID: [Int]]

  init(_ graph: Graph) {
    self.graph = graph
    producers = graph.producerIndex()
    consumers = graph.consumerIndex()
  }

  /// The node (index and value) producing `v`, if any; nodes without inputs never match a pattern step.
  func producer(_ v: ValueID) -> (index: Int, node: Node)? {
    guard let i = producers[v], !graph.nodes[i].inputs.isEmpty else { return nil }
    return (i, graph.nodes[i])
  }

  /// The static shape of `v`, if known.
  func shape(_ v: ValueID) -> [Int]? { graph.contains(v) ? graph.type(of: v)?.staticShape : nil }

  /// The integer contents of the constant `v`.
  func ints(_ v: ValueID) -> [Int]? {
    guard let d = graph.constantData(v), d.dtype.isInteger else { return nil }
    return d.int64s().map { Int(clamping: $0) }
  }

  /// `label 'name'` for messages.
  func describe(_ n: Node) -> String { "\(n.op.onnxOpType) '\(n.name)'" }

  // MARK: Router

  /// Matches `TopK(Sigmoid(Dense(Relu(Dense(Pool(X))))), K)` ending at node `t`.
  func matchRouter(topK t: Int) throws(NotMoD) -> RouterMatch {
    let n = graph.nodes[t]
    guard case .topK(let a) = n.op, n.outputs.count == 2, !n.inputs.isEmpty else {
      throw NotMoD("not a TopK with an input and two outputs")
    }
    guard let st = shape(n.inputs[0]), st.count == 2 else {
      throw NotMoD("its input is not a [B, C] tensor with a static shape")
    }
    guard a.axis == 1 || a.axis == -1 else { throw NotMoD("TopK axis is \(a.axis), expected 1 (channels)") }
    guard a.largest else { throw NotMoD("TopK selects the smallest scores (largest=0)") }
    guard a.sorted else { throw NotMoD("TopK is unsorted (sorted=0); MoD processes channels in score order") }
    let k: Int
    if let ak = a.k {
      k = ak
    } else {
      guard n.inputs.count > 1, let kv = ints(n.inputs[1]), kv.count == 1 else {
        throw NotMoD("K is not a constant")
      }
      k = kv[0]
    }
    guard k >= 1, k <= st[1] else { throw NotMoD("K = \(k) is not in 1...\(st[1]) (C)") }
    guard let (si, sig) = producer(n.inputs[0]), case .sigmoid = sig.op else {
      throw NotMoD("the scores are not a Sigmoid output")
    }
    let fc2 = try matchDense(sig.inputs[0], "second")
    guard let (ri, relu) = producer(fc2.input), case .relu = relu.op else {
      throw NotMoD("no Relu between the two router layers")
    }
    let fc1 = try matchDense(relu.inputs[0], "first")
    let (x, poolNodes) = try matchPool(fc1.input)
    guard let xs = shape(x), xs.count == 4 else { throw NotMoD("the pooled tensor X is not a static [B, C, H, W]") }
    let (b, c) = (xs[0], xs[1])
    let h = fc1.outFeatures
    guard fc1.inFeatures == c, fc2.inFeatures == h, fc2.outFeatures == c else {
      throw NotMoD(
        "router layers are \(fc1.inFeatures) → \(h), \(fc2.inFeatures) → \(fc2.outFeatures); expected C → hidden → C "
          + "with C = \(c)")
    }
    guard st == [b, c] else { throw NotMoD("scores have shape \(st), expected [\(b), \(c)]") }
    let capacity = c / k
    guard c / capacity == k else {
      throw NotMoD("k = \(k) is not ⌊C/c⌋ for any capacity c (C = \(c)), so mod.router cannot express it")
    }
    return RouterMatch(
      x: x, xShape: xs, k: k, hidden: h, params: [fc1.weight, fc1.bias, fc2.weight, fc2.bias],
      scores: n.outputs[0], indices: n.outputs[1], nodes: poolNodes + fc1.nodes + [ri] + fc2.nodes + [si, t])
  }

  /// `X → GlobalAveragePool | ReduceMean(axes 2,3, keepdims) → Flatten | Reshape | Squeeze` or
  /// `X → ReduceMean(axes 2,3, keepdims=0)`, giving [B, C]; returns X and the nodes.
  func matchPool(_ f: ValueID) throws(NotMoD) -> (ValueID, [Int]) {
    guard let (fi, fn) = producer(f) else { throw NotMoD("the router input is not pooled from a feature map") }
    if case .reduceMean(let a) = fn.op, !a.keepDims, isSpatialMean(fn, a) { return (fn.inputs[0], [fi]) }
    switch fn.op {
    case .flatten, .reshape, .squeeze: break
    default: throw NotMoD("the router input comes from \(describe(fn)), not a global average pool")
    }
    guard let (pi, pool) = producer(fn.inputs[0]) else { throw NotMoD("\(describe(fn)) does not read a pool") }
    switch pool.op {
    case .globalAveragePool: break
    case .reduceMean(let a) where a.keepDims && isSpatialMean(pool, a): break
    default: throw NotMoD("\(describe(fn)) reads \(describe(pool)), not a global average pool")
    }
    let x = pool.inputs[0]
    guard let xs = shape(x), xs.count == 4, shape(fn.outputs[0]) == [xs[0], xs[1]] else {
      throw NotMoD("\(describe(fn)) does not give the pooled [B, C]")
    }
    return (x, [pi, fi])
  }

  /// True for a ReduceMean over exactly axes {2, 3} of a rank-4 tensor.
  func isSpatialMean(_ n: Node, _ a: ReduceAttrs) -> Bool {
    guard let xs = shape(n.inputs[0]), xs.count == 4 else { return false }
    let axes = a.axes ?? (n.inputs.count > 1 ? ints(n.inputs[1]) : nil)
    guard let axes else { return false }
    return Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3] && axes.count == 2
  }

  /// `Gemm(A, W, b)` (transB 0 or 1, alpha 1), `Add(MatMul(A, W), b)` or a bias-free `MatMul(A, W)`.
  func matchDense(_ v: ValueID, _ which: String) throws(NotMoD) -> RouterDense {
    guard let (i, n) = producer(v) else { throw NotMoD("the \(which) router layer is not a Gemm or MatMul") }
    switch n.op {
    case .gemm(let a):
      guard a.alpha == 1, !a.transA, n.inputs.count >= 2 else {
        throw NotMoD(
          "\(describe(n)) has alpha=\(a.alpha) transA=\(a.transA); only alpha=1, transA=0 map to a router layer")
      }
      var d = try denseWeight(n.inputs[1], transposed: !a.transB, of: n, input: n.inputs[0], nodes: [i])
      if n.inputs.count >= 3 {
        guard a.beta == 1 else { throw NotMoD("\(describe(n)) has beta=\(a.beta), expected 1") }
        d.bias = try biasParam(n.inputs[2], count: d.outFeatures, of: n)
      }
      return d
    case .add:
      for side in 0..<2 {
        guard let (mi, mm) = producer(n.inputs[side]), case .matMul = mm.op, mm.inputs.count == 2,
          graph.constants[n.inputs[1 - side]] != nil
        else { continue }
        var d = try denseWeight(mm.inputs[1], transposed: true, of: mm, input: mm.inputs[0], nodes: [mi, i])
        d.bias = try biasParam(n.inputs[1 - side], count: d.outFeatures, of: n)
        return d
      }
      throw NotMoD("\(describe(n)) is not MatMul + constant bias")
    case .matMul:
      guard n.inputs.count == 2 else { throw NotMoD("\(describe(n)) needs two inputs") }
      return try denseWeight(n.inputs[1], transposed: true, of: n, input: n.inputs[0], nodes: [i])
    default:
      throw NotMoD("the \(which) router layer is \(describe(n)), not a Gemm or MatMul")
    }
  }

  /// The weight as [out, in]; `transposed` means the constant is stored [in, out]. Bias defaults to zeros.
  func denseWeight(
    _ w: ValueID, transposed: Bool, of n: Node, input: ValueID, nodes: [Int]
  ) throws(NotMoD) -> RouterDense {
    guard let wc = graph.floatConstant(w), let ws = wc.type.staticShape, ws.count == 2 else {
      throw NotMoD("\(describe(n)) weight is not a constant f32 matrix")
    }
    let (rows, cols) = (ws[0], ws[1])
    let weight: RouterParam
    if transposed {
      weight = RouterParam(
        name: "\(graph[w].name).transposed", shape: [cols, rows], sources: [wc], tag: "transpose"
      ) { f in
        var out = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = f[0][r * cols + c] } }
        return out
      }
    } else {
      weight = .use(w)
    }
    let out = transposed ? cols : rows
    let zero = RouterParam(name: "\(n.name).zero_bias", shape: [out], tag: "zero_bias") { _ in
      [Float](repeating: 0, count: out)
    }
    return RouterDense(
      input: input, outFeatures: out, inFeatures: transposed ? rows : cols, weight: weight, bias: zero, nodes: nodes)
  }

  /// A bias of `count` elements: the constant itself when it is [count], else reshaped ([1, count]) or broadcast.
  func biasParam(_ b: ValueID, count: Int, of n: Node) throws(NotMoD) -> RouterParam {
    guard let bc = graph.floatConstant(b), let bs = bc.type.staticShape else {
      throw NotMoD("\(describe(n)) bias is not a constant f32 tensor")
    }
    if bs == [count] { return .use(b) }
    let elements = bs.reduce(1, *)
    guard elements == count || elements == 1 else {
      throw NotMoD("\(describe(n)) bias has shape \(bs), expected \(count) elements")
    }
    return RouterParam(name: "\(graph[b].name).vector", shape: [count], sources: [bc], tag: "bias_vector") { f in
      elements == count ? f[0] : [Float](repeating: f[0].first ?? 0, count: count)
    }
  }
}
