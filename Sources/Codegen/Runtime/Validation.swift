import CKernels
import GraphIR

/// A schedule that would make a kernel read or write outside its buffers (a corrupted or hostile plan).
public struct ScheduleError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { "invalid schedule: \(message)" }
}

extension Schedule {
  /// Checks every buffer against its region and every step's parameters against the buffers it touches, so that
  /// no kernel can access memory outside the arena, the weights, or the caller's tensors. Steps never write
  /// weights or inputs. Called before any plan runs.
  public func validate(weightsSize: Int) throws {
    let limit = Int(Int32.max)
    guard arenaSize >= 0, arenaSize < 1 << 40 else { throw ScheduleError("arena size \(arenaSize) out of range") }
    for (i, b) in buffers.enumerated() {
      guard b.shape.allSatisfy({ $0 >= 0 && $0 <= limit }), b.dtype == .f32 || b.dtype == .i64 else {
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
    for (k, b) in inputs.enumerated() {
      guard b >= 0, b < buffers.count, buffers[b].location == .input(k) else { throw ScheduleError("input \(k) is malformed") }
    }
    for (k, b) in outputs.enumerated() {
      guard b >= 0, b < buffers.count, buffers[b].location == .output(k) else { throw ScheduleError("output \(k) is malformed") }
    }
    for (i, s) in steps.enumerated() {
      do { try validate(s) } catch let e as ScheduleError { throw ScheduleError("step \(i) (\(s.node)): \(e.message)") }
    }
  }

  private func validate(_ s: Step) throws {
    let need = try requirements(s.kind)
    guard s.inputs.count == need.inputs.count, s.outputs.count == need.outputs.count else {
      throw ScheduleError("expects \(need.inputs.count) inputs and \(need.outputs.count) outputs")
    }
    for (b, r) in zip(s.inputs, need.inputs) { try check(b, r, writing: false) }
    for (b, r) in zip(s.outputs, need.outputs) { try check(b, r, writing: true) }
  }

  /// `r.dtype == nil` means "any dtype, counted in 4-byte units" (copies and fills move raw words).
  private func check(_ b: Int, _ r: (elements: Int, dtype: DType?), writing: Bool) throws {
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

  /// Elements (and dtype) each input/output of a step must have. For copies, the 4-byte units are converted.
  private func requirements(_ k: StepKind) throws -> (
    inputs: [(elements: Int, dtype: DType?)], outputs: [(elements: Int, dtype: DType?)]
  ) {
    func f(_ n: Int) -> (elements: Int, dtype: DType?) { (n, .f32) }
    func l(_ n: Int) -> (elements: Int, dtype: DType?) { (n, .i64) }
    func words(_ n: Int) -> (elements: Int, dtype: DType?) { (n, nil) }
    func dims(_ xs: Int...) throws {
      guard xs.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }) else { throw ScheduleError("dimension out of range") }
    }
    switch k {
    case .conv(let c):
      try dims(c.n, c.cIn, c.h, c.w, c.cOut, c.kh, c.kw, c.outH, c.outW, c.strideH, c.strideW, c.padTop, c.padLeft,
        c.padBottom, c.padRight, c.dilH, c.dilW, c.groups)
      var d = c.cDesc
      guard modc_conv2d_check(&d) == 0, Int(modc_conv2d_out_h(&d)) == c.outH, Int(modc_conv2d_out_w(&d)) == c.outW else {
        throw ScheduleError("inconsistent convolution parameters")
      }
      let y = c.n * c.cOut * c.outH * c.outW
      var ins = [f(c.n * c.cIn * c.h * c.w), f(modc_conv2d_packed_weight_size(&d))]
      if c.hasBias { ins.append(f(c.cOut)) }
      if c.hasResidual { ins.append(f(y)) }
      return (ins, [f(y)])
    case .modConv(let c, let m):
      try dims(c.n, c.cIn, c.h, c.w, c.cOut, c.kh, c.kw, c.outH, c.outW, c.strideH, c.strideW, c.padTop, c.padLeft,
        c.padBottom, c.padRight, c.dilH, c.dilW, c.groups, m.gatherChannels ?? 0, m.fuse?.channels ?? 0)
      guard !c.isWinograd, c.groups == 1, !c.hasResidual else {
        throw ScheduleError("a MoD conv must be ungrouped, without residual, and not Winograd")
      }
      guard m.gatherChannels != nil || m.fuse != nil else { throw ScheduleError("a MoD conv folds neither gather nor fuse") }
      guard m.fuse == nil || !c.relu else { throw ScheduleError("a fused MoD conv has its own ReLU") }
      var d = c.modDesc(m)
      guard modc_conv2d_check(&d) == 0, Int(modc_conv2d_out_h(&d)) == c.outH, Int(modc_conv2d_out_w(&d)) == c.outW else {
        throw ScheduleError("inconsistent convolution parameters")
      }
      // Reads through the indices stay inside X (C ≥ k channels; the kernel range-checks every index at run time),
      // and the fused writes inside the output, which has X's shape.
      var ins = [f(c.n * (m.gatherChannels ?? c.cIn) * c.h * c.w), f(modc_conv2d_packed_weight_size(&d))]
      if let ch = m.gatherChannels { guard ch >= c.cIn else { throw ScheduleError("gather of \(c.cIn) of \(ch) channels") } }
      if c.hasBias { ins.append(f(c.cOut)) }
      ins.append(l(c.n * max(m.gatherChannels != nil ? c.cIn : 0, m.fuse != nil ? c.cOut : 0)))
      guard let fz = m.fuse else { return (ins, [f(c.n * c.cOut * c.outH * c.outW)]) }
      guard fz.channels >= c.cOut else { throw ScheduleError("fusion of \(c.cOut) rows into \(fz.channels) channels") }
      let y = c.n * fz.channels * c.outH * c.outW
      return (ins + [f(y), f(c.n * c.cOut)], [f(y)])
    case .fullyConnected(let b, let i, let o, let hasBias, _):
      try dims(b, i, o)
      return ([f(b * i), f(modc_pack_a_size(Int32(o), Int32(i)))] + (hasBias ? [f(o)] : []), [f(b * o)])
    case .maxPool(let p), .averagePool(let p):
      try dims(p.n, p.c, p.h, p.w, p.kh, p.kw, p.outH, p.outW, p.strideH, p.strideW, p.padTop, p.padLeft, p.padBottom,
        p.padRight, p.dilH, p.dilW)
      var d = p.cDesc
      guard p.kh >= 1, p.kw >= 1, p.strideH >= 1, p.strideW >= 1, p.dilH >= 1, p.dilW >= 1,
        [p.padTop, p.padLeft, p.padBottom, p.padRight].allSatisfy({ $0 >= 0 && $0 < 1 << 20 }),
        Int(modc_pool2d_out_h(&d)) == p.outH, Int(modc_pool2d_out_w(&d)) == p.outW
      else { throw ScheduleError("inconsistent pooling parameters") }
      return ([f(p.n * p.c * p.h * p.w)], [f(p.n * p.c * p.outH * p.outW)])
    case .globalAveragePool(let planes, let hw):
      try dims(planes, hw)
      return ([f(planes * hw)], [f(planes)])
    case .binary(let op, let shape, let sa, let sb):
      guard (0...3).contains(op), shape.count <= Int(MODC_MAX_RANK), sa.count == shape.count, sb.count == shape.count,
        shape.allSatisfy({ $0 >= 0 }), (sa + sb).allSatisfy({ $0 >= 0 })
      else { throw ScheduleError("malformed broadcast") }
      return ([f(reach(shape, sa)), f(reach(shape, sb))], [f(shape.reduce(1, *))])
    case .relu(let n), .sigmoid(let n):
      return ([f(n)], [f(n)])
    case .softmax(let r, let c):
      try dims(r, c)
      return ([f(r * c)], [f(r * c)])
    case .batchNorm(let n, let c, let hw):
      try dims(n, c, hw)
      return ([f(n * c * hw), f(c), f(c)], [f(n * c * hw)])
    case .copy(let shape, let so, let ss, let dof, let ds):
      guard shape.count >= 1, shape.count <= Int(MODC_MAX_RANK), ss.count == shape.count, ds.count == shape.count,
        shape.allSatisfy({ $0 >= 0 })
      else { throw ScheduleError("malformed copy") }
      // Reachable 4-byte units from the offsets (strides may be negative on the source).
      let (slo, shi) = span(shape, ss, so)
      let (dlo, dhi) = span(shape, ds, dof)
      guard slo >= 0, dlo >= 0, ds.allSatisfy({ $0 >= 0 }) else { throw ScheduleError("copy reaches before its buffers") }
      return ([words(shi)], [words(dhi)])
    case .fill(let n, let off, _):
      guard n >= 0, off >= 0 else { throw ScheduleError("malformed fill") }
      return ([], [words(off + n)])
    case .modRouter(let b, let c, let hw, let h, let k):
      try dims(b, c, hw, h, k)
      guard k >= 1, k <= c, h >= 1 else { throw ScheduleError("router k=\(k) must be in 1...C=\(c)") }
      return ([f(b * c * hw), f(h * c), f(h), f(c * h), f(c)], [l(b * k), f(b * k)])
    case .modGather(let b, let c, let hw, let k):
      try dims(b, c, hw, k)
      guard k <= c else { throw ScheduleError("gather k > C") }
      return ([f(b * c * hw), l(b * k)], [f(b * k * hw)])
    case .modFuse(let b, let c, let hw, let k, _, _):
      try dims(b, c, hw, k)
      guard k <= c else { throw ScheduleError("fuse k > C") }
      return ([f(b * c * hw), f(b * k * hw), f(b * k), l(b * k)], [f(b * c * hw)])
    case .topK(let o, let n, let i, let k, _):
      try dims(o, n, i, k)
      guard k <= n else { throw ScheduleError("TopK k > n") }
      return ([f(o * n * i)], [f(o * k * i), l(o * k * i)])
    case .gatherElements(let o, let n, let i, let m):
      try dims(o, n, i, m)
      return ([f(o * n * i), l(o * m * i)], [f(o * m * i)])
    case .scatterElements(let o, let n, let i, let m, _):
      try dims(o, n, i, m)
      return ([f(o * n * i), l(o * m * i), f(o * m * i)], [f(o * n * i)])
    case .gather(let o, let n, let i, let count):
      try dims(o, n, i, count)
      return ([f(o * n * i), l(count)], [f(o * count * i)])
    }
  }

  /// One past the largest element index reached by a non-negative-strided view.
  private func reach(_ shape: [Int], _ strides: [Int]) -> Int {
    if shape.contains(0) { return 0 }
    return zip(shape, strides).reduce(0) { $0 + ($1.0 - 1) * $1.1 } + 1
  }

  /// Lowest and one-past-highest unit reached by a strided view starting at `offset`.
  private func span(_ shape: [Int], _ strides: [Int], _ offset: Int) -> (Int, Int) {
    if shape.contains(0) { return (0, 0) }
    var lo = offset
    var hi = offset
    for (n, s) in zip(shape, strides) {
      if s >= 0 { hi += (n - 1) * s } else { lo += (n - 1) * s }
    }
    return (lo, hi + 1)
  }
}

extension Schedule {
  /// Checks step `index` alone (arity, dtypes and sizes of its buffers, no writes to weights or inputs); buffer
  /// placement is not looked at, so it applies before memory planning too.
  public func validateStep(_ index: Int) throws {
    let s = steps[index]
    do { try validate(s) } catch let e as ScheduleError { throw ScheduleError("step \(index) (\(s.node)): \(e.message)") }
  }
}
