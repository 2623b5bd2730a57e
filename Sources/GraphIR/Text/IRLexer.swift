/// A position in IR text: 1-based line and column (columns count Unicode scalars).
public struct TextLocation: Sendable, Hashable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }
  public var description: String { "\(line):\(column)" }
}

/// An error in IR text, rendered `line:col: message`.
public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
  public var location: TextLocation
  public var message: String
  public init(_ location: TextLocation, _ message: String) {
    self.location = location
    self.message = message
  }
  public var description: String { "\(location): \(message)" }
}

/// One token of the textual IR.
enum IRToken: Equatable {
  /// `%12` or `%x.1`: an SSA value reference (the text after `%`).
  case value(String)
  /// `#0123abcd…`: a constant checksum (the hex digits after `#`).
  case checksum(String)
  /// A lone `#`, which introduces a node's ONNX name.
  case hash
  /// A bare word: keyword, mnemonic, attribute name, dtype, `true`, `inf`, `-inf`, … (may contain `.`).
  case ident(String)
  /// An integer literal, kept as text (may start with `-`).
  case int(String)
  /// A float literal (contains `.` or an exponent), kept as text.
  case float(String)
  /// A double-quoted string, unescaped.
  case string(String)
  /// One of `( ) { } [ ] , = : ?`.
  case punct(Character)
  case end

  /// How the token reads in an error message.
  var display: String {
    switch self {
    case .value(let s): return "'%\(s)'"
    case .checksum(let s): return "'#\(s)'"
    case .hash: return "'#'"
    case .ident(let s), .int(let s), .float(let s): return "'\(s)'"
    case .string: return "string"
    case .punct(let c): return "'\(c)'"
    case .end: return "end of input"
    }
  }
}

/// Splits IR text into tokens with their locations. `//` starts a comment that runs to the end of the line.
struct IRLexer {
  private let scalars: [Unicode.Scalar]
  private var pos = 0
  private var line = 1
  private var column = 1

  init(_ text: String) { scalars = Array(text.unicodeScalars) }

  /// Tokenizes the whole input; the last token is `.end`.
  static func tokenize(_ text: String) throws(ParseError) -> [(token: IRToken, loc: TextLocation)] {
    var lexer = IRLexer(text)
    var out: [(token: IRToken, loc: TextLocation)] = []
    while true {
      let t = try lexer.next()
      out.append(t)
      if t.token == .end { return out }
    }
  }

  private var here: TextLocation { TextLocation(line: line, column: column) }

  private func peek(_ k: Int = 0) -> Unicode.Scalar? { pos + k < scalars.count ? scalars[pos + k] : nil }

  private mutating func advance() {
    if scalars[pos] == "\n" {
      line += 1
      column = 1
    } else {
      column += 1
    }
    pos += 1
  }

  private static func isIdentStart(_ c: Unicode.Scalar) -> Bool {
    c == "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
  }
  private static func isIdentBody(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || isDigit(c) || c == "." }
  private static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
  private static func isHex(_ c: Unicode.Scalar) -> Bool {
    isDigit(c) || (c >= "a" && c <= "f") || (c >= "A" && c <= "F")
  }

  private mutating func take(while pred: (Unicode.Scalar) -> Bool) -> String {
    var s = String.UnicodeScalarView()
    while let c = peek(), pred(c) {
      s.append(c)
      advance()
    }
    return String(s)
  }

  mutating func next() throws(ParseError) -> (token: IRToken, loc: TextLocation) {
    // Skip whitespace and comments.
    while let c = peek() {
      if c == " " || c == "\t" || c == "\n" || c == "\r" {
        advance()
      } else if c == "/" && peek(1) == "/" {
        while let d = peek(), d != "\n" { advance() }
      } else {
        break
      }
    }
    let loc = here
    guard let c = peek() else { return (.end, loc) }
    switch c {
    case "(", ")", "{", "}", "[", "]", ",", "=", ":", "?":
      advance()
      return (.punct(Character(c)), loc)
    case "%":
      advance()
      let name = take(while: IRLexer.isIdentBody)
      if name.isEmpty { throw ParseError(loc, "expected a value name after '%'") }
      return (.value(name), loc)
    case "#":
      advance()
      if let d = peek(), IRLexer.isHex(d) { return (.checksum(take(while: IRLexer.isHex)), loc) }
      return (.hash, loc)
    case "\"":
      return (.string(try lexString()), loc)
    default:
      break
    }
    if IRLexer.isIdentStart(c) { return (.ident(take(while: IRLexer.isIdentBody)), loc) }
    if IRLexer.isDigit(c) || (c == "-" && peek(1).map { IRLexer.isDigit($0) || IRLexer.isIdentStart($0) } == true) {
      var text = ""
      if c == "-" {
        advance()
        text = "-"
        if let d = peek(), IRLexer.isIdentStart(d) {  // -inf, -nan
          return (.ident(text + take(while: IRLexer.isIdentBody)), loc)
        }
      }
      return lexNumber(prefix: text, loc: loc)
    }
    throw ParseError(loc, "unexpected character '\(c)'")
  }

  private mutating func lexNumber(prefix: String, loc: TextLocation) -> (token: IRToken, loc: TextLocation) {
    var text = prefix + take(while: IRLexer.isDigit)
    var isFloat = false
    if peek() == ".", let d = peek(1), IRLexer.isDigit(d) {
      advance()
      text += "." + take(while: IRLexer.isDigit)
      isFloat = true
    }
    if peek() == "e" || peek() == "E" {
      let sign = peek(1)
      let hasSign = sign == "+" || sign == "-"
      if let d = peek(hasSign ? 2 : 1), IRLexer.isDigit(d) {
        text += "e"
        advance()
        if hasSign, let s = sign {
          text.unicodeScalars.append(s)
          advance()
        }
        text += take(while: IRLexer.isDigit)
        isFloat = true
      }
    }
    return (isFloat ? .float(text) : .int(text), loc)
  }

  private mutating func lexString() throws(ParseError) -> String {
    let start = here
    advance()  // opening quote
    var s = String.UnicodeScalarView()
    while true {
      guard let c = peek(), c != "\n" else { throw ParseError(start, "unterminated string") }
      advance()
      if c == "\"" { return String(s) }
      if c != "\\" {
        s.append(c)
        continue
      }
      let escLoc = here
      guard let e = peek() else { throw ParseError(start, "unterminated string") }
      advance()
      switch e {
      case "\"": s.append("\"")
      case "\\": s.append("\\")
      case "n": s.append("\n")
      case "t": s.append("\t")
      case "r": s.append("\r")
      case "u":
        guard peek() == "{" else { throw ParseError(escLoc, "expected '{' after '\\u'") }
        advance()
        let hex = take(while: IRLexer.isHex)
        guard peek() == "}", let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else {
          throw ParseError(escLoc, "bad unicode escape '\\u{\(hex)'")
        }
        advance()
        s.append(scalar)
      default:
        throw ParseError(escLoc, "unknown escape '\\\(e)' in string")
      }
    }
  }

  /// `s` as a double-quoted IR string literal (escapes `"`, `\`, and control characters).
  static func quote(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      default:
        if c.value < 0x20 || c.value == 0x7F {
          out += "\\u{" + String(c.value, radix: 16) + "}"
        } else {
          out.unicodeScalars.append(c)
        }
      }
    }
    return out + "\""
  }

  /// True if `s` can be printed as a bare identifier (symbolic dims).
  static func isBareIdentifier(_ s: String) -> Bool {
    guard let f = s.unicodeScalars.first, isIdentStart(f) else { return false }
    return s.unicodeScalars.allSatisfy { isIdentStart($0) || isDigit($0) }
  }
}
