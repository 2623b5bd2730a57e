import CONNXProto
import CProtobufC
import GraphIR

/// The attributes of one node, decoded from protobuf once, with typed accessors that name node and attribute
/// in every error. Each accessor marks the attribute as used; `finish()` rejects attributes no decoder read.
struct NodeAttributes {
  let node: String
  let op: String
  private(set) var values: [(name: String, value: AttributeValue)]
  private var used: Set<String> = []

  init(node: String, op: String, values: [(name: String, value: AttributeValue)]) {
    self.node = node
    self.op = op
    self.values = values
  }

  func error(_ attr: String, _ reason: String) -> ONNXReadError {
    ONNXReadError(.badAttribute(node: node, op: op, attribute: attr, reason: reason))
  }

  private mutating func raw(_ name: String) -> AttributeValue? {
    guard let v = values.first(where: { $0.name == name })?.value else { return nil }
    used.insert(name)
    return v
  }

  func has(_ name: String) -> Bool { values.contains { $0.name == name } }

  private func kindName(_ v: AttributeValue) -> String {
    switch v {
    case .int: return "INT"
    case .float: return "FLOAT"
    case .string: return "STRING"
    case .ints: return "INTS"
    case .floats: return "FLOATS"
    case .strings: return "STRINGS"
    case .tensor: return "TENSOR"
    case .unsupported(let k): return k
    }
  }

  private func wrongType(_ name: String, _ want: String, _ v: AttributeValue) -> ONNXReadError {
    error(name, "expected \(want), got \(kindName(v))")
  }

  mutating func int(_ name: String) throws(ONNXReadError) -> Int? {
    guard let v = raw(name) else { return nil }
    guard case .int(let i) = v else { throw wrongType(name, "INT", v) }
    return Int(i)
  }

  mutating func int(_ name: String, default d: Int) throws(ONNXReadError) -> Int { try int(name) ?? d }

  /// An INT attribute that must be 0 or 1.
  mutating func bool(_ name: String, default d: Bool) throws(ONNXReadError) -> Bool {
    guard let i = try int(name) else { return d }
    guard i == 0 || i == 1 else { throw error(name, "expected 0 or 1, got \(i)") }
    return i == 1
  }

  mutating func float(_ name: String) throws(ONNXReadError) -> Float? {
    guard let v = raw(name) else { return nil }
    guard case .float(let f) = v else { throw wrongType(name, "FLOAT", v) }
    return f
  }

  mutating func float(_ name: String, default d: Float) throws(ONNXReadError) -> Float { try float(name) ?? d }

  mutating func string(_ name: String) throws(ONNXReadError) -> String? {
    guard let v = raw(name) else { return nil }
    guard case .string(let s) = v else { throw wrongType(name, "STRING", v) }
    return s
  }

  mutating func ints(_ name: String) throws(ONNXReadError) -> [Int]? {
    guard let v = raw(name) else { return nil }
    guard case .ints(let xs) = v else { throw wrongType(name, "INTS", v) }
    return xs.map { Int($0) }
  }

  mutating func floats(_ name: String) throws(ONNXReadError) -> [Float]? {
    guard let v = raw(name) else { return nil }
    guard case .floats(let xs) = v else { throw wrongType(name, "FLOATS", v) }
    return xs
  }

  mutating func tensor(_ name: String) throws(ONNXReadError) -> TensorData? {
    guard let v = raw(name) else { return nil }
    guard case .tensor(let t) = v else { throw wrongType(name, "TENSOR", v) }
    return t
  }

  /// An INTS attribute whose entries must all be ≥ `minimum`.
  mutating func ints(_ name: String, minimum: Int) throws(ONNXReadError) -> [Int]? {
    guard let xs = try ints(name) else { return nil }
    if let bad = xs.first(where: { $0 < minimum }) { throw error(name, "value \(bad) is below \(minimum)") }
    return xs
  }

  /// A STRING attribute parsed into an enum.
  mutating func enumValue<E: RawRepresentable>(_ name: String, default d: E) throws(ONNXReadError) -> E
  where E.RawValue == String {
    guard let s = try string(name) else { return d }
    guard let e = E(rawValue: s) else { throw error(name, "unknown value '\(s)'") }
    return e
  }

  /// Marks attributes that are accepted but have no effect at inference time (e.g. BatchNorm `momentum`).
  mutating func ignore(_ names: String...) { for n in names where has(n) { used.insert(n) } }

  /// Fails on the first attribute no accessor read (unknown to the decoder).
  func finish() throws(ONNXReadError) {
    if let extra = values.first(where: { !used.contains($0.name) }) {
      throw error(extra.name, "unknown attribute for \(op)")
    }
  }
}

/// Decodes the raw protobuf attributes of a node into `AttributeValue`s (tensors through `tensors`).
func decodeAttributes(
  _ node: Onnx__NodeProto, nodeName: String, opType: String, tensors: TensorDecoder
) throws(ONNXReadError) -> [(name: String, value: AttributeValue)] {
  var out: [(name: String, value: AttributeValue)] = []
  for i in 0..<node.n_attribute {
    guard let ap = node.attribute[i] else { continue }
    let a = ap.pointee
    let name = a.name.map { String(cString: $0) } ?? ""
    guard !name.isEmpty else {
      throw ONNXReadError(.badNode(node: nodeName, op: opType, reason: "attribute \(i) has no name"))
    }
    if a.ref_attr_name != nil, let r = a.ref_attr_name, r.pointee != 0 {
      throw ONNXReadError(.badAttribute(node: nodeName, op: opType, attribute: name,
                                        reason: "ref_attr_name is only valid inside functions"))
    }
    out.append((name, try attributeValue(a, name: name, nodeName: nodeName, tensors: tensors)))
  }
  return out
}

private func attributeValue(
  _ a: Onnx__AttributeProto, name: String, nodeName: String, tensors: TensorDecoder
) throws(ONNXReadError) -> AttributeValue {
  var kind = a.has_type != 0 ? Int(a.type.rawValue) : 0
  if kind == 0 {  // IR v1 files have no discriminator: infer it from the field that is set.
    if a.has_f != 0 { kind = 1 } else if a.has_i != 0 { kind = 2 } else if a.has_s != 0 { kind = 3 }
    else if a.t != nil { kind = 4 } else if a.g != nil { kind = 5 } else if a.n_floats > 0 { kind = 6 }
    else if a.n_ints > 0 { kind = 7 } else if a.n_strings > 0 { kind = 8 } else if a.n_tensors > 0 { kind = 9 }
  }
  func text(_ b: ProtobufCBinaryData) -> String {
    String(decoding: UnsafeRawBufferPointer(start: b.data, count: b.len), as: UTF8.self)
  }
  switch kind {
  case 1: return .float(a.f)
  case 2: return .int(a.i)
  case 3: return .string(text(a.s))
  case 4:
    guard let t = a.t else { return .unsupported("TENSOR (empty)") }
    return .tensor(try tensors.decode(t, fallbackName: "\(nodeName).\(name)"))
  case 6: return .floats((0..<a.n_floats).map { a.floats[$0] })
  case 7: return .ints((0..<a.n_ints).map { a.ints[$0] })
  case 8: return .strings((0..<a.n_strings).map { text(a.strings[$0]) })
  case 5: return .unsupported("GRAPH")
  case 9: return .unsupported("TENSORS")
  case 10: return .unsupported("GRAPHS")
  case 11: return .unsupported("SPARSE_TENSOR")
  case 12: return .unsupported("SPARSE_TENSORS")
  case 13: return .unsupported("TYPE_PROTO")
  case 14: return .unsupported("TYPE_PROTOS")
  default: return .unsupported("UNDEFINED")
  }
}
