import CKernels
import GraphIR

/// A conv step (ONNX Conv semantics on NCHW; weights pre-packed for `modc_conv2d` in `algo`'s format):
/// (x, packedW, bias if `hasBias`, residual if `hasResidual`) → y.
public struct ConvStep: Sendable, Equatable {
  public var n = 0, cIn = 0, h = 0, w = 0, cOut = 0, kh = 0, kw = 0
  public var strideH = 1, strideW = 1, padTop = 0, padLeft = 0, padBottom = 0, padRight = 0, dilH = 1, dilW = 1
  public var groups = 1
  public var relu = false
  public var hasBias = false
  public var hasResidual = false
  public var outH = 0, outW = 0
  /// The algorithm (`enum modc_conv_algo`); the packed weights of the step are in its format.
  public var algo: ConvAlgorithm = .auto
  /// Whether the step runs either Winograd algorithm; MoD-mapped convs never do.
  public var isWinograd: Bool { algo.isWinograd }
}

extension ConvAlgorithm: StepFieldChoice {
  public var cName: String {
    switch self {
    case .auto: return "MODC_CONV_AUTO"
    case .direct: return "MODC_CONV_DIRECT"
    case .winograd: return "MODC_CONV_WINOGRAD"
    case .winograd2: return "MODC_CONV_WINOGRAD_F2"
    }
  }
}

extension ConvStep: StepDescriptor {
  public static let tag: UInt32 = 1
  public static let mnemonic = "conv"
  public static let usesWorkspace = true
  public static var blank: ConvStep { ConvStep() }

  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("n", &n)
    try v.int("cIn", &cIn)
    try v.int("h", &h)
    try v.int("w", &w)
    try v.int("cOut", &cOut)
    try v.int("kh", &kh)
    try v.int("kw", &kw)
    try v.int("strideH", &strideH)
    try v.int("strideW", &strideW)
    try v.int("padTop", &padTop)
    try v.int("padLeft", &padLeft)
    try v.int("padBottom", &padBottom)
    try v.int("padRight", &padRight)
    try v.int("dilH", &dilH)
    try v.int("dilW", &dilW)
    try v.int("groups", &groups)
    try v.flag("relu", &relu)
    try v.flag("hasBias", &hasBias)
    try v.flag("hasResidual", &hasResidual)
    try v.int("outH", &outH)
    try v.int("outW", &outW)
    try v.choice("algo", &algo)
  }

  /// The kernel library's descriptor of the conv (`modc_step_conv_desc`, the one place it is built).
  public var cDesc: modc_conv_desc {
    withCDescriptor { modc_step_conv_desc($0.assumingMemoryBound(to: modc_step_conv.self)) }
  }

  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    var d = try checkedDesc(cDesc)
    let y = n * cOut * outH * outW
    var ins = [BufferNeed.f32(n * cIn * h * w), .f32(modc_conv2d_packed_weight_size(&d))]
    if hasBias { ins.append(.f32(cOut)) }
    if hasResidual { ins.append(.f32(y)) }
    return StepBufferNeeds(inputs: ins, outputs: [.f32(y)])
  }

  /// `d` after checking the dimensions and that the kernel library accepts it with this step's output size.
  func checkedDesc(_ d: modc_conv_desc) throws(ScheduleError) -> modc_conv_desc {
    try checkDims(n, cIn, h, w, cOut, kh, kw, outH, outW, strideH, strideW, padTop, padLeft, padBottom, padRight, dilH,
      dilW, groups)
    var d = d
    guard modc_conv2d_check(&d) == 0, Int(modc_conv2d_out_h(&d)) == outH, Int(modc_conv2d_out_w(&d)) == outW else {
      throw ScheduleError("inconsistent convolution parameters")
    }
    return d
  }

  public var macs: Int { n * cOut * outH * outW * (cIn / max(groups, 1)) * kh * kw }
  public var label: String { "conv\(kh)x\(kw)/s\(strideH)" + (groups > 1 ? "/g\(groups)" : "") }
  public var opName: String { "Conv" + (hasBias ? "+Bias" : "") + (hasResidual ? "+Add" : "") + (relu ? "+Relu" : "") }
  public var kind: StepKind { .conv(self) }
}

/// The MoD gather and/or fusion folded into a body conv (`modc_conv2d_mod`; docs/mod.md, "Fast path").
public struct MoDConvMaps: Sendable, Equatable {
  /// Channels C of the block input X that the conv reads through the router's indices (the folded `mod.gather`),
  /// or nil when the conv's input is dense.
  public var gatherChannels: Int?
  /// The folded `mod.fuse`, or nil when the conv writes a plain output.
  public var fuse: MoDFuseEpilogue?
  public init(gatherChannels: Int? = nil, fuse: MoDFuseEpilogue? = nil) {
    self.gatherChannels = gatherChannels
    self.fuse = fuse
  }
}

/// The conv epilogue that replaces `mod.fuse`: output row j of sample b updates channel j (first-k) or
/// indices[b, j] (scatter) of the residual tensor X (`channels` channels) in place.
public struct MoDFuseEpilogue: Sendable, Equatable {
  public var channels: Int
  public var scatter: Bool
  public var relu: Bool
  public init(channels: Int, scatter: Bool, relu: Bool) {
    self.channels = channels
    self.scatter = scatter
    self.relu = relu
  }
}

/// A MoD body conv with the gather and/or the fusion folded in (never Winograd, groups 1, no residual):
/// (x, packedW, bias?, indices i64[n, k], residual X?, scores f32[n, k]?) → y. With `gatherChannels` x is the block
/// input [n, C, h, w]; with `fuse` y is the updated block tensor [n, C', outH, outW] (X's shape; in place when the
/// planner could alias it) and `relu` of the fusion replaces the conv's own (which must be off).
public struct MoDConvStep: Sendable, Equatable {
  public var conv: ConvStep
  public var maps: MoDConvMaps
  public init(conv: ConvStep, maps: MoDConvMaps) {
    self.conv = conv
    self.maps = maps
  }
}

extension MoDConvStep: StepDescriptor {
  public static let tag: UInt32 = 20
  public static let mnemonic = "mod.conv"
  public static let usesWorkspace = true
  public static var blank: MoDConvStep { MoDConvStep(conv: ConvStep(), maps: MoDConvMaps()) }

  /// The conv's fields (C: nested struct `conv`), then gather channels (0: none), fused channels (0: none), scatter
  /// and fusion ReLU.
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    v.enter("conv")
    try conv.visitFields(&v)
    v.leave()
    var gather = maps.gatherChannels ?? 0
    var channels = maps.fuse?.channels ?? 0
    var scatter = maps.fuse?.scatter ?? false
    var relu = maps.fuse?.relu ?? false
    try v.int("gatherChannels", &gather)
    try v.int("fuseChannels", &channels)
    try v.flag("fuseScatter", &scatter)
    try v.flag("fuseRelu", &relu)
    guard gather > 0 || channels > 0 else { throw StepFieldError("a MoD conv folds neither gather nor fuse") }
    guard channels > 0 || !(scatter || relu) else { throw StepFieldError("fusion flags without a fusion") }
    maps = MoDConvMaps(gatherChannels: gather > 0 ? gather : nil,
      fuse: channels > 0 ? MoDFuseEpilogue(channels: channels, scatter: scatter, relu: relu) : nil)
  }

  /// The kernel descriptor: the fusion's ReLU (applied to the fused value) replaces the conv's own.
  public var cDesc: modc_conv_desc {
    withCDescriptor { modc_step_mod_conv_desc($0.assumingMemoryBound(to: modc_step_mod_conv.self)) }
  }

  /// The residual X the fused output overwrites in place is input `idx + 1` (after the indices).
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    let c = conv
    try checkDims(maps.gatherChannels ?? 0, maps.fuse?.channels ?? 0)
    guard !c.isWinograd, c.groups == 1, !c.hasResidual else {
      throw ScheduleError("a MoD conv must be ungrouped, without residual, and not Winograd")
    }
    guard maps.gatherChannels != nil || maps.fuse != nil else {
      throw ScheduleError("a MoD conv folds neither gather nor fuse")
    }
    guard maps.fuse == nil || !c.relu else { throw ScheduleError("a fused MoD conv has its own ReLU") }
    var d = try c.checkedDesc(cDesc)
    // Reads through the indices stay inside X (C ≥ k channels; the kernel range-checks every index at run time),
    // and the fused writes inside the output, which has X's shape.
    var ins = [BufferNeed.f32(c.n * (maps.gatherChannels ?? c.cIn) * c.h * c.w), .f32(modc_conv2d_packed_weight_size(&d))]
    if let ch = maps.gatherChannels, ch < c.cIn { throw ScheduleError("gather of \(c.cIn) of \(ch) channels") }
    if c.hasBias { ins.append(.f32(c.cOut)) }
    ins.append(.i64(c.n * max(maps.gatherChannels != nil ? c.cIn : 0, maps.fuse != nil ? c.cOut : 0)))
    guard let fz = maps.fuse else {
      return StepBufferNeeds(inputs: ins, outputs: [.f32(c.n * c.cOut * c.outH * c.outW)])
    }
    guard fz.channels >= c.cOut else { throw ScheduleError("fusion of \(c.cOut) rows into \(fz.channels) channels") }
    let y = c.n * fz.channels * c.outH * c.outW
    return StepBufferNeeds(inputs: ins + [.f32(y), .f32(c.n * c.cOut)], outputs: [.f32(y)], inPlace: [ins.count])
  }

  public var macs: Int { conv.macs }
  public var label: String {
    "conv\(conv.kh)x\(conv.kw)/s\(conv.strideH)" + (maps.gatherChannels != nil ? "+gather" : "")
      + (maps.fuse != nil ? "+fuse" : "")
  }
  public var opName: String {
    "Conv" + (maps.gatherChannels != nil ? "(MoD gather)" : "") + (conv.hasBias ? "+Bias" : "")
      + (conv.relu ? "+Relu" : "")
      + (maps.fuse.map { "+MoDFuse(\($0.scatter ? "scatter" : "first-k"))" + ($0.relu ? "+Relu" : "") } ?? "")
  }
  public var kind: StepKind { .modConv(self) }
}
