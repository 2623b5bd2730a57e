import GraphIR

/// A whole recognised MoD block: router, gather, k-channel body (kept) and fusion, by node index.
struct MoDBlockMatch {
  var router: RouterMatch
  /// Index of the GatherElements/Gather node; its output (the gathered channels) is kept.
  var gatherIndex: Int
  var gathered: ValueID
  /// The body's output P (the tensor multiplied by the scores).
  var body: ValueID
  var fusion: MoDFusion
  var relu: Bool
  /// Index of the node producing the block output Y; its output is kept.
  var outputIndex: Int
  var output: ValueID
  /// Every matched node except the body (router, index and score chains, Mul, Slice/Add/Relu/Concat/Scatter).
  var removed: Set<Int>
  /// `layerS.I` found in the matched nodes' ONNX names, if any.
  var nameHint: String?
}

extension MoDMatcher {
  /// Matches a full MoD block around the TopK at node index `t`.
  func match(topK t: Int) throws(NotMoD) -> MoDBlockMatch {
    let r = try matchRouter(topK: t)
    let (x, xs, k) = (r.x, r.xShape, r.k)
    let rowShape = [xs[0], k]
    let mapShape = [xs[0], k, xs[2], xs[3]]
    var removed = Set(r.nodes)

    // Scores → Unsqueeze/Reshape → Mul(P, ·).
    let (mulIndex, scoreNodes) = try scoreMul(r.scores, rowShape: rowShape)
    removed.formUnion(scoreNodes)
    removed.insert(mulIndex)
    let mul = graph.nodes[mulIndex]
    let sideP = scoreNodes.contains(producers[mul.inputs[1]] ?? -1) || mul.inputs[1] == r.scores ? 0 : 1
    let p = mul.inputs[sideP]
    guard shape(p) == mapShape, shape(mul.outputs[0]) == mapShape else {
      throw NotMoD("\(describe(mul)) does not scale a [B, k, H, W] = \(mapShape) tensor by the scores")
    }

    // Body: conv/relu/batch_norm back to the gather.
    var v = p
    var convs = 0
    var gather: (index: Int, node: Node)?
    for _ in 0..<32 {
      guard let (i, n) = producer(v) else { break }
      switch n.op {
      case .conv:
        guard n.inputs.count >= 2, let w = shape(n.inputs[1]), w.count == 4 else {
          throw NotMoD("\(describe(n)) has no static weight")
        }
        guard w[0] == k, w[1] == k else {
          throw NotMoD(
            "\(describe(n)) in the block body is \(w[1]) → \(w[0]) channels; mod ops need k → k = \(k) → \(k)")
        }
        convs += 1
      case .relu, .batchNorm: break
      case .gatherElements, .gather: gather = (i, n)
      default: throw NotMoD("the block body contains \(describe(n)) (only Conv, BatchNormalization, Relu)")
      }
      if gather != nil { break }
      v = n.inputs[0]
    }
    guard let gather else { throw NotMoD("no GatherElements/Gather of X found before the scaled body") }
    guard convs > 0 else { throw NotMoD("no convolution between the gather and the score Mul") }
    removed.formUnion(try gatherChain(gather.node, x: x, indices: r.indices, xShape: xs, k: k))
    removed.insert(gather.index)
    let gathered = gather.node.outputs[0]
    guard shape(gathered) == mapShape else { throw NotMoD("the gathered tensor is not [B, k, H, W] = \(mapShape)") }

    // Fusion: Add(Slice(X, 0:k) | gathered X, P·s) → Relu? → Concat | ScatterND | ScatterElements.
    guard let addUses = consumers[mul.outputs[0]], addUses.count == 1, case .add = graph.nodes[addUses[0]].op,
      graph.nodes[addUses[0]].inputs.count == 2, graph.nodes[addUses[0]].outputs.count == 1
    else {
      throw NotMoD("the scaled body \(describe(mul)) is not used by exactly one Add")
    }
    let add = graph.nodes[addUses[0]]
    removed.insert(addUses[0])
    let other = add.inputs[0] == mul.outputs[0] ? add.inputs[1] : add.inputs[0]
    let fusion: MoDFusion
    if let (si, slice) = producer(other), case .slice = slice.op {
      let (start, end) = try channelSlice(slice, x: x, c: xs[1])
      guard start == 0, end == k else {
        throw NotMoD("\(describe(slice)) takes channels \(start):\(end) of X, expected 0:\(k) (first k)")
      }
      removed.insert(si)
      fusion = .firstK
    } else if other == gathered {
      fusion = .scatter
    } else if let (gi, g) = producer(other), case .gatherElements = g.op {
      removed.formUnion(try gatherChain(g, x: x, indices: r.indices, xShape: xs, k: k))
      removed.insert(gi)
      fusion = .scatter
    } else {
      throw NotMoD("\(describe(add)) adds the scaled body to neither Slice(X, 0:k) nor the gathered channels of X")
    }
    var sum = add.outputs[0]
    var sumIndex = addUses[0]
    var relu = false
    if let uses = consumers[sum], uses.count == 1, case .relu = graph.nodes[uses[0]].op,
      graph.nodes[uses[0]].outputs.count == 1
    {
      relu = true
      sumIndex = uses[0]
      sum = graph.nodes[uses[0]].outputs[0]
      removed.insert(uses[0])
    }
    let (outputIndex, extra) = try fusionOutput(
      sum, sumIndex: sumIndex, fusion: fusion, x: x, indices: r.indices, xShape: xs, k: k)
    removed.formUnion(extra)
    removed.insert(outputIndex)
    guard let output = graph.nodes[outputIndex].outputs.first, shape(output) == xs else {
      throw NotMoD("the fused output is not X's shape \(xs)")
    }
    try checkNoEscapes(removed, keeping: [r.scores, r.indices, gathered, output])

    let hint = [t, gather.index, outputIndex].lazy.compactMap { blockName(in: graph.nodes[$0].name) }.first
    return MoDBlockMatch(
      router: r, gatherIndex: gather.index, gathered: gathered, body: p, fusion: fusion, relu: relu,
      outputIndex: outputIndex, output: output, removed: removed, nameHint: hint)
  }

  /// Follows the TopK values through Unsqueeze/Reshape ([B, k, 1, …]) to the one Mul that scales the body.
  func scoreMul(_ scores: ValueID, rowShape: [Int]) throws(NotMoD) -> (Int, [Int]) {
    var frontier = [scores]
    var chain: [Int] = []
    var muls: [Int] = []
    while let v = frontier.popLast() {
      for ci in consumers[v] ?? [] {
        let n = graph.nodes[ci]
        switch n.op {
        case .unsqueeze, .reshape:
          guard n.outputs.count == 1, let s = shape(n.outputs[0]), Array(s.prefix(2)) == rowShape,
            s.dropFirst(2).allSatisfy({ $0 == 1 }),
            chain.count < 8
          else { continue }
          chain.append(ci)
          frontier.append(n.outputs[0])
        case .mul:
          if v != scores, shape(v)?.count == 4, n.inputs.count == 2, n.outputs.count == 1 { muls.append(ci) }
        default: continue
        }
      }
    }
    guard muls.count == 1 else {
      throw NotMoD("the scores scale \(muls.count) tensors (expected one Mul by Unsqueeze(scores) [B, k, 1, 1])")
    }
    // Keep only the chain nodes leading to the Mul's input.
    let mul = graph.nodes[muls[0]]
    var used: [Int] = []
    for input in mul.inputs {
      var w = input
      while let (pi, pn) = producer(w), chain.contains(pi) {
        used.append(pi)
        w = pn.inputs[0]
      }
    }
    return (muls[0], used)
  }

  /// Validates `GatherElements(X, Expand(Unsqueeze(indices)), axis=1)` or `Gather(X, Squeeze(indices), axis=1)`
  /// (index_select, B = 1) and returns the index-chain nodes.
  func gatherChain(_ g: Node, x: ValueID, indices: ValueID, xShape xs: [Int], k: Int) throws(NotMoD) -> [Int] {
    guard g.inputs.count == 2, g.inputs[0] == x else { throw NotMoD("\(describe(g)) does not read the routed X") }
    switch g.op {
    case .gatherElements(let a):
      guard a.axis == 1 || a.axis == -3 else {
        throw NotMoD("\(describe(g)) gathers along axis \(a.axis), not channels")
      }
      return try indexChain(g.inputs[1], from: indices, final: [xs[0], k, xs[2], xs[3]], rowShape: [xs[0], k])
    case .gather(let a):
      guard a.axis == 1 || a.axis == -3 else {
        throw NotMoD("\(describe(g)) gathers along axis \(a.axis), not channels")
      }
      guard xs[0] == 1 else {
        throw NotMoD("\(describe(g)) (index_select) selects one channel list for batch \(xs[0]) > 1")
      }
      return try indexChain(g.inputs[1], from: indices, final: [k], rowShape: [1, k])
    default:
      throw NotMoD("\(describe(g)) is not a gather")
    }
  }

  /// Walks `v` back to `source` through Unsqueeze/Reshape/Squeeze/Flatten (values stay [B, k] plus unit dims, or
  /// [k] for index_select) and at most one Expand with a constant shape producing `final`.
  func indexChain(_ v: ValueID, from source: ValueID, final: [Int], rowShape: [Int]) throws(NotMoD) -> [Int] {
    guard shape(v) == final else { throw NotMoD("the gather index has shape \(shape(v) ?? []), expected \(final)") }
    var w = v
    var nodes: [Int] = []
    for _ in 0..<8 {
      if w == source { return nodes }
      guard let (i, n) = producer(w) else { break }
      let s = shape(n.outputs[0]) ?? []
      let flatRow = s == [rowShape[1]] && rowShape[0] == 1
      switch n.op {
      case .expand:
        guard n.inputs.count == 2, ints(n.inputs[1]) != nil else {
          throw NotMoD("\(describe(n)) has a non-constant shape (run FoldConstants first)")
        }
        guard w == v else { throw NotMoD("\(describe(n)) is not the last step of the index chain") }
      case .unsqueeze, .reshape, .squeeze, .flatten:
        guard (Array(s.prefix(2)) == rowShape && s.dropFirst(2).allSatisfy { $0 == 1 }) || flatRow else {
          throw NotMoD("\(describe(n)) in the index chain gives \(s), expected \(rowShape) plus unit dims")
        }
      default:
        throw NotMoD("the gather index comes from \(describe(n)), not from the TopK indices")
      }
      nodes.append(i)
      w = n.inputs[0]
    }
    if w == source { return nodes }
    throw NotMoD("the gather index is not derived from the TopK indices")
  }

  /// `(start, end)` of a Slice of X along channels with step 1 (ends clamped to C); throws for anything else.
  func channelSlice(_ n: Node, x: ValueID, c: Int) throws(NotMoD) -> (Int, Int) {
    guard case .slice(let a) = n.op, n.inputs.first == x else { throw NotMoD("\(describe(n)) does not slice X") }
    let starts: [Int]?
    let ends: [Int]?
    let axes: [Int]?
    let steps: [Int]?
    if let s = a.starts, let e = a.ends {
      (starts, ends, axes, steps) = (s, e, a.axes ?? Array(0..<s.count), Array(repeating: 1, count: s.count))
    } else {
      guard n.inputs.count >= 4 else { throw NotMoD("\(describe(n)) has no axes (slices the batch dim)") }
      starts = ints(n.inputs[1])
      ends = ints(n.inputs[2])
      axes = ints(n.inputs[3])
      steps = n.inputs.count > 4 ? ints(n.inputs[4]) : [1]
    }
    guard let starts, let ends, let axes, let steps, starts.count == 1, ends.count == 1, axes.count == 1,
      steps.count == 1
    else { throw NotMoD("\(describe(n)) has non-constant or multi-axis bounds") }
    guard axes[0] == 1 || axes[0] == -3, steps[0] == 1 else {
      throw NotMoD("\(describe(n)) slices axis \(axes[0]) with step \(steps[0]), expected channels with step 1")
    }
    func clamp(_ i: Int) -> Int { min(max(i < 0 ? i + c : i, 0), c) }
    return (clamp(starts[0]), clamp(ends[0]))
  }

  /// The node producing Y from the (relu'd) sum, and any extra nodes it needs (tail Slice, scatter index chain).
  func fusionOutput(
    _ sum: ValueID, sumIndex: Int, fusion: MoDFusion, x: ValueID, indices: ValueID, xShape xs: [Int], k: Int
  ) throws(NotMoD) -> (Int, [Int]) {
    let uses = consumers[sum] ?? []
    let use = uses.count == 1 ? uses[0] : nil
    switch fusion {
    case .firstK:
      if let u = use, case .concat(let a) = graph.nodes[u].op {
        let cat = graph.nodes[u]
        guard a.axis == 1 || a.axis == -3, cat.inputs.count == 2, cat.inputs[0] == sum,
          let (ti, tail) = producer(cat.inputs[1]), case .slice = tail.op
        else { throw NotMoD("\(describe(cat)) is not Concat(sum, Slice(X, k:C)) on channels") }
        let (start, end) = try channelSlice(tail, x: x, c: xs[1])
        guard start == k, end == xs[1] else {
          throw NotMoD("\(describe(tail)) takes channels \(start):\(end) of X, expected \(k):\(xs[1])")
        }
        return (u, [ti])
      }
      if let u = use, case .scatterND(let a) = graph.nodes[u].op {
        let sc = graph.nodes[u]
        guard a.reduction == .none, sc.inputs.count == 3, sc.inputs[0] == x, sc.inputs[2] == sum,
          let ind = ints(sc.inputs[1]), shape(sc.inputs[1]) == [xs[0], k, 2]
        else { throw NotMoD("\(describe(sc)) is not ScatterND(X, constant [B, k, 2] indices, sum)") }
        let expected = (0..<xs[0]).flatMap { b in (0..<k).flatMap { j in [b, j] } }
        guard ind == expected else { throw NotMoD("\(describe(sc)) does not write channels 0..<k of every sample") }
        return (u, [])
      }
      if k == xs[1] { return (sumIndex, []) }
      throw NotMoD("the first-k sum is not concatenated with Slice(X, k:C) nor scattered into X")
    case .scatter:
      guard let u = use, case .scatterElements(let a) = graph.nodes[u].op else {
        throw NotMoD("the scatter sum is not written back with ScatterElements")
      }
      let sc = graph.nodes[u]
      guard a.reduction == .none, a.axis == 1 || a.axis == -3, sc.inputs.count == 3, sc.inputs[0] == x,
        sc.inputs[2] == sum
      else { throw NotMoD("\(describe(sc)) is not ScatterElements(X, indices, sum, axis=1)") }
      let chain = try indexChain(sc.inputs[1], from: indices, final: [xs[0], k, xs[2], xs[3]], rowShape: [xs[0], k])
      return (u, chain)
    }
  }

  /// Every value produced by a removed node (except `keeping`) must be read only by removed nodes.
  func checkNoEscapes(_ removed: Set<Int>, keeping: Set<ValueID>) throws(NotMoD) {
    for i in removed.sorted() {
      for o in graph.nodes[i].outputs where !keeping.contains(o) {
        if graph.outputs.contains(o) { throw NotMoD("intermediate '\(graph[o].name)' is a graph output") }
        if let u = consumers[o]?.first(where: { !removed.contains($0) }) {
          throw NotMoD(
            "intermediate '\(graph[o].name)' is also read by \(describe(graph.nodes[u])) outside the pattern")
        }
      }
    }
  }
}

/// The first `layer<S>.<I>` in an ONNX node name (e.g. `/layer2/layer2.1/selector/TopK` → `layer2.1`).
func blockName(in name: String) -> String? {
  let chars = Array(name)
  var i = 0
  while i + 5 < chars.count {
    if String(chars[i..<i + 5]) == "layer" {
      var j = i + 5
      let s0 = j
      while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
      if j > s0, j + 1 < chars.count, chars[j] == ".", chars[j + 1].isASCII, chars[j + 1].isNumber {
        var e = j + 1
        while e < chars.count, chars[e].isASCII, chars[e].isNumber { e += 1 }
        return String(chars[i..<e])
      }
    }
    i += 1
  }
  return nil
}
