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
  /// Every step's C descriptor and argument buffers, built once.
  let program: StepProgram

  /// Wraps a schedule and weights after validating every buffer and step against the region sizes.
  public init(schedule: Schedule, weights: UnsafeRawBufferPointer, owner: AnyObject?) throws {
    try schedule.target?.checkRunnable()
    try schedule.verify(weightsSize: weights.count)
    self.schedule = schedule
    self.weights = weights.baseAddress
    self.owner = owner
    let off = getenv("MODC_PREFETCH").map { String(cString: $0) == "0" } ?? false
    self.prefetch = off || weights.baseAddress == nil ? [] : schedule.prefetchHints()
    self.program = StepProgram(schedule)
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
  public func workspaceFloats(threads: Int) -> Int { program.workspaceFloats(threads: threads) }
}

/// Per-caller run state: the arena, the kernel workspace and a persistent worker pool.
public final class ExecutionContext {
  public let executable: Executable
  public let threads: Int
  private let arena: UnsafeMutableRawPointer
  let workspace: UnsafeMutablePointer<Float>
  let pool: OpaquePointer?
  /// The argument vector of `modc_step_run` (room for the step with the most arguments), reused by every step.
  let argumentVector: UnsafeMutablePointer<UnsafeMutableRawPointer?>
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
    argumentVector = UnsafeMutablePointer.allocate(capacity: max(executable.program.maxArguments, 1))
    pool = self.threads > 1 ? modc_pool_create(Int32(self.threads)) : nil
    if self.threads > 1 && pool == nil {
      arena.deallocate()
      workspace.deallocate()
      argumentVector.deallocate()
      throw RuntimeError("cannot create a pool of \(self.threads) threads")
    }
  }

  deinit {
    if let pool { modc_pool_destroy(pool) }
    arena.deallocate()
    workspace.deallocate()
    argumentVector.deallocate()
  }

  /// Runs the program. `inputs[i]` must hold the i-th input's elements, `outputs[i]` room for the i-th output's.
  public func run(inputs: [UnsafeRawPointer], outputs: [UnsafeMutableRawPointer]) throws {
    let s = executable.schedule
    guard inputs.count == s.inputs.count, outputs.count == s.outputs.count else {
      throw RuntimeError("expected \(s.inputs.count) inputs and \(s.outputs.count) outputs")
    }
    if profiling { stepSeconds = [Double](repeating: 0, count: s.steps.count) }
    // Kernels run capped at the compiled target (pool workers inherit the cap per job).
    try TargetISA.withKernelCap(s.target?.isa) { try runSteps(inputs: inputs, outputs: outputs) }
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
