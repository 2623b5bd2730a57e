import Testing

@testable import GraphIR

struct ConvShapeCase: CustomTestStringConvertible, Sendable {
  var id: String
  var attrs: ConvAttrs
  var inputs: [String]
  var expected: String
  var testDescription: String { id }
}

@Suite struct ConvPoolShapeTests {
  static let convCases: [ConvShapeCase] = [
    .init(id: "resnet stem 7x7/2 pad 3", attrs: ConvAttrs(strides: [2, 2], pads: [3, 3, 3, 3]),
          inputs: ["f32[1,3,224,224]", "f32[64,3,7,7]", "f32[64]"], expected: "f32[1,64,112,112]"),
    .init(id: "3x3 pad 1 keeps size", attrs: ConvAttrs(pads: [1, 1, 1, 1]),
          inputs: ["f32[N,64,56,56]", "f32[64,64,3,3]"], expected: "f32[N,64,56,56]"),
    .init(id: "1x1 stride 2 downsample", attrs: ConvAttrs(strides: [2, 2]),
          inputs: ["f32[1,64,56,56]", "f32[128,64,1,1]"], expected: "f32[1,128,28,28]"),
    .init(id: "no pads", attrs: ConvAttrs(), inputs: ["f32[1,3,32,32]", "f32[8,3,3,3]"], expected: "f32[1,8,30,30]"),
    .init(id: "asymmetric pads", attrs: ConvAttrs(pads: [0, 1, 2, 3]),
          inputs: ["f32[1,3,10,10]", "f32[8,3,3,3]"], expected: "f32[1,8,10,12]"),
    .init(id: "dilation 2", attrs: ConvAttrs(dilations: [2, 2]),
          inputs: ["f32[1,3,10,10]", "f32[8,3,3,3]"], expected: "f32[1,8,6,6]"),
    .init(id: "depthwise group 32", attrs: ConvAttrs(pads: [1, 1, 1, 1], group: 32),
          inputs: ["f32[1,32,16,16]", "f32[32,1,3,3]"], expected: "f32[1,32,16,16]"),
    .init(id: "SAME_UPPER stride 2 odd", attrs: ConvAttrs(strides: [2, 2], autoPad: .sameUpper),
          inputs: ["f32[1,3,7,7]", "f32[4,3,3,3]"], expected: "f32[1,4,4,4]"),
    .init(id: "SAME_LOWER stride 1 symbolic keeps H", attrs: ConvAttrs(autoPad: .sameLower),
          inputs: ["f32[1,3,H,W]", "f32[4,3,3,3]"], expected: "f32[1,4,H,W]"),
    .init(id: "VALID stride 2", attrs: ConvAttrs(strides: [2, 2], autoPad: .valid),
          inputs: ["f32[1,3,8,8]", "f32[4,3,3,3]"], expected: "f32[1,4,3,3]"),
    .init(id: "1-D conv", attrs: ConvAttrs(strides: [3]), inputs: ["f32[2,4,10]", "f32[6,4,2]"], expected: "f32[2,6,3]"),
    .init(id: "fused residual", attrs: ConvAttrs(pads: [1, 1, 1, 1], fusedRelu: true, fusedResidual: true),
          inputs: ["f32[1,16,8,8]", "f32[16,16,3,3]", "f32[16]", "f32[1,16,8,8]"], expected: "f32[1,16,8,8]"),
  ]

  @Test(arguments: convCases)
  func convOutputShape(_ c: ConvShapeCase) throws {
    #expect(try infer(.conv(c.attrs), c.inputs) == [c.expected])
  }

  @Test(arguments: [
    (ConvAttrs(), ["f32[1,64,56,56]", "f32[64,32,3,3]"],
     "weight has 32 input channels per group, but input X has 64 channels / group 1"),
    (ConvAttrs(group: 3), ["f32[1,64,56,56]", "f32[63,16,3,3]"], "group 3 does not divide the 64 input channels of X"),
    (ConvAttrs(), ["f32[1,64,56]", "f32[64,64,3,3]"], "input W must have rank 3, but has type f32[64,64,3,3]"),
    (ConvAttrs(), ["f32[1,3,2,2]", "f32[8,3,3,3]"], "spatial axis 0: padded input size 2 is smaller than the dilated kernel 3"),
    (ConvAttrs(), ["f32[1,3,8,8]", "f32[8,3,3,3]", "f32[4]"], "bias B must have shape [8] (output channels of W), but has type f32[4]"),
    (ConvAttrs(strides: [0, 1]), ["f32[1,3,8,8]", "f32[8,3,3,3]"], "strides must be ≥ 1, but are [0,1]"),
    (ConvAttrs(fusedResidual: true), ["f32[1,3,8,8]", "f32[8,3,3,3]", "f32[8]", "f32[1,8,8,8]"],
     "fused residual R must match the conv output f32[1,8,6,6], but has type f32[1,8,8,8]"),
    (ConvAttrs(fusedResidual: true), ["f32[1,3,8,8]", "f32[8,3,3,3]", "f32[8]"], "expects 4 inputs, but has 3"),
  ])
  func convErrors(_ attrs: ConvAttrs, _ inputs: [String], _ message: String) {
    #expect(inferFailure(.conv(attrs), inputs) == message)
  }

  @Test(arguments: [
    ("resnet maxpool 3x3/2 pad 1", PoolAttrs(kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),
     "f32[1,64,112,112]", "f32[1,64,56,56]"),
    ("floor mode", PoolAttrs(kernelShape: [3, 3], strides: [2, 2]), "f32[1,1,8,8]", "f32[1,1,3,3]"),
    ("ceil mode", PoolAttrs(kernelShape: [3, 3], strides: [2, 2], ceilMode: true), "f32[1,1,8,8]", "f32[1,1,4,4]"),
    // ceil_mode: a last window starting in the end padding is dropped (5+1 pad, k2 s2 → 3, not 4).
    ("ceil mode drops window in padding", PoolAttrs(kernelShape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true),
     "f32[1,1,5,5]", "f32[1,1,3,3]"),
    ("ceil mode exact fit unchanged", PoolAttrs(kernelShape: [2, 2], strides: [2, 2], ceilMode: true), "f32[1,1,8,8]", "f32[1,1,4,4]"),
    ("SAME_UPPER", PoolAttrs(kernelShape: [3, 3], strides: [2, 2], autoPad: .sameUpper), "f32[1,2,9,10]", "f32[1,2,5,5]"),
    ("VALID", PoolAttrs(kernelShape: [3, 3], strides: [2, 2], autoPad: .valid), "f32[1,2,9,10]", "f32[1,2,4,4]"),
    ("dilations", PoolAttrs(kernelShape: [2, 2], dilations: [2, 2]), "f32[1,1,6,6]", "f32[1,1,4,4]"),
    ("symbolic batch", PoolAttrs(kernelShape: [2, 2], strides: [2, 2]), "f32[N,8,4,4]", "f32[N,8,2,2]"),
  ])
  func poolOutputShape(_ id: String, _ attrs: PoolAttrs, _ x: String, _ expected: String) throws {
    #expect(try infer(.maxPool(attrs), [x]) == [expected], "\(id)")
    #expect(try infer(.averagePool(attrs), [x]) == [expected], "\(id)")
  }

  @Test func maxPoolIndicesOutputIsI64() throws {
    let out = try infer(.maxPool(PoolAttrs(kernelShape: [2, 2], strides: [2, 2])), ["f32[1,3,4,4]"], outputs: 2)
    #expect(out == ["f32[1,3,2,2]", "i64[1,3,2,2]"])
    #expect(inferFailure(.averagePool(PoolAttrs(kernelShape: [2, 2])), ["f32[1,3,4,4]"], outputs: 2)
      == "has 2 outputs, but average_pool produces 1")
  }

  @Test func poolErrors() {
    #expect(inferFailure(.maxPool(PoolAttrs(kernelShape: [3])), ["f32[1,3,8,8]"])
      == "kernel_shape [3] must have 2 entries for 2 spatial axes")
    #expect(inferFailure(.maxPool(PoolAttrs(kernelShape: [2, 2], pads: [-1, 0, 0, 0])), ["f32[1,3,8,8]"])
      == "pads must be ≥ 0, but are [-1,0,0,0]")
    #expect(inferFailure(.maxPool(PoolAttrs(kernelShape: [2, 2])), ["f32[3,8]"])
      == "input X must have rank ≥ 3, but has type f32[3,8]")
  }

  @Test func globalPools() throws {
    #expect(try infer(.globalAveragePool, ["f32[N,512,7,7]"]) == ["f32[N,512,1,1]"])
    #expect(try infer(.globalMaxPool, ["f32[2,8,5]"]) == ["f32[2,8,1]"])
  }

  @Test func batchNorm() throws {
    let op = Op.batchNorm(BatchNormAttrs())
    #expect(try infer(op, ["f32[1,64,56,56]"] + Array(repeating: "f32[64]", count: 4)) == ["f32[1,64,56,56]"])
    #expect(inferFailure(op, ["f32[1,64,56,56]", "f32[64]", "f32[32]", "f32[64]", "f32[64]"])
      == "B must have shape [64] (channels of X), but has type f32[32]")
  }

  @Test(arguments: [
    ("attr axes keepdims", ReduceAttrs(axes: [2, 3]), ["f32[1,64,7,7]"], [TensorData?](), "f32[1,64,1,1]"),
    ("negative axes, no keepdims", ReduceAttrs(axes: [-1, -2], keepDims: false), ["f32[1,64,7,7]"], [], "f32[1,64]"),
    ("axes input (opset 18)", ReduceAttrs(keepDims: false), ["f32[N,64,7,7]", "i64[2]"], [nil, i64s([2, 3])], "f32[N,64]"),
    ("no axes reduces all", ReduceAttrs(keepDims: false), ["f32[2,3]"], [], "f32[]"),
    ("no axes keepdims", ReduceAttrs(), ["f32[2,3]"], [], "f32[1,1]"),
    ("empty axes noop", ReduceAttrs(keepDims: false, noopWithEmptyAxes: true), ["f32[2,3]", "i64[0]"], [nil, i64s([])], "f32[2,3]"),
  ])
  func reduceMean(_ id: String, _ attrs: ReduceAttrs, _ inputs: [String], _ c: [TensorData?], _ expected: String) throws {
    #expect(try infer(.reduceMean(attrs), inputs, c) == [expected], "\(id)")
  }

  @Test func reduceMeanBadAxis() {
    #expect(inferFailure(.reduceMean(ReduceAttrs(axes: [4])), ["f32[1,2,3,4]"])
      == "axes entry 4 is out of range for rank 4 (valid: -4...3)")
  }
}
