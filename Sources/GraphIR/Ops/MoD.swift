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
