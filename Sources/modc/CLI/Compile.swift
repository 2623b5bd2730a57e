import Codegen
import Compiler
import GraphIR

/// Options for commands that produce something executable.
let batchOptions: [OptionSpec] = [
  .value("--batch", "N", "Fix the batch size (first dimension of every input) to N", default: "the model's, or 1"),
]

/// Loads and compiles a model with the command line's flags (MoD, target, conv algorithm, shapes) through the
/// compile driver; prints pass warnings and traces.
func compileModel(
  _ path: String, _ args: ParsedArguments, batchFromData: Int? = nil, progress: Progress? = nil
) throws -> CompiledModel {
  let options = try CompileOptions(args, batchFromData: batchFromData)
  try checkPassNames(args, options: options, purpose: .codegen)
  progress?.update("loading \(AtomicFile.baseName(of: path))")
  let g = try ModelLoader.load(path: path, options: options)
  let tracing = makeTracing(args, options: options, purpose: .codegen, before: g, progress: progress)
  progress?.update("optimising")
  let (transformed, context) = try Compiler.transform(g, path: path, purpose: .codegen, options: options, tracing: tracing)
  report(context.warnings, context.remarks, args, progress: progress)
  progress?.update("lowering")
  return try Compiler.lower(transformed, context: context, path: path, options: options, tracing: tracing)
}
