import CKernels
import GraphIR

/// The MoD router: (x, w1, b1, w2, b2) → (indices i64[b, k], scores f32[b, k]).
public struct MoDRouterStep: Sendable, Equatable {
  public var b = 0, c = 0, hw = 0, hidden = 0, k = 0
}

extension MoDRouterStep: StepDescriptor {
  public static let tag: UInt32 = 13
  public static let mnemonic = "mod.router"
  public static let usesWorkspace = true
  public static var blank: MoDRouterStep { MoDRouterStep() }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("b", &b)
    try v.int("c", &c)
    try v.int("hw", &hw)
    try v.int("hidden", &hidden)
    try v.int("k", &k)
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(b, c, hw, hidden, k)
    guard k >= 1, k <= c, hidden >= 1 else { throw ScheduleError("router k=\(k) must be in 1...C=\(c)") }
    return StepBufferNeeds(inputs: [.f32(b * c * hw), .f32(hidden * c), .f32(hidden), .f32(c * hidden), .f32(c)],
      outputs: [.i64(b * k), .f32(b * k)])
  }
  public var macs: Int { b * 2 * c * hidden }
  public var opName: String { "MoDRouter" }
  public var kind: StepKind { .modRouter(self) }
}

/// The MoD gather: (x, indices) → y[b, k, hw].
public struct MoDGatherStep: Sendable, Equatable {
  public var b = 0, c = 0, hw = 0, k = 0
}

extension MoDGatherStep: StepDescriptor {
  public static let tag: UInt32 = 14
  public static let mnemonic = "mod.gather"
  public static var blank: MoDGatherStep { MoDGatherStep() }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("b", &b)
    try v.int("c", &c)
    try v.int("hw", &hw)
    try v.int("k", &k)
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(b, c, hw, k)
    guard k <= c else { throw ScheduleError("gather k > C") }
    return StepBufferNeeds(inputs: [.f32(b * c * hw), .i64(b * k)], outputs: [.f32(b * k * hw)])
  }
  public var opName: String { "MoDGather" }
  public var kind: StepKind { .modGather(self) }
}

/// The MoD fusion: (x, p, scores, indices) → y (y may be x itself).
public struct MoDFuseStep: Sendable, Equatable {
  public var b = 0, c = 0, hw = 0, k = 0
  public var scatter = false
  public var relu = false
}

extension MoDFuseStep: StepDescriptor {
  public static let tag: UInt32 = 15
  public static let mnemonic = "mod.fuse"
  public static var blank: MoDFuseStep { MoDFuseStep() }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("b", &b)
    try v.int("c", &c)
    try v.int("hw", &hw)
    try v.int("k", &k)
    try v.flag("scatter", &scatter)
    try v.flag("relu", &relu)
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(b, c, hw, k)
    guard k <= c else { throw ScheduleError("fuse k > C") }
    return StepBufferNeeds(inputs: [.f32(b * c * hw), .f32(b * k * hw), .f32(b * k), .i64(b * k)],
      outputs: [.f32(b * c * hw)], inPlace: [0])
  }
  public var opName: String { "MoDFuse(\(scatter ? "scatter" : "first-k"))" + (relu ? "+Relu" : "") }
  public var kind: StepKind { .modFuse(self) }
}
