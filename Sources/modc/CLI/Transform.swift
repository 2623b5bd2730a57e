import Codegen
import GraphIR
import Passes

#if canImport(Glibc)
import Glibc
#endif

/// Loads a model, runs the pipeline for `target` with the command line's MoD and tracing flags, and returns the
/// transformed graph. Prints warnings (and `--verbose` remarks) on stderr.
func loadAndTransform(
  _ path: String, _ args: ParsedArguments, target: PipelineTarget, allowMoD: Bool = true,
  inputShapes: [String: [Dim]]? = nil, progress: Progress? = nil
) throws -> Graph {
  progress?.update("loading \(AtomicFile.baseName(of: path))")
  var g = try inputShapes.map { try loadModel(path, inputShapes: $0) } ?? loadModel(path, args)
  let mod = allowMoD ? try MoDRequest.parse(args) : nil
  if mod != nil, g.nodes.contains(where: { if case .modRouter = $0.op { return true } else { return false } }),
    !args.flag("--force")
  {
    throw ModelLoadError(path: path, reason: "the model already contains MoD blocks; MoD flags would add more (use --force)")
  }
  var weights: [String: TensorData]?
  if let p = mod?.routerWeightsPath {
    weights = try readRouterWeights(path: p)
  }
  let pipeline = makePipeline(mod: mod, routerWeights: weights, target: target, recognizeMoD: !args.flag("--no-recognize-mod"))
  let known = Set(pipeline.names)
  for flag in ["--print-after", "--stop-after"] {
    if let p = args.string(flag), !known.contains(p) {
      throw UsageError("\(flag): unknown pass '\(p)' (passes: \(pipeline.names.joined(separator: ", ")))")
    }
  }
  var context = PassContext()
  let printAfter = args.string("--print-after")
  let printAll = args.flag("--print-after-all")
  let printChanged = args.flag("--print-changed")
  let timing = args.flag("--pass-timing")
  let before = (printChanged ? printGraph(g) : "")
  let lastText = TextBox(before)
  let passCount = pipeline.passes.count
  let done = TextBox("0")
  progress?.update("optimising")
  let observer = PipelineObserver { name, graph, seconds in
    if let progress {
      done.value = String((Int(done.value) ?? 0) + 1)
      progress.update("optimising (\(name) done, \(done.value)/\(passCount))")
    }
    if timing || printAll || printChanged || name == printAfter { progress?.finish() }
    if timing { writeStderr("pass \(name): \(fixed(seconds * 1000, 2)) ms\n") }
    if printAll || name == printAfter {
      print("// ----- IR after \(name) -----")
      print(printGraph(graph))
    } else if printChanged {
      let text = printGraph(graph)
      if text != lastText.value {
        print("// ----- IR after \(name) (changed) -----")
        print(text)
      }
      lastText.value = text
    }
  }
  do {
    try pipeline.run(on: &g, context: &context, observer: observer, stopAfter: args.string("--stop-after"))
  } catch let e as UsageError {
    throw e
  } catch {
    throw ModelLoadError(path: path, reason: oneLine(error))
  }
  if !args.flag("--quiet") {
    if !context.warnings.isEmpty || args.flag("--verbose") { progress?.finish() }
    for w in context.warnings { writeStderr("modc: warning: \(w)\n") }
    if args.flag("--verbose") { for r in context.remarks { writeStderr("modc: \(r)\n") } }
  }
  return g
}

/// A mutable box so the `@Sendable` observer closure can remember the previous IR text (single-threaded use).
final class TextBox: @unchecked Sendable {
  var value: String
  init(_ value: String) { self.value = value }
}

/// Reads a router weights `.npz` into constants keyed by member name (`{block}.fc1.weight`, …).
func readRouterWeights(path: String) throws -> [String: TensorData] {
  let npz = try NPZFile.read(path)
  var out: [String: TensorData] = [:]
  for name in npz.names { out[name] = try npz.array(name).tensorData }
  return out
}
