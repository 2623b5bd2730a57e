import GraphIR

/// Which Conv-Blocks get a Mixture-of-Depths router.
public enum MoDPlacement: Sendable, Equatable {
  /// Blocks N−1, 2N−1, … of every stage (N = 2: blocks 1, 3, 5, … as in the paper); block 0 never.
  case every(Int)
  /// Exactly these blocks (each must exist and be eligible).
  case blocks([String])
}

/// Inserts CNN Mixture-of-Depths into Conv-Blocks (mod.md): a router picks the top k = ⌊C/c⌋ channels per sample,
/// only those run through the block's convs (k → k, leading weight slices), and the result, scaled by the router
/// scores, is added into the first k channels (or back at the routed channels with `.scatter`).
///
/// Given a BasicBlock with BN folded
/// ```
/// %a = conv(%x, %w1, %b1) …; %r = relu(%a); %c = conv(%r, %w2, %b2) …; %s = add(%c, %x); %y = relu(%s)
/// ```
/// the result is
/// ```
/// %i, %v = mod.router(%x, %fc1w, %fc1b, %fc2w, %fc2b) {block="layer1.1" capacity=16 k=1}
/// %g = mod.gather(%x, %i); %a' = conv(%g, %w1[:k,:k], %b1[:k]); %r' = relu(%a')
/// %c' = conv(%r', %w2[:k,:k], %b2[:k]); %y = mod.fuse(%x, %c', %v, %i) {mode=first-k relu=true}
/// ```
/// Router weights come from `routerWeights` (keys `{block}.fc1.weight|bias`, `{block}.fc2.weight|bias`); without
/// them a seeded initialiser is used (see `RouterInitializer`) and a warning says the model needs training.
///
/// On a model that already has MoD blocks (inserted earlier or recognised by `RecognizeMoD`) the pass fails,
/// naming them, unless `force` is set: then MoD goes into the remaining eligible blocks (existing MoD blocks are
/// never eligible, and block names count them, so `layer1.2` stays `layer1.2`). `.every(N)` then applies to the
/// remaining blocks of each stage, numbered from 0 without the MoD blocks: on a model with MoD in blocks 1, 3, 5
/// of a stage, `--mod-every 2 --force` adds it to blocks 2 and 4 (and `--mod-every 1 --force` to every block but
/// the first).
public struct InsertMoD: Pass {
  public static let summary = "Insert Mixture-of-Depths routers into chosen Conv-Blocks (--mod-every/--blocks/--capacity)."
  public var placement: MoDPlacement
  public var capacity: Int
  public var fusion: MoDFusion
  public var routerWeights: [String: TensorData]?
  public var seed: UInt64
  /// Add MoD to the remaining eligible blocks of a model that already has MoD blocks.
  public var force: Bool

  public init(
    placement: MoDPlacement = .every(2), capacity: Int = 64, fusion: MoDFusion = .firstK,
    routerWeights: [String: TensorData]? = nil, seed: UInt64 = 0, force: Bool = false
  ) {
    self.force = force
    self.placement = placement
    self.capacity = capacity
    self.fusion = fusion
    self.routerWeights = routerWeights
    self.seed = seed
  }

  public func run(on graph: inout Graph, context: inout PassContext) throws {
    guard capacity >= 1 else { throw GraphError("--capacity must be ≥ 1, got \(capacity)") }
    if case .every(let n) = placement, n < 1 { throw GraphError("--mod-every must be ≥ 1, got \(n)") }
    let blocks = graph.convBlocks()
    let existing = blocks.filter { $0.mod != nil }.map(\.name)
    if !existing.isEmpty && !force {
      throw GraphError(
        "the model already has \(existing.count) MoD block(s) (\(existing.joined(separator: ", "))); MoD flags would add "
          + "more: use --force to add MoD to the remaining eligible blocks")
    }
    guard !blocks.isEmpty else { throw GraphError("no Conv-Blocks (residual conv blocks) found in the model") }
    let chosen = try select(blocks, context: &context)
    try checkRouterKeys(chosen)
    // Each block's replacement nodes, spliced in at the position of its first removed node in one final sweep.
    let nodeIndex = Dictionary(graph.nodes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: min)
    var replacements: [[Node]] = []
    var blockOf: [NodeID: Int] = [:]
    for b in chosen {
      let k = b.cIn / capacity
      guard k >= 1 else {
        throw GraphError(
          "block \(b.name): capacity \(capacity) is larger than its \(b.cIn) channels (k = ⌊\(b.cIn)/\(capacity)⌋ = 0)")
      }
      let r = try rewrite(b, k: k, graph: &graph, nodeIndex: nodeIndex)
      for id in r.drop { blockOf[id] = replacements.count }
      replacements.append(r.nodes)
      context.remark("\(b.name): MoD with C=\(b.cIn), capacity=\(capacity), k=\(k), fusion=\(fusion.rawValue)")
    }
    if !replacements.isEmpty {
      var spliced = Array(repeating: false, count: replacements.count)
      var out: [Node] = []
      out.reserveCapacity(graph.nodes.count)
      for n in graph.nodes {
        guard let r = blockOf[n.id] else {
          out.append(n)
          continue
        }
        if !spliced[r] {
          out += replacements[r]
          spliced[r] = true
        }
      }
      graph.nodes = out
    }
    if routerWeights == nil && !chosen.isEmpty {
      context.warn("router weights are seeded random values (no --router-weights): the MoD model needs training")
    }
    graph.eliminateDeadCode()
  }

  /// The blocks to rewrite, in graph order.
  func select(_ blocks: [ConvBlock], context: inout PassContext) throws -> [ConvBlock] {
    switch placement {
    case .every(let n):
      // Position of each block in its stage among the blocks that are not MoD yet (= its index on a plain model).
      var out: [ConvBlock] = []
      var position: [Int: Int] = [:]
      for b in blocks where b.mod == nil {
        let i = position[b.stage, default: 0]
        position[b.stage] = i + 1
        guard i > 0 && i % n == n - 1 else { continue }
        if let r = b.ineligibleReason { context.remark("\(b.name): skipped, \(r)") } else { out.append(b) }
      }
      if out.isEmpty && blocks.contains(where: { $0.mod != nil }) {
        context.warn("--mod-every \(n): no eligible block left besides the existing MoD blocks; nothing was added")
      }
      return out
    case .blocks(let names):
      var out: [ConvBlock] = []
      let byName = Dictionary(blocks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
      for name in names {
        guard let b = byName[name] else {
          throw GraphError("block '\(name)' does not exist (blocks: \(blocks.map(\.name).joined(separator: ", ")))")
        }
        if let r = b.ineligibleReason { throw GraphError("block '\(name)' is not eligible for MoD: \(r)") }
        out.append(b)
      }
      let position = Dictionary(blocks.enumerated().map { ($1.name, $0) }, uniquingKeysWith: min)
      return out.sorted { (position[$0.name] ?? 0) < (position[$1.name] ?? 0) }
    }
  }

  /// Router weight files must have exactly the keys of the chosen blocks.
  func checkRouterKeys(_ chosen: [ConvBlock]) throws {
    guard let w = routerWeights else { return }
    let expected = Set(chosen.flatMap { b in RouterKey.allCases.map { "\(b.name).\($0.rawValue)" } })
    if let missing = expected.subtracting(w.keys).sorted().first {
      throw GraphError(tensor: missing, "router weights: missing key '\(missing)'")
    }
    if let extra = Set(w.keys).subtracting(expected).sorted().first {
      throw GraphError(tensor: extra, "router weights: unexpected key '\(extra)' (no MoD block uses it)")
    }
  }
}

/// The four router parameter tensors of a MoD block, by `.npz` key suffix.
enum RouterKey: String, CaseIterable {
  case fc1Weight = "fc1.weight"
  case fc1Bias = "fc1.bias"
  case fc2Weight = "fc2.weight"
  case fc2Bias = "fc2.bias"

  /// Expected shape for C channels and `hidden` router width.
  func shape(c: Int, hidden: Int) -> [Int] {
    switch self {
    case .fc1Weight: return [hidden, c]
    case .fc1Bias: return [hidden]
    case .fc2Weight: return [c, hidden]
    case .fc2Bias: return [c]
    }
  }
}
