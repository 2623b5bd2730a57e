// Shared helpers for the per-op shape inference functions: errors, axes, dims, broadcasting, constant inputs.
//
// Per-op functions throw `GraphError`s without a node; `Op.outputTypes` adds the node name and op type.

extension Dim {
  /// Placeholder for a size that inference cannot know. `ShapeInference` replaces each one with a fresh,
  /// node-derived symbol, so two unknown dims never compare equal by accident.
  public static let unknown = Dim.symbol("?")

  /// True for the `unknown` placeholder.
  public var isUnknown: Bool { self == .unknown }
}

/// Error helper: a diagnostic without node context (the dispatcher adds it).
@inline(__always)
func inferError(_ message: String) -> GraphError { GraphError(message) }

/// Renders a shape as `[1,64,56,56]`.
func shapeString(_ s: [Dim]) -> String { "[" + s.map(\.description).joined(separator: ",") + "]" }

/// Renders an integer list as `[1,2,3]`.
func listString<T: BinaryInteger>(_ s: [T]) -> String { "[" + s.map { String($0) }.joined(separator: ",") + "]" }

/// Normalises `axis` (possibly negative) against `rank`; throws with `what` in the message when out of range.
func normalizeAxis(_ axis: Int, rank: Int, what: String = "axis") throws -> Int {
  guard axis >= -rank && axis < max(rank, 0) else {
    throw inferError("\(what) \(axis) is out of range for rank \(rank) (valid: \(-rank)...\(rank - 1))")
  }
  return axis < 0 ? axis + rank : axis
}

/// Normalises a list of axes, rejecting duplicates.
func normalizeAxes(_ axes: [Int], rank: Int, what: String = "axes") throws -> [Int] {
  let out = try axes.map { try normalizeAxis($0, rank: rank, what: "\(what) entry") }
  guard Set(out).count == out.count else { throw inferError("\(what) \(listString(axes)) contains a repeated axis") }
  return out
}

/// Checks the number of inputs against an inclusive range.
func requireInputs(_ inputs: [TensorType], _ range: ClosedRange<Int>) throws {
  guard range.contains(inputs.count) else {
    let want = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)–\(range.upperBound)"
    throw inferError("expects \(want) inputs, but has \(inputs.count)")
  }
}

/// Checks that input `name` has rank `rank`.
func requireRank(_ t: TensorType, _ rank: Int, _ name: String) throws {
  guard t.rank == rank else {
    throw inferError("input \(name) must have rank \(rank), but has type \(t)")
  }
}

/// Checks that input `name` has at least rank `rank`.
func requireMinRank(_ t: TensorType, _ rank: Int, _ name: String) throws {
  guard t.rank >= rank else {
    throw inferError("input \(name) must have rank ≥ \(rank), but has type \(t)")
  }
}

/// Checks that input `name` has an integer element type.
func requireInteger(_ t: TensorType, _ name: String) throws {
  guard t.dtype.isInteger else { throw inferError("input \(name) must be an integer tensor, but has type \(t)") }
}

/// Checks that two inputs share an element type.
func requireSameDType(_ a: TensorType, _ aName: String, _ b: TensorType, _ bName: String) throws {
  guard a.dtype == b.dtype else {
    throw inferError("inputs \(aName) and \(bName) must have the same element type, but are \(a.dtype) and \(b.dtype)")
  }
}

/// True unless both dims are known and differ (symbols are assumed compatible with anything).
func dimsCompatible(_ a: Dim, _ b: Dim) -> Bool {
  if let x = a.value, let y = b.value { return x == y }
  return true
}

/// The more precise of two compatible dims (a fixed size beats a symbol, a named symbol beats `unknown`).
func refineDim(_ a: Dim, _ b: Dim) -> Dim {
  if a.value != nil { return a }
  if b.value != nil { return b }
  return a.isUnknown ? b : a
}

/// Multidirectional (numpy) broadcasting of two shapes.
///
/// Dims match when equal or when one is 1; a symbol against a fixed size n > 1 gives n (the symbol must be n or 1
/// at run time); two different symbols cannot be broadcast statically.
func broadcastShapes(_ a: [Dim], _ b: [Dim]) throws -> [Dim] {
  let r = max(a.count, b.count)
  var out: [Dim] = []
  out.reserveCapacity(r)
  for i in 0..<r {
    let x = i - (r - a.count) >= 0 ? a[i - (r - a.count)] : Dim.fixed(1)
    let y = i - (r - b.count) >= 0 ? b[i - (r - b.count)] : Dim.fixed(1)
    out.append(try broadcastDim(x, y, a, b))
  }
  return out
}

private func broadcastDim(_ x: Dim, _ y: Dim, _ a: [Dim], _ b: [Dim]) throws -> Dim {
  if x == y && !x.isUnknown { return x }
  if x == .fixed(1) { return y }
  if y == .fixed(1) { return x }
  switch (x, y) {
  case (.fixed, .fixed):
    throw inferError("shapes \(shapeString(a)) and \(shapeString(b)) cannot be broadcast: dims \(x) and \(y) differ and neither is 1")
  case (.fixed, .symbol): return x
  case (.symbol, .fixed): return y
  case (.symbol, .symbol):
    if x.isUnknown || y.isUnknown { return .unknown }
    throw inferError("shapes \(shapeString(a)) and \(shapeString(b)) cannot be broadcast: symbolic dims \(x) and \(y) may differ")
  }
}

/// Product of dims: fixed if all are known; a single symbol when the rest multiply to 1; else `unknown`.
func dimProduct(_ dims: ArraySlice<Dim>) -> Dim {
  var fixed = 1
  var symbols: [Dim] = []
  for d in dims {
    if let v = d.value {
      let (p, overflow) = fixed.multipliedReportingOverflow(by: v)
      if overflow { return .unknown }  // not representable; later checks see an unknown dim, not a trap
      fixed = p
    } else {
      symbols.append(d)
    }
  }
  if symbols.isEmpty { return .fixed(fixed) }
  if fixed == 0 { return .fixed(0) }
  if symbols.count == 1 && fixed == 1 { return symbols[0] }
  return .unknown
}

/// Sum of dims: fixed if both are known (and the sum fits an `Int`); the other dim when one is fixed 0; else
/// `unknown`.
func dimSum(_ a: Dim, _ b: Dim) -> Dim {
  if let x = a.value, let y = b.value {
    let (s, overflow) = x.addingReportingOverflow(y)
    return overflow ? .unknown : .fixed(s)
  }
  if a == .fixed(0) { return b }
  if b == .fixed(0) { return a }
  return .unknown
}

/// Integer values of a constant input (nil when the value is not known).
func constantInts(_ constants: [TensorData?], _ i: Int) -> [Int]? {
  guard i < constants.count, let c = constants[i] else { return nil }
  guard c.dtype.isInteger || c.dtype == .bool else { return nil }
  return c.int64s().map { Int(clamping: $0) }
}

/// True if optional input `i` is present (absent inputs are encoded as an empty i64 constant of shape [0]; see
/// `ShapeInference`).
func hasInput(_ inputs: [TensorType], _ constants: [TensorData?], _ i: Int) -> Bool {
  guard i < inputs.count else { return false }
  if i < constants.count, let c = constants[i], c.shape == [0], inputs[i].shape == [.fixed(0)] { return false }
  return true
}

/// The largest output rank inferred from the length of a shape tensor (ONNX sets no limit; ResNets use ≤ 5).
/// A larger one is an error instead of a multi-terabyte array of unknown dims.
let maxInferredRank = 1024

/// `Array(repeating: .unknown, count: n)` for an output whose rank is the length `n` of a shape input.
func unknownDims(rank n: Int) throws -> [Dim] {
  guard n >= 0 else { throw inferError("output rank \(n) is negative") }
  guard n <= maxInferredRank else { throw inferError("output rank \(n) exceeds the supported \(maxInferredRank)") }
  return Array(repeating: .unknown, count: n)
}
