/// Attributes of `topk(X, K?)`; `k` is set for the opset < 10 attribute form, else K is the second input.
public struct TopKAttrs: Sendable, Hashable {
  public var axis: Int
  public var largest: Bool
  public var sorted: Bool
  public var k: Int?
  public init(axis: Int = -1, largest: Bool = true, sorted: Bool = true, k: Int? = nil) {
    self.axis = axis
    self.largest = largest
    self.sorted = sorted
    self.k = k
  }
}

/// Reduction of ScatterElements / ScatterND.
public enum ScatterReduction: String, Sendable, Hashable {
  case none, add, mul, max, min
}

/// Attributes of `scatter_elements` (uses `axis`) and `scatter_nd` (ignores it).
public struct ScatterAttrs: Sendable, Hashable {
  public var axis: Int
  public var reduction: ScatterReduction
  public init(axis: Int = 0, reduction: ScatterReduction = .none) {
    self.axis = axis
    self.reduction = reduction
  }
}
