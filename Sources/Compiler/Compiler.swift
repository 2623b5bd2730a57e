import Codegen
import GraphIR
import Passes

/// What a pipeline run is for: the pass list differs (codegen fuses for the kernels, ONNX export expands MoD into
/// standard ops, analysis keeps the model's structure).
public typealias CompilePurpose = PipelineTarget

/// Optional hooks into a pipeline run (the CLI's `--print-after`, `--stop-after`, `--pass-timing`, progress).
public struct PipelineTracing: Sendable {
  public var observer: PipelineObserver?
  /// Stop after the graph pass with this name (later graph passes and lowering are skipped for analysis commands).
  public var stopAfter: String?
  /// Called after each schedule pass with its name and the schedule text.
  public var afterSchedulePass: (@Sendable (_ pass: String, _ schedule: Schedule) -> Void)?
  public init(
    observer: PipelineObserver? = nil, stopAfter: String? = nil,
    afterSchedulePass: (@Sendable (_ pass: String, _ schedule: Schedule) -> Void)? = nil
  ) {
    self.observer = observer
    self.stopAfter = stopAfter
    self.afterSchedulePass = afterSchedulePass
  }
}

/// A model compiled to something that runs: the optimised graph, the lowered schedule with its packed weights and
/// memory plan, and the options and diagnostics of the run.
public struct CompiledModel: Sendable {
  /// The graph after the codegen pipeline.
  public var graph: Graph
  /// Schedule (memory-planned) and weights blob.
  public var lowered: LoweredModel
  public var options: CompileOptions
  /// Warnings (e.g. untrained routers) and `--verbose` remarks of the passes.
  public var warnings: [String]
  public var remarks: [String]

  public var schedule: Schedule { lowered.schedule }

  /// `layer1.1:k=4:c=64:first-k,…`, empty without MoD.
  public var modBlocksSummary: String { graph.modBlocksSummary }

  /// A validated executable holding a copy of the weights.
  public func executable() throws -> Executable { try Executable(lowered) }

  /// Writes a `.modplan` atomically, with `metadata` plus the standard entries (graph, inputs, outputs, MoD
  /// blocks, target).
  public func writePlan(to path: String, producer: String, metadata: [(String, String)] = []) throws {
    var md: [(String, String)] = [("producer", producer)] + metadata
    md.append(("graph", graph.name))
    md.append(("inputs", schedule.inputs.map { describe(schedule.buffers[$0]) }.joined(separator: ";")))
    md.append(("outputs", schedule.outputs.map { describe(schedule.buffers[$0]) }.joined(separator: ";")))
    let blocks = modBlocksSummary
    if !blocks.isEmpty { md.append(("mod_blocks", blocks)) }
    if let t = schedule.target { md.append(("target", t.isa.rawValue)); md.append(("conv_algo", t.convAlgorithm.rawValue)) }
    try Plan.write(lowered, metadata: md, producer: producer, to: path)
  }

  private func describe(_ b: ScheduleBuffer) -> String {
    "\(b.name):\(b.dtype.rawValue)[\(b.shape.map(String.init).joined(separator: ","))]"
  }
}

/// The compiler driver: one entry point from a model to a compiled model that the CLI, the C API and Python share.
public enum Compiler {
  /// The graph pipeline for `purpose` under `options` (router weights are read here).
  public static func pipeline(for purpose: CompilePurpose, options: CompileOptions) throws -> Pipeline {
    let insert = try options.mod.map { m in
      InsertMoD(placement: m.placement, capacity: m.capacity, fusion: m.fusion, routerWeights: try m.routerWeights?.load(),
        seed: m.seed, force: options.force)
    }
    return Pipeline.standard(insertMoD: insert, target: purpose, recognizeMoD: options.recognizeMoD)
  }

  /// The names of the graph passes `pipeline(for:options:)` would run, in order, without reading router weights;
  /// for codegen, followed by the schedule passes.
  public static func passNames(for purpose: CompilePurpose, options: CompileOptions) -> (graph: [String], schedule: [String]) {
    let insert = options.mod.map { _ in InsertMoD() }
    let graph = Pipeline.standard(insertMoD: insert, target: purpose, recognizeMoD: options.recognizeMoD).names
    return (graph, purpose == .codegen ? SchedulePipeline.names : [])
  }

  /// Runs the graph pipeline for `purpose` on a loaded graph. Errors name `path` (the model) and the pass.
  public static func transform(
    _ graph: Graph, path: String, purpose: CompilePurpose, options: CompileOptions, tracing: PipelineTracing = PipelineTracing()
  ) throws -> (Graph, PassContext) {
    try options.validate()
    var g = graph
    var context = PassContext()
    let p = try pipeline(for: purpose, options: options)
    do {
      try p.run(on: &g, context: &context, observer: tracing.observer, stopAfter: tracing.stopAfter)
    } catch {
      throw ModelLoadError(path: path, reason: oneLineDescription(error))
    }
    return (g, context)
  }

  /// Compiles a loaded graph: the codegen pipeline, lowering for the options' target, the schedule passes and the
  /// memory plan.
  public static func compile(
    _ graph: Graph, path: String = "<model>", options: CompileOptions, tracing: PipelineTracing = PipelineTracing()
  ) throws -> CompiledModel {
    let (g, context) = try transform(graph, path: path, purpose: .codegen, options: options, tracing: tracing)
    return try lower(g, context: context, path: path, options: options, tracing: tracing)
  }

  /// The second half of `compile`: lowers a graph the codegen pipeline already transformed (for the options'
  /// target), runs the schedule passes and plans memory.
  public static func lower(
    _ graph: Graph, context: PassContext = PassContext(), path: String = "<model>", options: CompileOptions,
    tracing: PipelineTracing = PipelineTracing()
  ) throws -> CompiledModel {
    do {
      let lowered = try Lowering.lower(graph, options: options.loweringOptions, afterSchedulePass: tracing.afterSchedulePass)
      return CompiledModel(graph: graph, lowered: lowered, options: options, warnings: context.warnings,
        remarks: context.remarks)
    } catch {
      throw ModelLoadError(path: path, reason: oneLineDescription(error))
    }
  }

  /// Loads and compiles the model at `path`.
  public static func compile(path: String, options: CompileOptions, tracing: PipelineTracing = PipelineTracing()) throws
    -> CompiledModel
  {
    try options.validate()
    return try compile(ModelLoader.load(path: path, options: options), path: path, options: options, tracing: tracing)
  }
}
