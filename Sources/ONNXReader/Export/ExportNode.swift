import GraphIR

/// An attribute value to write (the exporter's view of ONNX `AttributeProto`).
enum ExportAttribute {
  case int(Int)
  case float(Float)
  case string(String)
  case ints([Int])
  case floats([Float])
  case strings([String])
  case tensor(TensorData)
}

/// One standard ONNX node to write, produced from a graph node by its encoder.
struct ExportNode {
  var name: String
  var opType: String
  var domain: String = ""
  var inputs: [String]
  var outputs: [String]
  var attributes: [(String, ExportAttribute)] = []
}

/// State shared by the op encoders while exporting one graph: value names and extra initializers.
struct ExportContext {
  let graph: Graph
  let opset: Int
  /// A unique ONNX name for every value.
  let names: [String]
  /// Initializers created by encoders (axes/pads/K inputs of the opset-17 forms), written after the graph's own.
  var extraInitializers: [(String, TensorData)] = []
  /// Custom domains used by opaque nodes.
  var customDomains: Set<String> = []

  init(graph: Graph, opset: Int) {
    self.graph = graph
    self.opset = opset
    var used: Set<String> = []
    var names: [String] = []
    names.reserveCapacity(graph.values.count)
    for v in graph.values {
      var n = v.name.isEmpty ? "v\(v.id.raw)" : v.name
      if used.contains(n) { n = "\(n)__\(v.id.raw)" }
      used.insert(n)
      names.append(n)
    }
    self.names = names
  }

  func name(_ v: ValueID) -> String { names[v.raw] }

  /// Adds an i64 initializer named after `node` and returns its name.
  mutating func int64Input(_ node: Node, _ suffix: String, _ values: [Int], shape: [Int]? = nil) -> String {
    let n = "\(node.name).\(suffix)"
    extraInitializers.append((n, TensorData(shape: shape ?? [values.count], int64s: values.map { Int64($0) })))
    return n
  }

  /// Adds an initializer holding `data` named after `node` and returns its name.
  mutating func tensorInput(_ node: Node, _ suffix: String, _ data: TensorData) -> String {
    let n = "\(node.name).\(suffix)"
    extraInitializers.append((n, data))
    return n
  }

  func notExportable(_ node: Node, _ reason: String) -> ONNXReadError {
    ONNXReadError(.notExportable(node: node.name, op: node.op.onnxOpType, reason: reason))
  }
}
