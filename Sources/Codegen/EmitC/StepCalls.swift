import GraphIR

/// The C call(s) of one schedule step: the same kernel, with the same arguments, that the plan runtime's
/// `ExecutionContext.execute` makes (Sources/Codegen/Runtime/Dispatch.swift), spelled as constants.
///
/// Calls to kernels that validate their arguments are wrapped in `MODC_CHECK(…)`, which returns the status from the
/// model's run function when it is non-zero.
struct StepCallEmitter {
  /// The C variable of each referenced buffer.
  var variables: [Int: String]
  var buffers: [ScheduleBuffer]
  /// The file-scope descriptor of each conv step (by step index).
  var convDescriptors: [Int: String]

  func emit(_ step: Step, index: Int, into w: inout CWriter) {
    func x(_ i: Int) -> String { variables[step.inputs[i]] ?? "NULL" }
    func y(_ i: Int) -> String { variables[step.outputs[i]] ?? "NULL" }
    /// A buffer viewed as 4-byte floats (copies move i64 tensors as pairs of units).
    func units(_ b: Int, const: Bool) -> String {
      let v = variables[b] ?? "NULL"
      return buffers[b].dtype == .f32 ? v : "(\(const ? "const " : "")float *)\(v)"
    }
    switch step.kind {
    case .conv(let c):
      let bias = c.hasBias ? x(2) : "NULL"
      let residual = c.hasResidual ? x(c.hasBias ? 3 : 2) : "NULL"
      let d = convDescriptors[index] ?? "NULL"
      w.line("MODC_CHECK(modc_conv2d(&\(d), \(x(0)), \(x(1)), \(bias), \(residual), \(y(0)), scratch, pool));")
    case .modConv(let c, let m):
      let d = convDescriptors[index] ?? "NULL"
      let idx = c.hasBias ? 3 : 2
      var fields: [String] = []
      if let ch = m.gatherChannels { fields += [".in_idx = \(x(idx))", ".x_channels = \(ch)"] }
      if let f = m.fuse {
        fields += [".fuse = 1", ".mode = \(f.scatter ? "MODC_MOD_SCATTER" : "MODC_MOD_FIRST_K")", ".y_channels = \(f.channels)",
          ".out_idx = \(x(idx))", ".res = \(x(idx + 1))", ".scores = \(x(idx + 2))"]
      }
      w.block("") { w in
        w.line("const modc_conv_mod m = {" + fields.joined(separator: ", ") + "};")
        w.line("MODC_CHECK(modc_conv2d_mod(&\(d), &m, \(x(0)), \(x(1)), \(c.hasBias ? x(2) : "NULL"), \(y(0)), scratch, pool));")
      }
    case .fullyConnected(let b, let i, let o, let hasBias, let relu):
      w.line("modc_fc(\(b), \(i), \(o), \(x(0)), \(x(1)), \(hasBias ? x(2) : "NULL"), \(relu ? 1 : 0), \(y(0)), scratch, pool);")
    case .maxPool(let p):
      w.block("") { w in
        w.line("static const modc_pool2d_desc d = \(poolInitializer(p));")
        w.line("MODC_CHECK(modc_maxpool2d(&d, \(x(0)), \(y(0)), pool));")
      }
    case .averagePool(let p):
      w.block("") { w in
        w.line("static const modc_pool2d_desc d = \(poolInitializer(p));")
        w.line("MODC_CHECK(modc_avgpool2d(&d, \(x(0)), \(y(0)), pool));")
      }
    case .globalAveragePool(let planes, let hw):
      w.line("modc_global_avgpool(\(planes), \(hw), \(x(0)), \(y(0)));")
    case .binary(let op, let shape, let sa, let sb):
      let name = ["MODC_ADD", "MODC_SUB", "MODC_MUL", "MODC_DIV"][min(max(op, 0), 3)]
      let dense = denseStrides(shape)
      if sa == dense && sb == dense {
        w.line("modc_binary(\(name), \(shape.reduce(1, *)), \(x(0)), \(x(1)), \(y(0)));")
      } else {
        w.block("") { w in
          w.line("static const int64_t shape[] = \(CLiteral.list(shape)), sa[] = \(CLiteral.list(sa)), sb[] = \(CLiteral.list(sb));")
          w.line("MODC_CHECK(modc_binary_strided(\(name), \(shape.count), shape, \(x(0)), sa, \(x(1)), sb, \(y(0))));")
        }
      }
    case .relu(let n):
      w.line("modc_relu(\(n), \(x(0)), \(y(0)));")
    case .sigmoid(let n):
      w.line("modc_sigmoid(\(n), \(x(0)), \(y(0)));")
    case .softmax(let r, let c):
      w.line("modc_softmax(\(r), \(c), \(x(0)), \(y(0)));")
    case .batchNorm(let n, let c, let hw):
      w.line("modc_batchnorm(\(n), \(c), \(hw), \(x(0)), \(x(1)), \(x(2)), \(y(0)));")
    case .copy(let shape, let so, let ss, let dof, let ds):
      let src = units(step.inputs[0], const: true) + (so == 0 ? "" : " + \(so)")
      let dst = units(step.outputs[0], const: false) + (dof == 0 ? "" : " + \(dof)")
      w.block("") { w in
        w.line("static const int64_t shape[] = \(CLiteral.list(shape)), ss[] = \(CLiteral.list(ss)), ds[] = \(CLiteral.list(ds));")
        w.line("MODC_CHECK(modc_copy_nd_mt(\(shape.count), shape, \(src), ss, \(dst), ds, pool));")
      }
    case .fill(let n, let off, let v):
      let dst = units(step.outputs[0], const: false) + (off == 0 ? "" : " + \(off)")
      w.line("modc_fill(\(n), \(CLiteral.float(v)), \(dst));")
    case .modRouter(let b, let c, let hw, let h, let k):
      w.line("MODC_CHECK(modc_mod_router_mt(\(b), \(c), \(hw), \(x(0)), \(x(1)), \(x(2)), \(h), \(x(3)), \(x(4)), \(k), "
        + "\(y(0)), \(y(1)), scratch, pool));")
    case .modGather(let b, let c, let hw, let k):
      w.line("MODC_CHECK(modc_mod_gather(\(b), \(c), \(hw), \(x(0)), \(x(1)), \(k), \(y(0))));")
    case .modFuse(let b, let c, let hw, let k, let scatter, let relu):
      let mode = scatter ? "MODC_MOD_SCATTER" : "MODC_MOD_FIRST_K"
      w.line("MODC_CHECK(modc_mod_fuse(\(b), \(c), \(hw), \(x(0)), \(x(1)), \(x(2)), \(x(3)), \(k), \(mode), "
        + "\(relu ? 1 : 0), \(y(0))));")
    case .topK(let o, let n, let i, let k, let largest):
      w.line("MODC_CHECK(modc_topk(\(o), \(n), \(i), \(k), \(largest ? 1 : 0), \(x(0)), \(y(0)), \(y(1))));")
    case .gatherElements(let o, let n, let i, let m):
      w.line("MODC_CHECK(modc_gather_elements(\(o), \(n), \(i), \(m), \(x(0)), \(x(1)), \(y(0))));")
    case .scatterElements(let o, let n, let i, let m, let add):
      w.line("MODC_CHECK(modc_scatter_elements(\(o), \(n), \(i), \(m), \(x(0)), \(x(1)), \(x(2)), \(add ? 1 : 0), \(y(0))));")
    case .gather(let o, let n, let i, let count):
      w.line("MODC_CHECK(modc_gather(\(o), \(n), \(i), \(count), \(x(0)), \(x(1)), \(y(0))));")
    }
  }

  /// Row-major element strides of `shape`.
  func denseStrides(_ shape: [Int]) -> [Int] { contiguousStrides(shape) }

  func poolInitializer(_ p: PoolStep) -> String {
    "{.n = \(p.n), .c = \(p.c), .h = \(p.h), .w = \(p.w), .kh = \(p.kh), .kw = \(p.kw), "
      + ".stride_h = \(p.strideH), .stride_w = \(p.strideW), .pad_top = \(p.padTop), .pad_left = \(p.padLeft), "
      + ".pad_bottom = \(p.padBottom), .pad_right = \(p.padRight), .dil_h = \(p.dilH), .dil_w = \(p.dilW), "
      + ".ceil_mode = \(p.ceilMode ? 1 : 0), .count_include_pad = \(p.countIncludePad ? 1 : 0)}"
  }
}

extension ConvStep {
  /// A designated initializer of the kernel library's `modc_conv_desc` for this step.
  var cInitializer: String {
    "{.n = \(n), .c_in = \(cIn), .h = \(h), .w = \(w), .c_out = \(cOut), .kh = \(kh), .kw = \(kw), "
      + ".stride_h = \(strideH), .stride_w = \(strideW), .pad_top = \(padTop), .pad_left = \(padLeft), "
      + ".pad_bottom = \(padBottom), .pad_right = \(padRight), .dil_h = \(dilH), .dil_w = \(dilW), "
      + ".groups = \(groups), .relu = \(relu ? 1 : 0), .layout = MODC_LAYOUT_NCHW" + algoField + "}"
  }

  /// `, .algo = …` for a non-default algorithm (omitted for auto, so existing projects read as before).
  private var algoField: String {
    switch algo {
    case .auto: return ""
    case .direct: return ", .algo = MODC_CONV_DIRECT"
    case .winograd: return ", .algo = MODC_CONV_WINOGRAD"
    case .winograd2: return ", .algo = MODC_CONV_WINOGRAD_F2"
    }
  }
}

extension StepKind {
  /// A short op name for comments.
  var opName: String {
    switch self {
    case .conv(let c):
      return "Conv" + (c.hasBias ? "+Bias" : "") + (c.hasResidual ? "+Add" : "") + (c.relu ? "+Relu" : "")
    case .modConv(let c, let m):
      return "Conv" + (m.gatherChannels != nil ? "(MoD gather)" : "") + (c.hasBias ? "+Bias" : "") + (c.relu ? "+Relu" : "")
        + (m.fuse.map { "+MoDFuse(\($0.scatter ? "scatter" : "first-k"))" + ($0.relu ? "+Relu" : "") } ?? "")
    case .fullyConnected(_, _, _, _, let relu): return "Gemm" + (relu ? "+Relu" : "")
    case .maxPool: return "MaxPool"
    case .averagePool: return "AveragePool"
    case .globalAveragePool: return "GlobalAveragePool"
    case .binary(let op, _, _, _): return ["Add", "Sub", "Mul", "Div"][min(max(op, 0), 3)]
    case .relu: return "Relu"
    case .sigmoid: return "Sigmoid"
    case .softmax: return "Softmax"
    case .batchNorm: return "BatchNormalization"
    case .copy: return "Copy"
    case .fill: return "Fill"
    case .modRouter: return "MoDRouter"
    case .modGather: return "MoDGather"
    case .modFuse(_, _, _, _, let scatter, let relu): return "MoDFuse(\(scatter ? "scatter" : "first-k"))" + (relu ? "+Relu" : "")
    case .topK: return "TopK"
    case .gatherElements: return "GatherElements"
    case .scatterElements(_, _, _, _, let add): return "ScatterElements" + (add ? "(add)" : "")
    case .gather: return "Gather"
    }
  }

  /// The kernel source files the step needs beyond the always-present core (gemm, conv, threadpool, isa, …).
  var needsSelectKernels: Bool {
    switch self {
    case .topK, .gatherElements, .scatterElements, .gather: return true
    default: return false
    }
  }
}
