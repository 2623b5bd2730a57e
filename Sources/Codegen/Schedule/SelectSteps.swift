import CKernels
import GraphIR

/// Top-k along the middle axis: (x[outer, n, inner]) → (values, indices i64) [outer, k, inner].
public struct TopKStep: Sendable, Equatable {
  public var outer = 0, n = 0, inner = 0, k = 0
  public var largest = true
}

extension TopKStep: StepDescriptor {
  public static let tag: UInt32 = 16
  public static let mnemonic = "topk"
  public static var blank: TopKStep { TopKStep() }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("outer", &outer)
    try v.int("n", &n)
    try v.int("inner", &inner)
    try v.int("k", &k)
    try v.flag("largest", &largest)
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(outer, n, inner, k)
    guard k <= n else { throw ScheduleError("TopK k > n") }
    return StepBufferNeeds(inputs: [.f32(outer * n * inner)], outputs: [.f32(outer * k * inner), .i64(outer * k * inner)])
  }
  public var opName: String { "TopK" }
  public var kind: StepKind { .topK(self) }
}

/// (data[outer, n, inner], indices i64[outer, m, inner]) → y[outer, m, inner].
public struct GatherElementsStep: Sendable, Equatable {
  public var outer = 0, n = 0, inner = 0, m = 0
}

extension GatherElementsStep: StepDescriptor {
  public static let tag: UInt32 = 17
  public static let mnemonic = "gather_elements"
  public static var blank: GatherElementsStep { GatherElementsStep() }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("outer", &outer)
    try v.int("n", &n)
    try v.int("inner", &inner)
    try v.int("m", &m)
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(outer, n, inner, m)
    return StepBufferNeeds(inputs: [.f32(outer * n * inner), .i64(outer * m * inner)], outputs: [.f32(outer * m * inner)])
  }
  public var opName: String { "GatherElements" }
  public var kind: StepKind { .gatherElements(self) }
}

/// (data, indices i64[outer, m, inner], updates) → y = data with updates written (or added) at the indices along
/// the axis; y may be data itself.
public struct ScatterElementsStep: Sendable, Equatable {
  public var outer = 0, n = 0, inner = 0, m = 0
  public var add = false
}

extension ScatterElementsStep: StepDescriptor {
  public static let tag: UInt32 = 18
  public static let mnemonic = "scatter_elements"
  public static var blank: ScatterElementsStep { ScatterElementsStep() }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("outer", &outer)
    try v.int("n", &n)
    try v.int("inner", &inner)
    try v.int("m", &m)
    try v.flag("add", &add)
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(outer, n, inner, m)
    return StepBufferNeeds(inputs: [.f32(outer * n * inner), .i64(outer * m * inner), .f32(outer * m * inner)],
      outputs: [.f32(outer * n * inner)], inPlace: [0])
  }
  public var opName: String { "ScatterElements" + (add ? "(add)" : "") }
  public var kind: StepKind { .scatterElements(self) }
}

/// ONNX Gather with a runtime index tensor: (data[outer, n, inner], indices i64[count]) → y[outer, count, inner].
public struct GatherStep: Sendable, Equatable {
  public var outer = 0, n = 0, inner = 0, count = 0
}

extension GatherStep: StepDescriptor {
  public static let tag: UInt32 = 19
  public static let mnemonic = "gather"
  public static var blank: GatherStep { GatherStep() }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("outer", &outer)
    try v.int("n", &n)
    try v.int("inner", &inner)
    try v.int("count", &count)
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(outer, n, inner, count)
    return StepBufferNeeds(inputs: [.f32(outer * n * inner), .i64(count)], outputs: [.f32(outer * count * inner)])
  }
  public var opName: String { "Gather" }
  public var kind: StepKind { .gather(self) }
}
