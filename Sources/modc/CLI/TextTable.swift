import GraphIR

/// A plain-text table with right-aligned numeric columns, used by `stats`, `bench` and friends.
struct TextTable {
  var headers: [String]
  /// Columns (by index) that are right-aligned.
  var rightAligned: Set<Int>
  var rows: [[String]] = []

  init(_ headers: [String], rightAligned: Set<Int> = []) {
    self.headers = headers
    self.rightAligned = rightAligned
  }

  mutating func add(_ row: [String]) { rows.append(row) }

  func render() -> String {
    var widths = headers.map(\.count)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { i, c in
        let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
        return rightAligned.contains(i) ? pad + c : c + pad
      }.joined(separator: "  ").trimmingTrailingSpaces()
    }
    var out = [line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
    out += rows.map(line)
    return out.joined(separator: "\n")
  }
}

extension String {
  func trimmingTrailingSpaces() -> String {
    var s = self
    while s.last == " " { s.removeLast() }
    return s
  }
}

/// `1234567` → `1,234,567`.
func grouped(_ n: Int) -> String {
  let s = String(n.magnitude)
  var out = ""
  for (i, c) in s.enumerated() {
    if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
    out.append(c)
  }
  return n < 0 ? "-" + out : out
}

/// Fixed-point formatting without Foundation: `fixed(3.14159, 2)` → `3.14`.
func fixed(_ x: Double, _ digits: Int) -> String {
  guard x.isFinite else { return String(x) }
  var p = 1.0
  for _ in 0..<digits { p *= 10 }
  let r = (abs(x) * p).rounded()
  let intPart = Int(r / p)
  var frac = String(Int(r.truncatingRemainder(dividingBy: p)))
  while frac.count < digits { frac = "0" + frac }
  return (x < 0 && r != 0 ? "-" : "") + String(intPart) + (digits > 0 ? "." + frac : "")
}

/// JSON string literal with escapes (GraphIR's shared quoting).
func jsonString(_ s: String) -> String { jsonQuoted(s) }
