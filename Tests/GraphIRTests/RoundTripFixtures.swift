import GraphIR

/// Sample ops for the round-trip tables: every `Op` case at least once, plus attribute edge cases.
enum RoundTripFixtures {
  static let allOps: [(label: String, op: Op)] = [
    (
      "conv",
      .conv(ConvAttrs(kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], group: 2))
    ),
    ("conv.defaults", .conv(ConvAttrs())),
    ("conv.fused", .conv(ConvAttrs(kernelShape: [1, 1], autoPad: .sameUpper, fusedRelu: true, fusedResidual: true))),
    ("batch_norm", .batchNorm(BatchNormAttrs(epsilon: 1e-5))),
    ("batch_norm.odd_eps", .batchNorm(BatchNormAttrs(epsilon: 0.1 + 1e-7))),
    ("relu", .relu), ("sigmoid", .sigmoid), ("add", .add), ("sub", .sub), ("mul", .mul), ("div", .div),
    ("sum", .sum), ("equal", .equal), ("where", .where), ("expand", .expand),
    ("max_pool", .maxPool(PoolAttrs(kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]))),
    ("max_pool.ceil", .maxPool(PoolAttrs(kernelShape: [2, 2], dilations: [2, 2], autoPad: .valid, ceilMode: true))),
    ("average_pool", .averagePool(PoolAttrs(kernelShape: [2, 2], autoPad: .sameLower, countIncludePad: true))),
    ("global_average_pool", .globalAveragePool), ("global_max_pool", .globalMaxPool),
    ("reduce_mean", .reduceMean(ReduceAttrs(axes: [2, 3], keepDims: false))),
    ("reduce_mean.nil_axes", .reduceMean(ReduceAttrs(axes: nil, noopWithEmptyAxes: true))),
    ("reduce_mean.empty_axes", .reduceMean(ReduceAttrs(axes: []))),
    ("gemm", .gemm(GemmAttrs(alpha: 0.5, beta: -2, transA: true, transB: true))),
    ("matmul", .matMul),
    ("softmax", .softmax(SoftmaxAttrs(axis: 1, coerce2D: true))),
    ("flatten", .flatten(FlattenAttrs(axis: 1))),
    ("reshape", .reshape(ReshapeAttrs(allowZero: true))),
    ("squeeze", .squeeze(AxesAttrs(axes: [0]))), ("squeeze.nil", .squeeze(AxesAttrs())),
    ("unsqueeze", .unsqueeze(AxesAttrs(axes: [-1, 0]))), ("unsqueeze.empty", .unsqueeze(AxesAttrs(axes: []))),
    ("transpose", .transpose(TransposeAttrs(perm: [0, 2, 3, 1]))), ("transpose.nil", .transpose(TransposeAttrs())),
    ("concat", .concat(AxisAttrs(axis: 1))),
    ("slice", .slice(SliceAttrs(starts: [0], ends: [Int.max], axes: [1]))), ("slice.inputs", .slice(SliceAttrs())),
    ("pad", .pad(PadAttrs(mode: .reflect, pads: [0, 0, 1, 1, 0, 0, 1, 1], value: -0.0))),
    ("pad.inputs", .pad(PadAttrs())),
    ("cast", .cast(CastAttrs(to: .i64))), ("cast.bf16", .cast(CastAttrs(to: .bf16))),
    ("shape", .shape(ShapeAttrs(start: 1, end: -1))), ("shape.defaults", .shape(ShapeAttrs())),
    ("gather", .gather(AxisAttrs(axis: 0))),
    ("constant_of_shape", .constantOfShape(ConstantOfShapeAttrs(dtype: .i64, value: 1e300))),
    ("identity", .identity), ("dropout", .dropout),
    ("topk", .topK(TopKAttrs(axis: 1, largest: false, sorted: false, k: 5))), ("topk.input_k", .topK(TopKAttrs())),
    ("gather_elements", .gatherElements(AxisAttrs(axis: 1))),
    ("scatter_elements", .scatterElements(ScatterAttrs(axis: 1, reduction: .add))),
    ("scatter_nd", .scatterND(ScatterAttrs(reduction: .none))),
    ("mod.router", .modRouter(MoDRouterAttrs(block: "layer3.1", capacity: 2, k: 128))),
    ("mod.gather", .modGather(MoDGatherAttrs(block: "layer3.1"))),
    ("mod.fuse", .modFuse(MoDFuseAttrs(block: "layer3.1"))),
    ("mod.fuse.scatter", .modFuse(MoDFuseAttrs(block: "we\"ird\\block\n", mode: .scatter, relu: false))),
    ("opaque", .opaque(OpaqueAttrs(opType: "Foo"))),
    ("opaque.all_kinds", .opaque(opaqueWithEveryKind)),
  ]

  static let opaqueWithEveryKind = OpaqueAttrs(
    opType: "LeakyRelu", domain: "com.example",
    attributes: [
      ("alpha", .float(0.01)), ("n", .int(-3)), ("mode", .string("a \"b\"")), ("ints", .ints([1, -2])),
      ("empty_ints", .ints([])), ("empty_floats", .floats([])), ("floats", .floats([1, .infinity, -.infinity])),
      ("strings", .strings(["x", ""])), ("t", .tensor(TensorData(shape: [2], floats: [1, 2]))),
      ("g", .unsupported("GRAPH")),
    ])

  /// An index per `Op` case; exhaustive, so a new case fails to compile here until the table covers it.
  static func caseIndex(_ op: Op) -> Int {
    switch op {
    case .conv: return 0
    case .batchNorm: return 1
    case .relu: return 2
    case .sigmoid: return 3
    case .add: return 4
    case .sub: return 5
    case .mul: return 6
    case .div: return 7
    case .sum: return 8
    case .equal: return 9
    case .where: return 10
    case .expand: return 11
    case .maxPool: return 12
    case .averagePool: return 13
    case .globalAveragePool: return 14
    case .globalMaxPool: return 15
    case .reduceMean: return 16
    case .gemm: return 17
    case .matMul: return 18
    case .softmax: return 19
    case .flatten: return 20
    case .reshape: return 21
    case .squeeze: return 22
    case .unsqueeze: return 23
    case .transpose: return 24
    case .concat: return 25
    case .slice: return 26
    case .pad: return 27
    case .cast: return 28
    case .shape: return 29
    case .gather: return 30
    case .constantOfShape: return 31
    case .identity: return 32
    case .dropout: return 33
    case .topK: return 34
    case .gatherElements: return 35
    case .scatterElements: return 36
    case .scatterND: return 37
    case .modRouter: return 38
    case .modGather: return 39
    case .modFuse: return 40
    case .opaque: return 41
    }
  }
  static let caseCount = 42

  /// A graph around one node running `op`: an input, a weight constant, and one or two outputs.
  static func singleNodeGraph(_ op: Op) -> Graph {
    var g = Graph(name: "one_\(op.mnemonic)")
    g.metadata.opsets[""] = 17
    let x = g.addValue(name: "x", type: TensorType(.f32, [.symbol("N"), .fixed(4), .fixed(8), .fixed(8)]))
    g.inputs.append(x)
    let w = g.addConstant(name: "w", TensorData(shape: [4, 4, 1, 1], floats: (0..<16).map { Float($0) / 7 }))
    let twoOutputs: Bool
    switch op {
    case .topK, .modRouter, .dropout: twoOutputs = true
    default: twoOutputs = false
    }
    let y = g.addValue(name: "node_output_0", type: TensorType(.f32, [.symbol("N"), .fixed(4), .fixed(8), .fixed(8)]))
    var outs = [y]
    if twoOutputs { outs.append(g.addValue(name: "second", type: nil)) }
    g.appendNode(name: "node", op: op, inputs: [x, w], outputs: outs)
    g.outputs = outs
    return g
  }

  /// A small residual block with metadata, symbolic and quoted dims, odd names and an unknown type.
  static func residualBlock() -> Graph {
    var g = Graph(name: "torch_jit")
    g.metadata.irVersion = 8
    g.metadata.opsets = ["": 17, "com.microsoft": 1]
    g.metadata.producerName = "pytorch"
    g.metadata.producerVersion = "2.13"
    g.metadata.docString = "line1\nline2"
    g.metadata.modelVersion = 3
    g.metadata.domain = "ai.modc"
    g.metadata.properties = [("author", "me"), ("note", "tab\there")]
    let x = g.addValue(
      name: "input", type: TensorType(.f32, [.symbol("N"), .fixed(3), .symbol("height px"), .fixed(8)]))
    g.inputs.append(x)
    let w = g.addConstant(name: "conv1.weight", TensorData(shape: [3, 3, 3, 3], floats: (0..<81).map { Float($0) }))
    let b = g.addConstant(name: "conv1.bias", TensorData(shape: [3], floats: [0.5, -1, 2]))
    let type = TensorType(.f32, [.symbol("N"), .fixed(3), .symbol("height px"), .fixed(8)])
    let c = g.addValue(name: "/conv1/Conv_output_0", type: type)
    g.appendNode(
      name: "/conv1/Conv", op: .conv(ConvAttrs(kernelShape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1])),
      inputs: [x, w, b], outputs: [c])
    let r = g.addValue(name: "123", type: type)
    g.appendNode(name: "/relu/Relu", op: .relu, inputs: [c], outputs: [r])
    let s = g.addValue(name: "", type: nil)
    g.appendNode(name: "", op: .add, inputs: [r, x], outputs: [s])
    g.outputs = [s]
    return g
  }
}
