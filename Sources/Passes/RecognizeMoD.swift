import GraphIR

/// Recognises the generic-op pattern a PyTorch CNN-MoD export produces and rewrites it into `mod.router`,
/// `mod.gather` and `mod.fuse`, keeping the trained router and conv weights (the inverse of `ExpandMoD`).
///
/// Given (legacy exporter, opset 17, after `FoldConstants`)
/// ```
/// %p = global_average_pool(%x); %f = flatten(%p); %h = gemm(%f, %w1, %b1) {transB=1}; %r = relu(%h)
/// %z = gemm(%r, %w2, %b2) {transB=1}; %s = sigmoid(%z); %v, %i = topk(%s, %K) {axis=1 largest=1 sorted=1}
/// %e = expand(unsqueeze(unsqueeze(%i, 2), 3), [B,k,H,W]); %g = gather_elements(%x, %e) {axis=1}
/// %c = conv(…conv(%g…)…)                                     // k → k body, kept as is
/// %m = mul(%c, unsqueeze(unsqueeze(%v, 2), 3)); %a = add(slice(%x, 0:k), %m); %y0 = relu(%a)
/// %y = concat(%y0, slice(%x, k:C)) {axis=1}
/// ```
/// the result is
/// ```
/// %i, %v = mod.router(%x, %w1, %b1, %w2, %b2) {block="layer1.1" capacity=16 k=1}
/// %g = mod.gather(%x, %i) {block="layer1.1"}; %c = conv(…conv(%g…)…)
/// %y = mod.fuse(%x, %c, %v, %i) {block="layer1.1" mode=first-k relu=true}
/// ```
/// Accepted variants: ReduceMean(+Reshape/Squeeze) pooling (opset 18); Gemm with transB 0/1 or MatMul(+Add) router
/// layers (weights transposed to [out, in]); one Unsqueeze with axes [2, 3] or Reshape; `Gather(X, idx, axis=1)`
/// (index_select, batch 1); in-place first-k fusion as `ScatterND(X, [[b, j]], ·)` with the constant indices of
/// channels 0..<k; scatter fusion as `Add(GatherElements(X, idx))` → Relu → `ScatterElements(X, idx, ·, axis=1)`;
/// no Relu after the add (`relu=false`); no Concat when k = C.
///
/// Naming: when every recognised block carries `layer<S>.<I>` in the ONNX names of its TopK, gather or output node,
/// those names are used; otherwise all blocks are numbered like `Graph.convBlocks()` (residual blocks and MoD
/// blocks in graph order, a new stage at every non-identity shortcut; a MoD block always has an identity shortcut).
/// Capacity: the largest c with ⌊C/c⌋ = k, which is ⌊C/k⌋; a k no capacity can express stays generic.
///
/// Anything that does not match exactly (K not constant, a Slice with other bounds, a Mul by something else, an
/// intermediate read outside the pattern, a body conv that is not k → k) stays as generic ops, and a remark says
/// why. The TopK outputs, the gathered tensor and Y keep their values (they become the mod ops' outputs), so other
/// readers of those are allowed; every other matched intermediate must be read only inside the pattern. Shapes must
/// be static. Run after `ShapeInference` and `FoldConstants` (the Expand shape chain must be constant).
public struct RecognizeMoD: Pass {
  public static let summary = "Recognise exported CNN-MoD patterns (TopK router, gather, fusion) as mod.* ops."
  public init() {}

  public func run(on graph: inout Graph, context: inout PassContext) throws {
    let matcher = MoDMatcher(graph)
    var matches: [MoDBlockMatch] = []
    var claimed = Set<Int>()
    for (i, n) in graph.nodes.enumerated() {
      guard case .topK = n.op else { continue }
      do {
        let m = try matcher.match(topK: i)
        guard m.removed.isDisjoint(with: claimed) else {
          context.remark("\(Self.name): TopK '\(n.name)' not recognised: its pattern overlaps another MoD block")
          continue
        }
        claimed.formUnion(m.removed)
        matches.append(m)
      } catch {
        context.remark("\(Self.name): TopK '\(n.name)' not recognised as a MoD router: \(error.reason)")
      }
    }
    let names = blockNames(matches, in: graph)
    if !matches.isEmpty { rewrite(graph: &graph, matches: matches, names: names.names) }
    for (m, name) in zip(matches, names.names) {
      let c = m.router.xShape[1]
      context.remark(
        "\(Self.name): \(name): recognised MoD block (C=\(c), k=\(m.router.k), capacity=\(c / m.router.k), "
          + "hidden=\(m.router.hidden), fusion=\(m.fusion.rawValue), relu=\(m.relu)), \(m.removed.count) nodes replaced"
      )
    }
    context.remark(
      "\(Self.name): recognised \(matches.count) MoD block(s)\(matches.isEmpty ? "" : ", names \(names.source)")")
  }

  /// Block names: the `layerS.I` hints when every block has one and they are distinct, else structural numbering.
  func blockNames(_ matches: [MoDBlockMatch], in graph: Graph) -> (names: [String], source: String) {
    let hints = matches.compactMap(\.nameHint)
    if hints.count == matches.count, Set(hints).count == hints.count { return (hints, "from node names") }
    // Residual blocks (by their add) and MoD blocks (by their output node), in graph order.
    let position = Dictionary(uniqueKeysWithValues: graph.nodes.enumerated().map { ($1.id, $0) })
    var events: [(pos: Int, mod: Int?, newStage: Bool)] = graph.convBlocks().compactMap { b in
      position[b.add].map { ($0, nil, b.shortcut != .identity) }
    }
    events += matches.enumerated().map { ($1.outputIndex, $0, false) }
    events.sort { $0.pos < $1.pos }
    var names = [String](repeating: "", count: matches.count)
    var (stage, index) = (1, -1)
    for (i, e) in events.enumerated() {
      if i > 0 && e.newStage {
        stage += 1
        index = 0
      } else {
        index += 1
      }
      if let m = e.mod { names[m] = "layer\(stage).\(index)" }
    }
    return (names, "numbered by graph structure")
  }

  /// Replaces each match's TopK by `mod.router`, its gather by `mod.gather` and its output node by `mod.fuse`,
  /// deletes the other matched nodes, then drops dead constants.
  func rewrite(graph: inout Graph, matches: [MoDBlockMatch], names: [String]) {
    let old = graph.nodes
    var replacement: [Int: Node] = [:]
    var drop = Set<Int>()
    for (m, name) in zip(matches, names) {
      let r = m.router
      let params = r.params.map { $0.materialize(in: &graph) }
      let capacity = r.xShape[1] / r.k
      replacement[r.nodes.last ?? m.gatherIndex] = graph.makeNode(
        name: "\(name).router", op: .modRouter(MoDRouterAttrs(block: name, capacity: capacity, k: r.k)),
        inputs: [r.x] + params, outputs: [r.indices, r.scores])
      replacement[m.gatherIndex] = graph.makeNode(
        name: "\(name).gather", op: .modGather(MoDGatherAttrs(block: name)), inputs: [r.x, r.indices],
        outputs: [m.gathered])
      replacement[m.outputIndex] = graph.makeNode(
        name: "\(name).fuse", op: .modFuse(MoDFuseAttrs(block: name, mode: m.fusion, relu: m.relu)),
        inputs: [r.x, m.body, r.scores, r.indices], outputs: [m.output])
      drop.formUnion(m.removed)
    }
    graph.nodes = old.indices.compactMap { i in replacement[i] ?? (drop.contains(i) ? nil : old[i]) }
    graph.eliminateDeadCode()
  }
}
