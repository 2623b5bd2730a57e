import Compiler
import Codegen
import GraphIR
import Passes

/// `modc emit-c M.onnx|M.mir [MoD flags] [--batch N] [--name NAME] [--weights embed|file] [--threads N] -o DIR`:
/// writes a self-contained C11 project (model source, API header, weights, kernels, driver, Makefile, CMakeLists).
enum EmitCCommand: Command {
  static let name = "emit-c"
  static let summary = "Compile a model (optionally inserting MoD) into a self-contained C11 project."
  static let usage = "modc emit-c <model.onnx|model.mir> [--mod-every N | --blocks LIST] [--capacity C] [--batch N] "
    + "[--name NAME] [--weights embed|file] [--threads N] [--force] -o DIR"
  static let options: [OptionSpec] = [
    .value("--output", short: "-o", "DIR", "Output directory (written atomically; must be absent or empty)"),
    .value("--name", "NAME", "C prefix of the API and file names", default: "the model file's base name"),
    .value("--weights", "MODE", "embed (static const arrays) or file (NAME.weights, loaded at run time)",
      default: "embed below 16 MiB of weights, else file"),
    .value("--threads", "N", "Default thread count of the generated driver", default: "1"),
    .flag("--force", "Replace a non-empty output directory; allow MoD flags on a model that already has MoD blocks"),
  ] + batchOptions + targetOptions + modOptions + traceOptions + modelInputOptions
  static let details = """
    DIR receives NAME.h, NAME.c, NAME_weights.c (+ NAME.weights with --weights file), main.c, Makefile,
    CMakeLists.txt and kernels/. Build and run with: make -C DIR && DIR/NAME_run input.npy output.npy
    """

  static func run(_ args: ParsedArguments) throws {
    let path = try expectPositionals(args, ["model"])[0]
    guard let out = args.string("--output") else { throw UsageError("missing -o <DIR>") }
    let cname = args.string("--name") ?? EmitC.defaultName(forModel: path)
    guard isCIdentifier(cname) else {
      throw UsageError("--name '\(cname)' is not a C identifier (letters, digits, '_', not starting with a digit, "
        + "at most 40 characters, not a C keyword)")
    }
    let mode: CWeightsMode? = try args.string("--weights").map { _ in
      CWeightsMode(rawValue: try args.choice("--weights", CWeightsMode.allCases.map(\.rawValue), default: "embed"))
    } ?? nil
    let threads = try args.int("--threads", default: 1, in: 1...1024) ?? 1
    try CProject.checkDestination(out, force: args.flag("--force"))
    let t0 = clockNow()
    let compiled = try compileModel(path, args)
    let lowered = compiled.lowered
    let blocks = compiled.modBlocksSummary
    let provenance = CProvenance(
      modcVersion: modcVersion, commandLine: "modc " + CommandLine.arguments.dropFirst().joined(separator: " "),
      sourceModel: AtomicFile.baseName(of: path), sourceHash: sourceHash(path), modSettings: blocks.isEmpty ? "none" : blocks)
    let options = EmitCOptions(
      name: cname, weights: mode ?? .automatic(weightsBytes: lowered.weights.bytes.count), threads: threads,
      provenance: provenance)
    let project = try EmitC.project(lowered, options: options)
    let bytes = try project.write(to: out, force: args.flag("--force"))
    if !args.flag("--quiet") {
      let s = lowered.schedule
      print("wrote \(out)/: \(project.files.count) files, \(mib(bytes)) (weights \(options.weights.rawValue) "
        + "\(mib(s.weightsSize))), \(s.steps.count) steps, arena \(mib(s.arenaSize)), "
        + "\(fixed((clockNow() - t0) * 1000, 0)) ms")
      print("build and run: make -C \(out) && \(out)/\(cname)_run input.npy output.npy")
    }
  }
}
