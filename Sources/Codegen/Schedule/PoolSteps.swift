import CKernels
import GraphIR

/// The window of a 2-D pooling step (ONNX MaxPool / AveragePool attributes on NCHW).
public struct PoolWindow: Sendable, Equatable {
  public var n = 0, c = 0, h = 0, w = 0, kh = 0, kw = 0, strideH = 1, strideW = 1
  public var padTop = 0, padLeft = 0, padBottom = 0, padRight = 0, dilH = 1, dilW = 1
  public var ceilMode = false
  public var countIncludePad = false
  public var outH = 0, outW = 0

  mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("n", &n)
    try v.int("c", &c)
    try v.int("h", &h)
    try v.int("w", &w)
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
    try v.flag("ceilMode", &ceilMode)
    try v.flag("countIncludePad", &countIncludePad)
    try v.int("outH", &outH)
    try v.int("outW", &outW)
  }

  /// (x) → y, after checking the window against the kernel library's output-size rule.
  func bufferNeeds(_ desc: modc_pool2d_desc) throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(n, c, h, w, kh, kw, outH, outW, strideH, strideW, padTop, padLeft, padBottom, padRight, dilH, dilW)
    var d = desc
    guard kh >= 1, kw >= 1, strideH >= 1, strideW >= 1, dilH >= 1, dilW >= 1,
      [padTop, padLeft, padBottom, padRight].allSatisfy({ $0 < 1 << 20 }),
      Int(modc_pool2d_out_h(&d)) == outH, Int(modc_pool2d_out_w(&d)) == outW
    else { throw ScheduleError("inconsistent pooling parameters") }
    return StepBufferNeeds(inputs: [.f32(n * c * h * w)], outputs: [.f32(n * c * outH * outW)])
  }
}

/// The pooling step kinds, which share their fields.
public protocol PoolStepDescriptor: StepDescriptor {
  var window: PoolWindow { get set }
  init(window: PoolWindow)
}

extension PoolStepDescriptor {
  public static var blank: Self { Self(window: PoolWindow()) }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try window.visitFields(&v)
  }
  /// The kernel library's descriptor (`modc_step_pool_desc`).
  public var cDesc: modc_pool2d_desc {
    withCDescriptor { modc_step_pool_desc($0.assumingMemoryBound(to: modc_step_pool.self)) }
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds { try window.bufferNeeds(cDesc) }
}

/// Max pooling: (x) → y.
public struct MaxPoolStep: PoolStepDescriptor {
  public var window: PoolWindow
  public init(window: PoolWindow) { self.window = window }
  public static let tag: UInt32 = 3
  public static let mnemonic = "maxpool"
  public var opName: String { "MaxPool" }
  public var kind: StepKind { .maxPool(self) }
}

/// Average pooling: (x) → y.
public struct AveragePoolStep: PoolStepDescriptor {
  public var window: PoolWindow
  public init(window: PoolWindow) { self.window = window }
  public static let tag: UInt32 = 4
  public static let mnemonic = "avgpool"
  public var opName: String { "AveragePool" }
  public var kind: StepKind { .averagePool(self) }
}

/// Global average pooling: (x[planes, hw]) → y[planes].
public struct GlobalAveragePoolStep: Sendable, Equatable {
  public var planes = 0, hw = 0
}

extension GlobalAveragePoolStep: StepDescriptor {
  public static let tag: UInt32 = 5
  public static let mnemonic = "gap"
  public static var blank: GlobalAveragePoolStep { GlobalAveragePoolStep() }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("planes", &planes)
    try v.int("hw", &hw)
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(planes, hw)
    return StepBufferNeeds(inputs: [.f32(planes * hw)], outputs: [.f32(planes)])
  }
  public var opName: String { "GlobalAveragePool" }
  public var kind: StepKind { .globalAveragePool(self) }
}
