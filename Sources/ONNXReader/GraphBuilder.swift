import CONNXProto
import CProtobufC
import GraphIR

/// Builds the typed SSA graph from an unpacked GraphProto (without initializers) plus the decoded weights.
struct GraphBuilder {
  var graph: Graph
  let tensors: TensorDecoder
  /// ONNX value name → SSA value.
  private var names: [String: ValueID] = [:]
  /// Types declared in value_info / graph outputs, applied when the value is created.
  private var declared: [String: TensorType] = [:]
  private var freshSymbols = 0

  init(graph: Graph, tensors: TensorDecoder) {
    self.graph = graph
    self.tensors = tensors
  }

  mutating func build(_ g: Onnx__GraphProto, weights: [(name: String, data: TensorData)]) throws(ONNXReadError) {
    let gname = cString(g.name)
    graph.name = gname.isEmpty ? "main" : gname
    for (name, data) in weights {
      guard names[name] == nil else { throw ONNXReadError(.invalidModel("duplicate initializer '\(name)'")) }
      names[name] = graph.addConstant(name: name, data)
    }
    // Graph inputs; for IR v3 files every initializer is listed too: those are constants, not inputs.
    for i in 0..<g.n_input {
      guard let vi = g.input[i]?.pointee else { continue }
      let name = cString(vi.name)
      if names[name] != nil { continue }
      guard !name.isEmpty else { throw ONNXReadError(.invalidModel("graph input \(i) has no name")) }
      let id = graph.addValue(name: name, type: try valueType(vi, what: "input '\(name)'"))
      names[name] = id
      graph.inputs.append(id)
    }
    for i in 0..<g.n_value_info {
      guard let vi = g.value_info[i]?.pointee else { continue }
      let name = cString(vi.name)
      if let t = try valueType(vi, what: "value_info '\(name)'") { declared[name] = t }
    }
    for i in 0..<g.n_output {
      guard let vi = g.output[i]?.pointee else { continue }
      let name = cString(vi.name)
      if let t = try valueType(vi, what: "output '\(name)'") { declared[name] = t }
    }
    for i in 0..<g.n_node {
      guard let n = g.node[i]?.pointee else { continue }
      try addNode(n, index: i)
    }
    for i in 0..<g.n_output {
      guard let vi = g.output[i]?.pointee else { continue }
      let name = cString(vi.name)
      guard let id = names[name] else {
        throw ONNXReadError(.invalidModel("graph output '\(name)' is not produced by any node, input or initializer"))
      }
      if graph.type(of: id) == nil, let t = declared[name] { graph.setType(id, t) }
      graph.outputs.append(id)
    }
  }

  // MARK: Nodes

  private mutating func addNode(_ n: Onnx__NodeProto, index: Int) throws(ONNXReadError) {
    let opType = cString(n.op_type)
    let domain = cString(n.domain)
    var name = cString(n.name)
    if name.isEmpty { name = "\(opType.isEmpty ? "node" : opType)_\(index)" }
    guard !opType.isEmpty else { throw ONNXReadError(.badNode(node: name, op: "?", reason: "node has no op_type")) }

    var inputNames = (0..<n.n_input).map { cString(n.input[$0]) }
    while inputNames.last == "" { inputNames.removeLast() }
    var outputNames = (0..<n.n_output).map { cString(n.output[$0]) }
    while outputNames.last == "" { outputNames.removeLast() }
    guard !outputNames.isEmpty else { throw ONNXReadError(.badNode(node: name, op: opType, reason: "node has no outputs")) }

    let attrs = try decodeAttributes(n, nodeName: name, opType: opType, tensors: tensors)
    let defaultDomain = domain.isEmpty || domain == "ai.onnx"

    if defaultDomain && opType == "Constant" {
      var a = NodeAttributes(node: name, op: opType, values: attrs)
      guard inputNames.isEmpty, outputNames.count == 1 else {
        throw ONNXReadError(.badNode(node: name, op: opType, reason: "expected 0 inputs and 1 output"))
      }
      let data = try decodeConstant(&a)
      try a.finish()
      try define(outputNames[0], node: name, opType: opType) { b in b.graph.addConstant(name: outputNames[0], data) }
      return
    }

    var inputs: [ValueID?] = []
    for (slot, inName) in inputNames.enumerated() {
      if inName.isEmpty {
        inputs.append(nil)
        continue
      }
      guard let id = names[inName] else {
        throw ONNXReadError(.badNode(node: name, op: opType, reason:
          "input \(slot) '\(inName)' is not produced by an earlier node, a graph input or an initializer"))
      }
      inputs.append(id)
    }

    let op: Op
    if defaultDomain, let decoder = onnxDecoders[opType] {
      let opset = Int(graph.metadata.defaultOpset)
      var ctx = NodeContext(
        name: name, opType: opType, opset: opset > 0 ? opset : 17,
        attrs: NodeAttributes(node: name, op: opType, values: attrs), inputs: inputs, outputCount: outputNames.count)
      op = try decoder(&ctx, &graph)
      try ctx.attrs.finish()
      inputs = ctx.inputs
      if let empty = inputs.firstIndex(where: { $0 == nil }) {
        throw ONNXReadError(.badNode(node: name, op: opType, reason: "optional input \(empty) is empty but later inputs are set"))
      }
    } else {
      // Unknown op or custom domain: kept opaque so every unsupported op can be reported at once.
      op = .opaque(OpaqueAttrs(opType: opType, domain: domain, attributes: attrs))
      if inputs.contains(where: { $0 == nil }) {
        // Opaque ops keep positional meaning; an empty slot is represented by an untyped placeholder value.
        inputs = inputs.enumerated().map { slot, v in v ?? graph.addValue(name: "\(name).empty\(slot)") }
      }
    }

    var outputs: [ValueID] = []
    for (slot, outName) in outputNames.enumerated() {
      let vname = outName.isEmpty ? "\(name).unused\(slot)" : outName
      var id = ValueID(0)
      try define(vname, node: name, opType: opType) { b in
        id = b.graph.addValue(name: vname, type: b.declared[vname])
        return id
      }
      outputs.append(id)
    }
    graph.appendNode(name: name, op: op, inputs: inputs.compactMap { $0 }, outputs: outputs)
  }

  /// Registers a new value `name`, refusing a second definition (ONNX graphs are SSA).
  private mutating func define(
    _ name: String, node: String, opType: String, _ make: (inout GraphBuilder) -> ValueID
  ) throws(ONNXReadError) {
    guard names[name] == nil else {
      throw ONNXReadError(.badNode(node: node, op: opType, reason: "output '\(name)' is already defined"))
    }
    names[name] = make(&self)
  }

  // MARK: Types

  /// The tensor type in a ValueInfoProto: element type and dims (dim_param → symbol, missing dim → `?N`).
  private mutating func valueType(_ vi: Onnx__ValueInfoProto, what: String) throws(ONNXReadError) -> TensorType? {
    guard let tp = vi.type?.pointee else { return nil }
    guard tp.value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, let tt = tp.tensor_type?.pointee else {
      throw ONNXReadError(.invalidModel("\(what) is not a tensor (sequence/map/optional types are not supported)"))
    }
    let code = tt.has_elem_type != 0 ? tt.elem_type : 0
    guard let dtype = DType(onnxCode: code) else {
      throw ONNXReadError(.invalidModel("\(what) has unsupported element type \(code) (\(dataTypeName(code)))"))
    }
    guard let shape = tt.shape?.pointee else {
      return nil  // Unknown rank: leave the type to shape inference.
    }
    var dims: [Dim] = []
    for i in 0..<shape.n_dim {
      guard let d = shape.dim[i]?.pointee else { continue }
      switch d.value_case {
      case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE:
        guard d.dim_value >= 0 else { throw ONNXReadError(.invalidModel("\(what) has negative dimension \(d.dim_value)")) }
        dims.append(.fixed(Int(d.dim_value)))
      case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM:
        let s = cString(d.dim_param)
        dims.append(s.isEmpty ? freshSymbol() : .symbol(s))
      default:
        dims.append(freshSymbol())
      }
    }
    return TensorType(dtype, dims)
  }

  private mutating func freshSymbol() -> Dim {
    defer { freshSymbols += 1 }
    return .symbol("?\(freshSymbols)")
  }
}
