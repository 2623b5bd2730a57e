/// Turns tensor and node names into unique, valid, readable C identifiers, deterministically.
///
/// `"resnetv15_conv0_fwd"` stays as is, `"layer1.0/conv1:0"` becomes `layer1_0_conv1_0`, a name starting with a digit
/// gets the prefix, and a clash (or a C keyword) gets a numeric suffix `_2`, `_3`, … in first-come order.
struct CIdentifiers {
  private var used: Set<String>
  private let prefix: String

  /// Identifiers made here start with `prefix` (e.g. `"t_"`, `"w_"`) and never equal any of `reserved`.
  init(prefix: String, reserved: Set<String> = []) {
    self.prefix = prefix
    self.used = reserved.union(cKeywords)
  }

  /// A fresh identifier for `name`.
  mutating func make(_ name: String) -> String {
    var base = prefix + cify(name)
    if base.count > 60 { base = String(base.prefix(60)) }
    var id = base
    var k = 2
    while used.contains(id) {
      id = base + "_\(k)"
      k += 1
    }
    used.insert(id)
    return id
  }
}

/// Maps every byte outside `[A-Za-z0-9_]` to `_`, collapses runs of `_` and trims them at the ends.
func cify(_ name: String) -> String {
  var out: [UInt8] = []
  for b in name.utf8 {
    let ok = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    let c = ok ? b : UInt8(ascii: "_")
    if c == UInt8(ascii: "_"), out.last == c { continue }
    out.append(c)
  }
  while out.first == UInt8(ascii: "_") { out.removeFirst() }
  while out.last == UInt8(ascii: "_") { out.removeLast() }
  if out.isEmpty { return "v" }
  return String(decoding: out, as: UTF8.self)
}

/// True if `s` is a valid C identifier that is not a keyword (what `--name` must be).
public func isCIdentifier(_ s: String) -> Bool {
  guard let first = s.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
  let ok = s.utf8.allSatisfy { b in
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
  }
  return ok && !cKeywords.contains(s) && s.utf8.count <= 40
}

/// C11 keywords plus names an emitted project defines or includes itself.
let cKeywords: Set<String> = [
  "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern", "float",
  "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed", "sizeof", "static",
  "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof", "_Atomic",
  "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
  "main", "modc", "NULL", "errno", "stdin", "stdout", "stderr",
]

extension EmitC {
  /// The default `--name` for a model file: its base name without extension, made a C identifier
  /// (`cifar_resnet20_op17.onnx` → `cifar_resnet20_op17`, `18-layer.onnx` → `m_18_layer`).
  public static func defaultName(forModel path: String) -> String {
    var base = Substring(path.split(separator: "/").last ?? "model")
    if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = base[..<dot] }
    var n = cify(String(base))
    if let f = n.utf8.first, f >= 0x30 && f <= 0x39 { n = "m_" + n }
    if n.utf8.count > 40 { n = String(n.prefix(40)) }
    return isCIdentifier(n) ? n : "model"
  }
}
