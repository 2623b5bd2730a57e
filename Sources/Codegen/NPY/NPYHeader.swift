/// The parsed header dictionary of a `.npy` array: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
///
/// The parser is strict: a Python dict literal with exactly the keys `descr`, `fortran_order` and `shape`, string
/// keys in single or double quotes, `True`/`False`, a tuple of non-negative integers, optional trailing commas, and
/// nothing but whitespace (ending in a newline) after the closing brace.
struct NPYHeader: Equatable {
  var descr: String
  var fortranOrder: Bool
  var shape: [Int]

  /// Parses `text`; the thrown string is the reason (the caller adds the file name).
  static func parse(_ text: String) throws(NPYHeaderParseError) -> NPYHeader {
    var p = HeaderScanner(Array(text.utf8))
    try p.expect(UInt8(ascii: "{"))
    var descr: String?
    var fortran: Bool?
    var shape: [Int]?
    while true {
      p.skipSpaces()
      if p.peek == UInt8(ascii: "}") { p.advance(); break }
      let key = try p.quotedString()
      try p.expect(UInt8(ascii: ":"))
      switch key {
      case "descr":
        guard descr == nil else { throw .init("duplicate key 'descr'") }
        descr = try p.quotedString()
      case "fortran_order":
        guard fortran == nil else { throw .init("duplicate key 'fortran_order'") }
        fortran = try p.boolean()
      case "shape":
        guard shape == nil else { throw .init("duplicate key 'shape'") }
        shape = try p.intTuple()
      default:
        throw .init("unexpected key '\(key)'")
      }
      p.skipSpaces()
      if p.peek == UInt8(ascii: ",") { p.advance(); continue }
      try p.expect(UInt8(ascii: "}"))
      break
    }
    p.skipSpaces()
    guard p.isAtEnd else { throw .init("unexpected text after the header dict") }
    guard let descr else { throw .init("missing key 'descr'") }
    guard let fortran else { throw .init("missing key 'fortran_order'") }
    guard let shape else { throw .init("missing key 'shape'") }
    return NPYHeader(descr: descr, fortranOrder: fortran, shape: shape)
  }

  /// The header dict as numpy writes it, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }`.
  var text: String {
    let dims: String
    switch shape.count {
    case 0: dims = "()"
    case 1: dims = "(\(shape[0]),)"
    default: dims = "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
    return "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(dims), }"
  }
}

/// Why a header dict failed to parse.
struct NPYHeaderParseError: Error {
  var reason: String
  init(_ reason: String) { self.reason = reason }
}

/// A cursor over header bytes with the few token kinds a numpy header uses.
private struct HeaderScanner {
  let bytes: [UInt8]
  var pos = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var isAtEnd: Bool { pos >= bytes.count }
  var peek: UInt8? { pos < bytes.count ? bytes[pos] : nil }
  mutating func advance() { pos += 1 }

  mutating func skipSpaces() {
    while let c = peek, c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D { pos += 1 }
  }

  mutating func expect(_ c: UInt8) throws(NPYHeaderParseError) {
    skipSpaces()
    guard peek == c else {
      throw .init("expected '\(Character(Unicode.Scalar(c)))' at offset \(pos)")
    }
    pos += 1
  }

  mutating func quotedString() throws(NPYHeaderParseError) -> String {
    skipSpaces()
    guard let q = peek, q == UInt8(ascii: "'") || q == UInt8(ascii: "\"") else {
      throw .init("expected a quoted string at offset \(pos)")
    }
    pos += 1
    let start = pos
    while let c = peek, c != q {
      guard c != UInt8(ascii: "\\"), c != 0x0A else { throw .init("unsupported character in string at offset \(pos)") }
      pos += 1
    }
    guard peek == q else { throw .init("unterminated string") }
    let s = String(decoding: bytes[start..<pos], as: UTF8.self)
    pos += 1
    return s
  }

  mutating func boolean() throws(NPYHeaderParseError) -> Bool {
    skipSpaces()
    if hasPrefix("True") { pos += 4; return true }
    if hasPrefix("False") { pos += 5; return false }
    throw .init("expected True or False at offset \(pos)")
  }

  mutating func intTuple() throws(NPYHeaderParseError) -> [Int] {
    try expect(UInt8(ascii: "("))
    var dims: [Int] = []
    while true {
      skipSpaces()
      if peek == UInt8(ascii: ")") { pos += 1; break }
      dims.append(try integer())
      skipSpaces()
      if peek == UInt8(ascii: ",") { pos += 1; continue }
      try expect(UInt8(ascii: ")"))
      break
    }
    return dims
  }

  private mutating func integer() throws(NPYHeaderParseError) -> Int {
    let start = pos
    var v = 0
    while let c = peek, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
      let (m, o1) = v.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
      guard !o1, !o2 else { throw .init("dimension too large at offset \(start)") }
      v = a
      pos += 1
    }
    // A trailing 'L' is what Python 2 wrote for long integers.
    if peek == UInt8(ascii: "L") { pos += 1 }
    guard pos > start else { throw .init("expected a non-negative integer at offset \(start)") }
    return v
  }

  private func hasPrefix(_ s: String) -> Bool {
    let u = Array(s.utf8)
    return pos + u.count <= bytes.count && Array(bytes[pos..<(pos + u.count)]) == u
  }
}
