import Codegen
import Compiler
import GraphIR
import Passes

/// Options of every command that transforms a model (convert, emit-c, export-onnx, stats --mod-…).
let modOptions: [OptionSpec] = [
  .value("--mod-every", "N", "Insert MoD into blocks N-1, 2N-1, … of every stage (paper: 2)"),
  .value("--capacity", "C", "MoD capacity c: each MoD block keeps k = ⌊C_block / c⌋ channels", default: "64"),
  .value("--blocks", "LIST", "Insert MoD into exactly these blocks, e.g. layer2.1,layer3.3"),
  .value("--fusion", "MODE", "How processed channels return: first-k or scatter", default: "first-k"),
  .value("--router-weights", "FILE.npz", "Router parameters ({block}.fc1.weight|bias, {block}.fc2.weight|bias)"),
  .value("--seed", "S", "Seed of the router initialiser used without --router-weights", default: "0"),
  .flag("--no-recognize-mod", "Keep exported CNN-MoD patterns as generic ops (to compare with the fused MoD path)"),
]

/// Options of every command that compiles for a machine (convert, run, bench, emit-c).
let targetOptions: [OptionSpec] = [
  .value("--target", "ISA", "Instruction set to compile for: native, avx512, avx2 or generic", default: "native"),
  .value("--conv-algo", "ALGO", "Conv algorithms: auto (cost model), direct, winograd (F(4x4,3x3)) or winograd2 (F(2x2,3x3))",
    default: "auto"),
  .value("--precision", "P", "Arithmetic precision (fp32; int8 and bf16 are planned)", default: "fp32"),
]

/// Pass tracing options.
let traceOptions: [OptionSpec] = [
  .value("--print-after", "PASS", "Print the IR (or, for a schedule pass, the schedule) after pass PASS (see 'modc passes')"),
  .flag("--print-after-all", "Print the IR after every pass"),
  .flag("--print-changed", "Print the IR after each pass that changed it"),
  .value("--stop-after", "PASS", "Stop the pipeline after pass PASS"),
  .flag("--pass-timing", "Print the time each pass took"),
  .flag("--verbose", "Explain decisions (which blocks got MoD and why others were skipped)"),
  .flag("--quiet", "Print nothing but errors"),
]

extension CompileOptions {
  /// Maps a command line's flags to compile options and validates them (usage errors name the flag). Flags a
  /// command does not declare are absent, so their defaults apply.
  /// `allowMoD: false` ignores the MoD flags (the plain side of `stats`); `batchFromData` is the batch of `run`'s input.
  init(_ args: ParsedArguments, allowMoD: Bool = true, batchFromData: Int? = nil) throws {
    self.init()
    mod = allowMoD ? try MoDOptions(args) : nil
    force = args.flag("--force")
    recognizeMoD = !args.flag("--no-recognize-mod")
    inputShapes = try parseInputShapes(args.strings("--input-shape"))
    batch = try args.int("--batch", in: 1...65536) ?? batchFromData
    target = TargetChoice(try args.choice("--target", TargetChoice.names, default: "native")) ?? .native
    convAlgorithm = ConvAlgorithmPolicy(rawValue: try args.choice("--conv-algo", ConvAlgorithmPolicy.allCases.map(\.rawValue),
      default: "auto")) ?? .auto
    precision = Precision(rawValue: try args.choice("--precision", Precision.allCases.map(\.rawValue), default: "fp32")) ?? .fp32
    do { try validate() } catch { throw UsageError(error.message) }
  }
}

extension MoDOptions {
  /// Parses the MoD flags; nil when none of --mod-every/--blocks/--router-weights/--capacity is present.
  init?(_ args: ParsedArguments) throws {
    let every = try args.int("--mod-every")
    let blocks = args.string("--blocks")
    let weights = args.string("--router-weights")
    let capacityGiven = args.string("--capacity") != nil
    guard every != nil || blocks != nil || weights != nil || capacityGiven else { return nil }
    if every != nil && blocks != nil { throw UsageError("--mod-every and --blocks are mutually exclusive") }
    let capacity = try args.int("--capacity", default: 64) ?? 64
    let fusionName = try args.choice("--fusion", ["first-k", "scatter"], default: "first-k")
    let seed = try args.int("--seed", default: 0, in: 0...Int.max) ?? 0
    let placement: MoDPlacement
    if let blocks {
      do { placement = .blocks(try CompileOptions.parseBlockList(blocks)) } catch { throw UsageError(error.message) }
    } else {
      placement = .every(every ?? 2)
    }
    self.init(placement: placement, capacity: capacity, fusion: MoDFusion(rawValue: fusionName) ?? .firstK,
      routerWeights: weights.map(RouterWeights.file), seed: UInt64(seed))
  }
}
