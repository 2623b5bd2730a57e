import Compiler
import GraphIR
import Passes

/// One Conv-Block of a graph as `modc viz` draws it and `modc stats A B` compares it: a plain residual block
/// (`Graph.convBlocks()`) or a MoD block (`Graph.modBlocks()`), with the indices of its nodes.
struct BlockGroup {
  var name: String
  /// `BasicBlock`, `Bottleneck`, … for plain blocks; `MoD` for MoD blocks.
  var kind: String
  /// Indices into `graph.nodes`, ascending.
  var nodeIndices: [Int]
  /// Set for MoD blocks.
  var mod: MoDBlockInfo?
}

extension Graph {
  /// The residual and MoD blocks of the graph in graph order, named as `convBlocks()` numbers them (MoD blocks
  /// included, so plain blocks keep their torchvision names).
  func blockGroups() -> [BlockGroup] {
    var indexOf: [NodeID: Int] = [:]
    for (i, n) in nodes.enumerated() { indexOf[n.id] = i }
    return convBlocks().map { b in
      if let m = b.mod { return BlockGroup(name: b.name, kind: "MoD", nodeIndices: m.nodeIndices, mod: m) }
      let ids = b.body + b.shortcutNodes + [b.add] + (b.finalRelu.map { [$0] } ?? [])
      return BlockGroup(name: b.name, kind: b.kind.rawValue, nodeIndices: ids.compactMap { indexOf[$0] }.sorted(), mod: nil)
    }
  }
}

/// `modc stats A B`: block-by-block MACs, parameters and activation bytes of two models, with the change in %.
enum StatsDiff {
  /// Figures of one block (or a whole model) in one model.
  struct Figures {
    var macs = 0
    var params = 0
    /// Sum of the output bytes of the block's nodes.
    var activationBytes = 0
    /// `BasicBlock`, or `MoD k=4 c=16`; empty when the block is absent.
    var kind = ""
  }

  /// Per-block figures of `g`, keyed and ordered by block name, plus "outside blocks" and the totals.
  static func figures(_ g: Graph) -> (blocks: [(String, Figures)], outside: Figures, total: Figures) {
    let cost = g.cost()
    var inBlock = Set<Int>()
    var blocks: [(String, Figures)] = []
    for b in g.blockGroups() {
      var f = Figures()
      f.kind = b.mod.map { "MoD k=\($0.k) c=\($0.capacity)" } ?? b.kind
      for i in b.nodeIndices where i < cost.nodes.count && inBlock.insert(i).inserted {
        f.macs += cost.nodes[i].macs
        f.params += cost.nodes[i].params
        f.activationBytes += cost.nodes[i].outputBytes
      }
      blocks.append((b.name, f))
    }
    var outside = Figures()
    for (i, c) in cost.nodes.enumerated() where !inBlock.contains(i) {
      outside.macs += c.macs
      outside.params += c.params
      outside.activationBytes += c.outputBytes
    }
    let total = Figures(macs: cost.totalMACs, params: cost.totalParams, activationBytes: cost.totalOutputBytes)
    return (blocks, outside, total)
  }

  /// Signed change from `a` to `b` in percent (`-34.5%`), `-` when `a` is 0.
  static func change(_ a: Int, _ b: Int) -> String {
    guard a > 0 else { return a == b ? "0.0%" : "-" }
    let pct = 100.0 * Double(b - a) / Double(a)
    return (pct > 0 ? "+" : "") + fixed(pct, 1) + "%"
  }

  /// The comparison as rows: name, kind A, kind B, then A/B/Δ for MACs, params and activation bytes.
  static func rows(a: Graph, b: Graph) -> [(name: String, a: Figures, b: Figures)] {
    let fa = figures(a)
    let fb = figures(b)
    let byNameB = Dictionary(fb.blocks, uniquingKeysWith: { x, _ in x })
    let namesA = Set(fa.blocks.map(\.0))
    var rows: [(String, Figures, Figures)] = fa.blocks.map { ($0.0, $0.1, byNameB[$0.0] ?? Figures()) }
    for (name, f) in fb.blocks where !namesA.contains(name) { rows.append((name, Figures(), f)) }
    rows.append(("(outside blocks)", fa.outside, fb.outside))
    rows.append(("total", fa.total, fb.total))
    return rows
  }

  static func table(a: Graph, b: Graph, nameA: String, nameB: String) -> String {
    var t = TextTable(
      ["block", "A", "B", "MACs A", "MACs B", "Δ", "params A", "params B", "Δ", "act bytes A", "act bytes B", "Δ"],
      rightAligned: Set(3...11))
    let all = rows(a: a, b: b)
    for r in all {
      t.add([r.name, r.a.kind, r.b.kind, grouped(r.a.macs), grouped(r.b.macs), change(r.a.macs, r.b.macs),
        grouped(r.a.params), grouped(r.b.params), change(r.a.params, r.b.params), grouped(r.a.activationBytes),
        grouped(r.b.activationBytes), change(r.a.activationBytes, r.b.activationBytes)])
    }
    let total = all.last.map { ($0.a, $0.b) } ?? (Figures(), Figures())
    return "A: \(nameA)\nB: \(nameB)\n\n" + t.render() + "\n\nB vs A: MACs \(change(total.0.macs, total.1.macs)), "
      + "params \(change(total.0.params, total.1.params)), "
      + "activation bytes \(change(total.0.activationBytes, total.1.activationBytes))"
  }

  static func json(a: Graph, b: Graph, nameA: String, nameB: String) -> String {
    func obj(_ f: Figures) -> String {
      "{\"kind\":\(jsonString(f.kind)),\"macs\":\(f.macs),\"params\":\(f.params),\"activation_bytes\":\(f.activationBytes)}"
    }
    let rows = rows(a: a, b: b).map { "{\"block\":\(jsonString($0.name)),\"a\":\(obj($0.a)),\"b\":\(obj($0.b))}" }
    return "{\"a\":\(jsonString(nameA)),\"b\":\(jsonString(nameB)),\"rows\":[" + rows.joined(separator: ",") + "]}"
  }

  /// Loads A plain and B with the command line's MoD flags (both through the analysis pipeline) and prints the diff.
  static func run(_ args: ParsedArguments, _ pathA: String, _ pathB: String) throws {
    for flag in ["--list-blocks", "--all"] where args.flag(flag) {
      throw UsageError("\(flag) applies to a single model, not to 'stats A B'")
    }
    let a = try loadAndTransform(pathA, args, target: .analysis, allowMoD: false)
    let b = try loadAndTransform(pathB, args, target: .analysis)
    let nameB = pathB + (try MoDOptions(args) != nil ? " (with the MoD flags)" : "")
    let text = args.flag("--json")
      ? json(a: a, b: b, nameA: pathA, nameB: nameB) : table(a: a, b: b, nameA: pathA, nameB: nameB)
    try emitText(text, to: args.string("--output"))
  }
}
