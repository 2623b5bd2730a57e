// Element-level kernels of the constant evaluator, on small row-major tensors.

/// A small tensor's elements as Int64 (integer and bool types) or Double (float types).
struct SmallTensor {
  enum Elements {
    case ints([Int64])
    case reals([Double])
  }

  var dtype: DType
  var shape: [Int]
  var elements: Elements

  init(dtype: DType, shape: [Int], elements: Elements) {
    self.dtype = dtype
    self.shape = shape
    self.elements = elements
  }

  init(_ d: TensorData) {
    self.init(dtype: d.dtype, shape: d.shape, elements: d.dtype.isFloat ? .reals(d.doubles()) : .ints(d.int64s()))
  }

  var data: TensorData {
    switch elements {
    case .ints(let v): return TensorData(dtype: dtype, shape: shape, int64s: v)
    case .reals(let v): return TensorData(dtype: dtype, shape: shape, doubles: v)
    }
  }

  var count: Int {
    switch elements {
    case .ints(let v): return v.count
    case .reals(let v): return v.count
    }
  }

  func reals() -> [Double] {
    switch elements {
    case .ints(let v): return v.map { Double($0) }
    case .reals(let v): return v
    }
  }

  func reshaped(_ s: [Int]) -> SmallTensor { SmallTensor(dtype: dtype, shape: s, elements: elements) }

  /// The elements at flat indices `idx`, as a tensor of `shape`.
  func pick(_ idx: [Int], shape s: [Int]) -> SmallTensor {
    switch elements {
    case .ints(let v): return SmallTensor(dtype: dtype, shape: s, elements: .ints(idx.map { v[$0] }))
    case .reals(let v): return SmallTensor(dtype: dtype, shape: s, elements: .reals(idx.map { v[$0] }))
    }
  }

  func cast(to t: DType) -> SmallTensor {
    if t.isFloat { return SmallTensor(dtype: t, shape: shape, elements: .reals(reals())) }
    switch elements {
    case .ints(let v): return SmallTensor(dtype: t, shape: shape, elements: .ints(t == .bool ? v.map { $0 != 0 ? 1 : 0 } : v))
    case .reals(let v):
      let i = v.map { x -> Int64 in
        if t == .bool { return x != 0 ? 1 : 0 }
        return x.isFinite ? Int64(max(min(x.rounded(.towardZero), 9.2e18), -9.2e18)) : 0
      }
      return SmallTensor(dtype: t, shape: shape, elements: .ints(i))
    }
  }

  /// Row-major strides of `shape`.
  static func strides(_ shape: [Int]) -> [Int] {
    var s = Array(repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      s[i] = acc
      acc *= shape[i]
    }
    return s
  }

  /// Calls `body` with every multi-index of `shape` in row-major order.
  static func forEachIndex(_ shape: [Int], _ body: ([Int]) -> Void) {
    let n = shape.reduce(1, *)
    guard n > 0 else { return }
    var idx = Array(repeating: 0, count: shape.count)
    for _ in 0..<n {
      body(idx)
      var d = shape.count - 1
      while d >= 0 {
        idx[d] += 1
        if idx[d] < shape[d] { break }
        idx[d] = 0
        d -= 1
      }
    }
  }

  /// For each element of `out`, the flat index of the element of a tensor of shape `src` broadcast to it.
  static func broadcastIndices(_ src: [Int], _ out: [Int]) -> [Int] {
    let st = strides(src)
    let off = out.count - src.count
    var r: [Int] = []
    r.reserveCapacity(out.reduce(1, *))
    forEachIndex(out) { i in
      var f = 0
      for d in 0..<src.count where src[d] != 1 { f += i[d + off] * st[d] }
      r.append(f)
    }
    return r
  }

  static func transposeIndices(_ shape: [Int], _ perm: [Int]) -> [Int] {
    let st = strides(shape)
    var r: [Int] = []
    forEachIndex(perm.map { shape[$0] }) { i in
      var f = 0
      for (d, p) in perm.enumerated() { f += i[d] * st[p] }
      r.append(f)
    }
    return r
  }

  func gather(axis: Int, indices: [Int64], outShape: [Int]) -> SmallTensor? {
    let d = shape[axis]
    let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
    var r: [Int] = []
    r.reserveCapacity(outer * indices.count * inner)
    for o in 0..<outer {
      for raw in indices {
        let j = Int(raw) < 0 ? Int(raw) + d : Int(raw)
        guard j >= 0 && j < d else { return nil }
        for i in 0..<inner { r.append((o * d + j) * inner + i) }
      }
    }
    return pick(r, shape: outShape)
  }

  static func concat(_ parts: [SmallTensor], axis: Int, outShape: [Int]) -> SmallTensor {
    let outer = outShape[..<axis].reduce(1, *)
    let inner = outShape[(axis + 1)...].reduce(1, *)
    let first = parts[0]
    if first.dtype.isFloat {
      var v: [Double] = []
      let all = parts.map { $0.reals() }
      for o in 0..<outer {
        for (p, t) in zip(parts, all) { let n = p.shape[axis] * inner; v += t[(o * n)..<((o + 1) * n)] }
      }
      return SmallTensor(dtype: first.dtype, shape: outShape, elements: .reals(v))
    }
    var v: [Int64] = []
    let all = parts.map { p -> [Int64] in if case .ints(let x) = p.elements { return x } else { return [] } }
    for o in 0..<outer {
      for (p, t) in zip(parts, all) { let n = p.shape[axis] * inner; v += t[(o * n)..<((o + 1) * n)] }
    }
    return SmallTensor(dtype: first.dtype, shape: outShape, elements: .ints(v))
  }

  func slice(_ spec: [(axis: Int, start: Int, end: Int, step: Int)], outShape: [Int]) -> SmallTensor {
    var starts = Array(repeating: 0, count: shape.count)
    var steps = Array(repeating: 1, count: shape.count)
    for (a, s, e, st) in spec {
      starts[a] = SliceAxis.range(start: s, end: e, step: st, dim: shape[a]).start
      steps[a] = st
    }
    let st = SmallTensor.strides(shape)
    var r: [Int] = []
    SmallTensor.forEachIndex(outShape) { i in
      var f = 0
      for d in 0..<shape.count { f += (starts[d] + i[d] * steps[d]) * st[d] }
      r.append(f)
    }
    return pick(r, shape: outShape)
  }

  enum BinaryOp { case add, sub, mul, div, equal }

  static func binary(_ a: SmallTensor, _ b: SmallTensor, _ out: [Int], _ outType: DType, _ op: BinaryOp) -> SmallTensor? {
    let ia = broadcastIndices(a.shape, out), ib = broadcastIndices(b.shape, out)
    switch (a.elements, b.elements) {
    case (.ints(let x), .ints(let y)):
      var r: [Int64] = []
      r.reserveCapacity(ia.count)
      for (i, j) in zip(ia, ib) {
        let (p, q) = (x[i], y[j])
        switch op {
        case .add: r.append(p &+ q)
        case .sub: r.append(p &- q)
        case .mul: r.append(p &* q)
        case .div:
          guard q != 0, !(p == Int64.min && q == -1) else { return nil }
          r.append(p / q)
        case .equal: r.append(p == q ? 1 : 0)
        }
      }
      return SmallTensor(dtype: outType, shape: out, elements: .ints(r))
    default:
      let x = a.reals(), y = b.reals()
      if op == .equal {
        return SmallTensor(dtype: .bool, shape: out, elements: .ints(zip(ia, ib).map { x[$0] == y[$1] ? 1 : 0 }))
      }
      let r = zip(ia, ib).map { (i, j) -> Double in
        switch op {
        case .add: return x[i] + y[j]
        case .sub: return x[i] - y[j]
        case .mul: return x[i] * y[j]
        case .div, .equal: return x[i] / y[j]
        }
      }
      return SmallTensor(dtype: outType, shape: out, elements: .reals(r))
    }
  }

  static func select(_ c: SmallTensor, _ x: SmallTensor, _ y: SmallTensor, _ out: [Int]) -> SmallTensor {
    let ic = broadcastIndices(c.shape, out), ix = broadcastIndices(x.shape, out), iy = broadcastIndices(y.shape, out)
    guard case .ints(let cond) = c.elements else { return x }
    switch (x.elements, y.elements) {
    case (.ints(let a), .ints(let b)):
      return SmallTensor(dtype: x.dtype, shape: out, elements: .ints((0..<ic.count).map { cond[ic[$0]] != 0 ? a[ix[$0]] : b[iy[$0]] }))
    default:
      let a = x.reals(), b = y.reals()
      return SmallTensor(dtype: x.dtype, shape: out, elements: .reals((0..<ic.count).map { cond[ic[$0]] != 0 ? a[ix[$0]] : b[iy[$0]] }))
    }
  }
}
