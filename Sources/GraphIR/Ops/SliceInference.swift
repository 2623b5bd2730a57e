// Shape inference for slice, pad, cast, shape, gather, constant_of_shape and dropout.

/// Resolved ONNX Slice parameters for one axis, with the spec's clamping rules.
struct SliceAxis {
  /// Number of elements `start:end:step` selects from an axis of size `dim` (ONNX Slice semantics:
  /// negative indices add `dim`; starts/ends are clamped to [0, dim] for positive steps, [-1, dim-1] for negative).
  static func range(start: Int, end: Int, step: Int, dim: Int) -> (start: Int, count: Int) {
    var s = start < 0 ? start + dim : start
    var e = end < 0 ? end + dim : end
    if step > 0 {
      s = min(max(s, 0), dim)
      e = min(max(e, 0), dim)
      return (s, e > s ? (e - s + step - 1) / step : 0)
    }
    s = min(max(s, 0), dim - 1)
    e = min(max(e, -1), dim - 1)
    return (s, s > e ? (s - e + (-step) - 1) / (-step) : 0)
  }
}

extension SliceAttrs {
  /// Per-axis (axis, start, end, step) lists from the attributes or the constant inputs; nil if not known.
  func resolved(inputs: [TensorType], constants: [TensorData?]) throws -> [(axis: Int, start: Int, end: Int, step: Int)]? {
    let rank = inputs[0].rank
    let starts: [Int], ends: [Int], axes: [Int], steps: [Int]
    if let s = self.starts, let e = self.ends {
      try requireInputs(inputs, 1...1)
      (starts, ends) = (s, e)
      axes = self.axes ?? Array(0..<s.count)
      steps = Array(repeating: 1, count: s.count)
    } else {
      try requireInputs(inputs, 3...5)
      for i in 1..<inputs.count where hasInput(inputs, constants, i) {
        try requireInteger(inputs[i], ["", "starts", "ends", "axes", "steps"][i])
      }
      guard let s = constantInts(constants, 1), let e = constantInts(constants, 2) else { return nil }
      (starts, ends) = (s, e)
      if hasInput(inputs, constants, 3) {
        guard let a = constantInts(constants, 3) else { return nil }
        axes = a
      } else {
        axes = Array(0..<s.count)
      }
      if hasInput(inputs, constants, 4) {
        guard let st = constantInts(constants, 4) else { return nil }
        steps = st
      } else {
        steps = Array(repeating: 1, count: s.count)
      }
    }
    guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
      throw inferError(
        "starts \(listString(starts)), ends \(listString(ends)), axes \(listString(axes)) and steps \(listString(steps)) must have equal lengths")
    }
    let ax = try normalizeAxes(axes, rank: rank)
    if let i = steps.firstIndex(of: 0) { throw inferError("steps \(listString(steps)) has 0 at position \(i)") }
    return (0..<ax.count).map { (ax[$0], starts[$0], ends[$0], steps[$0]) }
  }

  /// `slice(data, starts, ends, axes?, steps?)` or the attribute form; unknown parameters give unknown dims.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    guard !inputs.isEmpty else { throw inferError("expects 1 or 3–5 inputs, but has 0") }
    let x = inputs[0]
    guard let spec = try resolved(inputs: inputs, constants: constants) else {
      // Axes known but bounds not: only those axes become unknown.
      if hasInput(inputs, constants, 3), let a = constantInts(constants, 3) {
        let ax = Set(try normalizeAxes(a, rank: x.rank))
        return [TensorType(x.dtype, x.shape.enumerated().map { ax.contains($0.offset) ? .unknown : $0.element })]
      }
      return [TensorType(x.dtype, x.shape.map { _ in Dim.unknown })]
    }
    var shape = x.shape
    for (a, s, e, st) in spec {
      if let d = x.shape[a].value {
        shape[a] = .fixed(SliceAxis.range(start: s, end: e, step: st, dim: d).count)
      } else if s == 0 && st == 1 && e >= Int(Int32.max) {
        shape[a] = x.shape[a]  // a full slice keeps a symbolic extent
      } else {
        shape[a] = .unknown
      }
    }
    return [TensorType(x.dtype, shape)]
  }
}

extension PadAttrs {
  /// `pad(X, pads, value?, axes?)` or the attribute form: each padded axis grows by begin + end (may be negative).
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    let x = inputs.first
    guard let x else { throw inferError("expects 1–4 inputs, but has 0") }
    let padList: [Int]
    var axes = Array(0..<x.rank)
    if let p = pads {
      try requireInputs(inputs, 1...1)
      padList = p
    } else {
      try requireInputs(inputs, 2...4)
      try requireInteger(inputs[1], "pads")
      if hasInput(inputs, constants, 3) {
        guard let a = constantInts(constants, 3) else { return [TensorType(x.dtype, x.shape.map { _ in .unknown })] }
        axes = try normalizeAxes(a, rank: x.rank)
      }
      if hasInput(inputs, constants, 2) { try requireSameDType(x, "data", inputs[2], "constant_value") }
      guard let p = constantInts(constants, 1) else {
        return [TensorType(x.dtype, x.shape.enumerated().map { axes.contains($0.offset) ? .unknown : $0.element })]
      }
      padList = p
    }
    guard padList.count == 2 * axes.count else {
      throw inferError("pads \(listString(padList)) must have \(2 * axes.count) entries (begin and end for \(axes.count) axes)")
    }
    var shape = x.shape
    for (i, a) in axes.enumerated() {
      let grow = padList[i] + padList[i + axes.count]
      if let d = x.shape[a].value {
        guard d + grow >= 0 else { throw inferError("pads \(listString(padList)) shrink axis \(a) of size \(d) below 0") }
        shape[a] = .fixed(d + grow)
      } else if grow != 0 {
        shape[a] = .unknown
      }
    }
    return [TensorType(x.dtype, shape)]
  }
}

extension CastAttrs {
  /// `cast(X)`: X's shape with element type `to`.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...1)
    return [TensorType(to, inputs[0].shape)]
  }
}

extension ShapeAttrs {
  /// The clamped [start, end) range of axes that `shape` reports for an input of rank `rank`.
  func axisRange(rank: Int) -> Range<Int> {
    func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + rank : v, 0), rank) }
    let s = clamp(start), e = clamp(end ?? rank)
    return s..<max(s, e)
  }

  /// `shape(X) -> i64[end - start]`.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...1)
    return [TensorType(.i64, [axisRange(rank: inputs[0].rank).count])]
  }
}

extension AxisAttrs {
  /// `gather(data, indices)` along `axis`: data.shape[..<axis] + indices.shape + data.shape[axis+1...].
  public func gatherOutputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 2...2)
    let x = inputs[0], idx = inputs[1]
    try requireMinRank(x, 1, "data")
    try requireInteger(idx, "indices")
    let a = try normalizeAxis(axis, rank: x.rank)
    if let d = x.shape[a].value, let values = constantInts(constants, 1),
      let bad = values.first(where: { $0 < -d || $0 >= d })
    {
      throw inferError("index \(bad) is out of range for axis \(a) of size \(d)")
    }
    return [TensorType(x.dtype, Array(x.shape[..<a]) + idx.shape + Array(x.shape[(a + 1)...]))]
  }
}

extension ConstantOfShapeAttrs {
  /// `constant_of_shape(shape: i64[r]) -> dtype[shape…]`.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...1)
    let s = inputs[0]
    guard s.rank == 1, s.dtype == .i64 else { throw inferError("input must be a 1-D i64 tensor, but has type \(s)") }
    if let v = constantInts(constants, 0) {
      if let bad = v.first(where: { $0 < 0 }) { throw inferError("shape \(listString(v)) has negative entry \(bad)") }
      return [TensorType(dtype, v)]
    }
    guard let n = s.shape[0].value else { throw inferError("output rank unknown: input has type \(s)") }
    return [TensorType(dtype, try unknownDims(rank: n))]
  }
}

/// Shape inference for `dropout(X, ratio?, training_mode?) -> (Y, mask?)` (inference: Y = X, mask is bool).
public enum Dropout {
  public static func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...3)
    return [inputs[0], TensorType(.bool, inputs[0].shape)]
  }
}
