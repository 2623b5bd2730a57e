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

// MARK: - Shape inference

extension TopKAttrs {
  /// `topk(X, K?) -> (values: X.dtype, indices: i64)`, both X's shape with dim `axis` = K. K comes from the
  /// attribute or the constant second input; a dynamic K gives a symbolic dim.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, k == nil ? 2...2 : 1...1)
    let x = inputs[0]
    let a = try normalizeAxis(axis, rank: x.rank)
    var kDim = Dim.unknown
    var kValue = k
    if kValue == nil {
      let kt = inputs[1]
      guard kt.dtype == .i64, kt.elementCount == 1 || kt.shape.isEmpty else {
        throw inferError("K must be a 1-element i64 tensor, but has type \(kt)")
      }
      kValue = constantInts(constants, 1)?.first
    }
    if let kv = kValue {
      guard kv >= 0 else { throw inferError("K must be ≥ 0, but is \(kv)") }
      if let d = x.shape[a].value, kv > d {
        throw inferError("K = \(kv) exceeds the size \(d) of axis \(a) of X \(shapeString(x.shape))")
      }
      kDim = .fixed(kv)
    }
    var shape = x.shape
    shape[a] = kDim
    return [TensorType(x.dtype, shape), TensorType(.i64, shape)]
  }
}

extension AxisAttrs {
  /// `gather_elements(data, indices)`: indices' shape, data's element type; equal ranks.
  public func gatherElementsOutputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 2...2)
    let x = inputs[0], idx = inputs[1]
    try requireInteger(idx, "indices")
    guard x.rank == idx.rank else {
      throw inferError("indices must have the rank of data (\(x.rank)), but has type \(idx)")
    }
    let a = try normalizeAxis(axis, rank: x.rank)
    for d in 0..<x.rank where d != a && !dimsCompatible(idx.shape[d], x.shape[d]) {
      if let i = idx.shape[d].value, let n = x.shape[d].value, i > n {
        throw inferError("indices \(shapeString(idx.shape)) exceeds data \(shapeString(x.shape)) in dim \(d)")
      }
    }
    return [TensorType(x.dtype, idx.shape)]
  }
}

extension ScatterAttrs {
  /// `scatter_elements(data, indices, updates)`: data's type; indices and updates share a shape of data's rank.
  public func scatterElementsOutputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 3...3)
    let x = inputs[0], idx = inputs[1], upd = inputs[2]
    try requireInteger(idx, "indices")
    try requireSameDType(x, "data", upd, "updates")
    guard idx.rank == x.rank, upd.rank == x.rank,
      zip(idx.shape, upd.shape).allSatisfy({ dimsCompatible($0, $1) })
    else {
      throw inferError("indices \(idx) and updates \(upd) must have equal shapes of data's rank \(x.rank)")
    }
    _ = try normalizeAxis(axis, rank: x.rank)
    return [x]
  }

  /// `scatter_nd(data[r], indices[q, last = m], updates)`: data's type;
  /// updates must be indices.shape[..<q-1] + data.shape[m...].
  public func scatterNDOutputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 3...3)
    let x = inputs[0], idx = inputs[1], upd = inputs[2]
    try requireInteger(idx, "indices")
    try requireMinRank(idx, 1, "indices")
    try requireSameDType(x, "data", upd, "updates")
    guard let m = idx.shape[idx.rank - 1].value else {
      throw inferError("the last dim of indices \(shapeString(idx.shape)) must be known")
    }
    guard m >= 1 && m <= x.rank else {
      throw inferError("the last dim of indices (\(m)) must be in 1...\(x.rank) (rank of data)")
    }
    let want = Array(idx.shape.dropLast()) + Array(x.shape[m...])
    guard upd.rank == want.count, zip(upd.shape, want).allSatisfy({ dimsCompatible($0, $1) }) else {
      throw inferError("updates must have shape \(shapeString(want)), but has type \(upd)")
    }
    return [x]
  }
}
