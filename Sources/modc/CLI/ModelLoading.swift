import Compiler
import GraphIR

#if canImport(Glibc)
import Glibc
#endif

/// Options shared by every command that reads a model.
let modelInputOptions: [OptionSpec] = [
  .repeated("--input-shape", "NAME=DxDx…", "Bind a graph input's shape, e.g. input=1x3x224x224 (symbolic dims allowed)"),
  .value("--max-memory", "BYTES|NM|NG", "Fail (before allocating) when weights, arena or workspace need more",
    default: "physical RAM"),
]

/// Runs `cmd` with its `--max-memory` limit bound (commands without the option run unlimited).
func runWithMemoryLimit(_ cmd: any Command.Type, _ parsed: ParsedArguments) throws {
  let limit = cmd.options.contains { $0.name == "--max-memory" } ? try memoryLimit(parsed) : nil
  try MemoryBudget.$limit.withValue(limit) { try cmd.run(parsed) }
}

/// The `--max-memory` limit of a command line (physical RAM when absent), or nil for none.
func memoryLimit(_ args: ParsedArguments) throws -> Int? {
  guard let s = args.string("--max-memory") else { return MemoryBudget.physicalMemory }
  guard let v = MemoryBudget.parse(s) else {
    throw UsageError("--max-memory expects BYTES or a size like 512M or 2G, got '\(s)'")
  }
  return v
}

/// Parses `--input-shape name=1x3x224x224` values (dims are integers or symbol names).
func parseInputShapes(_ specs: [String]) throws -> [String: [Dim]] {
  var out: [String: [Dim]] = [:]
  for s in specs {
    do {
      let (name, dims) = try CompileOptions.parseInputShape(s)
      out[name] = dims
    } catch { throw UsageError(error.message) }
  }
  return out
}

/// Loads an ONNX file or a textual IR file, binds input shapes, infers shapes and verifies the graph.
func loadModel(_ path: String, inputShapes: [String: [Dim]] = [:]) throws -> Graph {
  try ModelLoader.load(path: path, options: CompileOptions(inputShapes: inputShapes))
}

/// Loads a model with the `--input-shape` options of `args`.
func loadModel(_ path: String, _ args: ParsedArguments) throws -> Graph {
  try loadModel(path, inputShapes: parseInputShapes(args.strings("--input-shape")))
}

/// Reads a whole text file, or nil.
func readTextFile(_ path: String) -> String? { ModelLoader.readTextFile(path) }

/// Writes `text` to `-o PATH` atomically, or to stdout when no path is given.
func emitText(_ text: String, to path: String?) throws {
  if let path {
    try AtomicFile.write(text: text.hasSuffix("\n") ? text : text + "\n", to: path)
  } else {
    print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
  }
}
