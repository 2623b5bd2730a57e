import CKernels
import GraphIR

/// Row-major element strides of `shape`.
func contiguousStrides(_ shape: [Int]) -> [Int] {
  var s = [Int](repeating: 1, count: shape.count)
  var acc = 1
  for i in shape.indices.reversed() {
    s[i] = acc
    acc *= shape[i]
  }
  return s
}

/// Strides to read a tensor of `shape` broadcast to `out` (0 on broadcast axes), numpy rules.
func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int]? {
  guard shape.count <= out.count else { return nil }
  let padded = [Int](repeating: 1, count: out.count - shape.count) + shape
  let cs = contiguousStrides(padded)
  var s: [Int] = []
  for i in out.indices {
    if padded[i] == out[i] { s.append(padded[i] == 1 ? 0 : cs[i]) }
    else if padded[i] == 1 { s.append(0) }
    else { return nil }
  }
  return s
}

extension Lowering {
  func constantInts(_ v: ValueID, _ n: Node, _ what: String) throws -> [Int] {
    guard let d = graph.constants[v]?.data else { throw GraphError(n, "\(what) must be a constant") }
    return d.int64s().map { Int(clamping: $0) }
  }

  /// A strided copy in 4-byte units (i64 buffers are copied as pairs of units).
  mutating func emitCopy(
    _ n: Node, from src: Int, to dst: Int, shape: [Int], srcOffset: Int, srcStrides: [Int], dstOffset: Int,
    dstStrides: [Int]
  ) {
    let wide = schedule.buffers[src].dtype.byteSize == 8
    let k = wide ? 2 : 1
    let copy = CopyStep(shape: wide ? shape + [2] : shape, srcOffset: srcOffset * k,
      srcStrides: srcStrides.map { $0 * k } + (wide ? [1] : []), dstOffset: dstOffset * k,
      dstStrides: dstStrides.map { $0 * k } + (wide ? [1] : []))
    emit(.copy(copy), [src], [dst], n)
  }

  mutating func lowerBinary(_ n: Node) throws {
    let op: BinaryOp
    switch n.op {
    case .add: op = .add
    case .sub: op = .sub
    case .mul: op = .mul
    default: op = .div
    }
    try lowerBinary(n, op: op, lhs: n.inputs[0], rhs: n.inputs[1], out: n.outputs[0], rest: [])
  }

  mutating func lowerBinary(_ n: Node, op: BinaryOp, lhs: ValueID, rhs: ValueID, out: ValueID, rest: [ValueID]) throws {
    let a = try input(lhs, of: n)
    let b = try input(rhs, of: n)
    guard schedule.buffers[a].dtype == .f32, schedule.buffers[b].dtype == .f32 else {
      throw GraphError(n, "elementwise \(n.op.onnxOpType) on non-float tensors is not supported at run time")
    }
    let ys = try staticType(out, n).shape
    guard let sa = broadcastStrides(schedule.buffers[a].shape, to: ys), let sb = broadcastStrides(schedule.buffers[b].shape, to: ys)
    else { throw GraphError(n, "operands cannot be broadcast to \(ys)") }
    let y = try output(out, of: n)
    emit(.binary(BinaryStep(op: op, shape: ys, aStrides: sa, bStrides: sb)), [a, b], [y], n)
    if sa == contiguousStrides(ys) { inPlace[y] = a }
    var acc = out
    for r in rest {
      // sum(a, b, c, …): fold left into fresh values.
      let next = graph.addValue(name: "\(graph[out].name).sum\(r.raw)", type: graph.type(of: out))
      bufferOf[next] = y
      let c = try input(r, of: n)
      guard let sc = broadcastStrides(schedule.buffers[c].shape, to: ys) else { throw GraphError(n, "operands cannot be broadcast") }
      emit(.binary(BinaryStep(op: .add, shape: ys, aStrides: contiguousStrides(ys), bStrides: sc)), [y, c], [y], n)
      acc = next
    }
    _ = acc
  }

  mutating func lowerConcat(_ n: Node, _ a: AxisAttrs) throws {
    let ys = try staticType(n.outputs[0], n).shape
    let axis = a.axis < 0 ? a.axis + ys.count : a.axis
    let y = try output(n.outputs[0], of: n)
    let ds = contiguousStrides(ys)
    var at = 0
    // Pieces are contiguous blocks of y when every axis before `axis` has extent 1 (batch 1, channel concat).
    let blocks = ys.prefix(axis).allSatisfy { $0 == 1 }
    for v in n.inputs {
      let x = try input(v, of: n)
      let xs = schedule.buffers[x].shape
      if blocks && schedule.buffers[x].dtype == .f32 {
        concatPieces.append(ConcatPiece(step: schedule.steps.count, piece: x, concat: y, byteOffset: at * ds[axis] * 4))
      }
      emitCopy(n, from: x, to: y, shape: xs, srcOffset: 0, srcStrides: contiguousStrides(xs), dstOffset: at * ds[axis], dstStrides: ds)
      at += xs[axis]
    }
  }

  mutating func lowerSlice(_ n: Node) throws {
    guard case .slice(let attrs) = n.op else { return }
    let x = try input(n.inputs[0], of: n)
    let xs = schedule.buffers[x].shape
    let ys = try staticType(n.outputs[0], n).shape
    let starts = try attrs.starts ?? constantInts(n.inputs[1], n, "slice starts")
    let axes = try attrs.axes ?? (attrs.starts == nil && n.inputs.count > 3 ? constantInts(n.inputs[3], n, "slice axes") : Array(0..<starts.count))
    let steps = attrs.starts == nil && n.inputs.count > 4 ? try constantInts(n.inputs[4], n, "slice steps") : [Int](repeating: 1, count: starts.count)
    let cs = contiguousStrides(xs)
    var begin = [Int](repeating: 0, count: xs.count)
    var step = [Int](repeating: 1, count: xs.count)
    for (j, ax0) in axes.enumerated() {
      let ax = ax0 < 0 ? ax0 + xs.count : ax0
      guard ax >= 0 && ax < xs.count, steps[j] != 0 else { throw GraphError(n, "bad slice axis or step") }
      let d = xs[ax]
      var s = starts[j] < 0 ? starts[j] + d : starts[j]
      s = steps[j] > 0 ? min(max(s, 0), d) : min(max(s, -1), d - 1)
      begin[ax] = s
      step[ax] = steps[j]
    }
    let off = zip(begin, cs).reduce(0) { $0 + $1.0 * $1.1 }
    let y = try output(n.outputs[0], of: n)
    if ys.contains(0) { return }
    emitCopy(n, from: x, to: y, shape: ys, srcOffset: off, srcStrides: zip(cs, step).map { $0 * $1 }, dstOffset: 0,
      dstStrides: contiguousStrides(ys))
  }

  mutating func lowerTranspose(_ n: Node, _ a: TransposeAttrs) throws {
    let x = try input(n.inputs[0], of: n)
    let xs = schedule.buffers[x].shape
    let perm = a.perm ?? Array((0..<xs.count).reversed())
    let cs = contiguousStrides(xs)
    let ys = perm.map { xs[$0] }
    let y = try output(n.outputs[0], of: n)
    emitCopy(n, from: x, to: y, shape: ys, srcOffset: 0, srcStrides: perm.map { cs[$0] }, dstOffset: 0, dstStrides: contiguousStrides(ys))
  }

  mutating func lowerExpand(_ n: Node) throws {
    let x = try input(n.inputs[0], of: n)
    let ys = try staticType(n.outputs[0], n).shape
    guard let s = broadcastStrides(schedule.buffers[x].shape, to: ys) else { throw GraphError(n, "cannot expand to \(ys)") }
    let y = try output(n.outputs[0], of: n)
    emitCopy(n, from: x, to: y, shape: ys, srcOffset: 0, srcStrides: s, dstOffset: 0, dstStrides: contiguousStrides(ys))
  }

  mutating func lowerPad(_ n: Node, _ a: PadAttrs) throws {
    guard a.mode == .constant else { throw GraphError(n, "Pad mode '\(a.mode.rawValue)' is not supported (constant only)") }
    let x = try input(n.inputs[0], of: n)
    guard schedule.buffers[x].dtype == .f32 else { throw GraphError(n, "Pad of non-float tensors is not supported") }
    let xs = schedule.buffers[x].shape
    let r = xs.count
    var pads = try a.pads ?? constantInts(n.inputs[1], n, "pads")
    var value = a.value
    if a.pads == nil, n.inputs.count > 2, let d = graph.constants[n.inputs[2]]?.data, d.elementCount == 1 {
      value = d.floats().first ?? 0
    }
    if a.pads == nil, n.inputs.count > 3 {
      let axes = try constantInts(n.inputs[3], n, "pad axes")
      var full = [Int](repeating: 0, count: 2 * r)
      for (j, ax0) in axes.enumerated() {
        let ax = ax0 < 0 ? ax0 + r : ax0
        full[ax] = pads[j]
        full[ax + r] = pads[j + axes.count]
      }
      pads = full
    }
    guard pads.count == 2 * r else { throw GraphError(n, "pads must have \(2 * r) entries") }
    let ys = try staticType(n.outputs[0], n).shape
    let y = try output(n.outputs[0], of: n)
    emit(.fill(FillStep(count: ys.reduce(1, *), offset: 0, value: value)), [], [y], n)
    // Copy the overlap of input and output (negative pads crop).
    let cs = contiguousStrides(xs)
    let ds = contiguousStrides(ys)
    var shape: [Int] = []
    var so = 0
    var dof = 0
    for i in 0..<r {
      let lo = pads[i]
      shape.append(max(0, xs[i] + min(lo, 0) + min(pads[i + r], 0)))
      so += max(-lo, 0) * cs[i]
      dof += max(lo, 0) * ds[i]
    }
    if shape.contains(0) { return }
    emitCopy(n, from: x, to: y, shape: shape, srcOffset: so, srcStrides: cs, dstOffset: dof, dstStrides: ds)
  }

  /// Splits `shape` around `axis` into (outer, n, inner).
  func around(_ shape: [Int], _ axis: Int) -> (Int, Int, Int) {
    (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
  }

  func normalizedAxis(_ axis: Int, _ rank: Int, _ n: Node) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0 && a < rank else { throw GraphError(n, "axis \(axis) out of range for rank \(rank)") }
    return a
  }

  mutating func lowerTopK(_ n: Node, _ a: TopKAttrs) throws {
    let x = try input(n.inputs[0], of: n)
    let xs = schedule.buffers[x].shape
    let axis = try normalizedAxis(a.axis, xs.count, n)
    let k = try a.k ?? (constantInts(n.inputs[1], n, "TopK K").first ?? 0)
    let (o, len, i) = around(xs, axis)
    guard k >= 0 && k <= len else { throw GraphError(n, "K = \(k) exceeds the axis size \(len)") }
    let v = try output(n.outputs[0], of: n)
    let idx = try output(n.outputs[1], of: n)
    emit(.topK(TopKStep(outer: o, n: len, inner: i, k: k, largest: a.largest)), [x], [v, idx], n)
  }

  mutating func lowerGatherElements(_ n: Node, _ axis0: Int) throws {
    let d = try input(n.inputs[0], of: n)
    let idx = try input(n.inputs[1], of: n)
    let ds = schedule.buffers[d].shape
    let ish = schedule.buffers[idx].shape
    let axis = try normalizedAxis(axis0, ds.count, n)
    let (o, len, i) = around(ds, axis)
    let (io, m, ii) = around(ish, axis)
    guard io == o, ii == i, schedule.buffers[d].dtype == .f32 else {
      throw GraphError(n, "GatherElements is supported when indices match data outside the axis (f32 data)")
    }
    let y = try output(n.outputs[0], of: n)
    emit(.gatherElements(GatherElementsStep(outer: o, n: len, inner: i, m: m)), [d, idx], [y], n)
  }

  mutating func lowerScatterElements(_ n: Node, _ a: ScatterAttrs) throws {
    guard a.reduction == .none || a.reduction == .add else { throw GraphError(n, "reduction '\(a.reduction.rawValue)' is not supported") }
    let d = try input(n.inputs[0], of: n)
    let idx = try input(n.inputs[1], of: n)
    let u = try input(n.inputs[2], of: n)
    let ds = schedule.buffers[d].shape
    let axis = try normalizedAxis(a.axis, ds.count, n)
    let (o, len, i) = around(ds, axis)
    let (io, m, ii) = around(schedule.buffers[idx].shape, axis)
    guard io == o, ii == i else { throw GraphError(n, "ScatterElements is supported when indices match data outside the axis") }
    let y = try output(n.outputs[0], of: n)
    emit(.scatterElements(ScatterElementsStep(outer: o, n: len, inner: i, m: m, add: a.reduction == .add)), [d, idx, u], [y], n)
    inPlace[y] = d
  }

  mutating func lowerScatterND(_ n: Node, _ a: ScatterAttrs) throws {
    throw GraphError(n, "ScatterND has no kernel yet (models exporting in-place MoD fusion are recognised by RecognizeMoD)")
  }

  mutating func lowerGather(_ n: Node, _ axis0: Int) throws {
    let d = try input(n.inputs[0], of: n)
    let idx = try input(n.inputs[1], of: n)
    let ds = schedule.buffers[d].shape
    let axis = try normalizedAxis(axis0, ds.count, n)
    let (o, len, i) = around(ds, axis)
    guard schedule.buffers[d].dtype == .f32 else { throw GraphError(n, "Gather of non-float data is not supported at run time") }
    let y = try output(n.outputs[0], of: n)
    emit(.gather(GatherStep(outer: o, n: len, inner: i, count: schedule.buffers[idx].elementCount)), [d, idx], [y], n)
  }
}
