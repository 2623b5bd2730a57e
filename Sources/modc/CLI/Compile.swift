import Codegen
import GraphIR
import Passes

/// Options for commands that produce something executable.
let batchOptions: [OptionSpec] = [
  .value("--batch", "N", "Fix the batch size (first dimension of every input) to N", default: "the model's, or 1"),
]

/// Input shape bindings from `--batch` (dim 0 of every input) plus explicit `--input-shape` flags.
func inputShapes(for path: String, _ args: ParsedArguments, batchFromData: Int? = nil) throws -> [String: [Dim]] {
  var shapes = try parseInputShapes(args.strings("--input-shape"))
  let batch = try args.int("--batch", in: 1...65536) ?? batchFromData
  if let batch {
    // Peek at the declared input types to rebind their first dimension.
    let g = try loadModelUnchecked(path)
    for v in g.inputs where g.constants[v] == nil && shapes[g[v].name] == nil {
      if var s = g.type(of: v)?.shape, !s.isEmpty {
        s[0] = .fixed(batch)
        shapes[g[v].name] = s
      }
    }
  }
  return shapes
}

/// Loads, transforms for codegen (MoD flags honoured) and lowers a model to an executable schedule.
func compileModel(
  _ path: String, _ args: ParsedArguments, batchFromData: Int? = nil, progress: Progress? = nil
) throws -> (Graph, LoweredModel) {
  let shapes = try inputShapes(for: path, args, batchFromData: batchFromData)
  let g = try loadAndTransform(path, args, target: .codegen, inputShapes: shapes, progress: progress)
  progress?.update("lowering")
  do {
    return (g, try Lowering.lower(g))
  } catch {
    throw ModelLoadError(path: path, reason: oneLine(error))
  }
}
