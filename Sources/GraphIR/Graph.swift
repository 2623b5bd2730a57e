/// Identifies an SSA value inside one `Graph` (an index into `Graph.values`).
public struct ValueID: Hashable, Sendable, Comparable, CustomStringConvertible {
  public let raw: Int
  public init(_ raw: Int) { self.raw = raw }
  public static func < (a: ValueID, b: ValueID) -> Bool { a.raw < b.raw }
  public var description: String { "%\(raw)" }
}

/// Identifies a node inside one `Graph`; stable across passes (never reused).
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
  public let raw: Int
  public init(_ raw: Int) { self.raw = raw }
  public static func < (a: NodeID, b: NodeID) -> Bool { a.raw < b.raw }
  public var description: String { "n\(raw)" }
}

/// An SSA value: a graph input, a constant, or the output of exactly one node.
public struct Value: Sendable {
  public let id: ValueID
  /// The ONNX tensor name (kept for diagnostics and export).
  public var name: String
  /// Known after shape inference (or from ONNX value_info / graph input types).
  public var type: TensorType?
  public init(id: ValueID, name: String, type: TensorType?) {
    self.id = id
    self.name = name
    self.type = type
  }
}

/// A constant value's payload. Weights of a graph parsed from text may be absent (only the checksum is known).
public enum Constant: Sendable {
  case data(TensorData)
  case absent(type: TensorType, checksum: UInt64)

  public var data: TensorData? {
    if case .data(let d) = self { return d }
    return nil
  }

  public var type: TensorType {
    switch self {
    case .data(let d): return d.type
    case .absent(let t, _): return t
    }
  }

  public var checksum: UInt64 {
    switch self {
    case .data(let d): return d.checksum
    case .absent(_, let c): return c
    }
  }
}

/// One operation: its ONNX name, op, inputs and outputs.
public struct Node: Sendable {
  public let id: NodeID
  /// The ONNX node name (derived nodes are named after their source, e.g. `conv1.bn_folded`).
  public var name: String
  public var op: Op
  public var inputs: [ValueID]
  public var outputs: [ValueID]
  public init(id: NodeID, name: String, op: Op, inputs: [ValueID], outputs: [ValueID]) {
    self.id = id
    self.name = name
    self.op = op
    self.inputs = inputs
    self.outputs = outputs
  }
}

/// Model-level facts carried from the ONNX file to the outputs modc writes.
public struct ModelMetadata: Sendable {
  public var irVersion: Int64 = 0
  public var producerName: String = ""
  public var producerVersion: String = ""
  public var domain: String = ""
  public var modelVersion: Int64 = 0
  public var docString: String = ""
  /// Opset imports: domain ("" = ai.onnx) → version.
  public var opsets: [String: Int64] = [:]
  /// metadata_props key/value pairs, in file order.
  public var properties: [(key: String, value: String)] = []
  public init() {}

  /// The default-domain opset version (0 if none was declared).
  public var defaultOpset: Int64 { opsets[""] ?? opsets["ai.onnx"] ?? 0 }
}

/// A typed SSA graph: values, nodes in topological order, graph inputs/outputs and constants.
///
/// It is a value type; weights are shared between copies through `TensorStorage`.
public struct Graph: Sendable {
  public var name: String
  public private(set) var values: [Value] = []
  /// Nodes in execution (topological) order; the verifier checks the order.
  public var nodes: [Node] = []
  public var inputs: [ValueID] = []
  public var outputs: [ValueID] = []
  public var constants: [ValueID: Constant] = [:]
  public var metadata = ModelMetadata()
  private var nextNodeID = 0

  public init(name: String = "main") { self.name = name }

  // MARK: Building

  /// Adds a new value and returns its id.
  @discardableResult
  public mutating func addValue(name: String, type: TensorType? = nil) -> ValueID {
    let id = ValueID(values.count)
    values.append(Value(id: id, name: name, type: type))
    return id
  }

  /// Adds a constant value holding `data`.
  @discardableResult
  public mutating func addConstant(name: String, _ data: TensorData) -> ValueID {
    let id = addValue(name: name, type: data.type)
    constants[id] = .data(data)
    return id
  }

  /// Creates a node (not yet placed in `nodes`) with a fresh id.
  public mutating func makeNode(name: String, op: Op, inputs: [ValueID], outputs: [ValueID]) -> Node {
    let id = NodeID(nextNodeID)
    nextNodeID += 1
    return Node(id: id, name: name, op: op, inputs: inputs, outputs: outputs)
  }

  /// Creates a node and appends it to `nodes`.
  @discardableResult
  public mutating func appendNode(name: String, op: Op, inputs: [ValueID], outputs: [ValueID]) -> NodeID {
    let n = makeNode(name: name, op: op, inputs: inputs, outputs: outputs)
    nodes.append(n)
    return n.id
  }

  // MARK: Access

  public subscript(_ v: ValueID) -> Value {
    get { values[v.raw] }
    set { values[v.raw] = newValue }
  }

  /// True if `v` is a valid id in this graph.
  public func contains(_ v: ValueID) -> Bool { v.raw >= 0 && v.raw < values.count }

  public func type(of v: ValueID) -> TensorType? { values[v.raw].type }

  /// Sets the type of a value.
  public mutating func setType(_ v: ValueID, _ t: TensorType?) { values[v.raw].type = t }

  /// The constant data of `v`, if it is a constant with data.
  public func constantData(_ v: ValueID) -> TensorData? { constants[v]?.data }

  /// Maps each node output to the index (in `nodes`) of the node that produces it.
  public func producerIndex() -> [ValueID: Int] {
    var m: [ValueID: Int] = [:]
    m.reserveCapacity(nodes.count * 2)
    for (i, n) in nodes.enumerated() { for o in n.outputs { m[o] = i } }
    return m
  }

  /// Maps each value to the indices (in `nodes`) of the nodes that read it, in order.
  public func consumerIndex() -> [ValueID: [Int]] {
    var m: [ValueID: [Int]] = [:]
    for (i, n) in nodes.enumerated() { for v in n.inputs { m[v, default: []].append(i) } }
    return m
  }

  /// Replaces every use of `old` (node inputs and graph outputs) with `new`.
  public mutating func replaceUses(of old: ValueID, with new: ValueID) {
    for i in nodes.indices where nodes[i].inputs.contains(old) {
      nodes[i].inputs = nodes[i].inputs.map { $0 == old ? new : $0 }
    }
    outputs = outputs.map { $0 == old ? new : $0 }
  }

  /// Rewrites every use (node inputs and graph outputs) of each key of `replacements` to its value, in one sweep
  /// over the graph. Values must already be final (no chains); use this instead of calling `replaceUses(of:with:)`
  /// once per value, which is linear in the graph each time.
  public mutating func replaceUses(_ replacements: [ValueID: ValueID]) {
    guard !replacements.isEmpty else { return }
    for i in nodes.indices where nodes[i].inputs.contains(where: { replacements[$0] != nil }) {
      nodes[i].inputs = nodes[i].inputs.map { replacements[$0] ?? $0 }
    }
    outputs = outputs.map { replacements[$0] ?? $0 }
  }

  /// Total number of weight elements (f32 and other numeric constants).
  public var parameterCount: Int {
    constants.values.reduce(0) { $0 + ($1.type.elementCount ?? 0) }
  }
}
