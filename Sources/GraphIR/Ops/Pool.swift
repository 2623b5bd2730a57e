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

// MARK: - Shape inference

extension PoolAttrs {
  /// `max_pool`/`average_pool(X[N,C,D…]) -> Y[N,C,D'…]` (max_pool may have a second i64 `Indices` output).
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...1)
    let x = inputs[0]
    try requireMinRank(x, 3, "X")
    let window = try SlidingWindow(
      n: x.rank - 2, kernel: kernelShape, strides: strides, pads: pads, dilations: dilations, autoPad: autoPad,
      ceilMode: ceilMode)
    let shape = [x.shape[0], x.shape[1]] + (try window.outputDims(Array(x.shape[2...])))
    return [TensorType(x.dtype, shape), TensorType(.i64, shape)]
  }

  /// Attribute problems detectable without types.
  public var attributeProblems: [String] {
    var p: [String] = []
    if kernelShape.isEmpty { p.append("kernel_shape must be set") }
    if kernelShape.contains(where: { $0 < 1 }) { p.append("kernel dims must be ≥ 1, but kernel_shape is \(listString(kernelShape))") }
    if strides.contains(where: { $0 < 1 }) { p.append("strides must be ≥ 1, but are \(listString(strides))") }
    if dilations.contains(where: { $0 < 1 }) { p.append("dilations must be ≥ 1, but are \(listString(dilations))") }
    if pads.contains(where: { $0 < 0 }) { p.append("pads must be ≥ 0, but are \(listString(pads))") }
    return p
  }
}

/// Shape inference for `global_average_pool` / `global_max_pool`: X[N,C,D…] -> Y[N,C,1…].
public enum GlobalPool {
  public static func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...1)
    let x = inputs[0]
    try requireMinRank(x, 3, "X")
    return [TensorType(x.dtype, [x.shape[0], x.shape[1]] + Array(repeating: .fixed(1), count: x.rank - 2))]
  }
}

extension ReduceAttrs {
  /// `reduce_mean(X, axes?)`: axes from the attribute or the (constant) second input; empty axes reduce all
  /// dims, or nothing when `noop_with_empty_axes`; `keepdims` keeps reduced dims as 1.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...2)
    let x = inputs[0]
    var list: [Int]
    if let axes {
      list = axes
    } else if hasInput(inputs, constants, 1) {
      guard let c = constantInts(constants, 1) else {
        guard keepDims else { throw inferError("output rank unknown: axes input is not a constant and keepdims is 0") }
        return [TensorType(x.dtype, x.shape.map { _ in Dim.unknown })]
      }
      list = c
    } else {
      list = []
    }
    if list.isEmpty {
      if noopWithEmptyAxes { return [x] }
      list = Array(0..<x.rank)
    }
    let reduced = Set(try normalizeAxes(list, rank: x.rank))
    var shape: [Dim] = []
    for (i, d) in x.shape.enumerated() {
      if reduced.contains(i) {
        if keepDims { shape.append(.fixed(1)) }
      } else {
        shape.append(d)
      }
    }
    return [TensorType(x.dtype, shape)]
  }
}
