import Compiler
import Codegen
import GraphIR
import Passes

/// `modc verify M.modplan|M.onnx`: re-validates a plan (checksums, versions, every step's bounds) or a model
/// (reader, shape inference, verifier, MoD invariants) and prints what it holds.
enum VerifyCommand: Command {
  static let name = "verify"
  static let summary = "Validate a plan (checksums, bounds) or a model (shapes, verifier) and print its metadata."
  static let usage = "modc verify <model.modplan|model.onnx|model.mir> [--json]"
  static let options: [OptionSpec] = [
    .flag("--json", "Print one JSON object"),
  ] + modelInputOptions

  static func run(_ args: ParsedArguments) throws {
    let path = try expectPositionals(args, ["file"])[0]
    let t0 = clockNow()
    var facts: [(String, String)] = []
    if isPlanFile(path) {
      let (exe, md) = try Plan.load(path: path)
      let s = exe.schedule
      facts = md.entries.filter { $0.key != "command" }.map { ($0.key, $0.value) }
      facts += [("steps", String(s.steps.count)), ("buffers", String(s.buffers.count)),
        ("arena_bytes", String(s.arenaSize)), ("weights_bytes", String(s.weightsSize)), ("macs", String(s.macs))]
    } else {
      let g = try loadModel(path, args)
      let mod = checkMoDInvariants(g)
      if !mod.isEmpty { throw ModelLoadError(path: path, reason: GraphErrors(mod).description) }
      let unsupported = Verifier.unsupportedOps(g)
      facts = [("graph", g.name), ("producer", "\(g.metadata.producerName) \(g.metadata.producerVersion)"),
        ("opset", String(g.metadata.defaultOpset)), ("nodes", String(g.nodes.count)),
        ("parameters", String(g.parameterCount)),
        ("inputs", g.inputs.filter { g.constants[$0] == nil }.map { "\(g[$0].name):\(g.type(of: $0)?.description ?? "?")" }.joined(separator: " ")),
        ("outputs", g.outputs.map { "\(g[$0].name):\(g.type(of: $0)?.description ?? "?")" }.joined(separator: " ")),
        ("unsupported_ops", unsupported.isEmpty ? "none" : unsupported.map { "\($0.opType)×\($0.nodes.count)" }.joined(separator: ", "))]
    }
    let ms = (clockNow() - t0) * 1000
    facts.append(("validated_ms", fixed(ms, 1)))
    if args.flag("--json") {
      print("{" + facts.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}")
    } else {
      print("\(path): OK")
      for (k, v) in facts { print("  \(k): \(v)") }
    }
  }
}
