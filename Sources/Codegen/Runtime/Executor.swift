import CKernels

#if canImport(Glibc)
import Glibc
#endif
import GraphIR

/// A runtime failure: a kernel rejected its arguments, or the caller passed wrong buffers.
public struct RuntimeError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// An immutable, validated program ready to run: the schedule plus the weights it points into.
///
/// Thread-safe: any number of `ExecutionContext`s (one per concurrent caller) can run it at once.
public final class Executable: @unchecked Sendable {
  public let schedule: Schedule
  /// Base of the weights blob (64-byte aligned entries), kept alive by `owner`.
  let weights: UnsafeRawPointer?
  private let owner: AnyObject?
  /// Per step, the next-layer prefetch hint to issue before it (`Schedule.prefetchHints`; empty when MODC_PREFETCH=0).
  let prefetch: [PrefetchRegion?]

  /// Wraps a schedule and weights after validating every buffer and step against the region sizes.
  public init(schedule: Schedule, weights: UnsafeRawBufferPointer, owner: AnyObject?) throws {
    try schedule.target?.checkRunnable()
    try schedule.validate(weightsSize: weights.count)
    self.schedule = schedule
    self.weights = weights.baseAddress
    self.owner = owner
    let off = getenv("MODC_PREFETCH").map { String(cString: $0) == "0" } ?? false
    self.prefetch = off || weights.baseAddress == nil ? [] : schedule.prefetchHints()
  }

  /// Builds an executable from a freshly lowered model (weights copied into weight memory owned by it).
  public convenience init(_ lowered: LoweredModel) throws {
    try MemoryBudget.check(lowered.weights.bytes.count, for: "the executable's weights")
    guard let storage = lowered.weights.bytes.withUnsafeBytes({ WeightMemory.storage(copying: $0) }) else {
      throw RuntimeError("out of memory for the executable's weights (\(lowered.weights.bytes.count) bytes)")
    }
    try self.init(schedule: lowered.schedule, weights: storage.bytes, owner: storage)
  }

  /// Input shapes, in graph order.
  public var inputShapes: [[Int]] { schedule.inputs.map { schedule.buffers[$0].shape } }
  public var outputShapes: [[Int]] { schedule.outputs.map { schedule.buffers[$0].shape } }
  public var inputNames: [String] { schedule.inputs.map { schedule.buffers[$0].name } }
  public var outputNames: [String] { schedule.outputs.map { schedule.buffers[$0].name } }

  /// Floats of kernel workspace needed with `threads` threads.
  public func workspaceFloats(threads: Int) -> Int {
    var m = 0
    for s in schedule.steps {
      switch s.kind {
      case .modConv(let c, let maps):
        var d = c.modDesc(maps)
        m = max(m, modc_conv2d_mod_workspace_size(&d, Int32(threads)))
      case .conv(let c):
        var d = c.cDesc
        m = max(m, modc_conv2d_workspace_size(&d, Int32(threads)))
      case .fullyConnected(let b, let i, let o, _, _):
        m = max(m, modc_fc_workspace_size(Int32(b), Int32(i), Int32(o), Int32(threads)))
      case .modRouter(let b, let c, _, let h, _):
        m = max(m, modc_mod_router_mt_scratch_size(Int32(b), Int32(c), Int32(h)))
      default: break
      }
    }
    return m
  }
}

/// Per-caller run state: the arena, the kernel workspace and a persistent worker pool.
public final class ExecutionContext {
  public let executable: Executable
  public let threads: Int
  private let arena: UnsafeMutableRawPointer
  let workspace: UnsafeMutablePointer<Float>
  let pool: OpaquePointer?
  /// Seconds spent in each step during the last run, when `profiling` is on.
  public var stepSeconds: [Double] = []
  public var profiling = false

  public init(_ executable: Executable, threads: Int) throws {
    self.executable = executable
    self.threads = max(1, threads)
    let ws = max(executable.workspaceFloats(threads: self.threads), 16)
    let arenaBytes = max(executable.schedule.arenaSize, 64)
    let (need, overflow) = arenaBytes.addingReportingOverflow(ws.multipliedReportingOverflow(by: 4).partialValue)
    try MemoryBudget.check(overflow ? Int.max : need, for: "the arena and kernel workspace")
    arena = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
    workspace = UnsafeMutablePointer<Float>.allocate(capacity: ws)
    pool = self.threads > 1 ? modc_pool_create(Int32(self.threads)) : nil
    if self.threads > 1 && pool == nil {
      arena.deallocate()
      workspace.deallocate()
      throw RuntimeError("cannot create a pool of \(self.threads) threads")
    }
  }

  deinit {
    if let pool { modc_pool_destroy(pool) }
    arena.deallocate()
    workspace.deallocate()
  }

  /// Runs the program. `inputs[i]` must hold the i-th input's elements, `outputs[i]` room for the i-th output's.
  public func run(inputs: [UnsafeRawPointer], outputs: [UnsafeMutableRawPointer]) throws {
    let s = executable.schedule
    guard inputs.count == s.inputs.count, outputs.count == s.outputs.count else {
      throw RuntimeError("expected \(s.inputs.count) inputs and \(s.outputs.count) outputs")
    }
    if profiling { stepSeconds = [Double](repeating: 0, count: s.steps.count) }
    // Kernels run capped at the compiled target (pool workers inherit the cap per job).
    let previousCap = modc_isa_cap_set(s.target?.isa.isaValue ?? Int32(MODC_ISA_AUTO.rawValue))
    defer { _ = modc_isa_cap_set(previousCap) }
    for (i, step) in s.steps.enumerated() {
      let t0 = profiling ? clockSeconds() : 0
      if i < executable.prefetch.count, let r = executable.prefetch[i], let w = executable.weights {
        modc_pool_prefetch(pool, r.bytes > 0 ? w + r.offset : nil, r.bytes)
      }
      let status = execute(step, inputs: inputs, outputs: outputs)
      if status != 0 { throw RuntimeError("step \(i) (\(step.node)) failed with kernel status \(status)") }
      if profiling { stepSeconds[i] = clockSeconds() - t0 }
    }
  }

  /// Address of buffer `b` for this run.
  @inline(__always)
  func address(_ b: Int, _ inputs: [UnsafeRawPointer], _ outputs: [UnsafeMutableRawPointer]) -> UnsafeMutableRawPointer {
    switch executable.schedule.buffers[b].location {
    case .input(let i): return UnsafeMutableRawPointer(mutating: inputs[i])
    case .output(let i): return outputs[i]
    case .arena(let off): return arena + off
    case .weight(let off): return UnsafeMutableRawPointer(mutating: executable.weights! + off)
    }
  }
}

/// Seconds from a monotonic clock.
func clockSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
