/// Parses the textual IR written by `printGraph` (format documented there) back into a `Graph`.
///
/// Constants get `Constant.absent(type:checksum:)`: the text never holds weights. Values are numbered afresh in
/// definition order. Errors carry `line:col`: unknown mnemonics, attributes and element types, values defined
/// twice, uses of values not defined earlier, and any token out of place.
public func parseGraph(_ text: String) throws(ParseError) -> Graph {
  var p = IRParser(tokens: try IRLexer.tokenize(text))
  return try p.parseGraph()
}

/// Recursive-descent parser over the token list (one statement per IR line, though newlines carry no meaning).
struct IRParser {
  private let tokens: [(token: IRToken, loc: TextLocation)]
  private var i = 0
  private var g = Graph()
  /// Printed value name → id in the new graph and the line that defined it.
  private var defined: [String: (id: ValueID, line: Int)] = [:]
  /// Current nesting of attribute literals; bounded so hostile input cannot overflow the stack.
  private var literalDepth = 0
  static let maxLiteralDepth = 64

  init(tokens: [(token: IRToken, loc: TextLocation)]) { self.tokens = tokens }

  // MARK: Token helpers

  private var tok: IRToken { tokens[i].token }
  private var loc: TextLocation { tokens[i].loc }

  private mutating func bump() {
    if i < tokens.count - 1 { i += 1 }
  }

  private func unexpected(_ expected: String) -> ParseError {
    ParseError(loc, "expected \(expected), found \(tok.display)")
  }

  private mutating func eat(_ c: Character) -> Bool {
    if tok == .punct(c) {
      bump()
      return true
    }
    return false
  }

  private mutating func expect(_ c: Character) throws(ParseError) {
    guard eat(c) else { throw unexpected("'\(c)'") }
  }

  private mutating func expectKeyword(_ k: String) throws(ParseError) {
    guard tok == .ident(k) else { throw unexpected("'\(k)'") }
    bump()
  }

  private mutating func string(_ what: String = "a string") throws(ParseError) -> String {
    guard case .string(let s) = tok else { throw unexpected(what) }
    bump()
    return s
  }

  private mutating func integer() throws(ParseError) -> Int64 {
    guard case .int(let s) = tok else { throw unexpected("an integer") }
    guard let v = Int64(s) else { throw ParseError(loc, "integer \(s) out of range") }
    bump()
    return v
  }

  // MARK: Graph

  mutating func parseGraph() throws(ParseError) -> Graph {
    try expectKeyword("graph")
    g = Graph(name: try string("the graph name"))
    while case .ident(let k) = tok {
      bump()
      switch k {
      case "ir": g.metadata.irVersion = try integer()
      case "opset": g.metadata.opsets[""] = try integer()
      case "producer":
        g.metadata.producerName = try string("the producer name")
        g.metadata.producerVersion = try string("the producer version")
      default: throw ParseError(tokens[i - 1].loc, "unknown graph header clause '\(k)'")
      }
    }
    try expect("{")
    while !eat("}") { try statement() }
    guard tok == .end else { throw unexpected("end of input") }
    return g
  }

  private mutating func statement() throws(ParseError) {
    let start = loc
    switch tok {
    case .ident("opset"):
      bump()
      let domain = try string("an opset domain")
      g.metadata.opsets[domain] = try integer()
    case .ident("meta"):
      bump()
      try meta()
    case .ident("input"):
      bump()
      let (key, keyLoc) = try valueName()
      let name = try string("the input name")
      let type: TensorType? = eat(":") ? try tensorType() : nil
      let v = try define(key, at: keyLoc, name: name, type: type)
      g.inputs.append(v)
      if case .checksum = tok {
        guard let type else { throw ParseError(loc, "input %\(key) with a checksum needs a type") }
        g.constants[v] = .absent(type: type, checksum: try checksum())
      }
    case .ident("const"):
      bump()
      let (key, keyLoc) = try valueName()
      let name = try string("the constant name")
      try expect(":")
      let type = try tensorType()
      guard case .checksum = tok else { throw ParseError(loc, "constant %\(key) needs a checksum '#…' after its type") }
      let sum = try checksum()
      let v = try define(key, at: keyLoc, name: name, type: type)
      g.constants[v] = .absent(type: type, checksum: sum)
    case .ident("output"):
      bump()
      repeat { g.outputs.append(try use()) } while eat(",")
    case .value, .ident:
      try node()
    default:
      throw ParseError(start, "expected a statement (input, const, node, output) or '}', found \(tok.display)")
    }
  }

  private mutating func meta() throws(ParseError) {
    guard case .ident(let k) = tok else { throw unexpected("a metadata key") }
    let keyLoc = loc
    bump()
    switch k {
    case "domain": g.metadata.domain = try string()
    case "model_version": g.metadata.modelVersion = try integer()
    case "doc": g.metadata.docString = try string()
    case "property":
      let key = try string("a property key")
      g.metadata.properties.append((key, try string("a property value")))
    default: throw ParseError(keyLoc, "unknown metadata key '\(k)'")
    }
  }

  private mutating func checksum() throws(ParseError) -> UInt64 {
    guard case .checksum(let hex) = tok else { throw unexpected("a checksum '#…'") }
    guard hex.count <= 16, let v = UInt64(hex, radix: 16) else {
      throw ParseError(loc, "checksum '#\(hex)' must be at most 16 hex digits")
    }
    bump()
    return v
  }

  // MARK: Values

  private mutating func valueName() throws(ParseError) -> (String, TextLocation) {
    guard case .value(let key) = tok else { throw unexpected("a value like '%0'") }
    let l = loc
    bump()
    return (key, l)
  }

  private mutating func define(_ key: String, at l: TextLocation, name: String, type: TensorType?) throws(ParseError)
    -> ValueID
  {
    if let prev = defined[key] { throw ParseError(l, "value %\(key) is already defined at line \(prev.line)") }
    let v = g.addValue(name: name, type: type)
    defined[key] = (v, l.line)
    return v
  }

  private mutating func use() throws(ParseError) -> ValueID {
    let (key, l) = try valueName()
    guard let d = defined[key] else { throw ParseError(l, "use of undefined value %\(key)") }
    return d.id
  }

  // MARK: Nodes

  private mutating func node() throws(ParseError) {
    var outs: [(key: String, loc: TextLocation, name: String?)] = []
    if case .value = tok {
      repeat {
        let (key, l) = try valueName()
        var name: String?
        if case .string(let s) = tok {
          name = s
          bump()
        }
        outs.append((key, l, name))
      } while eat(",")
      try expect("=")
    }
    guard case .ident(let mnemonic) = tok else { throw unexpected("an op name") }
    let opLoc = loc
    bump()
    try expect("(")
    var inputs: [ValueID] = []
    if !eat(")") {
      repeat { inputs.append(try use()) } while eat(",")
      try expect(")")
    }
    var attrs: [(name: String, loc: TextLocation, value: Literal)] = []
    if tok == .punct("{") { attrs = try attributeDict() }
    var reader = try AttrReader(op: mnemonic, opLoc: opLoc, attrs: attrs)
    guard let op = try OpAttributes.decode(mnemonic, &reader) else {
      throw ParseError(opLoc, "unknown op '\(mnemonic)'")
    }
    try reader.finish()
    var types: [TensorType?] = []
    if eat(":") {
      let typesLoc = loc
      repeat { types.append(eat("?") ? nil : try tensorType()) } while eat(",")
      if types.count != outs.count {
        throw ParseError(typesLoc, "\(mnemonic) defines \(outs.count) values but lists \(types.count) types")
      }
    }
    guard tok == .hash else { throw unexpected("'#' and the node name") }
    bump()
    let name = try string("the node name")
    var outputs: [ValueID] = []
    for (k, o) in outs.enumerated() {
      let vname = o.name ?? IRPrinter.defaultOutputName(node: name, index: k)
      outputs.append(try define(o.key, at: o.loc, name: vname, type: types.isEmpty ? nil : types[k]))
    }
    g.appendNode(name: name, op: op, inputs: inputs, outputs: outputs)
  }

  // MARK: Types and literals

  private mutating func tensorType() throws(ParseError) -> TensorType {
    guard case .ident(let d) = tok else { throw unexpected("a tensor type like f32[1,3]") }
    guard let dtype = DType(rawValue: d) else { throw ParseError(loc, "unknown element type '\(d)'") }
    bump()
    try expect("[")
    var dims: [Dim] = []
    if !eat("]") {
      repeat {
        switch tok {
        case .int(let s):
          guard let v = Int(s), v >= 0, v <= 1 << 40 else { throw ParseError(loc, "dimension \(s) out of range") }
          dims.append(.fixed(v))
        case .ident(let s), .string(let s): dims.append(.symbol(s))
        default: throw unexpected("a dimension")
        }
        bump()
      } while eat(",")
      try expect("]")
    }
    return TensorType(dtype, dims)
  }

  /// `{name=literal name=literal …}`.
  private mutating func attributeDict() throws(ParseError) -> [(name: String, loc: TextLocation, value: Literal)] {
    try expect("{")
    var out: [(name: String, loc: TextLocation, value: Literal)] = []
    while !eat("}") {
      guard case .ident(let name) = tok else { throw unexpected("an attribute name or '}'") }
      let l = loc
      bump()
      try expect("=")
      out.append((name, l, try literal()))
    }
    return out
  }

  private mutating func literal() throws(ParseError) -> Literal {
    let l = loc
    guard literalDepth < IRParser.maxLiteralDepth else {
      throw ParseError(l, "attribute value nested deeper than \(IRParser.maxLiteralDepth) levels")
    }
    literalDepth += 1
    defer { literalDepth -= 1 }
    switch tok {
    case .int(let s):
      bump()
      return Literal(kind: .int(s), loc: l)
    case .float(let s):
      bump()
      return Literal(kind: .float(s), loc: l)
    case .string(let s):
      bump()
      return Literal(kind: .string(s), loc: l)
    case .punct("["):
      bump()
      var items: [Literal] = []
      if !eat("]") {
        repeat { items.append(try literal()) } while eat(",")
        try expect("]")
      }
      return Literal(kind: .list(items), loc: l)
    case .punct("{"):
      return Literal(kind: .dict(try attributeDict()), loc: l)
    case .ident(let s):
      bump()
      guard eat(":") else { return Literal(kind: .ident(s), loc: l) }
      if s == "tensor" {
        let tl = loc
        let t = try tensorType()
        let hex = try string("the tensor bytes in hex")
        return Literal(kind: .typed(s, Literal(kind: .tensor(t, hex), loc: tl)), loc: l)
      }
      return Literal(kind: .typed(s, try literal()), loc: l)
    default:
      throw unexpected("an attribute value")
    }
  }
}
