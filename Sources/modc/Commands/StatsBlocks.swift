import GraphIR
import Passes

/// `modc stats --blocks` and the MoD summary: Conv-Blocks with eligibility, and per-block MACs plain vs MoD.
enum BlockReport {
  /// The Conv-Block table of a plain (canonicalised, BN-folded) graph.
  static func blocksTable(_ blocks: [ConvBlock]) -> String {
    var t = TextTable(["block", "kind", "C_in", "C_out", "stride", "shortcut", "MACs", "MoD"], rightAligned: [2, 3, 4, 6])
    for b in blocks {
      t.add([b.name, b.kind.rawValue, String(b.cIn), String(b.cOut), String(b.stride), b.shortcut.rawValue,
        grouped(b.macs), b.ineligibleReason.map { "no: \($0)" } ?? "eligible"])
    }
    return t.render() + "\n\n\(blocks.count) Conv-Blocks, \(blocks.filter(\.isEligible).count) eligible for MoD"
  }

  static func blocksJSON(_ blocks: [ConvBlock]) -> String {
    "[" + blocks.map { b in
      "{\"block\":\(jsonString(b.name)),\"kind\":\(jsonString(b.kind.rawValue)),\"c_in\":\(b.cIn),\"c_out\":\(b.cOut),"
        + "\"stride\":\(b.stride),\"shortcut\":\(jsonString(b.shortcut.rawValue)),\"macs\":\(b.macs),"
        + "\"eligible\":\(b.isEligible),\"reason\":\(b.ineligibleReason.map(jsonString) ?? "null")}"
    }.joined(separator: ",") + "]"
  }

  /// Per-block MACs of the plain graph vs the MoD graph, and whole-model totals.
  static func comparison(plain: Graph, mod: Graph) -> (table: String, json: String) {
    let blocks = plain.convBlocks()
    let modBlocks = Dictionary(mod.modBlocks().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    var t = TextTable(["block", "C", "k", "MACs plain", "MACs MoD", "change"], rightAligned: [1, 2, 3, 4, 5])
    var rows: [String] = []
    for b in blocks {
      let m = modBlocks[b.name]
      let after = m?.macs ?? b.macs
      t.add([b.name, String(b.cIn), m.map { String($0.k) } ?? "-", grouped(b.macs), grouped(after),
        percent(b.macs, after)])
      rows.append("{\"block\":\(jsonString(b.name)),\"mod\":\(m != nil),\"k\":\(m?.k ?? 0),\"macs_plain\":\(b.macs),\"macs_mod\":\(after)}")
    }
    let (p, q) = (plain.cost().totalMACs, mod.cost().totalMACs)
    t.add(["total", "", "", grouped(p), grouped(q), percent(p, q)])
    let summary = "\(modBlocks.count) MoD blocks: \(fixed(Double(p) / 1e9, 3)) → \(fixed(Double(q) / 1e9, 3)) GMAC (\(percent(p, q)))"
    let json = "{\"blocks\":[" + rows.joined(separator: ",") + "],\"total\":{\"macs_plain\":\(p),\"macs_mod\":\(q),\"mod_blocks\":\(modBlocks.count)}}"
    return (t.render() + "\n\n" + summary, json)
  }

  static func percent(_ before: Int, _ after: Int) -> String {
    guard before > 0 else { return "-" }
    return fixed(100.0 * Double(after - before) / Double(before), 1) + "%"
  }
}
