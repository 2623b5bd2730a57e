import Codegen
import Compiler
import GraphIR

/// `modc dump M.modplan` and `modc stats M.modplan`: reports on a compiled plan (validated like `modc run` would).
enum PlanReport {
  /// Opens and validates the plan; errors name the file.
  static func open(_ path: String) throws -> (PlanFile, Executable) {
    let file = try PlanFile.open(path)
    return (file, try Plan.executable(from: file))
  }

  /// The plan listing (`PlanFile.dump`): container (sections, checksums), metadata, target, weights, then the
  /// schedule, after the same validation a run does.
  static func dump(_ path: String) throws -> String {
    let (file, _) = try open(path)
    return try file.dump()
  }

  /// One row per step: kernel, node, MACs, weight bytes read, output bytes written.
  struct Row {
    var index: Int
    var kernel: String
    var node: String
    var macs: Int
    var weightBytes: Int
    var outputBytes: Int
  }

  static func rows(_ s: Schedule) -> [Row] {
    s.steps.enumerated().map { i, step in
      let weights = Set(step.inputs).reduce(0) { acc, b in
        if case .weight = s.buffers[b].location { return acc + s.buffers[b].byteCount }
        return acc
      }
      return Row(index: i, kernel: step.kind.label, node: step.node, macs: step.kind.macs, weightBytes: weights,
        outputBytes: step.outputs.reduce(0) { $0 + s.buffers[$1].byteCount })
    }
  }

  /// `modc stats M.modplan`: the per-step table (or JSON) with totals and the memory figures of the plan.
  static func stats(_ path: String, json: Bool) throws -> String {
    let (_, exe) = try open(path)
    let s = exe.schedule
    let rows = rows(s)
    let macs = rows.reduce(0) { $0 + $1.macs }
    let target = s.target.map { "\"\($0.isa.rawValue)\"" } ?? "null"
    if json {
      let items = rows.map { r in
        "{\"step\":\(r.index),\"kernel\":\(jsonString(r.kernel)),\"node\":\(jsonString(r.node)),\"macs\":\(r.macs),"
          + "\"weight_bytes\":\(r.weightBytes),\"output_bytes\":\(r.outputBytes)}"
      }
      return "{\"steps\":[" + items.joined(separator: ",") + "],\"total\":{\"macs\":\(macs),\"steps\":\(rows.count),"
        + "\"weights_bytes\":\(s.weightsSize),\"arena_bytes\":\(s.arenaSize),\"intermediate_bytes\":\(s.intermediateBytes),"
        + "\"target\":\(target)}}"
    }
    var t = TextTable(["#", "kernel", "node", "MACs", "weight bytes", "output bytes"], rightAligned: [0, 3, 4, 5])
    for r in rows {
      t.add([String(r.index), r.kernel, r.node, grouped(r.macs), grouped(r.weightBytes), grouped(r.outputBytes)])
    }
    return t.render() + "\n\n\(rows.count) steps, \(fixed(Double(macs) / 1e9, 3)) GMAC, weights \(mib(s.weightsSize)), "
      + "arena \(mib(s.arenaSize)) (sum of intermediates \(mib(s.intermediateBytes))), target "
      + (s.target?.description ?? "unrecorded")
  }
}
