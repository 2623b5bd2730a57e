import Compiler
import Codegen
import Passes

#if canImport(Glibc)
import Glibc
#endif
import GraphIR

/// `modc convert M.onnx [MoD flags] [--batch N] -o M.modplan`: compiles a model to an executable plan.
enum ConvertCommand: Command {
  static let name = "convert"
  static let summary = "Compile a model (optionally inserting MoD) into an executable .modplan."
  static let usage = "modc convert <model.onnx|model.mir> [--mod-every N | --blocks LIST] [--capacity C] [--batch N] -o M.modplan"
  static let options: [OptionSpec] = [
    .value("--output", short: "-o", "M.modplan", "Output plan (written atomically)"),
    .flag("--force", "With MoD flags on a model that already has MoD blocks: add MoD to the remaining eligible blocks"),
  ] + batchOptions + targetOptions + modOptions + traceOptions + modelInputOptions

  static func run(_ args: ParsedArguments) throws {
    let path = try expectPositionals(args, ["model"])[0]
    guard let out = args.string("--output") else { throw UsageError("missing -o <M.modplan>") }
    try checkWritable(out)
    let t0 = clockNow()
    let progress = Progress(command: name, args)
    defer { progress.finish() }
    let compiled = try compileModel(path, args, progress: progress)
    let md: [(String, String)] = [
      ("source", AtomicFile.baseName(of: path)), ("source_hash", sourceHash(path)),
      ("command", CommandLine.arguments.dropFirst().joined(separator: " ")),
    ]
    progress.update("writing \(out)")
    try compiled.writePlan(to: out, producer: "modc \(modcVersion)", metadata: md)
    progress.finish()
    if !args.flag("--quiet") {
      let s = compiled.schedule
      print("wrote \(out): \(s.steps.count) steps, arena \(mib(s.arenaSize)) (sum of intermediates \(mib(s.intermediateBytes))), "
        + "weights \(mib(s.weightsSize)), \(fixed((clockNow() - t0) * 1000, 0)) ms")
    }
  }
}

/// `12345678` bytes → `11.77 MiB`.
func mib(_ bytes: Int) -> String { fixed(Double(bytes) / 1048576, 2) + " MiB" }

/// A content hash of the source model file (first 64 MiB), recorded in plans.
func sourceHash(_ path: String) -> String {
  guard let f = fopen(path, "rb") else { return "unknown" }
  defer { fclose(f) }
  var h: UInt64 = 0xCBF2_9CE4_8422_2325
  var buf = [UInt8](repeating: 0, count: 1 << 20)
  var total = 0
  while total < 64 << 20 {
    let n = fread(&buf, 1, buf.count, f)
    if n <= 0 { break }
    h ^= buf.withUnsafeBytes { TensorData.hash(UnsafeRawBufferPointer(rebasing: $0.prefix(n)), seed: h) }
    total += n
  }
  return String(h, radix: 16)
}

/// Seconds from a monotonic clock.
func clockNow() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
