import GraphIR

/// Binary encoding of a `Schedule` for the `.modplan` schedule section (little-endian, versioned by the plan
/// format; docs/modplan.md). Every step is its tag plus its named fields as integers (`StepDescriptor.words`), so
/// decoding is uniform and range-checked; the decoded schedule is then checked by `Schedule.verify` before it runs.
extension Schedule {
  static let maxRank = 8
  static let maxCount = 1 << 24

  public func encoded() -> [UInt8] {
    var w = ByteWriter()
    w.count64(arenaSize)
    w.count64(intermediateBytes)
    w.count64(weightsSize)
    w.count64(buffers.count)
    for b in buffers {
      w.string(b.name)
      w.u8(UInt8(b.dtype.onnxCode))
      w.count64(b.shape.count)
      for d in b.shape { w.count64(d) }
      switch b.location {
      case .input(let i): w.u8(0); w.count64(i)
      case .output(let i): w.u8(1); w.count64(i)
      case .arena(let o): w.u8(2); w.count64(o)
      case .weight(let o): w.u8(3); w.count64(o)
      }
    }
    for list in [inputs, outputs] {
      w.count64(list.count)
      for i in list { w.count64(i) }
    }
    w.count64(steps.count)
    for s in steps {
      let d = s.kind.descriptor
      let ints = d.words
      w.u32(type(of: d).tag)
      w.count64(ints.count)
      for v in ints { w.i64(Int64(v)) }
      for list in [s.inputs, s.outputs] {
        w.count64(list.count)
        for i in list { w.count64(i) }
      }
      w.string(s.node)
    }
    return w.bytes
  }

  public static func decode(_ r: inout ByteReader) throws(ByteReadError) -> Schedule {
    var s = Schedule()
    s.arenaSize = try r.count64()
    s.intermediateBytes = try r.count64()
    s.weightsSize = try r.count64()
    let nb = try bounded(&r, maxCount)
    s.buffers.reserveCapacity(nb)
    for _ in 0..<nb {
      let name = try r.string()
      let code = try r.u8()
      guard let dtype = DType(onnxCode: Int32(code)) else { throw ByteReadError(offset: r.offset, "unknown dtype \(code)") }
      let rank = try bounded(&r, maxRank)
      var shape: [Int] = []
      for _ in 0..<rank { shape.append(try r.count64()) }
      let tag = try r.u8()
      let v = try r.count64()
      let loc: BufferLocation
      switch tag {
      case 0: loc = .input(v)
      case 1: loc = .output(v)
      case 2: loc = .arena(v)
      case 3: loc = .weight(v)
      default: throw ByteReadError(offset: r.offset, "unknown buffer location \(tag)")
      }
      s.buffers.append(ScheduleBuffer(name: name, dtype: dtype, shape: shape, location: loc))
    }
    s.inputs = try intList(&r)
    s.outputs = try intList(&r)
    let ns = try bounded(&r, maxCount)
    for _ in 0..<ns {
      let tag = try r.u32()
      let n = try bounded(&r, 64)
      var ints: [Int] = []
      for _ in 0..<n { ints.append(Int(try r.i64())) }
      let kind: StepKind
      do { kind = try StepKind.decode(tag: tag, words: ints) } catch {
        throw ByteReadError(offset: r.offset, "malformed step (tag \(tag)): \(error)")
      }
      let ins = try intList(&r)
      let outs = try intList(&r)
      s.steps.append(Step(kind: kind, inputs: ins, outputs: outs, node: try r.string()))
    }
    return s
  }

  private static func bounded(_ r: inout ByteReader, _ limit: Int) throws(ByteReadError) -> Int {
    let n = try r.count64()
    guard n <= limit, n <= r.remaining else { throw ByteReadError(offset: r.offset, "count \(n) out of range") }
    return n
  }

  private static func intList(_ r: inout ByteReader) throws(ByteReadError) -> [Int] {
    let n = try bounded(&r, maxCount)
    var out: [Int] = []
    out.reserveCapacity(n)
    for _ in 0..<n { out.append(try r.count64()) }
    return out
  }
}
