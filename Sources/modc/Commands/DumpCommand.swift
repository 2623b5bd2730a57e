import Codegen
import GraphIR

/// `modc dump M [--format text|json|dot]`: prints the typed IR of a model.
enum DumpCommand: Command {
  static let name = "dump"
  static let summary = "Print a model's typed IR (text, JSON or Graphviz DOT)."
  static let usage = "modc dump <model.onnx|model.mir|M.modplan> [--format text|json|dot] [-o FILE]"
  static let options: [OptionSpec] = [
    .value("--format", "FORMAT", "Output format: text, json or dot", default: "text"),
    .value("--output", short: "-o", "FILE", "Write to FILE (atomically) instead of stdout"),
  ] + modelInputOptions
  static let details = """
    Given a compiled .modplan, lists the plan instead: sections and checksums, metadata, target, weights, memory
    plan and the schedule (every step with its kernel, parameters and buffers).
    The text form parses back: modc accepts it wherever it accepts an ONNX file (weights are shown as
    type + checksum; a model read from text has no weight data).
    """

  static func run(_ args: ParsedArguments) throws {
    let path = try expectPositionals(args, ["model"])[0]
    let format = try args.choice("--format", ["text", "json", "dot"], default: "text")
    if Plan.isPlan(path: path) {
      guard format == "text" else { throw UsageError("--format \(format): a .modplan is listed as text only") }
      return try emitText(PlanReport.dump(path), to: args.string("--output"))
    }
    let g = try loadModel(path, args)
    let out: String
    switch format {
    case "json": out = graphJSON(g)
    case "dot": out = graphDOT(g)
    default: out = printGraph(g)
    }
    try emitText(out, to: args.string("--output"))
  }
}
