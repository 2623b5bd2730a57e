/// Builds C source text line by line with automatic indentation (two spaces per level).
///
/// ```swift
/// var w = CWriter()
/// w.block("int main(void)") { w in w.line("return 0;") }
/// // int main(void) {
/// //   return 0;
/// // }
/// ```
public struct CWriter: Sendable {
  /// The text written so far.
  public private(set) var text = ""
  /// Current nesting depth.
  public private(set) var depth = 0

  public init() {}

  /// Appends one line at the current indentation (an empty string gives an empty line, never trailing spaces).
  public mutating func line(_ s: String = "") {
    if !s.isEmpty { text += String(repeating: "  ", count: depth) + s }
    text += "\n"
  }

  /// Appends several lines.
  public mutating func lines(_ ss: [String]) { for s in ss { line(s) } }

  /// `head {`, the body one level deeper, then `}` + `tail` (e.g. `";"` after an initializer).
  public mutating func block(_ head: String, tail: String = "", _ body: (inout CWriter) -> Void) {
    line(head.isEmpty ? "{" : head + " {")
    depth += 1
    body(&self)
    depth -= 1
    line("}" + tail)
  }

  /// Runs `body` one indentation level deeper (continuation lines, initializer lists).
  public mutating func depthIn(_ body: (inout CWriter) -> Void) {
    depth += 1
    body(&self)
    depth -= 1
  }

  /// A `/* … */` comment; multi-line text becomes a ` * `-prefixed block. `*/` inside the text is defused.
  public mutating func comment(_ s: String) {
    let parts = s.split(separator: "\n", omittingEmptySubsequences: false).map { cCommentSafe(String($0)) }
    if parts.count == 1 {
      line("/* \(parts[0]) */")
      return
    }
    line("/*")
    for p in parts { line(p.isEmpty ? " *" : " * " + p) }
    line(" */")
  }
}

/// `s` with every `*/` and `/*` broken up so it can sit inside a C block comment.
func cCommentSafe(_ s: String) -> String {
  s.replacing("*/", with: "* /").replacing("/*", with: "/ *")
}

/// `s` as a C string literal (quotes, backslashes, control and non-ASCII bytes escaped).
func cStringLiteral(_ s: String) -> String {
  var out = "\""
  for b in s.utf8 {
    switch b {
    case UInt8(ascii: "\""): out += "\\\""
    case UInt8(ascii: "\\"): out += "\\\\"
    case UInt8(ascii: "?"): out += "\\?"  // no trigraphs
    case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(b))
    default:
      let o = String(b, radix: 8)
      out += "\\" + String(repeating: "0", count: 3 - o.count) + o
    }
  }
  return out + "\""
}
