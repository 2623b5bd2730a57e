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
