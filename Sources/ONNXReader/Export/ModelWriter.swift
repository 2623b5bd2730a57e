import CONNXProto
import CProtobufC
import GraphIR

/// Builds the protobuf-c ModelProto tree for an exported graph in a `CArena` and packs it.
struct ModelWriter {
  let graph: Graph
  let ctx: ExportContext
  let nodes: [ExportNode]
  private let arena = CArena()

  init(graph: Graph, ctx: ExportContext, nodes: [ExportNode]) {
    self.graph = graph
    self.ctx = ctx
    self.nodes = nodes
  }

  func pack() throws(ONNXReadError) -> [UInt8] {
    let model = arena.message(onnx__model_proto__init)
    model.pointee.has_ir_version = 1
    model.pointee.ir_version = ctx.opset >= 21 ? 10 : (ctx.opset >= 19 ? 9 : 8)
    model.pointee.producer_name = arena.str("modc")
    model.pointee.producer_version = arena.str("0.1")
    let meta = graph.metadata
    if !meta.domain.isEmpty { model.pointee.domain = arena.str(meta.domain) }
    if meta.modelVersion != 0 {
      model.pointee.has_model_version = 1
      model.pointee.model_version = meta.modelVersion
    }
    if !meta.docString.isEmpty { model.pointee.doc_string = arena.str(meta.docString) }
    var opsets: [UnsafeMutablePointer<Onnx__OperatorSetIdProto>?] = [opsetID("", Int64(ctx.opset))]
    for d in ctx.customDomains.sorted() {
      opsets.append(opsetID(d, meta.opsets[d] ?? 1))
    }
    model.pointee.n_opset_import = opsets.count
    model.pointee.opset_import = arena.array(opsets)
    let props = meta.properties.map { entry($0.key, $0.value) }
    model.pointee.n_metadata_props = props.count
    model.pointee.metadata_props = arena.array(props)
    model.pointee.graph = try makeGraph()

    let size = onnx__model_proto__get_packed_size(model)
    return [UInt8](unsafeUninitializedCapacity: size) { buf, count in
      count = buf.baseAddress.map { onnx__model_proto__pack(model, $0) } ?? 0
    }
  }

  private func makeGraph() throws(ONNXReadError) -> UnsafeMutablePointer<Onnx__GraphProto> {
    let g = arena.message(onnx__graph_proto__init)
    g.pointee.name = arena.str(graph.name)
    let ns = nodes.map(makeNode)
    g.pointee.n_node = ns.count
    g.pointee.node = arena.array(ns)

    var inits: [UnsafeMutablePointer<Onnx__TensorProto>?] = []
    for (id, c) in graph.constants.sorted(by: { $0.key < $1.key }) {
      guard let data = c.data else {
        throw ONNXReadError(.badTensor(tensor: ctx.name(id), reason: "weights are absent (graph parsed from text)"))
      }
      inits.append(try tensor(data, name: ctx.name(id)))
    }
    for (name, data) in ctx.extraInitializers { inits.append(try tensor(data, name: name)) }
    g.pointee.n_initializer = inits.count
    g.pointee.initializer = arena.array(inits)

    let ins = graph.inputs.map { valueInfo($0) }
    g.pointee.n_input = ins.count
    g.pointee.input = arena.array(ins)
    let outs = graph.outputs.map { valueInfo($0) }
    g.pointee.n_output = outs.count
    g.pointee.output = arena.array(outs)

    // Typed intermediates (node outputs that are not graph outputs).
    let outputSet = Set(graph.outputs)
    var infos: [UnsafeMutablePointer<Onnx__ValueInfoProto>?] = []
    for n in graph.nodes {
      for o in n.outputs where !outputSet.contains(o) && graph.type(of: o) != nil { infos.append(valueInfo(o)) }
    }
    g.pointee.n_value_info = infos.count
    g.pointee.value_info = arena.array(infos)
    return g
  }

  private func makeNode(_ e: ExportNode) -> UnsafeMutablePointer<Onnx__NodeProto>? {
    let n = arena.message(onnx__node_proto__init)
    n.pointee.name = arena.str(e.name)
    n.pointee.op_type = arena.str(e.opType)
    if !e.domain.isEmpty { n.pointee.domain = arena.str(e.domain) }
    let ins: [UnsafeMutablePointer<CChar>?] = e.inputs.map { arena.str($0) }
    n.pointee.n_input = ins.count
    n.pointee.input = arena.array(ins)
    let outs: [UnsafeMutablePointer<CChar>?] = e.outputs.map { arena.str($0) }
    n.pointee.n_output = outs.count
    n.pointee.output = arena.array(outs)
    let attrs = e.attributes.sorted { $0.0 < $1.0 }.map { attribute($0.0, $0.1) }
    n.pointee.n_attribute = attrs.count
    n.pointee.attribute = arena.array(attrs)
    return n
  }

  private func attribute(_ name: String, _ v: ExportAttribute) -> UnsafeMutablePointer<Onnx__AttributeProto>? {
    let a = arena.message(onnx__attribute_proto__init)
    a.pointee.name = arena.str(name)
    a.pointee.has_type = 1
    switch v {
    case .int(let i):
      a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT
      a.pointee.has_i = 1
      a.pointee.i = Int64(i)
    case .float(let f):
      a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
      a.pointee.has_f = 1
      a.pointee.f = f
    case .string(let s):
      a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING
      a.pointee.has_s = 1
      a.pointee.s = binary(s)
    case .ints(let xs):
      a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
      a.pointee.n_ints = xs.count
      a.pointee.ints = arena.array(xs.map { Int64($0) })
    case .floats(let xs):
      a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS
      a.pointee.n_floats = xs.count
      a.pointee.floats = arena.array(xs)
    case .strings(let xs):
      a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS
      a.pointee.n_strings = xs.count
      a.pointee.strings = arena.array(xs.map(binary))
    case .tensor(let t):
      a.pointee.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR
      // Attribute tensors are tiny and always valid here; a failure would only come from string dtype.
      a.pointee.t = try? tensor(t, name: "")
    }
    return a
  }

  private func binary(_ s: String) -> ProtobufCBinaryData {
    let bytes = Array(s.utf8)
    return ProtobufCBinaryData(len: bytes.count, data: arena.array(bytes))
  }

  /// An initializer whose raw_data points at the tensor's storage (no copy).
  private func tensor(_ t: TensorData, name: String) throws(ONNXReadError) -> UnsafeMutablePointer<Onnx__TensorProto> {
    guard t.dtype != .string else { throw ONNXReadError(.badTensor(tensor: name, reason: "string tensors cannot be exported")) }
    let p = arena.message(onnx__tensor_proto__init)
    if !name.isEmpty { p.pointee.name = arena.str(name) }
    p.pointee.has_data_type = 1
    p.pointee.data_type = t.dtype.onnxCode
    p.pointee.n_dims = t.shape.count
    p.pointee.dims = arena.array(t.shape.map { Int64($0) })
    p.pointee.has_raw_data = 1
    let raw = t.bytes
    p.pointee.raw_data = ProtobufCBinaryData(
      len: raw.count, data: raw.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) })
    return p
  }

  private func valueInfo(_ v: ValueID) -> UnsafeMutablePointer<Onnx__ValueInfoProto>? {
    let vi = arena.message(onnx__value_info_proto__init)
    vi.pointee.name = arena.str(ctx.name(v))
    guard let t = graph.type(of: v) else { return vi }
    let tp = arena.message(onnx__type_proto__init)
    let tt = arena.message(onnx__type_proto__tensor__init)
    tt.pointee.has_elem_type = 1
    tt.pointee.elem_type = t.dtype.onnxCode
    let shape = arena.message(onnx__tensor_shape_proto__init)
    let dims: [UnsafeMutablePointer<Onnx__TensorShapeProto__Dimension>?] = t.shape.map { d in
      let dim = arena.message(onnx__tensor_shape_proto__dimension__init)
      switch d {
      case .fixed(let n):
        dim.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
        dim.pointee.dim_value = Int64(n)
      case .symbol(let s):
        // Fresh `?N` symbols stand for unknown dims: written as a dim with neither value nor param.
        if !s.hasPrefix("?") {
          dim.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
          dim.pointee.dim_param = arena.str(s)
        }
      }
      return dim
    }
    shape.pointee.n_dim = dims.count
    shape.pointee.dim = arena.array(dims)
    tt.pointee.shape = shape
    tp.pointee.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
    tp.pointee.tensor_type = tt
    vi.pointee.type = tp
    return vi
  }

  private func opsetID(_ domain: String, _ version: Int64) -> UnsafeMutablePointer<Onnx__OperatorSetIdProto>? {
    let o = arena.message(onnx__operator_set_id_proto__init)
    o.pointee.domain = arena.str(domain)
    o.pointee.has_version = 1
    o.pointee.version = version
    return o
  }

  private func entry(_ k: String, _ v: String) -> UnsafeMutablePointer<Onnx__StringStringEntryProto>? {
    let e = arena.message(onnx__string_string_entry_proto__init)
    e.pointee.key = arena.str(k)
    e.pointee.value = arena.str(v)
    return e
  }
}
