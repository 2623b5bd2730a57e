/// A Graphviz DOT rendering of a graph (`dot -Tsvg graph.dot -o graph.svg`).
///
/// Op nodes are boxes labelled with the ONNX name and the mnemonic (MoD ops filled orange, opaque ops red);
/// graph inputs are inverted houses, graph outputs houses; edges carry the type of the value they carry
/// (`f32[N,64,56,56]`, `?` when unknown, prefixed by the output index for multi-output nodes). Constants are
/// left out unless `includeConstants` is set, since ResNet weights would outnumber the ops.
/// Every name is written as an escaped DOT string, so any ONNX name is safe.
public func graphDOT(_ g: Graph, includeConstants: Bool = false) -> String {
  GraphDOTWriter(g: g, options: DOTOptions(includeConstants: includeConstants)).render()
}

/// `graphDOT` with clusters (e.g. Conv-Blocks), per-node MACs and collapsing; see `DOTOptions`.
public func graphDOT(_ g: Graph, options: DOTOptions) -> String {
  GraphDOTWriter(g: g, options: options).render()
}

/// A group of nodes drawn as one Graphviz cluster (`subgraph cluster_…`), or as one node when collapsed.
public struct DOTCluster: Sendable {
  /// Title lines of the cluster (joined by line breaks), e.g. `["layer1.1 MoD", "c=16 k=1"]`.
  public var label: [String]
  /// Indices into `graph.nodes` of the member nodes. A node belongs to at most one cluster (the first wins).
  public var nodeIndices: [Int]
  /// Background colour, e.g. `"#ffe0b3"`.
  public var fillColor: String
  public init(label: [String], nodeIndices: [Int], fillColor: String) {
    self.label = label
    self.nodeIndices = nodeIndices
    self.fillColor = fillColor
  }
}

/// How `graphDOT(_:options:)` draws a graph.
public struct DOTOptions: Sendable {
  /// Draw weight constants as notes.
  public var includeConstants: Bool
  /// Node groups drawn as clusters.
  public var clusters: [DOTCluster]
  /// Draw each cluster as a single node (edges inside a cluster disappear, parallel edges are merged).
  public var collapseClusters: Bool
  /// Add a `N MACs` line to the label of every node (or collapsed cluster) with multiply-accumulates.
  public var showMACs: Bool
  public init(
    includeConstants: Bool = false, clusters: [DOTCluster] = [], collapseClusters: Bool = false,
    showMACs: Bool = false
  ) {
    self.includeConstants = includeConstants
    self.clusters = clusters
    self.collapseClusters = collapseClusters
    self.showMACs = showMACs
  }
}

struct GraphDOTWriter {
  let g: Graph
  let options: DOTOptions

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

  /// `1234567` → `1,234,567`.
  static func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(c)
    }
    return n < 0 ? "-" + out : out
  }

  private func nodeLines(_ n: Node) -> [String] {
    let opText = n.op.mnemonic == "opaque" ? "opaque \(n.op.onnxOpType)" : n.op.mnemonic
    var lines = [n.name, opText]
    if options.showMACs {
      let m = g.macs(of: n)
      if m > 0 { lines.append("\(GraphDOTWriter.grouped(m)) MACs") }
    }
    return lines
  }

  func render() -> String {
    var out = "digraph \(GraphDOTWriter.quote(g.name)) {\n"
    out += "  rankdir=TB;\n"
    out += "  node [fontname=\"Helvetica\", fontsize=10];\n"
    out += "  edge [fontname=\"Helvetica\", fontsize=8];\n"

    // Cluster of each node index (first cluster wins).
    var clusterOf: [Int: Int] = [:]
    for (ci, c) in options.clusters.enumerated() {
      for i in c.nodeIndices where i >= 0 && i < g.nodes.count && clusterOf[i] == nil { clusterOf[i] = ci }
    }
    let collapse = options.collapseClusters

    // Where each value comes from: a DOT node id plus, for multi-output nodes, the output index.
    var source: [ValueID: (dotID: String, port: Int?)] = [:]
    for (k, v) in g.inputs.enumerated() {
      let id = "in\(k)"
      source[v] = (id, nil)
      out +=
        "  \(id) [\(GraphDOTWriter.label(name(v), typeText(v))), shape=invhouse, style=filled, fillcolor=\"#d8ecff\"];\n"
    }
    if options.includeConstants {
      for v in g.constants.keys.sorted() where source[v] == nil {
        let id = "c\(v.raw)"
        source[v] = (id, nil)
        out += "  \(id) [\(GraphDOTWriter.label(name(v), typeText(v))), shape=note, fontsize=8, color=\"#888888\"];\n"
      }
    }
    // Node statements, grouped by cluster so each cluster is one contiguous subgraph.
    var statements: [String] = []
    var clusterStatements = [[String]](repeating: [], count: options.clusters.count)
    var clusterMACs = [Int](repeating: 0, count: options.clusters.count)
    for (k, n) in g.nodes.enumerated() {
      let ci = clusterOf[k]
      if let ci { clusterMACs[ci] += g.macs(of: n) }
      if collapse, let ci {
        for v in n.outputs where source[v] == nil { source[v] = ("b\(ci)", nil) }
        continue
      }
      let fill: String
      switch n.op {
      case .modRouter, .modGather, .modFuse: fill = "#ffd9a8"
      case .opaque: fill = "#ffb3b3"
      default: fill = "#f2f2f2"
      }
      let line = "n\(k) [label=\(GraphDOTWriter.quote(nodeLines(n).joined(separator: "\n"))), shape=box, "
        + "style=\"rounded,filled\", fillcolor=\"\(fill)\"];"
      if let ci { clusterStatements[ci].append(line) } else { statements.append(line) }
      for (i, v) in n.outputs.enumerated() where source[v] == nil {
        source[v] = ("n\(k)", n.outputs.count > 1 ? i : nil)
      }
    }
    for (ci, c) in options.clusters.enumerated() {
      var title = c.label
      if options.showMACs && clusterMACs[ci] > 0 { title.append("\(GraphDOTWriter.grouped(clusterMACs[ci])) MACs") }
      let label = GraphDOTWriter.quote(title.joined(separator: "\n"))
      let fill = GraphDOTWriter.quote(c.fillColor)
      if collapse {
        guard c.nodeIndices.contains(where: { clusterOf[$0] == ci }) else { continue }
        out += "  b\(ci) [label=\(label), shape=box3d, style=filled, fillcolor=\(fill)];\n"
        continue
      }
      guard !clusterStatements[ci].isEmpty else { continue }
      out += "  subgraph cluster_\(ci) {\n"
      out += "    label=\(label); style=\"rounded,filled\"; fillcolor=\(fill); color=\"#7f7f7f\"; fontname=\"Helvetica\"; fontsize=11;\n"
      for line in clusterStatements[ci] { out += "    \(line)\n" }
      out += "  }\n"
    }
    for line in statements { out += "  \(line)\n" }
    for (k, v) in g.outputs.enumerated() {
      out +=
        "  out\(k) [\(GraphDOTWriter.label(name(v), typeText(v))), shape=house, style=filled, fillcolor=\"#d9f2d9\"];\n"
    }

    var seenEdges = Set<String>()
    func edge(from v: ValueID, to target: String) -> String? {
      guard let s = source[v], s.dotID != target else { return nil }
      let text = (s.port.map { "\($0): " } ?? "") + typeText(v)
      let e = "  \(s.dotID) -> \(target) [label=\(GraphDOTWriter.quote(text))];\n"
      // Collapsed blocks read the block input several times (body and shortcut): draw it once.
      if collapse { guard seenEdges.insert(e).inserted else { return nil } }
      return e
    }
    for (k, n) in g.nodes.enumerated() {
      let target = collapse ? clusterOf[k].map { "b\($0)" } ?? "n\(k)" : "n\(k)"
      for v in n.inputs { out += edge(from: v, to: target) ?? "" }
    }
    for (k, v) in g.outputs.enumerated() { out += edge(from: v, to: "out\(k)") ?? "" }
    return out + "}\n"
  }
}
