/// A minimal JSON document model with a deterministic writer (object keys sorted, scalar arrays on one line).
enum JSONValue {
  case null
  case bool(Bool)
  case int(Int)
  /// A number already rendered as valid JSON text.
  case number(String)
  case string(String)
  case array([JSONValue])
  case object([(key: String, value: JSONValue)])

  /// A float as a JSON number; NaN and infinities (not representable in JSON) become the strings "nan", "inf", "-inf".
  static func float(_ f: Float) -> JSONValue { f.isFinite ? .number(f.description) : .string(f.description) }
  static func double(_ d: Double) -> JSONValue { d.isFinite ? .number(d.description) : .string(d.description) }

  static func quote(_ s: String) -> String { jsonQuoted(s) }
}

/// `s` as a JSON string literal (quotes, backslashes and control characters escaped). Shared by every JSON writer.
public func jsonQuoted(_ s: String) -> String {
  var out = "\""
  for c in s.unicodeScalars {
    switch c {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      if c.value < 0x20 || c.value == 0x7F {
        let h = String(c.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
      } else {
        out.unicodeScalars.append(c)
      }
    }
  }
  return out + "\""
}

extension JSONValue {
  private var isScalar: Bool {
    switch self {
    case .array(let xs): return xs.isEmpty
    case .object(let kv): return kv.isEmpty
    default: return true
    }
  }

  /// The JSON text, indented by two spaces per level.
  func render(indent: Int = 0) -> String {
    let pad = String(repeating: "  ", count: indent + 1)
    let close = String(repeating: "  ", count: indent)
    switch self {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .number(let s): return s
    case .string(let s): return JSONValue.quote(s)
    case .array(let xs):
      if xs.isEmpty { return "[]" }
      if xs.allSatisfy(\.isScalar) { return "[" + xs.map { $0.render() }.joined(separator: ", ") + "]" }
      return "[\n" + xs.map { pad + $0.render(indent: indent + 1) }.joined(separator: ",\n") + "\n\(close)]"
    case .object(let kv):
      if kv.isEmpty { return "{}" }
      let sorted = kv.sorted { $0.key < $1.key }
      let body = sorted.map { pad + JSONValue.quote($0.key) + ": " + $0.value.render(indent: indent + 1) }
      return "{\n" + body.joined(separator: ",\n") + "\n\(close)}"
    }
  }
}
