/// ONNX `auto_pad` modes for convolution and pooling.
public enum AutoPad: String, Sendable, Hashable {
  case notSet = "NOTSET"
  case sameUpper = "SAME_UPPER"
  case sameLower = "SAME_LOWER"
  case valid = "VALID"
}

/// Attributes of `conv(X, W, B?)` and, after fusion, `conv(X, W, B?, R?)`.
///
/// Empty `strides`/`dilations`/`pads` mean the ONNX defaults (1s, 1s, 0s) for the spatial rank of W.
/// `fusedResidual` marks that a 4th input R is added to the conv output before the optional fused ReLU.
public struct ConvAttrs: Sendable, Hashable {
  public var kernelShape: [Int]
  public var strides: [Int]
  public var pads: [Int]
  public var dilations: [Int]
  public var group: Int
  public var autoPad: AutoPad
  public var fusedRelu: Bool
  public var fusedResidual: Bool

  public init(
    kernelShape: [Int] = [], strides: [Int] = [], pads: [Int] = [], dilations: [Int] = [], group: Int = 1,
    autoPad: AutoPad = .notSet, fusedRelu: Bool = false, fusedResidual: Bool = false
  ) {
    self.kernelShape = kernelShape
    self.strides = strides
    self.pads = pads
    self.dilations = dilations
    self.group = group
    self.autoPad = autoPad
    self.fusedRelu = fusedRelu
    self.fusedResidual = fusedResidual
  }
}

/// Attributes of `batch_norm(X, scale, B, mean, var)` (inference form).
public struct BatchNormAttrs: Sendable, Hashable {
  public var epsilon: Float
  public init(epsilon: Float = 1e-5) { self.epsilon = epsilon }
}

// MARK: - Shape inference

/// Output size of a sliding window (conv or pool) along spatial axes, following the ONNX formulas.
struct SlidingWindow {
  var kernel: [Int]
  var strides: [Int]
  var pads: [Int]
  var dilations: [Int]
  var autoPad: AutoPad
  var ceilMode: Bool

  /// Resolves ONNX defaults (empty = 1s/0s) for `n` spatial axes and checks the attribute lengths and ranges.
  init(n: Int, kernel: [Int], strides: [Int], pads: [Int], dilations: [Int], autoPad: AutoPad, ceilMode: Bool) throws {
    guard kernel.count == n else {
      throw inferError("kernel_shape \(listString(kernel)) must have \(n) entries for \(n) spatial axes")
    }
    let s = strides.isEmpty ? Array(repeating: 1, count: n) : strides
    let d = dilations.isEmpty ? Array(repeating: 1, count: n) : dilations
    let p = pads.isEmpty ? Array(repeating: 0, count: 2 * n) : pads
    guard s.count == n else { throw inferError("strides \(listString(strides)) must have \(n) entries") }
    guard d.count == n else { throw inferError("dilations \(listString(dilations)) must have \(n) entries") }
    guard p.count == 2 * n else { throw inferError("pads \(listString(pads)) must have \(2 * n) entries (begin…, end…)") }
    // Same wording as `attributeProblems`, so the verifier reports each problem once.
    if kernel.contains(where: { $0 < 1 }) { throw inferError("kernel dims must be ≥ 1, but kernel_shape is \(listString(kernel))") }
    if s.contains(where: { $0 < 1 }) { throw inferError("strides must be ≥ 1, but are \(listString(s))") }
    if d.contains(where: { $0 < 1 }) { throw inferError("dilations must be ≥ 1, but are \(listString(d))") }
    if p.contains(where: { $0 < 0 }) { throw inferError("pads must be ≥ 0, but are \(listString(p))") }
    self.kernel = kernel
    self.strides = s
    self.pads = p
    self.dilations = d
    self.autoPad = autoPad
    self.ceilMode = ceilMode
  }

  /// Output spatial dims for input spatial dims `input`. Sizes whose arithmetic overflows `Int` are an error.
  func outputDims(_ input: [Dim]) throws -> [Dim] {
    let n = kernel.count
    func ck(_ r: (partialValue: Int, overflow: Bool)) throws -> Int {
      guard !r.overflow else {
        throw inferError(
          "window arithmetic overflows: kernel \(listString(kernel)) strides \(listString(strides)) "
            + "pads \(listString(pads)) dilations \(listString(dilations)) input \(input.map { $0.value ?? -1 })")
      }
      return r.partialValue
    }
    return try (0..<n).map { i -> Dim in
      let ek = try ck(ck((kernel[i] - 1).multipliedReportingOverflow(by: dilations[i])).addingReportingOverflow(1))
      let padSum = try ck(pads[i].addingReportingOverflow(pads[i + n]))
      guard let x = input[i].value else {
        // A symbolic extent keeps its name only when the window cannot change it.
        if (autoPad == .sameUpper || autoPad == .sameLower) && strides[i] == 1 { return input[i] }
        if autoPad == .notSet && strides[i] == 1 && padSum == ek - 1 { return input[i] }
        return .unknown
      }
      switch autoPad {
      case .sameUpper, .sameLower:
        return .fixed(try ck(x.addingReportingOverflow(strides[i] - 1)) / strides[i])
      case .valid:
        guard x >= ek else {
          throw inferError("spatial axis \(i): input size \(x) is smaller than the dilated kernel \(ek) (auto_pad VALID)")
        }
        return .fixed((x - ek) / strides[i] + 1)
      case .notSet:
        let padded = try ck(x.addingReportingOverflow(padSum))
        let span = padded - ek
        guard span >= 0 else {
          throw inferError("spatial axis \(i): padded input size \(padded) is smaller than the dilated kernel \(ek)")
        }
        var out = (ceilMode ? try ck(span.addingReportingOverflow(strides[i] - 1)) / strides[i] : span / strides[i]) + 1
        // ceil_mode: the last window must start inside the input or the begin padding. This is what onnxruntime
        // and PyTorch compute (5x5, k2 s2 pad 1 → 3); ONNX shape inference before opset 19 says 4.
        if ceilMode && (out - 1) * strides[i] >= x + pads[i] { out -= 1 }
        return .fixed(out)
      }
    }
  }
}

extension ConvAttrs {
  /// `conv(X[N,C,D…], W[M,C/group,k…], B[M]?, R?) -> Y[N,M,D'…]`; with `fusedResidual`, R must have Y's type.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, fusedResidual ? 4...4 : 2...3)
    let x = inputs[0], w = inputs[1]
    try requireMinRank(x, 3, "X")
    try requireRank(w, x.rank, "W")
    try requireSameDType(x, "X", w, "W")
    guard group >= 1 else { throw inferError("group must be ≥ 1, but is \(group)") }
    let spatial = x.rank - 2
    let wKernel = w.shape[2...].map { $0.value }
    let kernel: [Int]
    if kernelShape.isEmpty {
      guard wKernel.allSatisfy({ $0 != nil }) else {
        throw inferError("kernel size unknown: weight W has type \(w) and kernel_shape is not set")
      }
      kernel = wKernel.compactMap { $0 }
    } else {
      kernel = kernelShape
      guard kernel.count == spatial, zip(kernel, wKernel).allSatisfy({ $1 == nil || $0 == $1 }) else {
        throw inferError("kernel_shape \(listString(kernelShape)) does not match weight W \(shapeString(w.shape))")
      }
    }
    if let c = x.shape[1].value {
      guard c % group == 0 else { throw inferError("group \(group) does not divide the \(c) input channels of X") }
      if let wc = w.shape[1].value, wc * group != c {
        throw inferError("weight has \(wc) input channels per group, but input X has \(c) channels / group \(group)")
      }
    }
    if let m = w.shape[0].value, m % group != 0 {
      throw inferError("group \(group) does not divide the \(m) output channels of weight W")
    }
    let window = try SlidingWindow(
      n: spatial, kernel: kernel, strides: strides, pads: pads, dilations: dilations, autoPad: autoPad,
      ceilMode: false)
    let y = TensorType(x.dtype, [x.shape[0], w.shape[0]] + (try window.outputDims(Array(x.shape[2...]))))
    if inputs.count >= 3 {
      let b = inputs[2]
      guard b.rank == 1, dimsCompatible(b.shape[0], w.shape[0]) else {
        throw inferError("bias B must have shape [\(w.shape[0])] (output channels of W), but has type \(b)")
      }
    }
    if fusedResidual {
      let r = inputs[3]
      guard r.dtype == y.dtype, r.rank == y.rank, zip(r.shape, y.shape).allSatisfy({ dimsCompatible($0, $1) }) else {
        throw inferError("fused residual R must match the conv output \(y), but has type \(r)")
      }
      return [TensorType(y.dtype, zip(y.shape, r.shape).map { refineDim($0, $1) })]
    }
    return [y]
  }

  /// Attribute problems detectable without types (ranges of strides, dilations, pads, kernel, group).
  public var attributeProblems: [String] {
    var p: [String] = []
    if group < 1 { p.append("group must be ≥ 1, but is \(group)") }
    if strides.contains(where: { $0 < 1 }) { p.append("strides must be ≥ 1, but are \(listString(strides))") }
    if dilations.contains(where: { $0 < 1 }) { p.append("dilations must be ≥ 1, but are \(listString(dilations))") }
    if pads.contains(where: { $0 < 0 }) { p.append("pads must be ≥ 0, but are \(listString(pads))") }
    if kernelShape.contains(where: { $0 < 1 }) { p.append("kernel dims must be ≥ 1, but kernel_shape is \(listString(kernelShape))") }
    return p
  }
}

extension BatchNormAttrs {
  /// `batch_norm(X[N,C,…], scale[C], B[C], mean[C], var[C]) -> Y` with X's type.
  public func outputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 5...5)
    let x = inputs[0]
    try requireMinRank(x, 2, "X")
    for (i, name) in ["scale", "B", "mean", "var"].enumerated() {
      let t = inputs[i + 1]
      guard t.rank == 1, dimsCompatible(t.shape[0], x.shape[1]) else {
        throw inferError("\(name) must have shape [\(x.shape[1])] (channels of X), but has type \(t)")
      }
    }
    return [x]
  }

  /// Attribute problems detectable without types.
  public var attributeProblems: [String] {
    epsilon > 0 && epsilon.isFinite ? [] : ["epsilon must be > 0, but is \(epsilon)"]
  }
}
