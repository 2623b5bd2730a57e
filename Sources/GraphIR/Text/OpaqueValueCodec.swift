/// Text form of the raw attribute values kept by opaque ops.
///
/// Each value carries its ONNX kind so that empty lists and integral floats parse back exactly:
/// `i:3`, `f:1.5`, `s:"x"`, `ints:[1,2]`, `floats:[0.5]`, `strings:["a"]`, `unsupported:"GRAPH"`, and
/// `tensor:f32[2]"0000803f00000040"` (the little-endian bytes in hex; opaque tensor attributes are small).
enum OpaqueValueCodec {
  static func encode(_ v: AttributeValue) -> String {
    switch v {
    case .int(let i): return "i:\(i)"
    case .float(let f): return "f:\(f.description)"
    case .string(let s): return "s:\(IRLexer.quote(s))"
    case .ints(let xs): return "ints:[\(xs.map(String.init).joined(separator: ","))]"
    case .floats(let xs): return "floats:[\(xs.map(\.description).joined(separator: ","))]"
    case .strings(let xs): return "strings:[\(xs.map(IRLexer.quote).joined(separator: ","))]"
    case .tensor(let t): return "tensor:\(IRPrinter.typeText(t.type))\"\(hex(t.bytes))\""
    case .unsupported(let k): return "unsupported:\(IRLexer.quote(k))"
    }
  }

  static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
    let digits = Array("0123456789abcdef".unicodeScalars)
    var s = String.UnicodeScalarView()
    for b in bytes {
      s.append(digits[Int(b >> 4)])
      s.append(digits[Int(b & 15)])
    }
    return String(s)
  }

  static func decode(_ lit: Literal) throws(ParseError) -> AttributeValue {
    guard case .typed(let kind, let inner) = lit.kind else {
      throw ParseError(lit.loc, "expected a typed attribute value such as 'i:1' or 'f:0.5', found \(lit.what)")
    }
    func fail(_ expected: String) -> ParseError {
      ParseError(inner.loc, "'\(kind):' value: expected \(expected), found \(inner.what)")
    }
    func items() throws(ParseError) -> [Literal] {
      guard case .list(let xs) = inner.kind else { throw fail("a list") }
      return xs
    }
    switch kind {
    case "i":
      guard case .int(let s) = inner.kind, let v = Int64(s) else { throw fail("an integer") }
      return .int(v)
    case "f":
      guard let t = AttrReader.floatText(inner), let v = Float(t) else { throw fail("a float") }
      return .float(v)
    case "s":
      guard case .string(let s) = inner.kind else { throw fail("a string") }
      return .string(s)
    case "unsupported":
      guard case .string(let s) = inner.kind else { throw fail("a string") }
      return .unsupported(s)
    case "ints":
      var out: [Int64] = []
      for x in try items() {
        guard case .int(let s) = x.kind, let v = Int64(s) else {
          throw ParseError(x.loc, "'ints:' value: expected an integer, found \(x.what)")
        }
        out.append(v)
      }
      return .ints(out)
    case "floats":
      var out: [Float] = []
      for x in try items() {
        guard let t = AttrReader.floatText(x), let v = Float(t) else {
          throw ParseError(x.loc, "'floats:' value: expected a float, found \(x.what)")
        }
        out.append(v)
      }
      return .floats(out)
    case "strings":
      var out: [String] = []
      for x in try items() {
        guard case .string(let s) = x.kind else {
          throw ParseError(x.loc, "'strings:' value: expected a string, found \(x.what)")
        }
        out.append(s)
      }
      return .strings(out)
    case "tensor":
      guard case .tensor(let type, let hex) = inner.kind else { throw fail("a tensor like f32[2]\"…\"") }
      return .tensor(try tensor(type, hex: hex, at: inner.loc))
    default:
      throw ParseError(lit.loc, "unknown attribute kind '\(kind)'")
    }
  }

  private static func tensor(_ type: TensorType, hex: String, at loc: TextLocation) throws(ParseError) -> TensorData {
    guard let shape = type.staticShape, shape.allSatisfy({ $0 >= 0 }) else {
      throw ParseError(loc, "tensor attribute needs a static shape, found \(IRPrinter.typeText(type))")
    }
    let digits = Array(hex.utf8)
    let count = digits.count / 2
    let expected = shape.reduce(1, *) * type.dtype.byteSize
    guard digits.count % 2 == 0, type.dtype == .string || count == expected else {
      throw ParseError(
        loc, "tensor attribute \(IRPrinter.typeText(type)) needs \(expected) bytes, found \(hex.count) hex digits")
    }
    func nibble(_ c: UInt8) -> UInt8? {
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
      default: return nil
      }
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    for i in 0..<count {
      guard let hi = nibble(digits[2 * i]), let lo = nibble(digits[2 * i + 1]) else {
        throw ParseError(loc, "tensor attribute bytes must be hex digits")
      }
      bytes.append(hi << 4 | lo)
    }
    let storage = bytes.withUnsafeBytes { TensorStorage(copying: $0) }
    return TensorData(dtype: type.dtype, shape: shape, storage: storage)
  }
}
