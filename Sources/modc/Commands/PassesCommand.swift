import Codegen
import Passes

/// `modc passes [--json]`: the standard pipeline in order, each pass with its summary and when it runs.
enum PassesCommand: Command {
  static let name = "passes"
  static let summary = "List the passes of the standard pipeline, in order, with what each does."
  static let usage = "modc passes [--json]"
  static let options: [OptionSpec] = [
    .flag("--json", "Print a JSON array of {index, name, summary, runs}"),
  ]
  static let details = """
    Pass names are what --print-after, --stop-after and --pass-timing refer to. Pipelines by command:
    convert, run, bench: codegen; export-onnx: onnx; stats, viz: analysis. Schedule passes rewrite the lowered
    schedule (codegen only); --print-after NAME prints the schedule after them.
    """

  /// One pipeline entry: name, summary and when it runs (`always`, or the condition of an optional pass).
  struct Entry: Equatable {
    var name: String
    var summary: String
    var runs: String
  }

  /// The entries of `Pipeline.standard`: the passes every target shares, then InsertMoD (optional), then the
  /// target-specific tails (codegen, ONNX export), derived from the pipelines themselves so the list cannot drift.
  static func entries() -> [Entry] {
    func passes(_ insert: Bool, _ target: PipelineTarget) -> [any Pass] {
      Pipeline.standard(insertMoD: insert ? InsertMoD() : nil, target: target).passes
    }
    func entry(_ p: any Pass, _ runs: String) -> Entry { Entry(name: type(of: p).name, summary: type(of: p).summary, runs: runs) }
    let base = passes(false, .analysis)
    let baseNames = Set(base.map { type(of: $0).name })
    var out = base.map { entry($0, "always") }
    for p in passes(true, .analysis) where !baseNames.contains(type(of: p).name) {
      out.append(entry(p, "optional: with MoD flags (--mod-every, --blocks, --capacity, --router-weights)"))
    }
    for p in passes(false, .codegen) where !baseNames.contains(type(of: p).name) {
      out.append(entry(p, "optional: codegen target (convert, run, bench)"))
    }
    for p in passes(false, .onnx) where !baseNames.contains(type(of: p).name) {
      out.append(entry(p, "optional: ONNX export target (export-onnx)"))
    }
    for p in SchedulePipeline.standard {
      out.append(Entry(name: type(of: p).name, summary: type(of: p).summary,
        runs: "schedule: codegen target (convert, run, bench, emit-c), on the lowered schedule"))
    }
    return out
  }

  static func run(_ args: ParsedArguments) throws {
    _ = try expectPositionals(args, [])
    let list = entries()
    if args.flag("--json") {
      print("[" + list.enumerated().map { i, e in
        "{\"index\":\(i + 1),\"name\":\(jsonString(e.name)),\"summary\":\(jsonString(e.summary)),\"runs\":\(jsonString(e.runs))}"
      }.joined(separator: ",") + "]")
      return
    }
    var t = TextTable(["#", "pass", "runs", "summary"], rightAligned: [0])
    for (i, e) in list.enumerated() {
      t.add([String(i + 1), e.name, e.runs.hasPrefix("optional") ? "optional" : e.runs.hasPrefix("schedule") ? "schedule" : "always",
        e.summary])
    }
    let optional = list.filter { $0.runs.hasPrefix("optional") }.map { "  \($0.name): \($0.runs.dropFirst("optional: ".count))" }
    let schedule = list.filter { $0.runs.hasPrefix("schedule") }.map { "  \($0.name): \($0.runs.dropFirst("schedule: ".count))" }
    print(t.render() + "\n\nOptional passes run\n" + optional.joined(separator: "\n")
      + "\nSchedule passes run\n" + schedule.joined(separator: "\n")
      + "\nThe verifier (including the MoD invariants) runs after every graph pass, the schedule verifier after every "
      + "schedule pass.")
  }
}
