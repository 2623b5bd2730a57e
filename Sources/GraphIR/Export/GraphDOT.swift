/// A Graphviz DOT rendering of a graph (`dot -Tsvg graph.dot -o graph.svg`).
///
/// Op nodes are boxes labelled with the ONNX name and the mnemonic (MoD ops filled orange, opaque ops red);
/// graph inputs are inverted houses, graph outputs houses; edges carry the type of the value they carry
/// (`f32[N,64,56,56]`, `?` when unknown, prefixed by the output index for multi-output nodes). Constants are
/// left out unless `includeConstants` is set, since ResNet weights would outnumber the ops.
/// Every name is written as an escaped DOT string, so any ONNX name is safe.
public func graphDOT(_ g: Graph, includeConstants: Bool = false) -> String {
  GraphDOTWriter(g: g, includeConstants: includeConstants).render()
}

struct GraphDOTWriter {
  let g: Graph
  let includeConstants: Bool

  /// `s` as a quoted DOT string: `"` and `\` escaped, newlines as `\n` (a centred line break in labels).
  static func quote(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": break
      default: out.unicodeScalars.append(c)
      }
    }
    return out + "\""
  }

  private func typeText(_ v: ValueID) -> String {
    guard g.contains(v), let t = g[v].type ?? g.constants[v]?.type else { return "?" }
    return IRPrinter.typeText(t)
  }

  private func name(_ v: ValueID) -> String { g.contains(v) ? g[v].name : "" }

  /// Label built from raw lines; the lines are joined by real newlines, which `quote` turns into `\n`.
  private static func label(_ lines: String...) -> String { "label=" + quote(lines.joined(separator: "\n")) }

  func render() -> String {
    var out = "digraph \(GraphDOTWriter.quote(g.name)) {\n"
    out += "  rankdir=TB;\n"
    out += "  node [fontname=\"Helvetica\", fontsize=10];\n"
    out += "  edge [fontname=\"Helvetica\", fontsize=8];\n"

    // Where each value comes from: a DOT node id plus, for multi-output nodes, the output index.
    var source: [ValueID: (dotID: String, port: Int?)] = [:]
    for (k, v) in g.inputs.enumerated() {
      let id = "in\(k)"
      source[v] = (id, nil)
      out +=
        "  \(id) [\(GraphDOTWriter.label(name(v), typeText(v))), shape=invhouse, style=filled, fillcolor=\"#d8ecff\"];\n"
    }
    if includeConstants {
      for v in g.constants.keys.sorted() where source[v] == nil {
        let id = "c\(v.raw)"
        source[v] = (id, nil)
        out += "  \(id) [\(GraphDOTWriter.label(name(v), typeText(v))), shape=note, fontsize=8, color=\"#888888\"];\n"
      }
    }
    for (k, n) in g.nodes.enumerated() {
      let fill: String
      switch n.op {
      case .modRouter, .modGather, .modFuse: fill = "#ffd9a8"
      case .opaque: fill = "#ffb3b3"
      default: fill = "#f2f2f2"
      }
      let opText = n.op.mnemonic == "opaque" ? "opaque \(n.op.onnxOpType)" : n.op.mnemonic
      out +=
        "  n\(k) [\(GraphDOTWriter.label(n.name, opText)), shape=box, style=\"rounded,filled\", fillcolor=\"\(fill)\"];\n"
      for (i, v) in n.outputs.enumerated() where source[v] == nil {
        source[v] = ("n\(k)", n.outputs.count > 1 ? i : nil)
      }
    }
    for (k, v) in g.outputs.enumerated() {
      out +=
        "  out\(k) [\(GraphDOTWriter.label(name(v), typeText(v))), shape=house, style=filled, fillcolor=\"#d9f2d9\"];\n"
    }

    func edge(from v: ValueID, to target: String) -> String? {
      guard let s = source[v] else { return nil }
      let text = (s.port.map { "\($0): " } ?? "") + typeText(v)
      return "  \(s.dotID) -> \(target) [label=\(GraphDOTWriter.quote(text))];\n"
    }
    for (k, n) in g.nodes.enumerated() {
      for v in n.inputs { out += edge(from: v, to: "n\(k)") ?? "" }
    }
    for (k, v) in g.outputs.enumerated() { out += edge(from: v, to: "out\(k)") ?? "" }
    return out + "}\n"
  }
}
