/// The textual IR: a readable, deterministic, exactly re-parsable form of a `Graph`.
///
/// ```
/// graph "torch_jit" ir 8 opset 17 producer "pytorch" "2.13" {
///   opset "ai.onnx.ml" 3                              // other opset imports, sorted by domain
///   meta domain "ai.example"                          // only when set: domain, model_version, doc, property
///   input %0 "input" : f32[N,3,224,224]
///   const %1 "conv1.weight" : f32[64,3,7,7] #c3f1a2b4c5d6e7f8
///   %3 = conv(%0, %1, %2) {auto_pad="NOTSET" group=1 kernel_shape=[7,7] …} : f32[N,64,112,112]  # "/conv1/Conv"
///   %5 "indices", %6 "scores" = topk(%4, %k) {axis=1 largest=true sorted=true} : i64[1,2], ?  # "TopK_3"
///   %7 = opaque(%3) {attrs={alpha=f:1.5 mode=s:"x"} domain="" op_type="Foo"}  # "foo"
///   output %4, %7
/// }
/// ```
///
/// Rules:
/// - Header clauses (`ir`, `opset` for the default domain, `producer NAME VERSION`) and `meta`/`opset` lines
///   appear only when they differ from `ModelMetadata()`'s defaults.
/// - Values are renumbered densely in definition order: inputs, constants (by id), then node outputs. Uses of
///   values that nothing defines get the next numbers, so a broken graph still prints (and fails to parse).
/// - A value's ONNX name is printed after its id, except for a node output named `<node name>_output_<i>`
///   (the PyTorch convention), which the parser restores.
/// - `: type` lists one type per output; `?` stands for an unknown type and the clause is left out when no
///   type is known. Dims are integers, bare symbols (`N`) or quoted strings for other symbols.
/// - Attributes: every field of the op's struct, sorted by name (see `OpAttributes`). Floats print in Swift's
///   shortest round-trip form, so they parse back bit-exactly (NaN payloads excepted).
/// - Weights never appear inline: a constant shows its type and `#` + 16 hex digits of `TensorData.checksum`.
///   An input that is also a constant (old ONNX initializers) carries the checksum on its `input` line.
/// - The trailing `# "name"` of a node line is the node's ONNX name (part of the syntax, not a comment);
///   `//` starts a real comment. A node without outputs prints as `identity(%0)  # "name"`.
/// - The parser also accepts hand-written text: ids may be any `%name`, newlines are not significant, and
///   attributes left out take the struct's defaults (attributes without a default, such as `concat`'s `axis`,
///   are required).
public func printGraph(_ g: Graph) -> String { IRPrinter(g).print() }

extension Graph {
  /// The textual IR of this graph (see `printGraph`).
  public var text: String { printGraph(self) }
}

/// Dense print numbering of a graph's values, shared by the text, JSON and DOT dumps.
struct ValueNumbering {
  private(set) var number: [ValueID: Int] = [:]
  /// Constants sorted by value id.
  let constantIDs: [ValueID]

  init(_ g: Graph) {
    constantIDs = g.constants.keys.sorted()
    var next = 0
    func assign(_ v: ValueID) {
      if number[v] == nil {
        number[v] = next
        next += 1
      }
    }
    g.inputs.forEach(assign)
    constantIDs.forEach(assign)
    for n in g.nodes { n.outputs.forEach(assign) }
    for n in g.nodes { n.inputs.forEach(assign) }
    g.outputs.forEach(assign)
  }

  /// The printed id of `v`, e.g. `%3`.
  func ref(_ v: ValueID) -> String { "%\(number[v] ?? -1)" }
}

/// Renders one graph as IR text (see `printGraph`).
struct IRPrinter {
  let g: Graph
  let ids: ValueNumbering

  init(_ g: Graph) {
    self.g = g
    self.ids = ValueNumbering(g)
  }

  static func dimText(_ d: Dim) -> String {
    switch d {
    case .fixed(let v): return String(v)
    case .symbol(let s): return IRLexer.isBareIdentifier(s) ? s : IRLexer.quote(s)
    }
  }

  /// `f32[N,3,224,224]`; symbols that are not identifiers are quoted.
  static func typeText(_ t: TensorType) -> String {
    "\(t.dtype.rawValue)[\(t.shape.map(dimText).joined(separator: ","))]"
  }

  static func checksumText(_ c: UInt64) -> String {
    let h = String(c, radix: 16)
    return "#" + String(repeating: "0", count: max(0, 16 - h.count)) + h
  }

  static func attrText(_ v: TextAttr) -> String {
    switch v {
    case .int(let i): return String(i)
    case .bool(let b): return b ? "true" : "false"
    case .float(let f): return f.description
    case .double(let d): return d.description
    case .string(let s): return IRLexer.quote(s)
    case .dtype(let t): return t.rawValue
    case .ints(let xs): return "[\(xs.map(String.init).joined(separator: ","))]"
    case .opaque(let attrs):
      return "{" + attrs.map { "\($0.name)=\(OpaqueValueCodec.encode($0.value))" }.joined(separator: " ") + "}"
    }
  }

  /// The default ONNX name of output `i` of a node named `node`; such names are not printed.
  static func defaultOutputName(node: String, index: Int) -> String { "\(node)_output_\(index)" }

  /// The ONNX name of `v` ("" for an id outside the graph, which only a broken graph has).
  private func name(_ v: ValueID) -> String { g.contains(v) ? g[v].name : "" }
  private func type(_ v: ValueID) -> TensorType? { g.contains(v) ? g[v].type : nil }

  func print() -> String {
    var out = header()
    let m = g.metadata
    for (domain, version) in m.opsets.sorted(by: { $0.key < $1.key }) where domain != "" {
      out += "  opset \(IRLexer.quote(domain)) \(version)\n"
    }
    if !m.domain.isEmpty { out += "  meta domain \(IRLexer.quote(m.domain))\n" }
    if m.modelVersion != 0 { out += "  meta model_version \(m.modelVersion)\n" }
    if !m.docString.isEmpty { out += "  meta doc \(IRLexer.quote(m.docString))\n" }
    for p in m.properties { out += "  meta property \(IRLexer.quote(p.key)) \(IRLexer.quote(p.value))\n" }

    for v in g.inputs {
      out += "  input \(ids.ref(v)) \(IRLexer.quote(name(v)))"
      if let t = type(v) ?? g.constants[v]?.type { out += " : " + IRPrinter.typeText(t) }
      if let c = g.constants[v] { out += " " + IRPrinter.checksumText(c.checksum) }
      out += "\n"
    }
    let inputSet = Set(g.inputs)
    for v in ids.constantIDs where !inputSet.contains(v) {
      guard let c = g.constants[v] else { continue }
      let t = type(v) ?? c.type
      out +=
        "  const \(ids.ref(v)) \(IRLexer.quote(name(v))) : \(IRPrinter.typeText(t)) \(IRPrinter.checksumText(c.checksum))\n"
    }
    for n in g.nodes { out += "  " + nodeLine(n) + "\n" }
    if !g.outputs.isEmpty { out += "  output " + g.outputs.map(ids.ref).joined(separator: ", ") + "\n" }
    return out + "}\n"
  }

  private func header() -> String {
    let m = g.metadata
    var h = "graph \(IRLexer.quote(g.name))"
    if m.irVersion != 0 { h += " ir \(m.irVersion)" }
    if let v = m.opsets[""] { h += " opset \(v)" }
    if !m.producerName.isEmpty || !m.producerVersion.isEmpty {
      h += " producer \(IRLexer.quote(m.producerName)) \(IRLexer.quote(m.producerVersion))"
    }
    return h + " {\n"
  }

  /// `%3 = conv(%0, %1) {…} : f32[…]  # "name"`.
  func nodeLine(_ n: Node) -> String {
    var s = ""
    if !n.outputs.isEmpty {
      let defs = n.outputs.enumerated().map { i, v -> String in
        let name = name(v)
        if name == IRPrinter.defaultOutputName(node: n.name, index: i) { return ids.ref(v) }
        return "\(ids.ref(v)) \(IRLexer.quote(name))"
      }
      s = defs.joined(separator: ", ") + " = "
    }
    s += "\(n.op.mnemonic)(\(n.inputs.map(ids.ref).joined(separator: ", ")))"
    let attrs = OpAttributes.attributes(of: n.op)
    if !attrs.isEmpty {
      s += " {" + attrs.map { "\($0.name)=\(IRPrinter.attrText($0.value))" }.joined(separator: " ") + "}"
    }
    let types = n.outputs.map(type)
    if types.contains(where: { $0 != nil }) {
      s += " : " + types.map { $0.map(IRPrinter.typeText) ?? "?" }.joined(separator: ", ")
    }
    return s + "  # " + IRLexer.quote(n.name)
  }
}
