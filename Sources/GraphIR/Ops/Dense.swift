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
