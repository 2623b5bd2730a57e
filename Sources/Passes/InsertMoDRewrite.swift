import GraphIR

#if canImport(Glibc)
import Glibc
#endif

extension InsertMoD {
  /// The nodes that replace block `b` (router → gather → k-channel body → fuse) and the ids of the block's nodes
  /// they replace; new values and constants are added to `graph`, its node list is left for the caller to splice.
  /// `nodeIndex` maps node ids to positions in `graph.nodes`.
  func rewrite(
    _ b: ConvBlock, k: Int, graph: inout Graph, nodeIndex: [NodeID: Int]
  ) throws -> (nodes: [Node], drop: Set<NodeID>) {
    guard let xt = graph.type(of: b.input), xt.rank == 4 else {
      throw GraphError("block \(b.name): input shape unknown")
    }
    let batch = xt.shape[0]
    let params = try routerParameters(b, graph: &graph)
    let idx = graph.addValue(name: "\(b.name).router.indices", type: TensorType(.i64, [batch, .fixed(k)]))
    let scores = graph.addValue(name: "\(b.name).router.scores", type: TensorType(.f32, [batch, .fixed(k)]))
    var newNodes = [
      graph.makeNode(
        name: "\(b.name).router", op: .modRouter(MoDRouterAttrs(block: b.name, capacity: capacity, k: k)),
        inputs: [b.input] + params, outputs: [idx, scores])
    ]
    var current = graph.addValue(
      name: "\(b.name).gathered", type: TensorType(xt.dtype, [batch, .fixed(k), xt.shape[2], xt.shape[3]]))
    newNodes.append(
      graph.makeNode(name: "\(b.name).gather", op: .modGather(MoDGatherAttrs(block: b.name)), inputs: [b.input, idx],
        outputs: [current]))

    for id in b.body {
      guard let i = nodeIndex[id], case let n = graph.nodes[i], let outType = graph.type(of: n.outputs[0]) else {
        continue
      }
      let out = graph.addValue(
        name: "\(graph[n.outputs[0]].name).mod",
        type: TensorType(outType.dtype, [batch, .fixed(k)] + Array(outType.shape.dropFirst(2))))
      switch n.op {
      case .conv:
        let (w, bias) = try sliceConvWeights(n, k: k, block: b.name, graph: &graph)
        newNodes.append(graph.makeNode(name: "\(n.name).mod", op: n.op, inputs: [current, w] + bias, outputs: [out]))
      case .relu:
        newNodes.append(graph.makeNode(name: "\(n.name).mod", op: .relu, inputs: [current], outputs: [out]))
      default:
        throw GraphError(n, "block \(b.name): unexpected \(n.op.onnxOpType) in the MoD body")
      }
      current = out
    }
    newNodes.append(
      graph.makeNode(
        name: "\(b.name).fuse", op: .modFuse(MoDFuseAttrs(block: b.name, mode: fusion, relu: true)),
        inputs: [b.input, current, scores, idx], outputs: [b.output]))

    var drop = Set(b.body)
    drop.insert(b.add)
    if let r = b.finalRelu { drop.insert(r) }
    return (newNodes, drop)
  }

  /// Conv weight `W[:k, :k, …]` and bias `B[:k]` as new constants.
  func sliceConvWeights(_ n: Node, k: Int, block: String, graph: inout Graph) throws -> (ValueID, [ValueID]) {
    guard n.inputs.count >= 2, let w = graph.floatConstant(n.inputs[1]), let ws = w.type.staticShape, ws.count == 4
    else { throw GraphError(n, "block \(block): conv weight is not a constant f32[O,I,kh,kw]") }
    guard ws[0] >= k, ws[1] >= k else {
      throw GraphError(n, "block \(block): conv weight \(ws) has fewer than k=\(k) channels")
    }
    let (ci, r) = (ws[1], ws[2] * ws[3])
    let wk = DerivedConstant(sources: [w]).add(
      to: &graph, name: "\(graph[n.inputs[1]].name).mod_k\(k)", shape: [k, k, ws[2], ws[3]], tag: "slice_w\(k)"
    ) { f in
      var out = [Float](repeating: 0, count: k * k * r)
      for o in 0..<k { for i in 0..<k { for j in 0..<r { out[(o * k + i) * r + j] = f[0][(o * ci + i) * r + j] } } }
      return out
    }
    guard n.inputs.count >= 3 else { return (wk, []) }
    guard let bias = graph.floatConstant(n.inputs[2]) else {
      throw GraphError(n, "block \(block): conv bias is not a constant")
    }
    let bk = DerivedConstant(sources: [bias]).add(
      to: &graph, name: "\(graph[n.inputs[2]].name).mod_k\(k)", shape: [k], tag: "slice_b\(k)"
    ) { f in Array(f[0].prefix(k)) }
    return (wk, [bk])
  }

  /// The router's four parameter constants (from the weights file, checked, or seeded).
  func routerParameters(_ b: ConvBlock, graph: inout Graph) throws -> [ValueID] {
    let c = b.cIn
    if let file = routerWeights {
      let hidden = file["\(b.name).\(RouterKey.fc1Weight.rawValue)"]?.shape.first ?? max(1, c / 16)
      return try RouterKey.allCases.map { key in
        let name = "\(b.name).\(key.rawValue)"
        guard let t = file[name] else { throw GraphError(tensor: name, "router weights: missing key '\(name)'") }
        let want = key.shape(c: c, hidden: hidden)
        guard t.shape == want else {
          throw GraphError(tensor: name, "router weights: '\(name)' has shape \(t.shape), expected \(want) (C=\(c), hidden=\(hidden))")
        }
        guard t.dtype == .f32 || t.dtype == .f64 else {
          throw GraphError(tensor: name, "router weights: '\(name)' has dtype \(t.dtype.rawValue), expected f32")
        }
        let data = t.dtype == .f32 ? t : TensorData(shape: t.shape, floats: t.floats())
        return graph.addConstant(name: name, data)
      }
    }
    let hidden = max(1, c / 16)
    let initializer = RouterInitializer(seed: seed)
    return RouterKey.allCases.map { key in
      let name = "\(b.name).\(key.rawValue)"
      return graph.addConstant(name: name, initializer.tensor(block: b.name, key: key, c: c, hidden: hidden))
    }
  }
}

/// The documented, deterministic router initialiser used when no `--router-weights` file is given.
///
/// Each tensor is drawn from a SplitMix64 stream seeded with `seed` XOR the FNV-1a hash of `"{block}.{key}"`;
/// normals come from the Box–Muller transform. `fc1.weight ~ N(0, 1/C)`, `fc2.weight ~ N(0, 1/hidden)`, biases 0
/// (PyTorch-like fan-in scaling). The same seed gives the same model on every machine.
public struct RouterInitializer: Sendable {
  public var seed: UInt64
  public init(seed: UInt64 = 0) { self.seed = seed }

  func tensor(block: String, key: RouterKey, c: Int, hidden: Int) -> TensorData {
    let shape = key.shape(c: c, hidden: hidden)
    let count = shape.reduce(1, *)
    switch key {
    case .fc1Bias, .fc2Bias:
      return TensorData(shape: shape, floats: [Float](repeating: 0, count: count))
    case .fc1Weight, .fc2Weight:
      var h: UInt64 = 0xCBF2_9CE4_8422_2325
      for byte in "\(block).\(key.rawValue)".utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
      var rng = SplitMix64(state: seed ^ h)
      let std = (1.0 / Double(key == .fc1Weight ? c : hidden)).squareRoot()
      return TensorData(shape: shape, floats: (0..<count).map { _ in Float(rng.nextNormal() * std) })
    }
  }
}

/// SplitMix64 pseudo-random generator (deterministic across platforms).
struct SplitMix64 {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in (0, 1).
  mutating func nextUnit() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }
  /// Standard normal (Box–Muller).
  mutating func nextNormal() -> Double {
    let u1 = nextUnit()
    let u2 = nextUnit()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }
}
