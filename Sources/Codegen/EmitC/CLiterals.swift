/// Exact C spellings of numbers: floats as hexadecimal literals (bit-exact), integers as plain decimals.
enum CLiteral {
  /// `value` as a C `float` literal that reads back to the same bits: `0x1.8p+1f`, `-0x0p+0f`, `INFINITY`, `NAN`.
  static func float(_ value: Float) -> String {
    if value.isNaN { return "NAN" }
    if value.isInfinite { return value < 0 ? "-INFINITY" : "INFINITY" }
    let sign = value.sign == .minus ? "-" : ""
    let bits = value.bitPattern
    let exponentBits = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x7F_FFFF
    // 23 mantissa bits shifted left by one fill exactly six hex digits.
    var hex = String(mantissa << 1, radix: 16)
    hex = String(repeating: "0", count: 6 - hex.count) + hex
    while hex.hasSuffix("0") { hex.removeLast() }
    let frac = hex.isEmpty ? "" : "." + hex
    if exponentBits == 0 {
      if mantissa == 0 { return sign + "0x0p+0f" }
      return sign + "0x0" + frac + "p-126f"
    }
    let e = exponentBits - 127
    return sign + "0x1" + frac + "p" + (e >= 0 ? "+" : "") + String(e) + "f"
  }

  /// `{1, 64, 56, 56}` for a brace initializer.
  static func list(_ xs: [Int]) -> String { "{" + xs.map(String.init).joined(separator: ", ") + "}" }
}
