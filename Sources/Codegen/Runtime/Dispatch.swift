import CKernels

extension ExecutionContext {
  /// Calls the kernel of one step; returns the kernel status (0 = success).
  func execute(_ step: Step, inputs: [UnsafeRawPointer], outputs: [UnsafeMutableRawPointer]) -> Int32 {
    func f(_ i: Int) -> UnsafeMutablePointer<Float> {
      address(step.inputs[i], inputs, outputs).assumingMemoryBound(to: Float.self)
    }
    func l(_ i: Int) -> UnsafeMutablePointer<Int64> {
      address(step.inputs[i], inputs, outputs).assumingMemoryBound(to: Int64.self)
    }
    func out(_ i: Int) -> UnsafeMutableRawPointer { address(step.outputs[i], inputs, outputs) }
    func of(_ i: Int) -> UnsafeMutablePointer<Float> { out(i).assumingMemoryBound(to: Float.self) }

    switch step.kind {
    case .conv(let c):
      var d = c.cDesc
      let bias: UnsafeMutablePointer<Float>? = c.hasBias ? f(2) : nil
      let residual: UnsafeMutablePointer<Float>? = c.hasResidual ? f(c.hasBias ? 3 : 2) : nil
      return modc_conv2d(&d, f(0), f(1), bias, residual, of(0), workspace, pool)
    case .modConv(let c, let m):
      var d = c.modDesc(m)
      var map = modc_conv_mod()
      let idx = c.hasBias ? 3 : 2
      if let ch = m.gatherChannels {
        map.in_idx = UnsafePointer(l(idx))
        map.x_channels = Int32(ch)
      }
      if let fz = m.fuse {
        map.fuse = 1
        map.mode = fz.scatter ? Int32(MODC_MOD_SCATTER.rawValue) : Int32(MODC_MOD_FIRST_K.rawValue)
        map.y_channels = Int32(fz.channels)
        map.out_idx = UnsafePointer(l(idx))
        map.res = UnsafePointer(f(idx + 1))
        map.scores = UnsafePointer(f(idx + 2))
      }
      return modc_conv2d_mod(&d, &map, f(0), f(1), c.hasBias ? f(2) : nil, of(0), workspace, pool)
    case .fullyConnected(let b, let i, let o, let hasBias, let relu):
      modc_fc(Int32(b), Int32(i), Int32(o), f(0), f(1), hasBias ? f(2) : nil, relu ? 1 : 0, of(0), workspace, pool)
    case .maxPool(let p):
      var d = p.cDesc
      return modc_maxpool2d(&d, f(0), of(0), pool)
    case .averagePool(let p):
      var d = p.cDesc
      return modc_avgpool2d(&d, f(0), of(0), pool)
    case .globalAveragePool(let planes, let hw):
      modc_global_avgpool(Int32(planes), Int32(hw), f(0), of(0))
    case .binary(let op, let shape, let sa, let sb):
      let dense = contiguousStrides(shape)
      if sa == dense && sb == dense {
        modc_binary(Int32(op), shape.reduce(1, *), f(0), f(1), of(0))
        return 0
      }
      let sh = shape.map { Int64($0) }
      let a = sa.map { Int64($0) }
      let b = sb.map { Int64($0) }
      return modc_binary_strided(Int32(op), Int32(shape.count), sh, f(0), a, f(1), b, of(0))
    case .relu(let n):
      modc_relu(n, f(0), of(0))
    case .sigmoid(let n):
      modc_sigmoid(n, f(0), of(0))
    case .softmax(let r, let c):
      modc_softmax(Int32(r), Int32(c), f(0), of(0))
    case .batchNorm(let n, let c, let hw):
      modc_batchnorm(Int32(n), Int32(c), Int32(hw), f(0), f(1), f(2), of(0))
    case .copy(let shape, let so, let ss, let dof, let ds):
      let sh = shape.map { Int64($0) }
      let a = ss.map { Int64($0) }
      let b = ds.map { Int64($0) }
      return modc_copy_nd_mt(Int32(shape.count), sh, f(0) + so, a, of(0) + dof, b, pool)
    case .fill(let n, let off, let v):
      modc_fill(n, v, of(0) + off)
    case .modRouter(let b, let c, let hw, let h, let k):
      return modc_mod_router_mt(Int32(b), Int32(c), Int32(hw), f(0), f(1), f(2), Int32(h), f(3), f(4), Int32(k),
        out(0).assumingMemoryBound(to: Int64.self), of(1), workspace, pool)
    case .modGather(let b, let c, let hw, let k):
      return modc_mod_gather(Int32(b), Int32(c), Int32(hw), f(0), l(1), Int32(k), of(0))
    case .modFuse(let b, let c, let hw, let k, let scatter, let relu):
      return modc_mod_fuse(Int32(b), Int32(c), Int32(hw), f(0), f(1), f(2), l(3), Int32(k),
        scatter ? Int32(MODC_MOD_SCATTER.rawValue) : Int32(MODC_MOD_FIRST_K.rawValue), relu ? 1 : 0, of(0))
    case .topK(let o, let n, let i, let k, let largest):
      return modc_topk(Int32(o), Int32(n), Int32(i), Int32(k), largest ? 1 : 0, f(0), of(0),
        out(1).assumingMemoryBound(to: Int64.self))
    case .gatherElements(let o, let n, let i, let m):
      return modc_gather_elements(Int32(o), Int32(n), Int32(i), Int32(m), f(0), l(1), of(0))
    case .scatterElements(let o, let n, let i, let m, let add):
      return modc_scatter_elements(Int32(o), Int32(n), Int32(i), Int32(m), f(0), l(1), f(2), add ? 1 : 0, of(0))
    case .gather(let o, let n, let i, let count):
      return modc_gather(Int32(o), Int32(n), Int32(i), Int32(count), f(0), l(1), of(0))
    }
    return 0
  }
}
