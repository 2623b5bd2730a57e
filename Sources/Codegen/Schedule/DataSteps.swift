import CKernels
import GraphIR

/// A strided copy of `shape` 4-byte units (i64 tensors move as pairs): (src) → dst, from `srcOffset` / `dstOffset`
/// units into the buffers. Source strides may be negative (reversed views); destination strides are not.
public struct CopyStep: Sendable, Equatable {
  public var shape: [Int] = []
  public var srcOffset = 0
  public var srcStrides: [Int] = []
  public var dstOffset = 0
  public var dstStrides: [Int] = []
}

extension CopyStep: StepDescriptor {
  public static let tag: UInt32 = 11
  public static let mnemonic = "copy"
  public static var blank: CopyStep { CopyStep() }

  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    var rank = shape.count
    try v.int("rank", &rank, 0...Int(MODC_MAX_RANK))
    try v.int("srcOffset", &srcOffset, StepFieldRange.size)
    try v.int("dstOffset", &dstOffset, StepFieldRange.size)
    try v.ints("shape", &shape, count: rank, StepFieldRange.dim)
    try v.ints("srcStrides", &srcStrides, count: rank, StepFieldRange.stride)
    try v.ints("dstStrides", &dstStrides, count: rank, StepFieldRange.size)
  }

  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    guard shape.count >= 1, shape.count <= Int(MODC_MAX_RANK), srcStrides.count == shape.count,
      dstStrides.count == shape.count, shape.allSatisfy({ $0 >= 0 })
    else { throw ScheduleError("malformed copy") }
    // Reachable 4-byte units from the offsets (strides may be negative on the source).
    let (slo, shi) = span(shape, srcStrides, srcOffset)
    let (dlo, dhi) = span(shape, dstStrides, dstOffset)
    guard slo >= 0, dlo >= 0, dstStrides.allSatisfy({ $0 >= 0 }) else {
      throw ScheduleError("copy reaches before its buffers")
    }
    return StepBufferNeeds(inputs: [.words(shi)], outputs: [.words(dhi)])
  }

  public var opName: String { "Copy" }
  public var kind: StepKind { .copy(self) }
}

/// Lowest and one-past-highest unit reached by a strided view starting at `offset`.
func span(_ shape: [Int], _ strides: [Int], _ offset: Int) -> (Int, Int) {
  if shape.contains(0) { return (0, 0) }
  var lo = offset
  var hi = offset
  for (n, s) in zip(shape, strides) {
    if s >= 0 { hi += (n - 1) * s } else { lo += (n - 1) * s }
  }
  return (lo, hi + 1)
}

/// () → y: sets `count` 4-byte units from `offset` to `value`.
public struct FillStep: Sendable, Equatable {
  public var count = 0
  public var offset = 0
  public var value: Float = 0
}

extension FillStep: StepDescriptor {
  public static let tag: UInt32 = 12
  public static let mnemonic = "fill"
  public static var blank: FillStep { FillStep() }

  public mutating func visitFields<V: StepFieldVisitor>(_ v: inout V) throws(StepFieldError) {
    try v.int("count", &count, StepFieldRange.size)
    try v.int("offset", &offset, StepFieldRange.size)
    try v.float("value", &value)
  }

  public func bufferNeeds() throws(ScheduleError) -> StepBufferNeeds {
    guard count >= 0, offset >= 0 else { throw ScheduleError("malformed fill") }
    return StepBufferNeeds(inputs: [], outputs: [.words(offset + count)])
  }

  public var opName: String { "Fill" }
  public var kind: StepKind { .fill(self) }
}
