import GraphIR

/// Where a schedule buffer lives at run time.
public enum BufferLocation: Sendable, Equatable {
  /// The caller's input tensor `index`.
  case input(Int)
  /// The caller's output tensor `index`.
  case output(Int)
  /// `byteOffset` into the arena (intermediates; placed by the memory planner).
  case arena(Int)
  /// `byteOffset` into the weights blob (pre-packed, 64-byte aligned).
  case weight(Int)
}

/// One tensor the schedule reads or writes, with a static shape.
public struct ScheduleBuffer: Sendable, Equatable {
  public var name: String
  public var dtype: DType
  public var shape: [Int]
  public var location: BufferLocation
  public init(name: String, dtype: DType, shape: [Int], location: BufferLocation) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.location = location
  }
  public var elementCount: Int { shape.reduce(1, *) }
  public var byteCount: Int { elementCount * dtype.byteSize }
}

/// Parameters of a conv step (ONNX Conv semantics on NCHW; weights pre-packed for `modc_conv2d`).
public struct ConvStep: Sendable, Equatable {
  public var n, cIn, h, w, cOut, kh, kw: Int
  public var strideH, strideW, padTop, padLeft, padBottom, padRight, dilH, dilW, groups: Int
  public var relu: Bool
  public var hasBias: Bool
  public var hasResidual: Bool
  public var outH, outW: Int
  /// The algorithm (`enum modc_conv_algo`); the packed weights of the step are in its format.
  public var algo: ConvAlgorithm = .auto
  /// Whether the step runs either Winograd algorithm; MoD-mapped convs never do.
  public var isWinograd: Bool { algo.isWinograd }
}

/// The MoD gather and/or fusion folded into a body conv (`modc_conv2d_mod`; docs/mod.md, "Fast path").
public struct MoDConvMaps: Sendable, Equatable {
  /// Channels C of the block input X that the conv reads through the router's indices (the folded `mod.gather`),
  /// or nil when the conv's input is dense.
  public var gatherChannels: Int?
  /// The folded `mod.fuse`, or nil when the conv writes a plain output.
  public var fuse: MoDFuseEpilogue?
  public init(gatherChannels: Int? = nil, fuse: MoDFuseEpilogue? = nil) {
    self.gatherChannels = gatherChannels
    self.fuse = fuse
  }
}

/// The conv epilogue that replaces `mod.fuse`: output row j of sample b updates channel j (first-k) or
/// indices[b, j] (scatter) of the residual tensor X (`channels` channels) in place.
public struct MoDFuseEpilogue: Sendable, Equatable {
  public var channels: Int
  public var scatter: Bool
  public var relu: Bool
  public init(channels: Int, scatter: Bool, relu: Bool) {
    self.channels = channels
    self.scatter = scatter
    self.relu = relu
  }
}

/// Parameters of a 2-D pooling step.
public struct PoolStep: Sendable, Equatable {
  public var n, c, h, w, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, dilH, dilW: Int
  public var ceilMode: Bool
  public var countIncludePad: Bool
  public var outH, outW: Int
}

/// A kernel call. Inputs and outputs are buffer indices in `Step.inputs` / `Step.outputs`, in the order each case's
/// documentation gives.
public enum StepKind: Sendable, Equatable {
  /// (x, packedW, bias?, residual?) → y
  case conv(ConvStep)
  /// A MoD body conv with the gather and/or the fusion folded in (never Winograd, groups 1, no residual):
  /// (x, packedW, bias?, indices i64[n, k], residual X?, scores f32[n, k]?) → y. With `gatherChannels` x is the block
  /// input [n, C, h, w]; with `fuse` y is the updated block tensor [n, C', outH, outW] (X's shape; in place when the
  /// planner could alias it) and `relu` of the fusion replaces the conv's own (which must be off).
  case modConv(ConvStep, MoDConvMaps)
  /// (x[batch,in], packedW, bias?) → y[batch,out]; `y = x·Wᵀ + b` (Gemm transB=1 / MatMul with constant W).
  case fullyConnected(batch: Int, inFeatures: Int, outFeatures: Int, hasBias: Bool, relu: Bool)
  /// (x) → y
  case maxPool(PoolStep)
  case averagePool(PoolStep)
  /// (x[planes, hw]) → y[planes]
  case globalAveragePool(planes: Int, hw: Int)
  /// (a, b) → y dense with `shape`; a and b read with element strides (0 on broadcast axes). op: 0 add, 1 sub, 2 mul, 3 div.
  case binary(op: Int, shape: [Int], aStrides: [Int], bStrides: [Int])
  /// (x) → y, n elements
  case relu(count: Int)
  case sigmoid(count: Int)
  /// (x[rows, cols]) → y
  case softmax(rows: Int, cols: Int)
  /// (x, scale[c], shift[c]) → y on NCHW
  case batchNorm(n: Int, c: Int, hw: Int)
  /// (src) → dst: strided copy of `shape` elements (4-byte units; i64 buffers are copied as pairs).
  case copy(shape: [Int], srcOffset: Int, srcStrides: [Int], dstOffset: Int, dstStrides: [Int])
  /// () → y: fill `count` 4-byte units with `value` starting at `offset`.
  case fill(count: Int, offset: Int, value: Float)
  /// (x, w1, b1, w2, b2) → (indices i64[b,k], scores f32[b,k])
  case modRouter(b: Int, c: Int, hw: Int, hidden: Int, k: Int)
  /// (x, indices) → y[b,k,hw]
  case modGather(b: Int, c: Int, hw: Int, k: Int)
  /// (x, p, scores, indices) → y
  case modFuse(b: Int, c: Int, hw: Int, k: Int, scatter: Bool, relu: Bool)
  /// (x[outer, n, inner]) → (values, indices i64) of the top `k` along the middle axis.
  case topK(outer: Int, n: Int, inner: Int, k: Int, largest: Bool)
  /// (data[outer, n, inner], indices i64[outer, m, inner]) → y[outer, m, inner]
  case gatherElements(outer: Int, n: Int, inner: Int, m: Int)
  /// (data, indices i64[outer, m, inner], updates) → y (= data with updates written/added at indices along the axis)
  case scatterElements(outer: Int, n: Int, inner: Int, m: Int, add: Bool)
  /// (data[outer, n, inner], indices i64[count]) → y[outer, count, inner] (ONNX Gather with a runtime index tensor)
  case gather(outer: Int, n: Int, inner: Int, count: Int)
}

/// One kernel call of the schedule.
public struct Step: Sendable, Equatable {
  public var kind: StepKind
  public var inputs: [Int]
  public var outputs: [Int]
  /// The ONNX node name it comes from (profiles, errors).
  public var node: String
  public init(kind: StepKind, inputs: [Int], outputs: [Int], node: String) {
    self.kind = kind
    self.inputs = inputs
    self.outputs = outputs
    self.node = node
  }
}

/// A fully static program: buffers, steps in order, graph inputs/outputs and sizes.
public struct Schedule: Sendable, Equatable {
  public var buffers: [ScheduleBuffer] = []
  public var steps: [Step] = []
  /// Buffer index of each graph input / output, in graph order.
  public var inputs: [Int] = []
  public var outputs: [Int] = []
  /// Bytes of the intermediate arena.
  public var arenaSize: Int = 0
  /// Sum of all intermediate buffer sizes (what a planner-less runtime would allocate).
  public var intermediateBytes: Int = 0
  /// Bytes of the weights blob.
  public var weightsSize: Int = 0
  /// What the schedule was compiled for (nil: a plan written before targets were recorded; it runs uncapped).
  public var target: CompiledTarget?
  public init() {}
}

extension StepKind {
  /// Multiply-accumulates of the step (convolutions, FC layers and the MoD router's FCs; 0 for data movement).
  public var macs: Int {
    switch self {
    case .conv(let c), .modConv(let c, _): return c.n * c.cOut * c.outH * c.outW * (c.cIn / max(c.groups, 1)) * c.kh * c.kw
    case .fullyConnected(let b, let i, let o, _, _): return b * i * o
    case .modRouter(let b, let c, _, let h, _): return b * 2 * c * h
    default: return 0
    }
  }

  /// A short name for profiles (`conv3x3/s1`, `fc`, `mod.router`, …).
  public var label: String {
    switch self {
    case .conv(let c): return "conv\(c.kh)x\(c.kw)/s\(c.strideH)" + (c.groups > 1 ? "/g\(c.groups)" : "")
    case .modConv(let c, let m):
      return "conv\(c.kh)x\(c.kw)/s\(c.strideH)" + (m.gatherChannels != nil ? "+gather" : "") + (m.fuse != nil ? "+fuse" : "")
    case .fullyConnected: return "fc"
    case .maxPool: return "maxpool"
    case .averagePool: return "avgpool"
    case .globalAveragePool: return "gap"
    case .binary(let op, _, _, _): return ["add", "sub", "mul", "div"][min(max(op, 0), 3)]
    case .relu: return "relu"
    case .sigmoid: return "sigmoid"
    case .softmax: return "softmax"
    case .batchNorm: return "batchnorm"
    case .copy: return "copy"
    case .fill: return "fill"
    case .modRouter: return "mod.router"
    case .modGather: return "mod.gather"
    case .modFuse: return "mod.fuse"
    case .topK: return "topk"
    case .gatherElements: return "gather_elements"
    case .scatterElements: return "scatter_elements"
    case .gather: return "gather"
    }
  }
}

extension Schedule {
  /// Total MACs of all steps.
  public var macs: Int { steps.reduce(0) { $0 + $1.kind.macs } }
}
