import CKernels
import GraphIR

/// A model that cannot be lowered to kernel calls; lists every offending node at once.
public struct LoweringError: Error, Sendable, CustomStringConvertible {
  public var problems: [GraphError]
  public init(_ problems: [GraphError]) { self.problems = problems }
  public var description: String {
    if problems.count == 1 { return problems[0].description }
    return "\(problems.count) problems: " + problems.map(\.description).joined(separator: "; ")
  }
}

/// The output of lowering: the schedule and the weights blob it refers to (packed for the kernels).
public struct LoweredModel: Sendable {
  public var schedule: Schedule
  public var weights: WeightsBlob
}

/// Lowers a pass-optimised, fully static graph to a `Schedule` of CKernels calls plus pre-packed weights,
/// and places every intermediate into one arena with the liveness-based `MemoryPlanner`.
///
/// Shape-only ops (reshape, flatten, squeeze, unsqueeze, identity, dropout) become aliases, not steps. Conv and
/// fully connected weights are packed here, once, in the layout the kernels want.
public struct Lowering {
  var graph: Graph
  var schedule = Schedule()
  var weights = WeightsBlob()
  /// The buffer holding each value.
  var bufferOf: [ValueID: Int] = [:]
  /// Weight buffers by (value, packing) so each constant is stored once per layout.
  var weightCache: [String: Int] = [:]
  /// In-place hints for the planner: output buffer → input buffer.
  var inPlace: [Int: Int] = [:]
  /// Shape-only views: view buffer → the buffer whose memory it shares (never itself a view).
  var aliasOf: [Int: Int] = [:]
  /// Byte offset of a view inside its base (concat pieces placed in the concat's buffer); 0 when absent.
  var viewOffset: [Int: Int] = [:]
  /// Copy steps of concats whose piece could live inside the concat's buffer (see `placeConcatPieces`).
  var concatPieces: [ConcatPiece] = []
  var problems: [GraphError] = []
  /// Conv nodes that begin or end a MoD body (see `moDBodyConvs`).
  var moDConvs: Set<String> = []

  /// How algorithms are chosen: for `options.target`, never for the host unless it is the target.
  var options: LoweringOptions

  /// Lowers `graph` for `options.target`. Every value must have a static shape (bind the batch with
  /// `--batch`/`--input-shape`). The kernel library's cost model runs capped at the target, so the Winograd choice
  /// is the target's, not the compiling machine's.
  /// `afterSchedulePass` sees the schedule after each schedule pass (`--print-after`).
  public static func lower(
    _ graph: Graph, options: LoweringOptions = LoweringOptions(),
    afterSchedulePass: (@Sendable (_ pass: String, _ schedule: Schedule) -> Void)? = nil
  ) throws -> LoweredModel {
    var l = Lowering(graph: graph, options: options)
    try options.target.withKernelCap { try l.run(afterSchedulePass: afterSchedulePass) }
    l.schedule.target = CompiledTarget(isa: options.target, convAlgorithm: options.convAlgorithm)
    return LoweredModel(schedule: l.schedule, weights: l.weights)
  }

  init(graph: Graph, options: LoweringOptions = LoweringOptions()) {
    self.graph = graph
    self.options = options
  }

  mutating func run(afterSchedulePass: (@Sendable (_ pass: String, _ schedule: Schedule) -> Void)? = nil) throws {
    try MemoryBudget.check(graph.constants.values.reduce(0) { $0 + ($1.data?.bytes.count ?? 0) },
      for: "the packed weights")
    for (i, v) in graph.inputs.enumerated() where graph.constants[v] == nil {
      guard let t = graph.type(of: v), let s = t.staticShape else {
        throw LoweringError([GraphError(tensor: graph[v].name,
          "input shape \(graph.type(of: v)?.description ?? "?") is not static (bind it with --batch or --input-shape)")])
      }
      guard t.dtype == .f32 else {
        throw LoweringError([GraphError(tensor: graph[v].name, "input type \(t.dtype.rawValue) is not supported (f32 only)")])
      }
      schedule.inputs.append(addBuffer(graph[v].name, .f32, s, .input(i)))
      bufferOf[v] = schedule.inputs.last
    }
    moDConvs = Self.moDBodyConvs(graph)
    for n in graph.nodes {
      do { try lower(n) } catch let e as GraphError { problems.append(e) }
    }
    if !problems.isEmpty { throw LoweringError(problems) }
    try runSchedulePasses(after: afterSchedulePass)
    try bindOutputs()
    try planMemory()
    for (view, base) in aliasOf {
      var loc = schedule.buffers[base].location
      if let off = viewOffset[view], case .arena(let o) = loc { loc = .arena(o + off) }
      schedule.buffers[view].location = loc
    }
    schedule.weightsSize = weights.bytes.count
  }

  /// Runs `SchedulePipeline.standard` on the unplanned schedule (verifier after each pass) and takes back the
  /// rewritten steps, views and in-place hints.
  mutating func runSchedulePasses(after: (@Sendable (_ pass: String, _ schedule: Schedule) -> Void)?) throws {
    var draft = ScheduleDraft(schedule: schedule, graphOutputs: Set(graph.outputs.compactMap { bufferOf[$0] }),
      aliasOf: aliasOf, viewOffset: viewOffset, inPlace: inPlace, concatPieces: concatPieces)
    do {
      try SchedulePipeline.run(SchedulePipeline.standard, on: &draft, after: after)
    } catch {
      throw LoweringError([GraphError("\(error)")])
    }
    schedule = draft.schedule
    aliasOf = draft.aliasOf
    viewOffset = draft.viewOffset
    inPlace = draft.inPlace
  }

  // MARK: Buffers

  mutating func addBuffer(_ name: String, _ dtype: DType, _ shape: [Int], _ loc: BufferLocation) -> Int {
    schedule.buffers.append(ScheduleBuffer(name: name, dtype: dtype, shape: shape, location: loc))
    return schedule.buffers.count - 1
  }

  /// A fresh arena buffer for node output `v` (offset assigned by the planner).
  mutating func output(_ v: ValueID, of n: Node) throws -> Int {
    let t = try staticType(v, n)
    let b = addBuffer(graph[v].name, t.dtype, t.shape, .arena(-1))
    bufferOf[v] = b
    return b
  }

  /// The buffer holding input `v`: an existing buffer, or a weight buffer for a constant (stored unpacked).
  mutating func input(_ v: ValueID, of n: Node) throws -> Int {
    if let b = bufferOf[v] { return b }
    guard let c = graph.constants[v] else { throw GraphError(n, "input '\(graph[v].name)' is not defined") }
    guard let d = c.data else { throw GraphError(n, "constant '\(graph[v].name)' has no data (a text IR graph has no weights)") }
    let b = rawWeight(d, name: graph[v].name)
    bufferOf[v] = b
    return b
  }

  mutating func rawWeight(_ d: TensorData, name: String) -> Int {
    if let b = weightCache["raw:" + name] { return b }
    var data = d
    if d.dtype == .f64 || d.dtype == .f16 || d.dtype == .bf16 { data = TensorData(shape: d.shape, floats: d.floats()) }
    if d.dtype.isInteger || d.dtype == .bool { data = TensorData(shape: d.shape, int64s: d.int64s()) }
    let off = weights.append(name: name, data)
    let b = addBuffer(name, data.dtype, d.shape, .weight(off))
    weightCache["raw:" + name] = b
    return b
  }

  /// Stores `count` floats produced by `fill` as a weight buffer named `name`.
  mutating func packedWeight(name: String, shape: [Int], count: Int, fill: (UnsafeMutablePointer<Float>) -> Void) -> Int {
    if let b = weightCache["packed:" + name] { return b }
    var tmp = [Float](repeating: 0, count: max(count, 1))
    tmp.withUnsafeMutableBufferPointer { fill($0.baseAddress!) }
    let off = tmp.withUnsafeBytes { raw in
      weights.append(name: name, dtype: .f32, shape: [count], bytes: UnsafeRawBufferPointer(rebasing: raw.prefix(count * 4)))
    }
    let b = addBuffer(name, .f32, [count], .weight(off))
    weightCache["packed:" + name] = b
    _ = shape
    return b
  }

  func staticType(_ v: ValueID, _ n: Node) throws -> (dtype: DType, shape: [Int]) {
    guard let t = graph.type(of: v) else { throw GraphError(n, "value '\(graph[v].name)' has no inferred type") }
    guard let s = t.staticShape else {
      throw GraphError(n, "shape \(t) of '\(graph[v].name)' is not static (bind the batch with --batch)")
    }
    return (t.dtype, s)
  }

  func constantFloats(_ v: ValueID, _ n: Node, _ what: String) throws -> (TensorData, [Float]) {
    guard let d = graph.constants[v]?.data else { throw GraphError(n, "\(what) must be a constant with data") }
    return (d, d.floats())
  }

  mutating func emit(_ kind: StepKind, _ inputs: [Int], _ outputs: [Int], _ n: Node) {
    schedule.steps.append(Step(kind: kind, inputs: inputs, outputs: outputs, node: n.name))
  }

  // MARK: Outputs and memory

  /// Graph outputs get their own (caller-provided) buffers: an arena buffer written by a step is relocated there;
  /// anything else (an input, a weight, an alias used twice) is copied.
  mutating func bindOutputs() throws {
    var relocated = Set<Int>()
    for (i, v) in graph.outputs.enumerated() {
      guard let b = bufferOf[v] ?? (graph.constants[v]?.data.map { rawWeight($0, name: graph[v].name) }) else {
        throw LoweringError([GraphError(tensor: graph[v].name, "graph output is never computed")])
      }
      let buf = schedule.buffers[b]
      if case .arena = buf.location, aliasOf[b] == nil, !relocated.contains(b), buf.dtype == .f32 {
        schedule.buffers[b].location = .output(i)
        schedule.buffers[b].name = graph[v].name
        relocated.insert(b)
        schedule.outputs.append(b)
        continue
      }
      let shape = graph.type(of: v)?.staticShape ?? buf.shape
      let o = addBuffer(graph[v].name, buf.dtype, shape, .output(i))
      let units = buf.elementCount * buf.dtype.byteSize / 4
      schedule.steps.append(Step(kind: .copy(CopyStep(shape: [units], srcStrides: [1], dstStrides: [1])),
        inputs: [b], outputs: [o], node: "output \(graph[v].name)"))
      schedule.outputs.append(o)
    }
  }

  /// Places arena buffers with the liveness planner (64-byte aligned, in-place chains for ReLU/Add/fuse).
  mutating func planMemory() throws {
    let buffers = schedule.buffers
    let views = aliasOf
    let root: (Int) -> Int = { views[$0] ?? $0 }
    let isArena: (Int) -> Bool = { if case .arena = buffers[$0].location { return true } else { return false } }
    var sizes: [Int: Int] = [:]
    for (i, b) in schedule.buffers.enumerated() where isArena(i) && views[i] == nil { sizes[i] = b.byteCount }
    // A step that writes part of an already-written buffer (pad after fill, the pieces of a concat) is an update:
    // for liveness it reads that buffer.
    var defined = Set<Int>()
    let steps = schedule.steps.map { s in
      let outs = s.outputs.map(root).filter(isArena)
      let updates = outs.filter { defined.contains($0) }
      defined.formUnion(outs)
      return PlannerStep(reads: s.inputs.map(root).filter(isArena) + updates, writes: outs.filter { !updates.contains($0) },
        inPlace: s.outputs.reduce(into: [Int: Int]()) { m, o in
          if let i = inPlace[o], isArena(root(i)), isArena(root(o)), !updates.contains(root(o)) { m[root(o)] = root(i) }
        })
    }
    do {
      let live = try MemoryPlanner.liveness(steps: steps, sizes: sizes, graphInputs: [], graphOutputs: [], pinGraphIO: false)
      let plan = try MemoryPlanner.plan(live)
      try plan.verify()
      for p in plan.placements { schedule.buffers[p.id].location = .arena(p.offset) }
      schedule.arenaSize = plan.arenaSize
      schedule.intermediateBytes = sizes.values.reduce(0, +)
    } catch {
      throw LoweringError([GraphError("\(error)")])
    }
    // Buffers nobody touches (e.g. an unused dropout mask) still need a valid offset.
    for i in schedule.buffers.indices where views[i] == nil {
      if case .arena(let o) = schedule.buffers[i].location, o < 0 { schedule.buffers[i].location = .arena(0) }
    }
  }
}
