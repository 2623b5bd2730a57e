// Shape inference for the layout ops: flatten, reshape, squeeze, unsqueeze, transpose, concat.

extension FlattenAttrs {
  /// `flatten(X)` -> [prod(dims before axis), prod(dims from axis)]; axis in [-r, r].
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...1)
    let x = inputs[0]
    guard axis >= -x.rank && axis <= x.rank else {
      throw inferError("axis \(axis) is out of range for rank \(x.rank) (valid: \(-x.rank)...\(x.rank))")
    }
    let a = axis < 0 ? axis + x.rank : axis
    return [TensorType(x.dtype, [dimProduct(x.shape[..<a]), dimProduct(x.shape[a...])])]
  }
}

/// A product of dims kept as a fixed factor times a multiset of symbol names, so that `-1` in a reshape can cancel
/// symbols (`[N,512,1,1]` reshaped to `[0,-1]` gives `[N,512]`).
private struct SymbolicProduct {
  var fixed = 1
  var symbols: [String: Int] = [:]
  var hasUnknown = false

  init(_ dims: [Dim]) {
    for d in dims {
      switch d {
      case .fixed(let v): fixed *= v
      case .symbol(let s):
        if d.isUnknown { hasUnknown = true } else { symbols[s, default: 0] += 1 }
      }
    }
  }

  /// self / other as a dim, or nil when it does not divide evenly.
  func dividing(by other: SymbolicProduct) -> Dim? {
    if hasUnknown || other.hasUnknown { return .unknown }
    var rest = symbols
    for (s, n) in other.symbols {
      guard let m = rest[s], m >= n else { return .unknown }
      rest[s] = m - n == 0 ? nil : m - n
    }
    guard other.fixed != 0 else { return nil }
    guard fixed % other.fixed == 0 else { return rest.isEmpty ? nil : .unknown }
    let q = fixed / other.fixed
    if rest.isEmpty { return .fixed(q) }
    if q == 1 && rest.count == 1, let (s, n) = rest.first, n == 1 { return .symbol(s) }
    return .unknown
  }
}

extension ReshapeAttrs {
  /// `reshape(X, shape)`: `0` copies the input dim (unless `allowzero`), one `-1` is inferred from the element
  /// count. The shape must be a constant (or fold to one) for the output dims to be known.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 2...2)
    let x = inputs[0], s = inputs[1]
    guard s.rank == 1, s.dtype == .i64 else { throw inferError("shape must be a 1-D i64 tensor, but has type \(s)") }
    guard let target = constantInts(constants, 1) else {
      guard let n = s.shape[0].value else { throw inferError("output rank unknown: shape is not a constant (\(s))") }
      return [TensorType(x.dtype, try unknownDims(rank: n))]
    }
    if target.filter({ $0 == -1 }).count > 1 {
      throw inferError("shape \(listString(target)) has more than one -1")
    }
    if let bad = target.first(where: { $0 < -1 }) { throw inferError("shape \(listString(target)) has invalid entry \(bad)") }
    if allowZero && target.contains(0) && target.contains(-1) {
      throw inferError("shape \(listString(target)) has both 0 and -1 with allowzero=1")
    }
    var out: [Dim] = []
    for (i, v) in target.enumerated() {
      if v == 0 && !allowZero {
        guard i < x.rank else {
          throw inferError("shape \(listString(target)) copies dim \(i) with 0, but input X has rank \(x.rank)")
        }
        out.append(x.shape[i])
      } else {
        out.append(.fixed(v))
      }
    }
    let total = SymbolicProduct(x.shape)
    if let hole = target.firstIndex(of: -1) {
      var known = out
      known.remove(at: hole)
      guard let d = total.dividing(by: SymbolicProduct(known)) else {
        throw inferError(
          "cannot reshape \(shapeString(x.shape)) to \(listString(target)): \(x.elementCount.map(String.init) ?? "the element count") is not divisible by \(SymbolicProduct(known).fixed)")
      }
      out[hole] = d
    } else if let n = x.elementCount, let m = TensorType(x.dtype, out).elementCount, n != m {
      throw inferError("cannot reshape \(shapeString(x.shape)) (\(n) elements) to \(listString(target)) (\(m) elements)")
    }
    return [TensorType(x.dtype, out)]
  }
}

/// Squeeze/unsqueeze axes: from the attribute, or from the (constant) second input.
private func axesList(_ attr: [Int]?, _ inputs: [TensorType], _ constants: [TensorData?]) throws -> [Int]?? {
  if let attr { return .some(attr) }
  guard hasInput(inputs, constants, 1) else { return .some(nil) }
  guard let c = constantInts(constants, 1) else { return nil }
  return .some(c)
}

/// Shape inference for `squeeze` (`AxesAttrs` payload).
public enum Squeeze {
  /// `squeeze(X, axes?)`: removes the listed size-1 axes, or every fixed size-1 axis when none are given.
  public static func outputTypes(_ attrs: AxesAttrs, inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...2)
    let x = inputs[0]
    guard let axes = try axesList(attrs.axes, inputs, constants) else {
      throw inferError("output rank unknown: axes input is not a constant")
    }
    guard let axes else { return [TensorType(x.dtype, x.shape.filter { $0 != .fixed(1) })] }
    let drop = Set(try normalizeAxes(axes, rank: x.rank))
    for a in drop.sorted() where !dimsCompatible(x.shape[a], .fixed(1)) {
      throw inferError("cannot squeeze axis \(a) of \(shapeString(x.shape)): its size is \(x.shape[a]), not 1")
    }
    return [TensorType(x.dtype, x.shape.enumerated().filter { !drop.contains($0.offset) }.map(\.element))]
  }
}

/// Shape inference for `unsqueeze` (`AxesAttrs` payload).
public enum Unsqueeze {
  /// `unsqueeze(X, axes)`: inserts size-1 axes; negative axes count from the end of the output rank.
  public static func outputTypes(_ attrs: AxesAttrs, inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...2)
    let x = inputs[0]
    guard let axes = try axesList(attrs.axes, inputs, constants), let axes else {
      throw inferError("output rank unknown: axes are neither an attribute nor a constant input")
    }
    let r = x.rank + axes.count
    let ins = Set(try normalizeAxes(axes, rank: r))
    var out: [Dim] = []
    var it = x.shape.makeIterator()
    for i in 0..<r {
      if ins.contains(i) { out.append(.fixed(1)) } else if let d = it.next() { out.append(d) }
    }
    return [TensorType(x.dtype, out)]
  }
}

extension TransposeAttrs {
  /// `transpose(X)`: output dim i is input dim perm[i]; no perm reverses the axes.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...1)
    let x = inputs[0]
    let p = perm ?? Array((0..<x.rank).reversed())
    guard p.count == x.rank, Set(p) == Set(0..<x.rank) else {
      throw inferError("perm \(listString(p)) is not a permutation of the \(x.rank) axes of X")
    }
    return [TensorType(x.dtype, p.map { x.shape[$0] })]
  }
}

extension AxisAttrs {
  /// `concat(x0, x1, …)` along `axis`: equal ranks, element types and non-axis dims; the axis dims add up.
  public func concatOutputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    guard let first = inputs.first else { throw inferError("expects at least 1 input, but has 0") }
    let a = try normalizeAxis(axis, rank: first.rank)
    var shape = first.shape
    for (i, t) in inputs.enumerated().dropFirst() {
      try requireSameDType(first, "inputs[0]", t, "inputs[\(i)]")
      guard t.rank == first.rank else {
        throw inferError("inputs[\(i)] has rank \(t.rank), but inputs[0] has rank \(first.rank)")
      }
      for d in 0..<t.rank where d != a {
        guard dimsCompatible(shape[d], t.shape[d]) else {
          throw inferError(
            "inputs[\(i)] \(shapeString(t.shape)) differs from \(shapeString(first.shape)) in dim \(d) (only axis \(a) may differ)")
        }
        shape[d] = refineDim(shape[d], t.shape[d])
      }
      shape[a] = dimSum(shape[a], t.shape[a])
    }
    return [TensorType(first.dtype, shape)]
  }
}
