/// Attributes of `gemm(A, B, C?)`: `alpha·op(A)·op(B) + beta·C`.
public struct GemmAttrs: Sendable, Hashable {
  public var alpha: Float
  public var beta: Float
  public var transA: Bool
  public var transB: Bool
  public init(alpha: Float = 1, beta: Float = 1, transA: Bool = false, transB: Bool = false) {
    self.alpha = alpha
    self.beta = beta
    self.transA = transA
    self.transB = transB
  }
}

/// Attributes of `softmax`. `coerce2D` is the opset < 13 behaviour (flatten to 2-D at `axis`).
public struct SoftmaxAttrs: Sendable, Hashable {
  public var axis: Int
  public var coerce2D: Bool
  public init(axis: Int = -1, coerce2D: Bool = false) {
    self.axis = axis
    self.coerce2D = coerce2D
  }
}

// MARK: - Shape inference

extension GemmAttrs {
  /// `gemm(A[M,K], B[K,N], C?) -> Y[M,N]` (A, B transposed first when `transA`/`transB`); C broadcasts to [M,N].
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 2...3)
    let a = inputs[0], b = inputs[1]
    try requireRank(a, 2, "A")
    try requireRank(b, 2, "B")
    try requireSameDType(a, "A", b, "B")
    let (m, ka) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kb, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    guard dimsCompatible(ka, kb) else {
      throw inferError(
        "inner dimensions differ: A\(transA ? "ᵀ" : "") is [\(m),\(ka)] and B\(transB ? "ᵀ" : "") is [\(kb),\(n)]")
    }
    let y = [m, n]
    if inputs.count == 3 {
      let c = inputs[2]
      try requireSameDType(a, "A", c, "C")
      let bc = (try? broadcastShapes(y, c.shape)) ?? []
      guard c.rank <= 2, bc.count == 2, zip(bc, y).allSatisfy({ dimsCompatible($0, $1) }) else {
        throw inferError("C with shape \(shapeString(c.shape)) cannot be broadcast to the output [\(m),\(n)]")
      }
    }
    return [TensorType(a.dtype, y)]
  }
}

/// Shape inference for `matmul` (numpy semantics: batched, with the 1-D promotion rules).
public enum MatMul {
  public static func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 2...2)
    let a = inputs[0], b = inputs[1]
    try requireSameDType(a, "A", b, "B")
    guard a.rank >= 1, b.rank >= 1 else { throw inferError("inputs must have rank ≥ 1, but are \(a) and \(b)") }
    // 1-D A is promoted to [1,K] and 1-D B to [K,1]; the added dims are removed from the result.
    let sa = a.rank == 1 ? [Dim.fixed(1)] + a.shape : a.shape
    let sb = b.rank == 1 ? b.shape + [Dim.fixed(1)] : b.shape
    let ka = sa[sa.count - 1], kb = sb[sb.count - 2]
    guard dimsCompatible(ka, kb) else {
      throw inferError("inner dimensions differ: A is \(shapeString(a.shape)) and B is \(shapeString(b.shape)) (\(ka) ≠ \(kb))")
    }
    let batch = try broadcastShapes(Array(sa.dropLast(2)), Array(sb.dropLast(2)))
    var out = batch
    if a.rank != 1 { out.append(sa[sa.count - 2]) }
    if b.rank != 1 { out.append(sb[sb.count - 1]) }
    return [TensorType(a.dtype, out)]
  }
}

extension SoftmaxAttrs {
  /// `softmax(X)`: X's type; `axis` must be in range.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...1)
    _ = try normalizeAxis(axis, rank: inputs[0].rank)
    return [inputs[0]]
  }
}
