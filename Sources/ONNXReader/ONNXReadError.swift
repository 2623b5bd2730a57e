/// An error reading or writing an ONNX model. Rendered as one line naming the file, node (name + op) or tensor:
/// `model.onnx: tensor 'fc.weight': raw_data has 400 bytes, expected 4000 for f32[10,100]`.
public struct ONNXReadError: Error, Sendable, CustomStringConvertible, Equatable {
  /// What went wrong, with the node or tensor it concerns.
  public enum Kind: Sendable, Equatable {
    /// The file could not be opened, read or mapped.
    case io(String)
    /// The file has no bytes.
    case emptyFile
    /// The bytes are not a protobuf ModelProto (byte offset where parsing failed).
    case notONNX(offset: Int, reason: String)
    /// The model is structurally invalid (missing graph, undefined value, …).
    case invalidModel(String)
    /// A tensor (initializer, Constant value, attribute tensor) is malformed.
    case badTensor(tensor: String, reason: String)
    /// An attribute is missing, wrongly typed or out of range.
    case badAttribute(node: String, op: String, attribute: String, reason: String)
    /// A node is malformed (inputs/outputs).
    case badNode(node: String, op: String, reason: String)
    /// External tensor data could not be resolved safely.
    case externalData(tensor: String, reason: String)
    /// The exporter cannot express this op in standard ONNX.
    case notExportable(node: String, op: String, reason: String)
  }

  /// The model file (last path component) if known.
  public var file: String?
  public var kind: Kind

  public init(file: String? = nil, _ kind: Kind) {
    self.file = file
    self.kind = kind
  }

  public var description: String {
    let body: String
    switch kind {
    case .io(let m): body = m
    case .emptyFile: body = "empty file (0 bytes), not an ONNX model"
    case .notONNX(let off, let reason): body = "not an ONNX model (protobuf parse failed at byte \(off): \(reason))"
    case .invalidModel(let m): body = "invalid model: \(m)"
    case .badTensor(let t, let r): body = "tensor '\(t)': \(r)"
    case .badAttribute(let n, let op, let a, let r): body = "node '\(n)' (\(op)): attribute '\(a)': \(r)"
    case .badNode(let n, let op, let r): body = "node '\(n)' (\(op)): \(r)"
    case .externalData(let t, let r): body = "tensor '\(t)': external data: \(r)"
    case .notExportable(let n, let op, let r): body = "node '\(n)' (\(op)): not exportable to ONNX: \(r)"
    }
    return file.map { "\($0): \(body)" } ?? body
  }

  /// The same error attributed to `file` (unless it already names one).
  func inFile(_ f: String) -> ONNXReadError {
    var e = self
    if e.file == nil { e.file = f }
    return e
  }
}

/// Limits and switches for `loadONNX`.
public struct ONNXLoadOptions: Sendable {
  /// Largest element count accepted for one tensor (default 2^40); larger dims are rejected before allocation.
  public var maxElementCount: Int
  /// Whether tensors may reference external data files (next to the model, never outside its directory).
  public var allowExternalData: Bool
  /// Release consumed pages of the model mapping while loading (keeps peak RSS near one file size).
  public var releaseConsumedPages: Bool

  public init(maxElementCount: Int = 1 << 40, allowExternalData: Bool = true, releaseConsumedPages: Bool = true) {
    self.maxElementCount = maxElementCount
    self.allowExternalData = allowExternalData
    self.releaseConsumedPages = releaseConsumedPages
  }
}
