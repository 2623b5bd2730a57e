import CKernels
import Testing

/// Root suite: kernels read the process-wide ISA override, so every test that
/// switches it (or compares runs) is nested here and runs serially.
@Suite(.serialized) struct Kernels {}

/// Deterministic xorshift generator for test data.
struct TestRNG {
  private var state: UInt64
  init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
  mutating func next() -> UInt64 {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    return state
  }
  /// Uniform in [-1, 1).
  mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
  mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in float() } }
}

/// Every ISA path the machine supports, scalar first.
let supportedISAs: [Int32] = (0...modc_detect_isa()).map { Int32($0) }

/// Runs `body` with the kernel ISA forced to `isa`, restoring auto afterwards.
func withISA<T>(_ isa: Int32, _ body: () throws -> T) rethrows -> T {
  let got = modc_set_isa(isa)
  precondition(got == isa, "ISA \(isa) unavailable")
  defer { _ = modc_set_isa(Int32(MODC_ISA_AUTO.rawValue)) }
  return try body()
}

/// Largest |a-b| / (1 + |b|) over the arrays (b is the reference).
func maxRelError(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count)
  var worst: Float = 0
  for i in a.indices {
    let e = abs(a[i] - b[i]) / (1 + abs(b[i]))
    if !(e <= worst) { worst = e.isNaN ? .infinity : e }
  }
  return worst
}

/// Owns a C thread pool for the duration of a test.
final class Pool {
  let raw: OpaquePointer?
  init(_ n: Int) { raw = modc_pool_create(Int32(n)) }
  deinit { modc_pool_destroy(raw) }
}

extension Array where Element == Float {
  /// Pointer to the storage for read-only C arguments (nil when empty).
  func withPtr<R>(_ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
    try withUnsafeBufferPointer { try body($0.baseAddress) }
  }
  mutating func withMutPtr<R>(_ body: (UnsafeMutablePointer<Float>?) throws -> R) rethrows -> R {
    try withUnsafeMutableBufferPointer { try body($0.baseAddress) }
  }
}

/// Optional array to optional pointer helper.
func withOptPtr<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
  guard let a else { return try body(nil) }
  return try a.withPtr(body)
}
