import GraphIR

/// Binary encoding of a `Schedule` for the `.modplan` schedule section (little-endian, versioned by the plan
/// format). Every step kind is a tag plus a list of integers, so decoding is uniform and bounds-checked; the
/// decoded schedule is then validated by `Schedule.validate` before it can run.
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
      let (tag, ints) = s.kind.fields
      w.u32(tag)
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
      guard let kind = StepKind(tag: tag, ints) else { throw ByteReadError(offset: r.offset, "malformed step (tag \(tag))") }
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

extension StepKind {
  /// Tag and integer fields (floats as bit patterns).
  var fields: (UInt32, [Int]) {
    func b(_ x: Bool) -> Int { x ? 1 : 0 }
    switch self {
    case .conv(let c):
      return (1, [c.n, c.cIn, c.h, c.w, c.cOut, c.kh, c.kw, c.strideH, c.strideW, c.padTop, c.padLeft, c.padBottom,
        c.padRight, c.dilH, c.dilW, c.groups, b(c.relu), b(c.hasBias), b(c.hasResidual), c.outH, c.outW, c.algo.rawValue])
    case .modConv(let c, let m):
      // Tag 20: the conv fields, then gather channels (0: none), fused channels (0: none), scatter, fusion ReLU.
      let (_, conv) = StepKind.conv(c).fields
      return (20, conv + [m.gatherChannels ?? 0, m.fuse?.channels ?? 0, b(m.fuse?.scatter ?? false), b(m.fuse?.relu ?? false)])
    case .fullyConnected(let bt, let i, let o, let hb, let r): return (2, [bt, i, o, b(hb), b(r)])
    case .maxPool(let p): return (3, p.fields)
    case .averagePool(let p): return (4, p.fields)
    case .globalAveragePool(let p, let hw): return (5, [p, hw])
    case .binary(let op, let sh, let sa, let sb): return (6, [op, sh.count] + sh + sa + sb)
    case .relu(let n): return (7, [n])
    case .sigmoid(let n): return (8, [n])
    case .softmax(let r, let c): return (9, [r, c])
    case .batchNorm(let n, let c, let hw): return (10, [n, c, hw])
    case .copy(let sh, let so, let ss, let dof, let ds): return (11, [sh.count, so, dof] + sh + ss + ds)
    case .fill(let n, let off, let v): return (12, [n, off, Int(v.bitPattern)])
    case .modRouter(let bt, let c, let hw, let h, let k): return (13, [bt, c, hw, h, k])
    case .modGather(let bt, let c, let hw, let k): return (14, [bt, c, hw, k])
    case .modFuse(let bt, let c, let hw, let k, let sc, let r): return (15, [bt, c, hw, k, b(sc), b(r)])
    case .topK(let o, let n, let i, let k, let l): return (16, [o, n, i, k, b(l)])
    case .gatherElements(let o, let n, let i, let m): return (17, [o, n, i, m])
    case .scatterElements(let o, let n, let i, let m, let a): return (18, [o, n, i, m, b(a)])
    case .gather(let o, let n, let i, let c): return (19, [o, n, i, c])
    }
  }

  /// Decodes `fields`; nil when the tag or the field count is wrong.
  init?(tag: UInt32, _ v: [Int]) {
    func need(_ n: Int) -> Bool { v.count == n }
    switch tag {
    case 1 where need(22) && ConvAlgorithm(rawValue: v[21]) != nil:
      self = .conv(ConvStep(n: v[0], cIn: v[1], h: v[2], w: v[3], cOut: v[4], kh: v[5], kw: v[6], strideH: v[7],
        strideW: v[8], padTop: v[9], padLeft: v[10], padBottom: v[11], padRight: v[12], dilH: v[13], dilW: v[14],
        groups: v[15], relu: v[16] != 0, hasBias: v[17] != 0, hasResidual: v[18] != 0, outH: v[19], outW: v[20], algo: ConvAlgorithm(rawValue: v[21]) ?? .auto))
    case 20 where need(26) && v[22] >= 0 && v[23] >= 0 && (0...1).contains(v[24]) && (0...1).contains(v[25])
      && (v[22] > 0 || v[23] > 0) && (v[23] > 0 || v[24] + v[25] == 0):
      guard case .conv(let c)? = StepKind(tag: 1, Array(v[0..<22])) else { return nil }
      self = .modConv(c, MoDConvMaps(gatherChannels: v[22] > 0 ? v[22] : nil,
        fuse: v[23] > 0 ? MoDFuseEpilogue(channels: v[23], scatter: v[24] != 0, relu: v[25] != 0) : nil))
    case 2 where need(5): self = .fullyConnected(batch: v[0], inFeatures: v[1], outFeatures: v[2], hasBias: v[3] != 0, relu: v[4] != 0)
    case 3 where need(18): self = .maxPool(PoolStep(v))
    case 4 where need(18): self = .averagePool(PoolStep(v))
    case 5 where need(2): self = .globalAveragePool(planes: v[0], hw: v[1])
    case 6 where v.count >= 2 && v[1] >= 0 && v[1] <= 8 && v.count == 2 + 3 * v[1]:
      let r = v[1]
      self = .binary(op: v[0], shape: Array(v[2..<(2 + r)]), aStrides: Array(v[(2 + r)..<(2 + 2 * r)]), bStrides: Array(v[(2 + 2 * r)...]))
    case 7 where need(1): self = .relu(count: v[0])
    case 8 where need(1): self = .sigmoid(count: v[0])
    case 9 where need(2): self = .softmax(rows: v[0], cols: v[1])
    case 10 where need(3): self = .batchNorm(n: v[0], c: v[1], hw: v[2])
    case 11 where v.count >= 3 && v[0] >= 0 && v[0] <= 9 && v.count == 3 + 3 * v[0]:
      let r = v[0]
      self = .copy(shape: Array(v[3..<(3 + r)]), srcOffset: v[1], srcStrides: Array(v[(3 + r)..<(3 + 2 * r)]), dstOffset: v[2],
        dstStrides: Array(v[(3 + 2 * r)...]))
    case 12 where need(3) && v[2] >= 0 && v[2] <= Int(UInt32.max):
      self = .fill(count: v[0], offset: v[1], value: Float(bitPattern: UInt32(v[2])))
    case 13 where need(5): self = .modRouter(b: v[0], c: v[1], hw: v[2], hidden: v[3], k: v[4])
    case 14 where need(4): self = .modGather(b: v[0], c: v[1], hw: v[2], k: v[3])
    case 15 where need(6): self = .modFuse(b: v[0], c: v[1], hw: v[2], k: v[3], scatter: v[4] != 0, relu: v[5] != 0)
    case 16 where need(5): self = .topK(outer: v[0], n: v[1], inner: v[2], k: v[3], largest: v[4] != 0)
    case 17 where need(4): self = .gatherElements(outer: v[0], n: v[1], inner: v[2], m: v[3])
    case 18 where need(5): self = .scatterElements(outer: v[0], n: v[1], inner: v[2], m: v[3], add: v[4] != 0)
    case 19 where need(4): self = .gather(outer: v[0], n: v[1], inner: v[2], count: v[3])
    default: return nil
    }
  }
}

extension PoolStep {
  var fields: [Int] {
    [n, c, h, w, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, dilH, dilW, ceilMode ? 1 : 0,
      countIncludePad ? 1 : 0, outH, outW]
  }
  init(_ v: [Int]) {
    self.init(n: v[0], c: v[1], h: v[2], w: v[3], kh: v[4], kw: v[5], strideH: v[6], strideW: v[7], padTop: v[8],
      padLeft: v[9], padBottom: v[10], padRight: v[11], dilH: v[12], dilW: v[13], ceilMode: v[14] != 0,
      countIncludePad: v[15] != 0, outH: v[16], outW: v[17])
  }
}
