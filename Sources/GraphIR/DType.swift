/// Element type of a tensor. Raw values are the short names the textual IR prints (`f32`, `i64`, …).
public enum DType: String, Sendable, CaseIterable, Hashable, Codable {
  case f32, f64, f16, bf16, i8, u8, i16, u16, i32, u32, i64, u64, bool, string

  /// Size of one element in bytes (0 for `string`, which has no fixed size).
  public var byteSize: Int {
    switch self {
    case .f32, .i32, .u32: return 4
    case .f64, .i64, .u64: return 8
    case .f16, .bf16, .i16, .u16: return 2
    case .i8, .u8, .bool: return 1
    case .string: return 0
    }
  }

  /// True for the floating-point element types.
  public var isFloat: Bool { self == .f32 || self == .f64 || self == .f16 || self == .bf16 }

  /// True for the integer element types (signed or unsigned).
  public var isInteger: Bool {
    switch self {
    case .i8, .u8, .i16, .u16, .i32, .u32, .i64, .u64: return true
    default: return false
    }
  }

  /// The ONNX `TensorProto.DataType` code of this type.
  public var onnxCode: Int32 {
    switch self {
    case .f32: return 1
    case .u8: return 2
    case .i8: return 3
    case .u16: return 4
    case .i16: return 5
    case .i32: return 6
    case .i64: return 7
    case .string: return 8
    case .bool: return 9
    case .f16: return 10
    case .f64: return 11
    case .u32: return 12
    case .u64: return 13
    case .bf16: return 16
    }
  }

  /// The element type for an ONNX `TensorProto.DataType` code, or nil if modc does not support it.
  public init?(onnxCode: Int32) {
    guard let t = DType.allCases.first(where: { $0.onnxCode == onnxCode }) else { return nil }
    self = t
  }
}
