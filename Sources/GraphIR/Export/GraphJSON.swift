/// A machine-readable JSON dump of a graph, for scripts (`modc dump --json`).
///
/// Keys are sorted; value ids are the dense numbers the textual IR prints (`%3` ↔ `"id": 3`), and node ids are
/// positions in `Graph.nodes`. Checksums are 16-digit hex strings (they overflow JSON's safe integers); NaN and
/// infinite floats become the strings "nan", "inf", "-inf". Shape dims are numbers, or strings for symbols.
///
/// ```
/// {"constants": [{"checksum": "c3f1…", "id": 1, "name": "conv1.weight", "type": {"dtype": "f32", "shape": […]}}],
///  "inputs": [{"id": 0, "name": "input", "type": {…}}],
///  "metadata": {"doc_string": "", "domain": "", "ir_version": 8, "model_version": 0, "opsets": {"": 17}, …},
///  "name": "torch_jit",
///  "nodes": [{"attributes": {"group": 1, …}, "id": 0, "inputs": [0, 1, 2], "name": "/conv1/Conv", "onnx_op": "Conv",
///             "op": "conv", "outputs": [{"id": 3, "name": "/conv1/Conv_output_0", "type": {…}}]}],
///  "outputs": [{"id": 4, "name": "output", "type": {…}}]}
/// ```
public func graphJSON(_ g: Graph) -> String { GraphJSONWriter(g).document().render() + "\n" }

struct GraphJSONWriter {
  let g: Graph
  let ids: ValueNumbering

  init(_ g: Graph) {
    self.g = g
    self.ids = ValueNumbering(g)
  }

  static func type(_ t: TensorType?) -> JSONValue {
    guard let t else { return .null }
    let dims: [JSONValue] = t.shape.map {
      switch $0 {
      case .fixed(let v): return .int(v)
      case .symbol(let s): return .string(s)
      }
    }
    return .object([("dtype", .string(t.dtype.rawValue)), ("shape", .array(dims))])
  }

  static func checksum(_ c: UInt64) -> JSONValue { .string(String(IRPrinter.checksumText(c).dropFirst())) }

  private func id(_ v: ValueID) -> JSONValue { .int(ids.number[v] ?? -1) }

  private func value(_ v: ValueID) -> [(key: String, value: JSONValue)] {
    let known = g.contains(v)
    var kv: [(key: String, value: JSONValue)] = [
      ("id", id(v)), ("name", .string(known ? g[v].name : "")),
      ("type", GraphJSONWriter.type(known ? (g[v].type ?? g.constants[v]?.type) : nil)),
    ]
    if let c = g.constants[v] { kv.append(("checksum", GraphJSONWriter.checksum(c.checksum))) }
    return kv
  }

  func document() -> JSONValue {
    let inputSet = Set(g.inputs)
    let constants = ids.constantIDs.filter { !inputSet.contains($0) }
    return .object([
      ("name", .string(g.name)),
      ("metadata", metadata()),
      ("inputs", .array(g.inputs.map { .object(value($0)) })),
      ("constants", .array(constants.map { .object(value($0)) })),
      ("nodes", .array(g.nodes.enumerated().map { node($0.element, index: $0.offset) })),
      ("outputs", .array(g.outputs.map { .object(value($0)) })),
    ])
  }

  private func metadata() -> JSONValue {
    let m = g.metadata
    return .object([
      ("ir_version", .int(Int(m.irVersion))),
      ("producer_name", .string(m.producerName)),
      ("producer_version", .string(m.producerVersion)),
      ("domain", .string(m.domain)),
      ("model_version", .int(Int(m.modelVersion))),
      ("doc_string", .string(m.docString)),
      ("opsets", .object(m.opsets.map { ($0.key, .int(Int($0.value))) })),
      ("properties", .array(m.properties.map { .object([("key", .string($0.key)), ("value", .string($0.value))]) })),
    ])
  }

  private func node(_ n: Node, index: Int) -> JSONValue {
    let attrs = OpAttributes.attributes(of: n.op).map { (key: $0.name, value: GraphJSONWriter.attribute($0.value)) }
    return .object([
      ("id", .int(index)),
      ("name", .string(n.name)),
      ("op", .string(n.op.mnemonic)),
      ("onnx_op", .string(n.op.onnxOpType)),
      ("inputs", .array(n.inputs.map(id))),
      ("outputs", .array(n.outputs.map { .object(value($0)) })),
      ("attributes", .object(attrs)),
    ])
  }

  static func attribute(_ a: TextAttr) -> JSONValue {
    switch a {
    case .int(let i): return .int(i)
    case .bool(let b): return .bool(b)
    case .float(let f): return .float(f)
    case .double(let d): return .double(d)
    case .string(let s): return .string(s)
    case .dtype(let t): return .string(t.rawValue)
    case .ints(let xs): return .array(xs.map { .int($0) })
    case .opaque(let attrs): return .object(attrs.map { (key: $0.name, value: raw($0.value)) })
    }
  }

  /// A raw opaque-op attribute as `{"kind": …, "value": …}`; tensors show type and checksum, not data.
  static func raw(_ v: AttributeValue) -> JSONValue {
    let (kind, value): (String, JSONValue)
    switch v {
    case .int(let i): (kind, value) = ("int", .number(String(i)))
    case .float(let f): (kind, value) = ("float", .float(f))
    case .string(let s): (kind, value) = ("string", .string(s))
    case .ints(let xs): (kind, value) = ("ints", .array(xs.map { .number(String($0)) }))
    case .floats(let xs): (kind, value) = ("floats", .array(xs.map { .float($0) }))
    case .strings(let xs): (kind, value) = ("strings", .array(xs.map { .string($0) }))
    case .tensor(let t):
      kind = "tensor"
      value = .object([("type", type(t.type)), ("checksum", checksum(t.checksum))])
    case .unsupported(let k): (kind, value) = ("unsupported", .string(k))
    }
    return .object([("kind", .string(kind)), ("value", value)])
  }
}
