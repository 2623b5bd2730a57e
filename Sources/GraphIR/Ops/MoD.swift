/// Attributes of `mod.router`: the CNN-MoD channel selector of one Conv-Block (see mod.md).
public struct MoDRouterAttrs: Sendable, Hashable {
  /// The Conv-Block this router belongs to, e.g. `layer3.1`.
  public var block: String
  /// Capacity c; k = ⌊C / c⌋.
  public var capacity: Int
  /// Number of channels kept per sample.
  public var k: Int
  public init(block: String, capacity: Int, k: Int) {
    self.block = block
    self.capacity = capacity
    self.k = k
  }
}

/// Attributes of `mod.gather`.
public struct MoDGatherAttrs: Sendable, Hashable {
  public var block: String
  public init(block: String) { self.block = block }
}

/// How a MoD block's processed channels return into the full tensor.
public enum MoDFusion: String, Sendable, Hashable {
  /// Added to the first k channels (the paper's choice).
  case firstK = "first-k"
  /// Added back at the channels they were gathered from.
  case scatter
}

/// Attributes of `mod.fuse`.
public struct MoDFuseAttrs: Sendable, Hashable {
  public var block: String
  public var mode: MoDFusion
  /// ReLU after the add (mirrors the residual block's final ReLU).
  public var relu: Bool
  public init(block: String, mode: MoDFusion = .firstK, relu: Bool = true) {
    self.block = block
    self.mode = mode
    self.relu = relu
  }
}

// MARK: - Shape inference

/// Checks a MoD input `name` of type `t` against the expected shape, naming the dims in the message.
private func expectShape(_ t: TensorType, _ want: [Dim], _ name: String, _ pretty: String) throws {
  guard t.rank == want.count, zip(t.shape, want).allSatisfy({ dimsCompatible($0, $1) }) else {
    throw inferError("\(name) must have shape \(pretty) = \(shapeString(want)), but has type \(t)")
  }
}

extension MoDRouterAttrs {
  /// `mod.router(X[B,C,H,W], W1[h,C], B1[h], W2[C,h], B2[C]) -> (indices: i64[B,k], scores: f32[B,k])`.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 5...5)
    let x = inputs[0]
    try requireRank(x, 4, "X")
    let (b, c) = (x.shape[0], x.shape[1])
    try requireRank(inputs[1], 2, "W1")
    let h = inputs[1].shape[0]
    try expectShape(inputs[1], [h, c], "W1", "[hidden,C]")
    try expectShape(inputs[2], [h], "B1", "[hidden]")
    try expectShape(inputs[3], [c, h], "W2", "[C,hidden]")
    try expectShape(inputs[4], [c], "B2", "[C]")
    guard k >= 1 else { throw inferError("k must be ≥ 1, but is \(k)") }
    if let cv = c.value, k > cv { throw inferError("k = \(k) exceeds the \(cv) channels of X") }
    return [TensorType(.i64, [b, .fixed(k)]), TensorType(x.dtype, [b, .fixed(k)])]
  }

  /// Attribute problems detectable without types.
  public var attributeProblems: [String] {
    var p: [String] = []
    if k < 1 { p.append("k must be ≥ 1, but is \(k)") }
    if capacity < 1 { p.append("capacity must be ≥ 1, but is \(capacity)") }
    return p
  }
}

extension MoDGatherAttrs {
  /// `mod.gather(X[B,C,H,W], indices[B,k]) -> Xk[B,k,H,W]`.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 2...2)
    let x = inputs[0], idx = inputs[1]
    try requireRank(x, 4, "X")
    try requireInteger(idx, "indices")
    try requireRank(idx, 2, "indices")
    try expectShape(idx, [x.shape[0], idx.shape[1]], "indices", "[B,k]")
    if let k = idx.shape[1].value, let c = x.shape[1].value, k > c {
      throw inferError("indices select k = \(k) channels, but X has only \(c)")
    }
    return [TensorType(x.dtype, [refineDim(x.shape[0], idx.shape[0]), idx.shape[1], x.shape[2], x.shape[3]])]
  }
}

extension MoDFuseAttrs {
  /// `mod.fuse(X[B,C,H,W], P[B,k,H,W], scores[B,k], indices[B,k]) -> Y` with X's type.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 4...4)
    let x = inputs[0], p = inputs[1]
    try requireRank(x, 4, "X")
    try requireRank(p, 4, "P")
    try requireSameDType(x, "X", p, "P")
    let k = p.shape[1]
    try expectShape(p, [x.shape[0], k, x.shape[2], x.shape[3]], "P", "[B,k,H,W]")
    try expectShape(inputs[2], [x.shape[0], k], "scores", "[B,k]")
    try requireInteger(inputs[3], "indices")
    try expectShape(inputs[3], [x.shape[0], k], "indices", "[B,k]")
    if let kv = k.value, let c = x.shape[1].value, kv > c { throw inferError("P has k = \(kv) channels, but X has only \(c)") }
    return [x]
  }
}
