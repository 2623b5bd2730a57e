/// Attributes of `max_pool` / `average_pool` (ONNX MaxPool/AveragePool). Empty arrays mean ONNX defaults.
public struct PoolAttrs: Sendable, Hashable {
  public var kernelShape: [Int]
  public var strides: [Int]
  public var pads: [Int]
  public var dilations: [Int]
  public var autoPad: AutoPad
  public var ceilMode: Bool
  /// AveragePool only: whether padded zeros count in the divisor.
  public var countIncludePad: Bool

  public init(
    kernelShape: [Int], strides: [Int] = [], pads: [Int] = [], dilations: [Int] = [], autoPad: AutoPad = .notSet,
    ceilMode: Bool = false, countIncludePad: Bool = false
  ) {
    self.kernelShape = kernelShape
    self.strides = strides
    self.pads = pads
    self.dilations = dilations
    self.autoPad = autoPad
    self.ceilMode = ceilMode
    self.countIncludePad = countIncludePad
  }
}

/// Attributes of `reduce_mean`. `axes == nil` means: from the second input if present, else all axes.
public struct ReduceAttrs: Sendable, Hashable {
  public var axes: [Int]?
  public var keepDims: Bool
  public var noopWithEmptyAxes: Bool
  public init(axes: [Int]? = nil, keepDims: Bool = true, noopWithEmptyAxes: Bool = false) {
    self.axes = axes
    self.keepDims = keepDims
    self.noopWithEmptyAxes = noopWithEmptyAxes
  }
}
