#if canImport(Glibc)
import Glibc
#endif
import CKernels
import GraphIR

extension Lowering {
  /// Emits the steps of one node (or records an alias).
  mutating func lower(_ n: Node) throws {
    switch n.op {
    case .conv(let a): try lowerConv(n, a)
    case .gemm(let a): try lowerGemm(n, a)
    case .matMul: try lowerMatMul(n)
    case .batchNorm(let a): try lowerBatchNorm(n, a)
    case .relu, .sigmoid:
      let x = try input(n.inputs[0], of: n)
      let y = try output(n.outputs[0], of: n)
      let count = schedule.buffers[y].elementCount
      emit(n.op.mnemonic == "relu" ? .relu(ReluStep(count: count)) : .sigmoid(SigmoidStep(count: count)), [x], [y], n)
      inPlace[y] = x
    case .add, .sub, .mul, .div: try lowerBinary(n)
    case .sum:
      guard n.inputs.count >= 1 else { throw GraphError(n, "sum needs at least one input") }
      if n.inputs.count == 1 { bufferOf[n.outputs[0]] = try input(n.inputs[0], of: n); return }
      try lowerBinary(n, op: .add, lhs: n.inputs[0], rhs: n.inputs[1], out: n.outputs[0], rest: Array(n.inputs.dropFirst(2)))
    case .maxPool(let a), .averagePool(let a): try lowerPool(n, a)
    case .globalAveragePool:
      let x = try input(n.inputs[0], of: n)
      let s = schedule.buffers[x].shape
      guard s.count >= 3 else { throw GraphError(n, "expects a rank ≥ 3 input") }
      let y = try output(n.outputs[0], of: n)
      emit(.globalAveragePool(GlobalAveragePoolStep(planes: s[0] * s[1], hw: s.dropFirst(2).reduce(1, *))), [x], [y], n)
    case .softmax(let a): try lowerSoftmax(n, a)
    case .reshape, .flatten, .squeeze, .unsqueeze, .identity, .dropout:
      let x = try input(n.inputs[0], of: n)
      let t = try staticType(n.outputs[0], n)
      guard t.shape.reduce(1, *) == schedule.buffers[x].elementCount else {
        throw GraphError(n, "reshape changes the element count")
      }
      let b = addBuffer(graph[n.outputs[0]].name, t.dtype, t.shape, .arena(-1))
      aliasOf[b] = aliasOf[x] ?? x
      bufferOf[n.outputs[0]] = b
    case .concat(let a): try lowerConcat(n, a)
    case .slice: try lowerSlice(n)
    case .transpose(let a): try lowerTranspose(n, a)
    case .expand: try lowerExpand(n)
    case .pad(let a): try lowerPad(n, a)
    case .modRouter(let a):
      let x = try input(n.inputs[0], of: n)
      let s = schedule.buffers[x].shape
      let ws = try (1...4).map { try input(n.inputs[$0], of: n) }
      let hidden = schedule.buffers[ws[0]].shape.first ?? 1
      let idx = try output(n.outputs[0], of: n)
      let sc = try output(n.outputs[1], of: n)
      emit(.modRouter(MoDRouterStep(b: s[0], c: s[1], hw: s[2] * s[3], hidden: hidden, k: a.k)), [x] + ws, [idx, sc], n)
    case .modGather:
      let x = try input(n.inputs[0], of: n)
      let idx = try input(n.inputs[1], of: n)
      let s = schedule.buffers[x].shape
      let y = try output(n.outputs[0], of: n)
      emit(.modGather(MoDGatherStep(b: s[0], c: s[1], hw: s[2] * s[3], k: schedule.buffers[idx].shape[1])), [x, idx], [y], n)
    case .modFuse(let a):
      let ins = try n.inputs.map { try input($0, of: n) }
      let s = schedule.buffers[ins[0]].shape
      let y = try output(n.outputs[0], of: n)
      emit(.modFuse(MoDFuseStep(b: s[0], c: s[1], hw: s[2] * s[3], k: schedule.buffers[ins[3]].shape[1],
        scatter: a.mode == .scatter, relu: a.relu)), ins, [y], n)
      inPlace[y] = ins[0]
    case .topK(let a): try lowerTopK(n, a)
    case .gatherElements(let a): try lowerGatherElements(n, a.axis)
    case .scatterElements(let a): try lowerScatterElements(n, a)
    case .scatterND(let a): try lowerScatterND(n, a)
    case .gather(let a): try lowerGather(n, a.axis)
    case .globalMaxPool, .reduceMean, .equal, .where, .cast, .shape, .constantOfShape:
      throw GraphError(n, "no kernel for \(n.op.onnxOpType) here (it is expected to be folded or canonicalised away)")
    case .opaque(let a):
      throw GraphError(n, "unsupported op \(a.domain.isEmpty ? "" : a.domain + ".")\(a.opType) has no kernel")
    }
  }

  mutating func lowerConv(_ n: Node, _ a: ConvAttrs) throws {
    let x = try input(n.inputs[0], of: n)
    let xs = schedule.buffers[x].shape
    guard xs.count == 4 else { throw GraphError(n, "only 2-D convolutions (NCHW) are supported, input is rank \(xs.count)") }
    let (wd, wf) = try constantFloats(n.inputs[1], n, "conv weight")
    guard wd.shape.count == 4 else { throw GraphError(n, "weight must be [C_out, C_in/group, kh, kw]") }
    let ys = try staticType(n.outputs[0], n).shape
    let strides = a.strides.isEmpty ? [1, 1] : a.strides
    let dil = a.dilations.isEmpty ? [1, 1] : a.dilations
    var pads = a.pads.isEmpty ? [0, 0, 0, 0] : a.pads
    if a.autoPad == .sameUpper || a.autoPad == .sameLower {
      pads = [0, 0, 0, 0]
      for d in 0..<2 {
        let (inSize, k, s, dl) = (xs[2 + d], wd.shape[2 + d], strides[d], dil[d])
        let total = max(0, (ys[2 + d] - 1) * s + (k - 1) * dl + 1 - inSize)
        let small = total / 2
        pads[d] = a.autoPad == .sameUpper ? small : total - small
        pads[d + 2] = total - pads[d]
      }
    }
    var step = ConvStep(n: xs[0], cIn: xs[1], h: xs[2], w: xs[3], cOut: wd.shape[0], kh: wd.shape[2], kw: wd.shape[3],
      strideH: strides[0], strideW: strides[1], padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3],
      dilH: dil[0], dilW: dil[1], groups: a.group, relu: a.fusedRelu, hasBias: n.inputs.count >= 3,
      hasResidual: a.fusedResidual, outH: ys[2], outW: ys[3])
    var desc = step.cDesc
    guard modc_conv2d_check(&desc) == 0, Int(modc_conv2d_out_h(&desc)) == ys[2], Int(modc_conv2d_out_w(&desc)) == ys[3]
    else { throw GraphError(n, "conv parameters are not supported by the kernel library") }
    // A MoD body's first and last convs read/write through channel maps, which Winograd does not have.
    step.algo = moDConvs.contains(n.name) && a.group == 1 ? .auto : Self.convAlgorithm(for: desc, policy: options.convAlgorithm)
    desc.algo = Int32(step.algo.rawValue)
    let count = modc_conv2d_packed_weight_size(&desc)
    // The packed format depends on the algorithm: Winograd packs get their own cache entry (and name).
    let suffix = step.algo.isWinograd ? ".\(step.algo)" : ""
    let packedName = "\(graph[n.inputs[1]].name).packed\(step.groups)" + suffix
    let w = packedWeight(name: packedName, shape: wd.shape, count: count) { out in
      wf.withUnsafeBufferPointer { modc_conv2d_pack_weights(&desc, $0.baseAddress, out) }
    }
    var ins = [x, w]
    if n.inputs.count >= 3 { ins.append(try input(n.inputs[2], of: n)) }
    if a.fusedResidual {
      guard n.inputs.count >= 4 else { throw GraphError(n, "fused residual input missing") }
      ins.append(try input(n.inputs[3], of: n))
    }
    let y = try output(n.outputs[0], of: n)
    emit(.conv(step), ins, [y], n)
  }

  /// The algorithm of a conv under `policy` (`--conv-algo`): with `.auto`, Winograd F(4x4,3x3) or F(2x2,3x3)
  /// where `modc_conv2d_winograd_choice` says it beats the direct kernels on the target (lowering runs with the
  /// kernel ISA capped at the target), else the library default; `.direct` everywhere; `.winograd`/`.winograd2`
  /// on every conv they support.
  static func convAlgorithm(for desc: modc_conv_desc, policy: ConvAlgorithmPolicy) -> ConvAlgorithm {
    var d = desc
    d.algo = Int32(MODC_CONV_WINOGRAD.rawValue)
    let supported = modc_conv2d_check(&d) == 0
    switch policy {
    case .direct: return .direct
    case .winograd: return supported ? .winograd : .auto
    case .winograd2: return supported ? .winograd2 : .auto
    case .auto: return supported ? ConvAlgorithm(rawValue: Int(modc_conv2d_winograd_choice(&d))) ?? .auto : .auto
    }
  }

  /// Gemm with constant B: y = alpha·A·op(B) + beta·C as a fully connected layer (W = op(B)ᵀ scaled by alpha).
  mutating func lowerGemm(_ n: Node, _ a: GemmAttrs) throws {
    guard !a.transA else { throw GraphError(n, "Gemm with transA=1 is not supported") }
    let x = try input(n.inputs[0], of: n)
    let xs = schedule.buffers[x].shape
    let (bd, bf) = try constantFloats(n.inputs[1], n, "Gemm B")
    guard xs.count == 2, bd.shape.count == 2 else { throw GraphError(n, "Gemm needs 2-D inputs") }
    let (inF, outF) = a.transB ? (bd.shape[1], bd.shape[0]) : (bd.shape[0], bd.shape[1])
    // W[out][in]
    var wRows = [Float](repeating: 0, count: outF * inF)
    for o in 0..<outF { for i in 0..<inF { wRows[o * inF + i] = a.alpha * (a.transB ? bf[o * inF + i] : bf[i * outF + o]) } }
    var biasBuf: [Int] = []
    if n.inputs.count >= 3 {
      let (cd, cf) = try constantFloats(n.inputs[2], n, "Gemm C")
      let bias: [Float]
      if cd.elementCount == outF { bias = cf.map { $0 * a.beta } }
      else if cd.elementCount == 1 { bias = [Float](repeating: cf[0] * a.beta, count: outF) }
      else { throw GraphError(n, "Gemm C of shape \(cd.shape) is not a per-output bias") }
      biasBuf = [rawWeight(TensorData(shape: [outF], floats: bias), name: "\(n.name).bias")]
    }
    try emitFC(n, x: x, batch: xs[0], inF: inF, outF: outF, w: wRows, bias: biasBuf, wName: "\(graph[n.inputs[1]].name).fc\(a.transB)\(a.alpha)")
  }

  mutating func lowerMatMul(_ n: Node) throws {
    let x = try input(n.inputs[0], of: n)
    let xs = schedule.buffers[x].shape
    let (bd, bf) = try constantFloats(n.inputs[1], n, "MatMul B")
    guard xs.count >= 2, bd.shape.count == 2 else { throw GraphError(n, "MatMul needs a constant 2-D right operand") }
    let (inF, outF) = (bd.shape[0], bd.shape[1])
    var wRows = [Float](repeating: 0, count: outF * inF)
    for o in 0..<outF { for i in 0..<inF { wRows[o * inF + i] = bf[i * outF + o] } }
    try emitFC(n, x: x, batch: xs.dropLast().reduce(1, *), inF: inF, outF: outF, w: wRows, bias: [],
      wName: "\(graph[n.inputs[1]].name).matmul")
  }

  mutating func emitFC(_ n: Node, x: Int, batch: Int, inF: Int, outF: Int, w: [Float], bias: [Int], wName: String) throws {
    let count = modc_pack_a_size(Int32(outF), Int32(inF))
    let pw = packedWeight(name: wName, shape: [outF, inF], count: count) { out in
      w.withUnsafeBufferPointer { modc_pack_a(Int32(outF), Int32(inF), $0.baseAddress, inF, out) }
    }
    let y = try output(n.outputs[0], of: n)
    emit(.fullyConnected(FullyConnectedStep(batch: batch, inFeatures: inF, outFeatures: outF, hasBias: !bias.isEmpty)),
      [x, pw] + bias, [y], n)
  }

  mutating func lowerBatchNorm(_ n: Node, _ a: BatchNormAttrs) throws {
    let x = try input(n.inputs[0], of: n)
    let s = schedule.buffers[x].shape
    guard s.count >= 2 else { throw GraphError(n, "BatchNormalization needs rank ≥ 2") }
    let p = try (1...4).map { try constantFloats(n.inputs[$0], n, "BatchNormalization parameter").1 }
    let c = s[1]
    guard p.allSatisfy({ $0.count == c }) else { throw GraphError(n, "BatchNormalization parameters must have \(c) elements") }
    var scale = [Float](repeating: 0, count: c)
    var shift = [Float](repeating: 0, count: c)
    for i in 0..<c {
      scale[i] = p[0][i] / (p[3][i] + a.epsilon).squareRoot()
      shift[i] = p[1][i] - p[2][i] * scale[i]
    }
    let sb = rawWeight(TensorData(shape: [c], floats: scale), name: "\(n.name).scale")
    let hb = rawWeight(TensorData(shape: [c], floats: shift), name: "\(n.name).shift")
    let y = try output(n.outputs[0], of: n)
    emit(.batchNorm(BatchNormStep(n: s[0], c: c, hw: s.dropFirst(2).reduce(1, *))), [x, sb, hb], [y], n)
    inPlace[y] = x
  }

  mutating func lowerPool(_ n: Node, _ a: PoolAttrs) throws {
    let x = try input(n.inputs[0], of: n)
    let s = schedule.buffers[x].shape
    guard s.count == 4, a.kernelShape.count == 2 else { throw GraphError(n, "only 2-D pooling is supported") }
    let ys = try staticType(n.outputs[0], n).shape
    let strides = a.strides.isEmpty ? [1, 1] : a.strides
    let dil = a.dilations.isEmpty ? [1, 1] : a.dilations
    var pads = a.pads.isEmpty ? [0, 0, 0, 0] : a.pads
    if a.autoPad == .sameUpper || a.autoPad == .sameLower {
      for d in 0..<2 {
        let total = max(0, (ys[2 + d] - 1) * strides[d] + (a.kernelShape[d] - 1) * dil[d] + 1 - s[2 + d])
        pads[d] = a.autoPad == .sameUpper ? total / 2 : total - total / 2
        pads[d + 2] = total - pads[d]
      }
    }
    let p = PoolWindow(n: s[0], c: s[1], h: s[2], w: s[3], kh: a.kernelShape[0], kw: a.kernelShape[1], strideH: strides[0],
      strideW: strides[1], padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3], dilH: dil[0],
      dilW: dil[1], ceilMode: a.ceilMode, countIncludePad: a.countIncludePad, outH: ys[2], outW: ys[3])
    var d = MaxPoolStep(window: p).cDesc
    guard Int(modc_pool2d_out_h(&d)) == ys[2], Int(modc_pool2d_out_w(&d)) == ys[3] else {
      throw GraphError(n, "pooling output \(ys) disagrees with the kernel library's size rule")
    }
    let y = try output(n.outputs[0], of: n)
    if case .maxPool = n.op { emit(.maxPool(MaxPoolStep(window: p)), [x], [y], n) } else { emit(.averagePool(AveragePoolStep(window: p)), [x], [y], n) }
  }

  mutating func lowerSoftmax(_ n: Node, _ a: SoftmaxAttrs) throws {
    let x = try input(n.inputs[0], of: n)
    let s = schedule.buffers[x].shape
    let axis = a.axis < 0 ? a.axis + s.count : a.axis
    guard axis >= 0 && axis < s.count else { throw GraphError(n, "softmax axis out of range") }
    let inner = s[(axis + 1)...].reduce(1, *)
    guard a.coerce2D || inner == 1 else { throw GraphError(n, "softmax is supported over the last axis only") }
    let cols = s[axis...].reduce(1, *)
    let y = try output(n.outputs[0], of: n)
    emit(.softmax(SoftmaxStep(rows: s.reduce(1, *) / max(cols, 1), cols: cols)), [x], [y], n)
  }
}
