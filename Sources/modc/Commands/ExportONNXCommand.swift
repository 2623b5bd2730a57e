import GraphIR
import ONNXReader

/// `modc export-onnx M [MoD flags] -o out.onnx`: writes the optimised (optionally MoD) graph as standard ONNX.
enum ExportONNXCommand: Command {
  static let name = "export-onnx"
  static let summary = "Write the optimised (optionally MoD) model back as standard ONNX (opset 17)."
  static let usage = "modc export-onnx <model> [--mod-every N | --blocks LIST] [--capacity C] -o out.onnx"
  static let options: [OptionSpec] = [
    .value("--output", short: "-o", "FILE", "Output ONNX file (written atomically)"),
    .flag("--force", "With MoD flags on a model that already has MoD blocks: add MoD to the remaining eligible blocks"),
  ] + modOptions + traceOptions + modelInputOptions
  static let details = """
    MoD blocks are written as GlobalAveragePool, Gemm, Relu, Gemm, Sigmoid, TopK, GatherElements, Mul, Slice, Add,
    Relu, Concat (or ScatterElements with --fusion scatter), so any ONNX runtime can run the result.
    """

  static func run(_ args: ParsedArguments) throws {
    let path = try expectPositionals(args, ["model"])[0]
    guard let out = args.string("--output") else { throw UsageError("missing -o <out.onnx>") }
    let progress = Progress(command: name, args)
    defer { progress.finish() }
    let g = try loadAndTransform(path, args, target: .onnx, progress: progress)
    progress.update("writing \(out)")
    let bytes = try writeONNX(g, opset: 17)
    try AtomicFile.write(bytes, to: out)
    progress.finish()
    if !args.flag("--quiet") {
      let c = g.cost()
      print("wrote \(out): \(g.nodes.count) nodes, \(fixed(Double(c.totalMACs) / 1e9, 3)) GMAC, \(grouped(bytes.count)) bytes")
    }
  }
}
