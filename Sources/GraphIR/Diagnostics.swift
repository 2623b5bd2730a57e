/// An error in a graph, anchored on the node (name and op) it concerns.
///
/// Rendered as one line: `node 'conv1' (Conv): expected weight [64,3,7,7] …`.
public struct GraphError: Error, Sendable, CustomStringConvertible, Equatable {
  /// The ONNX node name, or nil for graph-level problems.
  public var node: String?
  /// The ONNX op type of that node.
  public var op: String?
  /// The tensor the problem concerns, if any.
  public var tensor: String?
  public var message: String

  public init(node: String? = nil, op: String? = nil, tensor: String? = nil, _ message: String) {
    self.node = node
    self.op = op
    self.tensor = tensor
    self.message = message
  }

  /// An error about node `n`.
  public init(_ n: Node, _ message: String) {
    self.init(node: n.name, op: n.op.onnxOpType, message)
  }

  public var description: String {
    var prefix = ""
    if let node { prefix = "node '\(node)'" + (op.map { " (\($0))" } ?? "") + ": " }
    else if let tensor { prefix = "tensor '\(tensor)': " }
    return prefix + message
  }
}

/// Several graph errors reported together (e.g. every unsupported op at once).
public struct GraphErrors: Error, Sendable, CustomStringConvertible {
  public var errors: [GraphError]
  public init(_ errors: [GraphError]) { self.errors = errors }
  public var description: String { errors.map(\.description).joined(separator: "; ") }
}
