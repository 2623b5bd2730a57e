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

/// A kernel call: one case per step type (`StepDescriptor`), each carrying exactly one value of it. Inputs and
/// outputs are buffer indices in `Step.inputs` / `Step.outputs`, in the order each type's documentation gives.
public enum StepKind: Sendable, Equatable {
  case conv(ConvStep)
  case modConv(MoDConvStep)
  case fullyConnected(FullyConnectedStep)
  case maxPool(MaxPoolStep)
  case averagePool(AveragePoolStep)
  case globalAveragePool(GlobalAveragePoolStep)
  case binary(BinaryStep)
  case relu(ReluStep)
  case sigmoid(SigmoidStep)
  case softmax(SoftmaxStep)
  case batchNorm(BatchNormStep)
  case copy(CopyStep)
  case fill(FillStep)
  case modRouter(MoDRouterStep)
  case modGather(MoDGatherStep)
  case modFuse(MoDFuseStep)
  case topK(TopKStep)
  case gatherElements(GatherElementsStep)
  case scatterElements(ScatterElementsStep)
  case gather(GatherStep)

  /// The step's typed value.
  public var descriptor: any StepDescriptor {
    switch self {
    case .conv(let s): return s
    case .modConv(let s): return s
    case .fullyConnected(let s): return s
    case .maxPool(let s): return s
    case .averagePool(let s): return s
    case .globalAveragePool(let s): return s
    case .binary(let s): return s
    case .relu(let s): return s
    case .sigmoid(let s): return s
    case .softmax(let s): return s
    case .batchNorm(let s): return s
    case .copy(let s): return s
    case .fill(let s): return s
    case .modRouter(let s): return s
    case .modGather(let s): return s
    case .modFuse(let s): return s
    case .topK(let s): return s
    case .gatherElements(let s): return s
    case .scatterElements(let s): return s
    case .gather(let s): return s
    }
  }

  /// Every step type, for decoding by tag.
  public static let descriptorTypes: [any StepDescriptor.Type] = [
    ConvStep.self, FullyConnectedStep.self, MaxPoolStep.self, AveragePoolStep.self, GlobalAveragePoolStep.self,
    BinaryStep.self, ReluStep.self, SigmoidStep.self, SoftmaxStep.self, BatchNormStep.self, CopyStep.self,
    FillStep.self, MoDRouterStep.self, MoDGatherStep.self, MoDFuseStep.self, TopKStep.self, GatherElementsStep.self,
    ScatterElementsStep.self, GatherStep.self, MoDConvStep.self,
  ]

  /// Decodes a step from its plan tag and integer fields (validating ranges and enum values).
  public static func decode(tag: UInt32, words: [Int]) throws(StepFieldError) -> StepKind {
    guard let type = descriptorTypes.first(where: { $0.tag == tag }) else { throw StepFieldError("unknown step tag") }
    return try type.decodeKind(words)
  }

  /// The plan tag (= `enum modc_step_kind`).
  public var tag: UInt32 { type(of: descriptor).tag }
  public var mnemonic: String { type(of: descriptor).mnemonic }
  /// Multiply-accumulates of the step (convolutions, FC layers and the MoD router's FCs; 0 for data movement).
  public var macs: Int { descriptor.macs }
  /// A short name for profiles (`conv3x3/s1`, `fc`, `mod.router`, …).
  public var label: String { descriptor.label }
  /// A short op name for comments in emitted C.
  public var opName: String { descriptor.opName }
}

extension StepDescriptor {
  static func decodeKind(_ words: [Int]) throws(StepFieldError) -> StepKind { try decode(words).kind }
}

/// What a step needs of one buffer: `elements` of `dtype`, or, with `dtype == nil`, 4-byte words of any dtype
/// (copies and fills move raw words).
public struct BufferNeed: Sendable, Equatable {
  public var elements: Int
  public var dtype: DType?
  public static func f32(_ n: Int) -> BufferNeed { BufferNeed(elements: n, dtype: .f32) }
  public static func i64(_ n: Int) -> BufferNeed { BufferNeed(elements: n, dtype: .i64) }
  public static func words(_ n: Int) -> BufferNeed { BufferNeed(elements: n, dtype: nil) }
}

/// The buffers a step touches (`StepDescriptor.bufferNeeds`).
public struct StepBufferNeeds: Sendable, Equatable {
  public var inputs: [BufferNeed]
  public var outputs: [BufferNeed]
  /// Positions of the inputs the (first) output may share memory with — exactly, same offset and size — because
  /// the kernel reads each element before it writes it. Any other overlap of an output with an input is an error.
  public var inPlace: Set<Int> = []
}

/// Throws unless every value is a valid `int` dimension of the kernel library (0...Int32.max).
func checkDims(_ xs: Int...) throws(ScheduleError) {
  guard xs.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }) else { throw ScheduleError("dimension out of range") }
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

extension Schedule {
  /// Total MACs of all steps.
  public var macs: Int { steps.reduce(0) { $0 + $1.kind.macs } }
}
