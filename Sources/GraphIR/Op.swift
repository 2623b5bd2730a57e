/// Every operation modc understands, as one closed enum with typed attribute payloads.
///
/// Shape inference, the verifier, the printer/parser, the passes and both code generators `switch` over it
/// exhaustively, so adding a case makes the compiler list every place to update. ONNX attributes are decoded once,
/// by ONNXReader, into these structs; no code looks an attribute up by string after import.
/// Input conventions follow ONNX (e.g. `conv(X, W, B?)`); optional trailing inputs are simply absent.
public enum Op: Sendable {
  // Convolution and normalisation
  case conv(ConvAttrs)
  case batchNorm(BatchNormAttrs)
  // Elementwise (numpy broadcasting)
  case relu
  case sigmoid
  case add
  case sub
  case mul
  case div
  /// Variadic elementwise sum (old caffe2/MXNet exports use it for the residual add).
  case sum
  case equal
  /// ONNX `Where(cond, x, y)`.
  case `where`
  /// ONNX `Expand(x, shape)`.
  case expand
  // Pooling and reductions
  case maxPool(PoolAttrs)
  case averagePool(PoolAttrs)
  case globalAveragePool
  case globalMaxPool
  /// ReduceMean; `axes` is nil when it comes from the second input (opset 18) or means "all axes".
  case reduceMean(ReduceAttrs)
  // Dense
  case gemm(GemmAttrs)
  case matMul
  case softmax(SoftmaxAttrs)
  // Shape manipulation
  case flatten(FlattenAttrs)
  case reshape(ReshapeAttrs)
  case squeeze(AxesAttrs)
  case unsqueeze(AxesAttrs)
  case transpose(TransposeAttrs)
  case concat(AxisAttrs)
  case slice(SliceAttrs)
  case pad(PadAttrs)
  case cast(CastAttrs)
  case shape(ShapeAttrs)
  case gather(AxisAttrs)
  case constantOfShape(ConstantOfShapeAttrs)
  case identity
  /// Dropout is the identity at inference time; an optional second output (mask) may exist.
  case dropout
  // Selection
  case topK(TopKAttrs)
  case gatherElements(AxisAttrs)
  case scatterElements(ScatterAttrs)
  case scatterND(ScatterAttrs)
  // CNN Mixture-of-Depths (see mod.md)
  /// `modRouter(X, W1, B1, W2, B2) -> (indices i64[B,k], scores f32[B,k])`: GAP, FC, ReLU, FC, sigmoid, top-k.
  case modRouter(MoDRouterAttrs)
  /// `modGather(X, indices) -> Xk[B,k,H,W]`: the routed channels in score order.
  case modGather(MoDGatherAttrs)
  /// `modFuse(X, P, scores, indices) -> Y` with X's shape: `P·scores` added into the first k (or the routed) channels.
  case modFuse(MoDFuseAttrs)
  /// An op modc does not know; kept so the whole graph can be reported and every unsupported op listed at once.
  case opaque(OpaqueAttrs)

  /// The mnemonic the textual IR uses (`conv`, `batch_norm`, `mod.router`, …).
  public var mnemonic: String {
    switch self {
    case .conv: return "conv"
    case .batchNorm: return "batch_norm"
    case .relu: return "relu"
    case .sigmoid: return "sigmoid"
    case .add: return "add"
    case .sub: return "sub"
    case .mul: return "mul"
    case .div: return "div"
    case .sum: return "sum"
    case .equal: return "equal"
    case .where: return "where"
    case .expand: return "expand"
    case .maxPool: return "max_pool"
    case .averagePool: return "average_pool"
    case .globalAveragePool: return "global_average_pool"
    case .globalMaxPool: return "global_max_pool"
    case .reduceMean: return "reduce_mean"
    case .gemm: return "gemm"
    case .matMul: return "matmul"
    case .softmax: return "softmax"
    case .flatten: return "flatten"
    case .reshape: return "reshape"
    case .squeeze: return "squeeze"
    case .unsqueeze: return "unsqueeze"
    case .transpose: return "transpose"
    case .concat: return "concat"
    case .slice: return "slice"
    case .pad: return "pad"
    case .cast: return "cast"
    case .shape: return "shape"
    case .gather: return "gather"
    case .constantOfShape: return "constant_of_shape"
    case .identity: return "identity"
    case .dropout: return "dropout"
    case .topK: return "topk"
    case .gatherElements: return "gather_elements"
    case .scatterElements: return "scatter_elements"
    case .scatterND: return "scatter_nd"
    case .modRouter: return "mod.router"
    case .modGather: return "mod.gather"
    case .modFuse: return "mod.fuse"
    case .opaque: return "opaque"
    }
  }

  /// The ONNX op type this op corresponds to (used in diagnostics and by the ONNX exporter).
  public var onnxOpType: String {
    switch self {
    case .conv: return "Conv"
    case .batchNorm: return "BatchNormalization"
    case .relu: return "Relu"
    case .sigmoid: return "Sigmoid"
    case .add: return "Add"
    case .sub: return "Sub"
    case .mul: return "Mul"
    case .div: return "Div"
    case .sum: return "Sum"
    case .equal: return "Equal"
    case .where: return "Where"
    case .expand: return "Expand"
    case .maxPool: return "MaxPool"
    case .averagePool: return "AveragePool"
    case .globalAveragePool: return "GlobalAveragePool"
    case .globalMaxPool: return "GlobalMaxPool"
    case .reduceMean: return "ReduceMean"
    case .gemm: return "Gemm"
    case .matMul: return "MatMul"
    case .softmax: return "Softmax"
    case .flatten: return "Flatten"
    case .reshape: return "Reshape"
    case .squeeze: return "Squeeze"
    case .unsqueeze: return "Unsqueeze"
    case .transpose: return "Transpose"
    case .concat: return "Concat"
    case .slice: return "Slice"
    case .pad: return "Pad"
    case .cast: return "Cast"
    case .shape: return "Shape"
    case .gather: return "Gather"
    case .constantOfShape: return "ConstantOfShape"
    case .identity: return "Identity"
    case .dropout: return "Dropout"
    case .topK: return "TopK"
    case .gatherElements: return "GatherElements"
    case .scatterElements: return "ScatterElements"
    case .scatterND: return "ScatterND"
    case .modRouter: return "MoDRouter"
    case .modGather: return "MoDGather"
    case .modFuse: return "MoDFuse"
    case .opaque(let a): return a.opType
    }
  }
}
