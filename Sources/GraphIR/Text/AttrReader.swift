/// An attribute value as the printer and the JSON dump see it (after the op's struct is taken apart).
enum TextAttr {
  case int(Int)
  case bool(Bool)
  case float(Float)
  case double(Double)
  case string(String)
  case dtype(DType)
  case ints([Int])
  /// The raw attributes of an opaque op.
  case opaque([(name: String, value: AttributeValue)])
}

/// A literal as parsed from an attribute list, before an op decoder gives it a meaning.
struct Literal {
  indirect enum Kind {
    case int(String)
    case float(String)
    case ident(String)
    case string(String)
    case list([Literal])
    /// `{name=literal …}`, in text order.
    case dict([(name: String, loc: TextLocation, value: Literal)])
    /// `kind:literal`, used for the typed raw attributes of opaque ops (`f:1.5`, `ints:[1,2]`).
    case typed(String, Literal)
    /// `f32[2,3]"hex bytes"`: an inline tensor (opaque-op tensor attributes only).
    case tensor(TensorType, String)
  }
  var kind: Kind
  var loc: TextLocation

  /// How the literal reads in an error message.
  var what: String {
    switch kind {
    case .int(let s): return "integer \(s)"
    case .float(let s): return "float \(s)"
    case .ident(let s): return "'\(s)'"
    case .string: return "a string"
    case .list: return "a list"
    case .dict: return "an attribute dictionary"
    case .typed(let k, _): return "a '\(k):' value"
    case .tensor: return "a tensor"
    }
  }
}

/// Reads the attributes of one node for an op decoder, checking names and types, and reports leftovers.
struct AttrReader {
  let op: String
  let opLoc: TextLocation
  private var attrs: [String: Literal]
  /// Attribute names in text order, with where each name appears.
  private var order: [(name: String, loc: TextLocation)]

  init(op: String, opLoc: TextLocation, attrs: [(name: String, loc: TextLocation, value: Literal)])
    throws(ParseError)
  {
    self.op = op
    self.opLoc = opLoc
    var m: [String: Literal] = [:]
    var order: [(name: String, loc: TextLocation)] = []
    for a in attrs {
      if m[a.name] != nil { throw ParseError(a.loc, "duplicate attribute '\(a.name)'") }
      m[a.name] = a.value
      order.append((a.name, a.loc))
    }
    self.attrs = m
    self.order = order
  }

  private mutating func take(_ name: String) -> Literal? { attrs.removeValue(forKey: name) }

  private func bad(_ name: String, _ lit: Literal, _ expected: String) -> ParseError {
    ParseError(lit.loc, "attribute '\(name)' of \(op): expected \(expected), found \(lit.what)")
  }

  private func missing(_ name: String) -> ParseError { ParseError(opLoc, "missing attribute '\(name)' for \(op)") }

  /// Fails on the first attribute (in text order) that no decoder call consumed.
  func finish() throws(ParseError) {
    if let left = order.first(where: { attrs[$0.name] != nil }) {
      throw ParseError(left.loc, "unknown attribute '\(left.name)' for \(op)")
    }
  }

  // MARK: Scalars

  static func intValue(_ lit: Literal) -> Int? {
    if case .int(let s) = lit.kind { return Int(s) }
    return nil
  }

  static func floatText(_ lit: Literal) -> String? {
    switch lit.kind {
    case .int(let s), .float(let s): return s
    case .ident(let s) where ["inf", "-inf", "nan", "-nan", "snan", "-snan"].contains(s): return s
    default: return nil
    }
  }

  mutating func optInt(_ name: String) throws(ParseError) -> Int? {
    guard let lit = take(name) else { return nil }
    guard let v = AttrReader.intValue(lit) else { throw bad(name, lit, "an integer") }
    return v
  }

  mutating func int(_ name: String, default d: Int) throws(ParseError) -> Int { try optInt(name) ?? d }

  mutating func int(_ name: String) throws(ParseError) -> Int {
    guard let v = try optInt(name) else { throw missing(name) }
    return v
  }

  mutating func bool(_ name: String, default d: Bool) throws(ParseError) -> Bool {
    guard let lit = take(name) else { return d }
    if case .ident(let s) = lit.kind, s == "true" || s == "false" { return s == "true" }
    throw bad(name, lit, "true or false")
  }

  mutating func float(_ name: String, default d: Float) throws(ParseError) -> Float {
    guard let lit = take(name) else { return d }
    guard let t = AttrReader.floatText(lit), let v = Float(t) else { throw bad(name, lit, "a float") }
    return v
  }

  mutating func double(_ name: String, default d: Double) throws(ParseError) -> Double {
    guard let lit = take(name) else { return d }
    guard let t = AttrReader.floatText(lit), let v = Double(t) else { throw bad(name, lit, "a float") }
    return v
  }

  mutating func optString(_ name: String) throws(ParseError) -> String? {
    guard let lit = take(name) else { return nil }
    guard case .string(let s) = lit.kind else { throw bad(name, lit, "a string") }
    return s
  }

  mutating func string(_ name: String) throws(ParseError) -> String {
    guard let s = try optString(name) else { throw missing(name) }
    return s
  }

  /// A string attribute naming a case of `E` (e.g. `auto_pad="SAME_UPPER"`).
  mutating func choice<E: RawRepresentable>(_ name: String, default d: E) throws(ParseError) -> E
  where E.RawValue == String {
    guard let lit = take(name) else { return d }
    guard case .string(let s) = lit.kind else { throw bad(name, lit, "a string") }
    guard let v = E(rawValue: s) else {
      throw ParseError(lit.loc, "attribute '\(name)' of \(op): invalid value \(IRLexer.quote(s))")
    }
    return v
  }

  mutating func optDType(_ name: String) throws(ParseError) -> DType? {
    guard let lit = take(name) else { return nil }
    guard case .ident(let s) = lit.kind else { throw bad(name, lit, "an element type") }
    guard let t = DType(rawValue: s) else { throw ParseError(lit.loc, "unknown element type '\(s)'") }
    return t
  }

  mutating func dtype(_ name: String) throws(ParseError) -> DType {
    guard let t = try optDType(name) else { throw missing(name) }
    return t
  }

  // MARK: Lists

  mutating func optInts(_ name: String) throws(ParseError) -> [Int]? {
    guard let lit = take(name) else { return nil }
    guard case .list(let items) = lit.kind else { throw bad(name, lit, "a list of integers") }
    var out: [Int] = []
    for item in items {
      guard let v = AttrReader.intValue(item) else { throw bad(name, item, "an integer") }
      out.append(v)
    }
    return out
  }

  /// A non-optional integer list; omitted means empty.
  mutating func ints(_ name: String) throws(ParseError) -> [Int] { try optInts(name) ?? [] }

  /// The raw attribute dictionary of an opaque op (`attrs={alpha=f:1.5 …}`); omitted means empty.
  mutating func opaqueAttrs(_ name: String) throws(ParseError) -> [(name: String, value: AttributeValue)] {
    guard let lit = take(name) else { return [] }
    guard case .dict(let entries) = lit.kind else { throw bad(name, lit, "an attribute dictionary") }
    var out: [(name: String, value: AttributeValue)] = []
    var seen = Set<String>()
    for e in entries {
      if !seen.insert(e.name).inserted { throw ParseError(e.loc, "duplicate attribute '\(e.name)'") }
      out.append((e.name, try OpaqueValueCodec.decode(e.value)))
    }
    return out
  }
}
