/// A raw ONNX attribute value, kept only for ops modc does not know (`Op.opaque`).
public enum AttributeValue: Sendable {
  case int(Int64)
  case float(Float)
  case string(String)
  case ints([Int64])
  case floats([Float])
  case strings([String])
  case tensor(TensorData)
  /// Kinds modc never interprets (graphs, sparse tensors, type protos): just the ONNX kind name.
  case unsupported(String)
}

/// Payload of `Op.opaque`: the ONNX op type, domain and raw attributes (sorted by name).
public struct OpaqueAttrs: Sendable {
  public var opType: String
  public var domain: String
  public var attributes: [(name: String, value: AttributeValue)]
  public init(opType: String, domain: String = "", attributes: [(name: String, value: AttributeValue)] = []) {
    self.opType = opType
    self.domain = domain
    self.attributes = attributes.sorted { $0.name < $1.name }
  }
}

extension OpaqueAttrs {
  /// An unsupported op: its outputs keep the types they already have (e.g. from ONNX value_info), else inference
  /// stops here.
  public func outputTypes(declared: [TensorType?]) throws -> [TensorType] {
    let known = declared.compactMap { $0 }
    guard known.count == declared.count else {
      throw inferError("cannot infer shapes through unsupported op \(domain.isEmpty ? opType : domain + "." + opType)")
    }
    return known
  }
}
