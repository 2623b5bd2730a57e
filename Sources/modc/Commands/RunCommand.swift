import Compiler
import Codegen

#if canImport(Glibc)
import Glibc
#endif
import GraphIR

/// `modc run M.modplan|M.onnx --input x.npy [--output y.npy]`: runs a compiled plan (or compiles a model in memory).
enum RunCommand: Command {
  static let name = "run"
  static let summary = "Run a plan (or an ONNX model) on a .npy input; print the top-5 or write a .npy output."
  static let usage = "modc run <model.modplan|model.onnx> --input x.npy [--output y.npy] [--threads N]"
  static let options: [OptionSpec] = [
    .value("--input", short: "-i", "x.npy", "Input tensor (float32 .npy, C order)"),
    .value("--output", short: "-o", "y.npy", "Write the first output here (atomically); without it print the top-5"),
    .value("--threads", "N", "Worker threads", default: "all cores"),
    .flag("--force", "With MoD flags on a model that already has MoD blocks: add MoD to the remaining eligible blocks"),
  ] + targetOptions + modOptions + traceOptions + modelInputOptions
  static let details = "An ONNX input is compiled in memory first (same pipeline as 'modc convert')."

  static func run(_ args: ParsedArguments) throws {
    let path = try expectPositionals(args, ["model"])[0]
    guard let inPath = args.string("--input") else { throw UsageError("missing --input <x.npy>") }
    let x = try NPY.read(inPath)
    guard x.dtype == .f32 else { throw ModelLoadError(path: inPath, reason: "input must be float32 (<f4), got \(x.dtype.rawValue)") }
    if let out = args.string("--output") { try checkWritable(out) }
    let exe = try openExecutable(path, args, batchFromData: x.shape.first)
    guard exe.inputShapes.count == 1 else {
      throw ModelLoadError(path: path, reason: "the model has \(exe.inputShapes.count) inputs; modc run supports one")
    }
    guard x.shape == exe.inputShapes[0] else {
      throw ModelLoadError(path: inPath, reason: "input shape \(x.shape) does not match the model's \(exe.inputShapes[0])")
    }
    let threads = try args.int("--threads", in: 1...256) ?? defaultThreadCount()
    let ctx = try ExecutionContext(exe, threads: threads)
    var outputs = exe.outputShapes.map { [Float](repeating: 0, count: $0.reduce(1, *)) }
    try runOnce(ctx, input: x.floats, outputs: &outputs)
    if let out = args.string("--output") {
      try NPY.write(floats: outputs[0], shape: exe.outputShapes[0], to: out)
    } else {
      printTop5(outputs[0], shape: exe.outputShapes[0])
    }
  }

  static func printTop5(_ y: [Float], shape: [Int]) {
    let classes = shape.last ?? y.count
    let batch = classes > 0 ? y.count / classes : 0
    for b in 0..<batch {
      let row = Array(y[(b * classes)..<((b + 1) * classes)])
      let top = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(5)
      print("sample \(b): " + top.map { "\($0): \(fixed(Double(row[$0]), 4))" }.joined(separator: ", "))
    }
  }
}

/// Runs `ctx` once on one input.
func runOnce(_ ctx: ExecutionContext, input: [Float], outputs: inout [[Float]]) throws {
  try input.withUnsafeBytes { inp in
    var ptrs: [UnsafeMutableRawPointer] = []
    for i in outputs.indices { outputs[i].withUnsafeMutableBytes { ptrs.append($0.baseAddress!) } }
    try ctx.run(inputs: [inp.baseAddress!], outputs: ptrs)
  }
}

/// Number of online CPUs.
func defaultThreadCount() -> Int {
  max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

/// Fails early (before any work) when an output path's directory does not exist or the path is a directory.
func checkWritable(_ path: String) throws {
  let dir = AtomicFile.directory(of: path)
  var st = stat()
  guard stat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
    throw FileWriteError(path: path, reason: "directory '\(dir)' does not exist")
  }
}

/// An executable from a `.modplan` file (validated, read into weight memory) or from a model compiled in memory.
func openExecutable(
  _ path: String, _ args: ParsedArguments, batchFromData: Int? = nil, progress: Progress? = nil
) throws -> Executable {
  if isPlanFile(path) { return try loadPlan(path: path) }
  return try compileModel(path, args, batchFromData: batchFromData, progress: progress).executable()
}

/// True if `path` is a `.modplan` file (by magic).
func isPlanFile(_ path: String) -> Bool { Plan.isPlan(path: path) }

/// Loads and validates a plan file.
func loadPlan(path: String) throws -> Executable { try Plan.load(path: path).0 }
