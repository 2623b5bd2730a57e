/// The attributes of each `Op` case as named text values, in both directions.
///
/// `attributes(of:)` lists the fields of the op's attribute struct (sorted by name) so that parsing is exact;
/// a non-optional array that is empty and an optional that is nil are left out, and parse back as empty / nil.
/// For the most common ops (conv, pools, gemm) fields equal to their default are left out too, to keep lines short.
/// An optional array that is present but empty prints as `[]`. `decode` is the inverse; attributes left out of
/// hand-written text take the struct's defaults, except those without one (e.g. `concat`'s `axis`).
enum OpAttributes {
  /// Named attribute list of `op`, sorted by name.
  static func attributes(of op: Op) -> [(name: String, value: TextAttr)] {
    var a: [(name: String, value: TextAttr)] = []
    func ints(_ n: String, _ v: [Int]) { if !v.isEmpty { a.append((n, .ints(v))) } }
    func optInts(_ n: String, _ v: [Int]?) { if let v { a.append((n, .ints(v))) } }
    func optInt(_ n: String, _ v: Int?) { if let v { a.append((n, .int(v))) } }
    switch op {
    case .conv(let c):
      if c.autoPad != .notSet { a.append(("auto_pad", .string(c.autoPad.rawValue))) }
      ints("dilations", c.dilations)
      if c.fusedRelu { a.append(("fused_relu", .bool(true))) }
      if c.fusedResidual { a.append(("fused_residual", .bool(true))) }
      if c.group != 1 { a.append(("group", .int(c.group))) }
      ints("kernel_shape", c.kernelShape)
      ints("pads", c.pads)
      ints("strides", c.strides)
    case .batchNorm(let b):
      a.append(("epsilon", .float(b.epsilon)))
    case .maxPool(let p), .averagePool(let p):
      if p.autoPad != .notSet { a.append(("auto_pad", .string(p.autoPad.rawValue))) }
      if p.ceilMode { a.append(("ceil_mode", .bool(true))) }
      if p.countIncludePad { a.append(("count_include_pad", .bool(true))) }
      ints("dilations", p.dilations)
      ints("kernel_shape", p.kernelShape)
      ints("pads", p.pads)
      ints("strides", p.strides)
    case .reduceMean(let r):
      optInts("axes", r.axes)
      a.append(("keepdims", .bool(r.keepDims)))
      a.append(("noop_with_empty_axes", .bool(r.noopWithEmptyAxes)))
    case .gemm(let g):
      if g.alpha != 1 { a.append(("alpha", .float(g.alpha))) }
      if g.beta != 1 { a.append(("beta", .float(g.beta))) }
      if g.transA { a.append(("transA", .bool(true))) }
      if g.transB { a.append(("transB", .bool(true))) }
    case .softmax(let s):
      a.append(("axis", .int(s.axis)))
      a.append(("coerce_2d", .bool(s.coerce2D)))
    case .flatten(let f):
      a.append(("axis", .int(f.axis)))
    case .reshape(let r):
      a.append(("allowzero", .bool(r.allowZero)))
    case .squeeze(let x), .unsqueeze(let x):
      optInts("axes", x.axes)
    case .transpose(let t):
      optInts("perm", t.perm)
    case .concat(let x), .gather(let x), .gatherElements(let x):
      a.append(("axis", .int(x.axis)))
    case .slice(let s):
      optInts("axes", s.axes)
      optInts("ends", s.ends)
      optInts("starts", s.starts)
    case .pad(let p):
      a.append(("mode", .string(p.mode.rawValue)))
      optInts("pads", p.pads)
      a.append(("value", .float(p.value)))
    case .cast(let c):
      a.append(("to", .dtype(c.to)))
    case .shape(let s):
      optInt("end", s.end)
      a.append(("start", .int(s.start)))
    case .constantOfShape(let c):
      a.append(("dtype", .dtype(c.dtype)))
      a.append(("value", .double(c.value)))
    case .topK(let t):
      a.append(("axis", .int(t.axis)))
      optInt("k", t.k)
      a.append(("largest", .bool(t.largest)))
      a.append(("sorted", .bool(t.sorted)))
    case .scatterElements(let s), .scatterND(let s):
      a.append(("axis", .int(s.axis)))
      a.append(("reduction", .string(s.reduction.rawValue)))
    case .modRouter(let r):
      a.append(("block", .string(r.block)))
      a.append(("capacity", .int(r.capacity)))
      a.append(("k", .int(r.k)))
    case .modGather(let g):
      a.append(("block", .string(g.block)))
    case .modFuse(let f):
      a.append(("block", .string(f.block)))
      a.append(("mode", .string(f.mode.rawValue)))
      a.append(("relu", .bool(f.relu)))
    case .opaque(let o):
      if !o.attributes.isEmpty { a.append(("attrs", .opaque(o.attributes))) }
      a.append(("domain", .string(o.domain)))
      a.append(("op_type", .string(o.opType)))
    case .relu, .sigmoid, .add, .sub, .mul, .div, .sum, .equal, .where, .expand, .globalAveragePool, .globalMaxPool,
      .matMul, .identity, .dropout:
      break
    }
    return a.sorted { $0.name < $1.name }
  }

  /// Ops without attributes, by mnemonic.
  static let plainOps: [String: Op] = {
    let ops: [Op] = [
      .relu, .sigmoid, .add, .sub, .mul, .div, .sum, .equal, .where, .expand, .globalAveragePool, .globalMaxPool,
      .matMul, .identity, .dropout,
    ]
    return Dictionary(uniqueKeysWithValues: ops.map { ($0.mnemonic, $0) })
  }()

  /// Builds the op named `mnemonic` from its attributes; nil if the mnemonic is unknown.
  /// The caller runs `reader.finish()` afterwards to reject attributes the op does not have.
  static func decode(_ mnemonic: String, _ r: inout AttrReader) throws(ParseError) -> Op? {
    if let op = plainOps[mnemonic] { return op }
    switch mnemonic {
    case "conv":
      return .conv(
        ConvAttrs(
          kernelShape: try r.ints("kernel_shape"), strides: try r.ints("strides"), pads: try r.ints("pads"),
          dilations: try r.ints("dilations"), group: try r.int("group", default: 1),
          autoPad: try r.choice("auto_pad", default: AutoPad.notSet),
          fusedRelu: try r.bool("fused_relu", default: false),
          fusedResidual: try r.bool("fused_residual", default: false)))
    case "batch_norm":
      return .batchNorm(BatchNormAttrs(epsilon: try r.float("epsilon", default: 1e-5)))
    case "max_pool", "average_pool":
      let p = PoolAttrs(
        kernelShape: try r.ints("kernel_shape"), strides: try r.ints("strides"), pads: try r.ints("pads"),
        dilations: try r.ints("dilations"), autoPad: try r.choice("auto_pad", default: AutoPad.notSet),
        ceilMode: try r.bool("ceil_mode", default: false),
        countIncludePad: try r.bool("count_include_pad", default: false))
      return mnemonic == "max_pool" ? .maxPool(p) : .averagePool(p)
    case "reduce_mean":
      return .reduceMean(
        ReduceAttrs(
          axes: try r.optInts("axes"), keepDims: try r.bool("keepdims", default: true),
          noopWithEmptyAxes: try r.bool("noop_with_empty_axes", default: false)))
    case "gemm":
      return .gemm(
        GemmAttrs(
          alpha: try r.float("alpha", default: 1), beta: try r.float("beta", default: 1),
          transA: try r.bool("transA", default: false), transB: try r.bool("transB", default: false)))
    case "softmax":
      return .softmax(
        SoftmaxAttrs(axis: try r.int("axis", default: -1), coerce2D: try r.bool("coerce_2d", default: false)))
    case "flatten":
      return .flatten(FlattenAttrs(axis: try r.int("axis", default: 1)))
    case "reshape":
      return .reshape(ReshapeAttrs(allowZero: try r.bool("allowzero", default: false)))
    case "squeeze":
      return .squeeze(AxesAttrs(axes: try r.optInts("axes")))
    case "unsqueeze":
      return .unsqueeze(AxesAttrs(axes: try r.optInts("axes")))
    case "transpose":
      return .transpose(TransposeAttrs(perm: try r.optInts("perm")))
    case "concat":
      return .concat(AxisAttrs(axis: try r.int("axis")))
    case "gather":
      return .gather(AxisAttrs(axis: try r.int("axis", default: 0)))
    case "gather_elements":
      return .gatherElements(AxisAttrs(axis: try r.int("axis", default: 0)))
    case "slice":
      return .slice(
        SliceAttrs(starts: try r.optInts("starts"), ends: try r.optInts("ends"), axes: try r.optInts("axes")))
    case "pad":
      return .pad(
        PadAttrs(
          mode: try r.choice("mode", default: PadMode.constant), pads: try r.optInts("pads"),
          value: try r.float("value", default: 0)))
    case "cast":
      return .cast(CastAttrs(to: try r.dtype("to")))
    case "shape":
      return .shape(ShapeAttrs(start: try r.int("start", default: 0), end: try r.optInt("end")))
    case "constant_of_shape":
      return .constantOfShape(
        ConstantOfShapeAttrs(dtype: try r.optDType("dtype") ?? .f32, value: try r.double("value", default: 0)))
    case "topk":
      return .topK(
        TopKAttrs(
          axis: try r.int("axis", default: -1), largest: try r.bool("largest", default: true),
          sorted: try r.bool("sorted", default: true), k: try r.optInt("k")))
    case "scatter_elements", "scatter_nd":
      let s = ScatterAttrs(
        axis: try r.int("axis", default: 0), reduction: try r.choice("reduction", default: ScatterReduction.none))
      return mnemonic == "scatter_nd" ? .scatterND(s) : .scatterElements(s)
    case "mod.router":
      return .modRouter(
        MoDRouterAttrs(block: try r.string("block"), capacity: try r.int("capacity"), k: try r.int("k")))
    case "mod.gather":
      return .modGather(MoDGatherAttrs(block: try r.string("block")))
    case "mod.fuse":
      return .modFuse(
        MoDFuseAttrs(
          block: try r.string("block"), mode: try r.choice("mode", default: MoDFusion.firstK),
          relu: try r.bool("relu", default: true)))
    case "opaque":
      let attrs = try r.opaqueAttrs("attrs")
      let domain = try r.optString("domain") ?? ""
      return .opaque(OpaqueAttrs(opType: try r.string("op_type"), domain: domain, attributes: attrs))
    default:
      return nil
    }
  }
}
