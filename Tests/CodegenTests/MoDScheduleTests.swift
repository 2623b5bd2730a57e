@testable import Codegen
import CKernels
import GraphIR
import Testing

/// The `modConv` step (MoD gather / fusion folded into a body conv): plan encoding and validation.
@Suite struct MoDScheduleTests {
  static let conv = ConvStep(n: 2, cIn: 4, h: 6, w: 6, cOut: 4, kh: 3, kw: 3, strideH: 1, strideW: 1, padTop: 1,
    padLeft: 1, padBottom: 1, padRight: 1, dilH: 1, dilW: 1, groups: 1, relu: false, hasBias: true, hasResidual: false,
    outH: 6, outW: 6)

  /// A schedule with one fused step: (X [2,16,6,6], W, bias, idx [2,4], X, scores) → Y.
  static func schedule(_ maps: MoDConvMaps, idxCount: Int = 8, yChannels: Int = 16) -> Schedule {
    var d = conv.cDesc
    let wCount = modc_conv2d_packed_weight_size(&d)
    var s = Schedule()
    func add(_ name: String, _ t: DType, _ shape: [Int], _ loc: BufferLocation) -> Int {
      s.buffers.append(ScheduleBuffer(name: name, dtype: t, shape: shape, location: loc))
      return s.buffers.count - 1
    }
    let x = add("x", .f32, [2, 16, 6, 6], .input(0))
    let w = add("w", .f32, [wCount], .weight(0))
    let b = add("b", .f32, [4], .weight(wCount * 4))
    let idx = add("idx", .i64, [idxCount], .arena(0))
    let sc = add("v", .f32, [8], .arena(128))
    let y = add("y", .f32, [2, yChannels, 6, 6], .output(0))
    s.inputs = [x]
    s.outputs = [y]
    s.arenaSize = 256
    let ins = maps.fuse != nil ? [x, w, b, idx, x, sc] : [x, w, b, idx]
    s.steps = [Step(kind: .modConv(MoDConvStep(conv: conv, maps: maps)), inputs: ins, outputs: [y], node: "layer1.1.conv")]
    s.weightsSize = wCount * 4 + 16
    return s
  }

  static let both = MoDConvMaps(gatherChannels: 16, fuse: MoDFuseEpilogue(channels: 16, scatter: true, relu: true))

  @Test func roundTripsThroughThePlanEncoding() throws {
    for maps in [Self.both, MoDConvMaps(gatherChannels: 16), MoDConvMaps(fuse: MoDFuseEpilogue(channels: 16, scatter: false, relu: true))] {
      let s = Self.schedule(maps)
      let bytes = s.encoded()
      let back = try bytes.withUnsafeBytes { raw in
        var r = ByteReader(raw)
        return try Schedule.decode(&r)
      }
      #expect(back == s)
    }
  }

  @Test func strictDecodeRejectsMalformedFields() throws {
    let step = MoDConvStep(conv: Self.conv, maps: Self.both)
    var f = step.words
    #expect(try StepKind.decode(tag: 20, words: f) == .modConv(step))
    f[24] = 2  // scatter flag not 0/1
    #expect(throws: StepFieldError.self) { try StepKind.decode(tag: 20, words: f) }
    var g = step.words
    (g[22], g[23]) = (0, 0)  // folds nothing
    #expect(throws: StepFieldError.self) { try StepKind.decode(tag: 20, words: g) }
    #expect(throws: StepFieldError.self) { try StepKind.decode(tag: 20, words: Array(step.words.dropLast())) }
  }

  @Test func validationProvesTheMappedAccessesInBounds() throws {
    try Self.schedule(Self.both).verify(weightsSize: Self.schedule(Self.both).weightsSize)
    // Too few indices for n × k.
    let short = Self.schedule(Self.both, idxCount: 7)
    #expect(throws: ScheduleError.self) { try short.verify(weightsSize: short.weightsSize) }
    // Output smaller than X's shape.
    let small = Self.schedule(Self.both, yChannels: 3)
    #expect(throws: ScheduleError.self) { try small.verify(weightsSize: small.weightsSize) }
    // Winograd has no channel map.
    var wino = Self.schedule(Self.both)
    var c = Self.conv
    c.algo = .winograd
    wino.steps[0].kind = .modConv(MoDConvStep(conv: c, maps: Self.both))
    #expect(throws: ScheduleError.self) { try wino.verify(weightsSize: wino.weightsSize) }
  }
}
