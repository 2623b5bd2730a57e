import Codegen
import Compiler
import GraphIR
import Passes

/// Loads a model and runs the pipeline for `purpose` with the command line's MoD and tracing flags (the compile
/// driver does the work; this maps flags and prints). Prints warnings (and `--verbose` remarks) on stderr.
func loadAndTransform(
  _ path: String, _ args: ParsedArguments, target purpose: CompilePurpose, allowMoD: Bool = true,
  progress: Progress? = nil
) throws -> Graph {
  let options = try CompileOptions(args, allowMoD: allowMoD)
  try checkPassNames(args, options: options, purpose: purpose)
  progress?.update("loading \(AtomicFile.baseName(of: path))")
  let g = try ModelLoader.load(path: path, options: options)
  let tracing = makeTracing(args, options: options, purpose: purpose, before: g, progress: progress)
  progress?.update("optimising")
  let (out, context) = try Compiler.transform(g, path: path, purpose: purpose, options: options, tracing: tracing)
  report(context.warnings, context.remarks, args, progress: progress)
  return out
}

/// `--print-after`/`--stop-after` must name a pass of the pipeline that runs (graph passes, and for codegen the
/// schedule passes too).
func checkPassNames(_ args: ParsedArguments, options: CompileOptions, purpose: CompilePurpose) throws {
  let (graphPasses, schedulePasses) = Compiler.passNames(for: purpose, options: options)
  let known = graphPasses + schedulePasses
  for flag in ["--print-after", "--stop-after"] {
    guard let p = args.string(flag) else { continue }
    if !known.contains(p) { throw UsageError("\(flag): unknown pass '\(p)' (passes: \(known.joined(separator: ", ")))") }
    if flag == "--stop-after" && !graphPasses.contains(p) {
      throw UsageError("--stop-after: '\(p)' is a schedule pass; --stop-after takes a graph pass")
    }
  }
}

/// The pipeline hooks for the tracing flags: `--print-after(-all)`, `--print-changed`, `--pass-timing`, progress.
func makeTracing(
  _ args: ParsedArguments, options: CompileOptions, purpose: CompilePurpose, before g: Graph, progress: Progress?
) -> PipelineTracing {
  let printAfter = args.string("--print-after")
  let printAll = args.flag("--print-after-all")
  let printChanged = args.flag("--print-changed")
  let timing = args.flag("--pass-timing")
  let lastText = TextBox(printChanged ? printGraph(g) : "")
  let done = TextBox("0")
  let passCount = Compiler.passNames(for: purpose, options: options).graph.count
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
  let schedulePass = printAfter.map(SchedulePipeline.names.contains) ?? false
  var afterSchedule: (@Sendable (String, Schedule) -> Void)?
  if printAll || schedulePass {
    afterSchedule = { name, schedule in
      guard printAll || name == printAfter else { return }
      progress?.finish()
      print("// ----- schedule after \(name) -----")
      print(schedule.text, terminator: "")
    }
  }
  return PipelineTracing(observer: observer, stopAfter: args.string("--stop-after"), afterSchedulePass: afterSchedule)
}

/// Prints the passes' warnings (unless `--quiet`) and, with `--verbose`, their remarks.
func report(_ warnings: [String], _ remarks: [String], _ args: ParsedArguments, progress: Progress?) {
  guard !args.flag("--quiet") else { return }
  if !warnings.isEmpty || args.flag("--verbose") { progress?.finish() }
  for w in warnings { writeStderr("modc: warning: \(w)\n") }
  if args.flag("--verbose") { for r in remarks { writeStderr("modc: \(r)\n") } }
}

/// A mutable box so the `@Sendable` observer closure can remember the previous IR text (single-threaded use).
final class TextBox: @unchecked Sendable {
  var value: String
  init(_ value: String) { self.value = value }
}
