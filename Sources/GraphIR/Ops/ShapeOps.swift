/// Attributes of `flatten`.
public struct FlattenAttrs: Sendable, Hashable {
  public var axis: Int
  public init(axis: Int = 1) { self.axis = axis }
}

/// Attributes of `reshape(X, shape)`.
public struct ReshapeAttrs: Sendable, Hashable {
  public var allowZero: Bool
  public init(allowZero: Bool = false) { self.allowZero = allowZero }
}

/// Attributes of `squeeze`/`unsqueeze`: `axes == nil` means they come from the second input (opset 13+),
/// or, for squeeze without an axes input, all size-1 axes.
public struct AxesAttrs: Sendable, Hashable {
  public var axes: [Int]?
  public init(axes: [Int]? = nil) { self.axes = axes }
}

/// Attributes of `transpose`; `perm == nil` reverses the axes.
public struct TransposeAttrs: Sendable, Hashable {
  public var perm: [Int]?
  public init(perm: [Int]? = nil) { self.perm = perm }
}

/// A single `axis` attribute (concat, gather, gather_elements).
public struct AxisAttrs: Sendable, Hashable {
  public var axis: Int
  public init(axis: Int) { self.axis = axis }
}

/// Attributes of `slice`. All nil for the opset ≥ 10 form (starts, ends, axes?, steps? as inputs);
/// the opset < 10 form carries them here.
public struct SliceAttrs: Sendable, Hashable {
  public var starts: [Int]?
  public var ends: [Int]?
  public var axes: [Int]?
  public init(starts: [Int]? = nil, ends: [Int]? = nil, axes: [Int]? = nil) {
    self.starts = starts
    self.ends = ends
    self.axes = axes
  }
}

/// ONNX Pad modes.
public enum PadMode: String, Sendable, Hashable {
  case constant, reflect, edge, wrap
}

/// Attributes of `pad(X, pads?, value?, axes?)`; `pads`/`value` set for the opset < 11 attribute form.
public struct PadAttrs: Sendable, Hashable {
  public var mode: PadMode
  public var pads: [Int]?
  public var value: Float
  public init(mode: PadMode = .constant, pads: [Int]? = nil, value: Float = 0) {
    self.mode = mode
    self.pads = pads
    self.value = value
  }
}

/// Attributes of `cast`.
public struct CastAttrs: Sendable, Hashable {
  public var to: DType
  public init(to: DType) { self.to = to }
}

/// Attributes of `shape` (opset 15 start/end slicing).
public struct ShapeAttrs: Sendable, Hashable {
  public var start: Int
  public var end: Int?
  public init(start: Int = 0, end: Int? = nil) {
    self.start = start
    self.end = end
  }
}

/// Attributes of `constant_of_shape`: the fill value and its element type (ONNX default: f32 0).
public struct ConstantOfShapeAttrs: Sendable, Hashable {
  public var dtype: DType
  public var value: Double
  public init(dtype: DType = .f32, value: Double = 0) {
    self.dtype = dtype
    self.value = value
  }
}
