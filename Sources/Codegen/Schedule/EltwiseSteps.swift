import CKernels
import GraphIR

/// The operator of a binary step (`enum modc_binop`).
public enum BinaryOp: Int, Sendable, CaseIterable, StepFieldChoice {
  case add = 0, sub = 1, mul = 2, div = 3
  public var description: String { ["add", "sub", "mul", "div"][rawValue] }
  public var cName: String { ["MODC_ADD", "MODC_SUB", "MODC_MUL", "MODC_DIV"][rawValue] }
}

/// (a, b) → y dense with `shape`; a and b are read with element strides (0 on broadcast axes). y may be a itself.
public struct BinaryStep: Sendable, Equatable {
  public var op: BinaryOp = .add
  public var shape: [Int] = []
  public var aStrides: [Int] = []
  public var bStrides: [Int] = []
}

extension BinaryStep: StepDescriptor {
  public static let tag: UInt32 = 6
  public static let mnemonic = "binary"
  public static var blank: BinaryStep { BinaryStep() }

  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    var rank = shape.count
    try v.choice("op", &op)
    try v.int("rank", &rank, 0...Int(MODC_MAX_RANK))
    try v.ints("shape", &shape, count: rank, StepFieldRange.dim)
    try v.ints("aStrides", &aStrides, count: rank, StepFieldRange.size)
    try v.ints("bStrides", &bStrides, count: rank, StepFieldRange.size)
  }

  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    guard shape.count <= Int(MODC_MAX_RANK), aStrides.count == shape.count, bStrides.count == shape.count,
      shape.allSatisfy({ $0 >= 0 }), (aStrides + bStrides).allSatisfy({ $0 >= 0 })
    else { throw ScheduleError("malformed broadcast") }
    return StepBufferNeeds(inputs: [.f32(reach(shape, aStrides)), .f32(reach(shape, bStrides))],
      outputs: [.f32(shape.reduce(1, *))], inPlace: aStrides == contiguousStrides(shape) ? [0] : [])
  }

  public var label: String { op.description }
  public var opName: String { ["Add", "Sub", "Mul", "Div"][op.rawValue] }
  public var kind: StepKind { .binary(self) }
}

/// One past the largest element index reached by a non-negative-strided view.
func reach(_ shape: [Int], _ strides: [Int]) -> Int {
  if shape.contains(0) { return 0 }
  return zip(shape, strides).reduce(0) { $0 + ($1.0 - 1) * $1.1 } + 1
}

/// The elementwise step kinds of `count` floats, (x) → y (in place allowed).
public protocol UnaryStepDescriptor: StepDescriptor {
  var count: Int { get set }
  init(count: Int)
}

extension UnaryStepDescriptor {
  public static var blank: Self { Self(count: 0) }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("count", &count, StepFieldRange.size)
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    StepBufferNeeds(inputs: [.f32(count)], outputs: [.f32(count)], inPlace: [0])
  }
}

/// y = max(x, 0).
public struct ReluStep: UnaryStepDescriptor {
  public var count: Int
  public init(count: Int) { self.count = count }
  public static let tag: UInt32 = 7
  public static let mnemonic = "relu"
  public var opName: String { "Relu" }
  public var kind: StepKind { .relu(self) }
}

/// y = 1 / (1 + e^-x).
public struct SigmoidStep: UnaryStepDescriptor {
  public var count: Int
  public init(count: Int) { self.count = count }
  public static let tag: UInt32 = 8
  public static let mnemonic = "sigmoid"
  public var opName: String { "Sigmoid" }
  public var kind: StepKind { .sigmoid(self) }
}

/// Softmax over the last axis: (x[rows, cols]) → y.
public struct SoftmaxStep: Sendable, Equatable {
  public var rows = 0, cols = 0
}

extension SoftmaxStep: StepDescriptor {
  public static let tag: UInt32 = 9
  public static let mnemonic = "softmax"
  public static var blank: SoftmaxStep { SoftmaxStep() }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("rows", &rows)
    try v.int("cols", &cols)
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(rows, cols)
    return StepBufferNeeds(inputs: [.f32(rows * cols)], outputs: [.f32(rows * cols)])
  }
  public var opName: String { "Softmax" }
  public var kind: StepKind { .softmax(self) }
}

/// Inference batch norm as a per-channel affine map on NCHW: (x, scale[c], shift[c]) → y (in place allowed).
public struct BatchNormStep: Sendable, Equatable {
  public var n = 0, c = 0, hw = 0
}

extension BatchNormStep: StepDescriptor {
  public static let tag: UInt32 = 10
  public static let mnemonic = "batchnorm"
  public static var blank: BatchNormStep { BatchNormStep() }
  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("n", &n)
    try v.int("c", &c)
    try v.int("hw", &hw)
  }
  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    try checkDims(n, c, hw)
    return StepBufferNeeds(inputs: [.f32(n * c * hw), .f32(c), .f32(c)], outputs: [.f32(n * c * hw)], inPlace: [0])
  }
  public var opName: String { "BatchNormalization" }
  public var kind: StepKind { .batchNorm(self) }
}
