#if canImport(Glibc)
import Glibc
#endif
import Codegen

/// A graph input or output as the C API describes it; the C strings and dims live as long as the session.
final class TensorInfo: @unchecked Sendable {
  // @unchecked: immutable after init; the C memory is only freed in deinit.
  let name: String
  let cName: UnsafeMutablePointer<CChar>
  let dims: UnsafeMutablePointer<Int64>
  let rank: Int
  let dtypeCode: Int32
  let elementSize: Int
  let byteCount: Int

  init(_ buffer: ScheduleBuffer) {
    name = buffer.name
    let utf8 = Array(buffer.name.utf8CString)
    cName = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
    cName.initialize(from: utf8, count: utf8.count)
    rank = buffer.shape.count
    dims = UnsafeMutablePointer<Int64>.allocate(capacity: max(rank, 1))
    for (i, d) in buffer.shape.enumerated() { (dims + i).initialize(to: Int64(d)) }
    dtypeCode = buffer.dtype.onnxCode
    elementSize = max(buffer.dtype.byteSize, 1)
    byteCount = buffer.byteCount
  }

  deinit {
    cName.deallocate()
    dims.deallocate()
  }
}

/// A pthread mutex for the few mutable fields of a session.
final class Lock: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  init() { pthread_mutex_init(mutex, nil) }
  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }
  func locked<T>(_ body: () -> T) -> T {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return body()
  }
}

/// The object behind `modc_session`: an immutable executable, its described inputs/outputs, the default thread
/// count and a pool of idle contexts for `modc_session_run`.
final class SessionObject: @unchecked Sendable {
  // @unchecked: `executable` and the infos are immutable; `threads` and `idle` are only touched under `lock`, and
  // a pooled ExecutionContext is used by one caller at a time (checked out under the lock).
  let executable: Executable
  let inputs: [TensorInfo]
  let outputs: [TensorInfo]
  private let lock = Lock()
  private var threads: Int = 0
  private var idle: [ExecutionContext] = []

  /// Largest worker count a context may ask for.
  static let maxThreads = 1024
  /// At most this many idle contexts are kept for `modc_session_run`.
  static let maxIdle = 16

  init(_ executable: Executable) {
    self.executable = executable
    let s = executable.schedule
    inputs = s.inputs.map { TensorInfo(s.buffers[$0]) }
    outputs = s.outputs.map { TensorInfo(s.buffers[$0]) }
  }

  /// The session's default thread count; 0 means all online CPUs.
  var defaultThreads: Int {
    get { lock.locked { threads } }
    set {
      lock.locked {
        if threads != newValue { idle.removeAll() }
        threads = newValue
      }
    }
  }

  /// `requested` checked and resolved: > 0 as given, otherwise the session default, otherwise all CPUs.
  func resolveThreads(_ requested: Int32) throws(APIError) -> Int {
    let r = Int(requested)
    guard r <= SessionObject.maxThreads else {
      throw .invalid("threads must be at most \(SessionObject.maxThreads), got \(r)")
    }
    if r > 0 { return r }
    let d = defaultThreads
    return d > 0 ? d : onlineCPUs()
  }

  func makeContext(threads: Int) throws(APIError) -> ExecutionContext {
    do {
      return try ExecutionContext(executable, threads: threads)
    } catch {
      throw APIError.wrapping(error)
    }
  }

  /// Runs once on a pooled context: reuses an idle one with the default thread count or creates one.
  func run(_ inputs: [UnsafeRawPointer], _ outputs: [UnsafeMutableRawPointer]) throws(APIError) {
    let want = try resolveThreads(0)
    let reused: ExecutionContext? = lock.locked {
      guard let i = idle.firstIndex(where: { $0.threads == want }) else { return nil }
      return idle.remove(at: i)
    }
    let context: ExecutionContext
    if let reused { context = reused } else { context = try makeContext(threads: want) }
    do {
      try context.run(inputs: inputs, outputs: outputs)
    } catch {
      throw APIError.wrapping(error)
    }
    lock.locked {
      if idle.count < SessionObject.maxIdle && context.threads == (threads > 0 ? threads : onlineCPUs()) {
        idle.append(context)
      }
    }
  }

  /// The caller's buffer arrays checked (counts, NULLs, alignment, overlaps) and converted for `ExecutionContext`.
  func buffers(
    _ inputs: UnsafePointer<UnsafeRawPointer?>?, _ inputCount: Int,
    _ outputs: UnsafePointer<UnsafeMutableRawPointer?>?, _ outputCount: Int
  ) throws(APIError) -> ([UnsafeRawPointer], [UnsafeMutableRawPointer]) {
    guard inputCount == self.inputs.count, outputCount == self.outputs.count else {
      throw APIError(
        Status.count,
        "the plan has \(self.inputs.count) input(s) and \(self.outputs.count) output(s), "
          + "got \(inputCount) input and \(outputCount) output buffer(s)")
    }
    var ins: [UnsafeRawPointer] = []
    var outs: [UnsafeMutableRawPointer] = []
    var ranges: [(lo: UInt, hi: UInt, what: String)] = []
    func check(_ p: UnsafeRawPointer?, _ info: TensorInfo, _ what: String) throws(APIError) -> UnsafeRawPointer {
      guard let p else { throw .invalid("\(what) buffer for '\(info.name)' is NULL") }
      let lo = UInt(bitPattern: p)
      guard lo % UInt(info.elementSize) == 0 else {
        throw .invalid("\(what) buffer for '\(info.name)' is not \(info.elementSize)-byte aligned")
      }
      let (hi, overflow) = lo.addingReportingOverflow(UInt(info.byteCount))
      guard !overflow else { throw .invalid("\(what) buffer for '\(info.name)' wraps around the address space") }
      ranges.append((lo, hi, "\(what) '\(info.name)'"))
      return p
    }
    if self.inputs.count > 0 {
      guard let inputs else { throw .invalid("inputs is NULL") }
      for (i, info) in self.inputs.enumerated() { ins.append(try check(inputs[i], info, "input")) }
    }
    let inputRanges = ranges.count
    if self.outputs.count > 0 {
      guard let outputs else { throw .invalid("outputs is NULL") }
      for (i, info) in self.outputs.enumerated() {
        outs.append(UnsafeMutableRawPointer(mutating: try check(outputs[i], info, "output")))
      }
    }
    // Outputs must not overlap inputs or each other (inputs may alias each other: they are only read).
    for a in inputRanges..<ranges.count {
      for b in 0..<ranges.count where b != a && (b < inputRanges || b > a) {
        if ranges[a].lo < ranges[b].hi && ranges[b].lo < ranges[a].hi {
          throw .invalid("\(ranges[a].what) buffer overlaps \(ranges[b].what) buffer")
        }
      }
    }
    return (ins, outs)
  }

  /// The input or output at `index`, or an index error naming the valid range.
  func info(_ index: Int, output: Bool) throws(APIError) -> TensorInfo {
    let list = output ? outputs : inputs
    guard index >= 0, index < list.count else {
      throw APIError(
        Status.index, "\(output ? "output" : "input") index \(UInt(bitPattern: index)) is out of range "
          + "(the plan has \(list.count))")
    }
    return list[index]
  }
}

/// The object behind `modc_context`: one `ExecutionContext`, keeping its session alive.
final class ContextObject {
  let session: SessionObject
  var context: ExecutionContext

  init(_ session: SessionObject, _ context: ExecutionContext) {
    self.session = session
    self.context = context
  }
}

/// Online CPUs (at least 1).
func onlineCPUs() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
