import CKernels
import GraphIR

/// A schedule that would make a kernel read or write outside its buffers (a corrupted or hostile plan).
public struct ScheduleError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { "invalid schedule: \(message)" }
}

extension Schedule {
  /// Checks that no kernel can access memory outside the arena, the weights or the caller's tensors, and that the
  /// steps' parameters agree with their buffers. Called before any plan runs and before C is emitted.
  ///
  /// 1. Buffers: dtype f32 or i64, sane shapes, arena buffers inside the arena, weights inside the blob (both
  ///    4-byte aligned), caller buffers matching `inputs` / `outputs`.
  /// 2. Steps: arity, dtypes and element counts from the step type (`StepDescriptor.bufferNeeds`); no step writes
  ///    weights or caller inputs.
  /// 3. Aliasing: an output may overlap an input only where the kernel works in place (relu, sigmoid, batchnorm,
  ///    binary's dense `a`, mod.fuse's and scatter_elements' data, a fused MoD conv's residual X), and then only
  ///    exactly (same offset and size). Caller tensors are the caller's business and are not compared.
  /// 4. Workspace: each step's kernel workspace is computable and bounded.
  public func verify(weightsSize: Int) throws(ScheduleError) {
    guard arenaSize >= 0, arenaSize < 1 << 40 else { throw ScheduleError("arena size \(arenaSize) out of range") }
    for (i, b) in buffers.enumerated() { try verifyBuffer(i, b, weightsSize: weightsSize) }
    for (k, b) in inputs.enumerated() {
      guard b >= 0, b < buffers.count, buffers[b].location == .input(k) else { throw ScheduleError("input \(k) is malformed") }
    }
    for (k, b) in outputs.enumerated() {
      guard b >= 0, b < buffers.count, buffers[b].location == .output(k) else { throw ScheduleError("output \(k) is malformed") }
    }
    for (i, s) in steps.enumerated() {
      do { try verify(s) } catch { throw ScheduleError("step \(i) (\(s.node)): \(error.message)") }
    }
  }

  private func verifyBuffer(_ i: Int, _ b: ScheduleBuffer, weightsSize: Int) throws(ScheduleError) {
    guard b.shape.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }), b.dtype == .f32 || b.dtype == .i64 else {
      throw ScheduleError("buffer \(i) '\(b.name)': bad shape \(b.shape) or dtype \(b.dtype.rawValue)")
    }
    let (count, o) = b.shape.reduce((1, false)) { acc, d in
      let (m, ov) = acc.0.multipliedReportingOverflow(by: d)
      return (m, acc.1 || ov)
    }
    guard !o, count <= 1 << 38 else { throw ScheduleError("buffer \(i) '\(b.name)' is too large") }
    let bytes = count * b.dtype.byteSize
    switch b.location {
    case .arena(let off):
      guard off >= 0, off % 4 == 0, off <= arenaSize - bytes else { throw ScheduleError("buffer \(i) '\(b.name)' lies outside the arena") }
    case .weight(let off):
      guard off >= 0, off % 4 == 0, off <= weightsSize - bytes else { throw ScheduleError("buffer \(i) '\(b.name)' lies outside the weights") }
    case .input(let k):
      guard k >= 0, k < inputs.count, inputs[k] == i else { throw ScheduleError("buffer \(i) is not input \(k)") }
    case .output(let k):
      guard k >= 0, k < outputs.count, outputs[k] == i else { throw ScheduleError("buffer \(i) is not output \(k)") }
    }
  }

  /// Checks step `index` alone (arity, dtypes and sizes of its buffers, no writes to weights or inputs, computable
  /// workspace); without `placed` (before memory planning, arena offsets unassigned) the aliasing rule is skipped.
  public func verifyStep(_ index: Int, placed: Bool) throws(ScheduleError) {
    let s = steps[index]
    do { try verify(s, placed: placed) } catch { throw ScheduleError("step \(index) (\(s.node)): \(error.message)") }
  }

  private func verify(_ s: Step, placed: Bool = true) throws(ScheduleError) {
    let d = s.kind.descriptor
    let need = try d.bufferNeeds()
    guard s.inputs.count == need.inputs.count, s.outputs.count == need.outputs.count else {
      throw ScheduleError("expects \(need.inputs.count) inputs and \(need.outputs.count) outputs")
    }
    for (b, r) in zip(s.inputs, need.inputs) { try check(b, r, writing: false) }
    for (b, r) in zip(s.outputs, need.outputs) { try check(b, r, writing: true) }
    for (k, o) in s.outputs.enumerated() where placed {
      guard let out = arenaRange(o) else { continue }
      for (j, i) in s.inputs.enumerated() {
        guard let range = arenaRange(i), range.overlaps(out) else { continue }
        guard k == 0, need.inPlace.contains(j), range == out else {
          throw ScheduleError("output '\(buffers[o].name)' overlaps input '\(buffers[i].name)', which "
            + "\(type(of: d).mnemonic) does not update in place")
        }
      }
    }
    let ws = d.workspaceFloats(threads: 1)
    guard ws >= 0, ws <= 1 << 38 else { throw ScheduleError("kernel workspace of \(ws) floats out of range") }
  }

  /// The arena bytes of buffer `b`, if it lives in the arena.
  private func arenaRange(_ b: Int) -> Range<Int>? {
    guard case .arena(let off) = buffers[b].location else { return nil }
    return off..<(off + buffers[b].byteCount)
  }

  /// `r.dtype == nil` means "any dtype, counted in 4-byte units" (copies and fills move raw words).
  private func check(_ b: Int, _ r: BufferNeed, writing: Bool) throws(ScheduleError) {
    guard b >= 0, b < buffers.count else { throw ScheduleError("buffer index \(b) out of range") }
    let buf = buffers[b]
    if let dtype = r.dtype, buf.dtype != dtype {
      throw ScheduleError("buffer '\(buf.name)' is \(buf.dtype.rawValue), expected \(dtype.rawValue)")
    }
    let available = r.dtype == nil ? buf.byteCount / 4 : buf.elementCount
    guard r.elements >= 0, r.elements <= available else {
      throw ScheduleError("needs \(r.elements) \(r.dtype == nil ? "words" : "elements") of '\(buf.name)', which has \(available)")
    }
    if writing {
      switch buf.location {
      case .weight, .input: throw ScheduleError("writes read-only buffer '\(buf.name)'")
      default: break
      }
    }
  }
}
