import Codegen
import Compiler
import GraphIR

/// `modc stats M [--json]`: per-layer MACs, parameters and output bytes, with totals.
enum StatsCommand: Command {
  static let name = "stats"
  static let summary = "Per-layer MACs, parameters and output bytes of a model, with totals."
  static let usage = "modc stats <model> [B.onnx] [--json] [--all] [--list-blocks] [--mod-every N | --blocks LIST] [--capacity C]"
  static let options: [OptionSpec] = [
    .flag("--json", "Print one JSON object instead of a table"),
    .flag("--all", "List every node (default: only nodes with MACs or parameters)"),
    .flag("--list-blocks", "List the detected Conv-Blocks (kind, channels, stride, shortcut, MACs, MoD eligibility)"),
    .value("--output", short: "-o", "FILE", "Write to FILE (atomically) instead of stdout"),
  ] + modOptions + traceOptions + modelInputOptions
  static let details = """
    Given a compiled .modplan, reports its steps (kernel, node, MACs, weight and output bytes), weights, arena and
    target.
    With MoD flags (--mod-every, --blocks, --capacity, --router-weights) the report compares the plain model with
    its MoD version block by block. Statistics are computed after canonicalisation and BN folding.
    With two models A and B, prints per-block MACs, parameters and activation bytes of both and the change in %;
    MoD flags then apply to B only (e.g. 'modc stats M.onnx M.onnx --mod-every 2').
    """

  static func run(_ args: ParsedArguments) throws {
    if args.positionals.count == 2 { return try StatsDiff.run(args, args.positionals[0], args.positionals[1]) }
    let path = try expectPositionals(args, ["model"])[0]
    let json = args.flag("--json")
    if Plan.isPlan(path: path) { return try emitText(PlanReport.stats(path, json: json), to: args.string("--output")) }
    let g = try loadAndTransform(path, args, target: .analysis, allowMoD: false)
    if args.flag("--list-blocks") {
      let blocks = g.convBlocks()
      try emitText(json ? BlockReport.blocksJSON(blocks) : BlockReport.blocksTable(blocks), to: args.string("--output"))
      return
    }
    if try MoDOptions(args) != nil {
      let m = try loadAndTransform(path, args, target: .analysis)
      let r = BlockReport.comparison(plain: g, mod: m)
      try emitText(json ? r.json : r.table, to: args.string("--output"))
      return
    }
    let cost = g.cost()
    let out = json ? statsJSON(cost) : statsTable(cost, all: args.flag("--all"))
    try emitText(out, to: args.string("--output"))
  }

  static func shapeText(_ types: [TensorType]) -> String {
    types.map { "[" + $0.shape.map(\.description).joined(separator: ",") + "]" }.joined(separator: " ")
  }

  static func statsTable(_ cost: GraphCost, all: Bool) -> String {
    var t = TextTable(["node", "op", "output", "MACs", "params", "out bytes"], rightAligned: [3, 4, 5])
    for r in cost.nodes where all || r.macs > 0 || r.params > 0 {
      t.add([r.node, r.op, shapeText(r.outputTypes), grouped(r.macs), grouped(r.params), grouped(r.outputBytes)])
    }
    t.add(["total (\(cost.nodes.count) nodes)", "", "", grouped(cost.totalMACs), grouped(cost.totalParams),
      grouped(cost.totalOutputBytes)])
    let g = Double(cost.totalMACs) / 1e9
    let m = Double(cost.totalParams) / 1e6
    return t.render() + "\n\n\(fixed(g, 3)) GMAC, \(fixed(m, 2)) M parameters"
  }

  static func statsJSON(_ cost: GraphCost) -> String {
    let rows = cost.nodes.map { r in
      "{\"node\":\(jsonString(r.node)),\"op\":\(jsonString(r.op)),\"output_shapes\":["
        + r.outputTypes.map { "[" + $0.shape.map { jsonDim($0) }.joined(separator: ",") + "]" }.joined(separator: ",")
        + "],\"macs\":\(r.macs),\"params\":\(r.params),\"output_bytes\":\(r.outputBytes)}"
    }
    return "{\"nodes\":[" + rows.joined(separator: ",") + "],\"total\":{\"macs\":\(cost.totalMACs),\"params\":"
      + "\(cost.totalParams),\"output_bytes\":\(cost.totalOutputBytes),\"nodes\":\(cost.nodes.count)}}"
  }

  static func jsonDim(_ d: Dim) -> String {
    switch d {
    case .fixed(let v): return String(v)
    case .symbol(let s): return jsonString(s)
    }
  }
}
