import CONNXProto
import CProtobufC
import GraphIR

/// Serializes `graph` as a standard ONNX model (default-domain opset `opset`, 13 or later).
///
/// Every op maps back to standard ONNX in the target opset's form; fused conv marks expand to Conv + Add + Relu;
/// constants become initializers with `raw_data`; inputs, outputs and typed intermediates get value_info.
/// MoD ops (`mod.*`) are not exportable yet and throw.
public func writeONNX(_ graph: Graph, opset: Int = 17) throws(ONNXReadError) -> [UInt8] {
  guard opset >= 13 else {
    throw ONNXReadError(.invalidModel("export supports opset 13 and later, not \(opset)"))
  }
  var ctx = ExportContext(graph: graph, opset: opset)
  var nodes: [ExportNode] = []
  nodes.reserveCapacity(graph.nodes.count)
  for n in graph.nodes { nodes += try ctx.encode(n) }
  return try ModelWriter(graph: graph, ctx: ctx, nodes: nodes).pack()
}

extension ExportContext {
  /// The standard ONNX node(s) for one graph node.
  mutating func encode(_ n: Node) throws(ONNXReadError) -> [ExportNode] {
    switch n.op {
    case .conv(let a): return try encodeConv(n, a)
    case .batchNorm(let a): return encodeBatchNorm(n, a)
    case .relu, .sigmoid, .add, .sub, .mul, .div, .sum, .equal, .where, .expand, .globalAveragePool,
      .globalMaxPool, .matMul, .identity, .dropout:
      return [simple(n, n.op.onnxOpType)]
    case .maxPool(let a): return try encodePool(n, a, average: false)
    case .averagePool(let a): return try encodePool(n, a, average: true)
    case .reduceMean(let a): return try encodeReduceMean(n, a)
    case .gemm(let a):
      return [simple(n, "Gemm", [("alpha", .float(a.alpha)), ("beta", .float(a.beta)),
                                 ("transA", .int(a.transA ? 1 : 0)), ("transB", .int(a.transB ? 1 : 0))])]
    case .softmax(let a): return try encodeSoftmax(n, a)
    case .flatten(let a): return [simple(n, "Flatten", [("axis", .int(a.axis))])]
    case .reshape(let a): return [simple(n, "Reshape", a.allowZero ? [("allowzero", .int(1))] : [])]
    case .squeeze(let a): return try encodeAxes(n, a, opType: "Squeeze")
    case .unsqueeze(let a): return try encodeAxes(n, a, opType: "Unsqueeze")
    case .transpose(let a): return [simple(n, "Transpose", a.perm.map { [("perm", .ints($0))] } ?? [])]
    case .concat(let a): return [simple(n, "Concat", [("axis", .int(a.axis))])]
    case .slice(let a): return try encodeSlice(n, a)
    case .pad(let a): return try encodePad(n, a)
    case .cast(let a): return [simple(n, "Cast", [("to", .int(Int(a.to.onnxCode)))])]
    case .shape(let a):
      var attrs: [(String, ExportAttribute)] = a.start != 0 ? [("start", .int(a.start))] : []
      if let e = a.end { attrs.append(("end", .int(e))) }
      return [simple(n, "Shape", attrs)]
    case .gather(let a): return [simple(n, "Gather", [("axis", .int(a.axis))])]
    case .constantOfShape(let a): return try encodeConstantOfShape(n, a)
    case .topK(let a): return encodeTopK(n, a)
    case .gatherElements(let a): return [simple(n, "GatherElements", [("axis", .int(a.axis))])]
    case .scatterElements(let a):
      var attrs: [(String, ExportAttribute)] = [("axis", .int(a.axis))]
      if a.reduction != .none { attrs.append(("reduction", .string(a.reduction.rawValue))) }
      return [simple(n, "ScatterElements", attrs)]
    case .scatterND(let a):
      return [simple(n, "ScatterND", a.reduction != .none ? [("reduction", .string(a.reduction.rawValue))] : [])]
    case .modRouter, .modGather, .modFuse:
      throw notExportable(n, "MoD ops are not exportable yet")
    case .opaque(let a): return try encodeOpaque(n, a)
    }
  }

  mutating func encodeOpaque(_ n: Node, _ a: OpaqueAttrs) throws(ONNXReadError) -> [ExportNode] {
    var attrs: [(String, ExportAttribute)] = []
    for (name, v) in a.attributes {
      switch v {
      case .int(let i): attrs.append((name, .int(Int(i))))
      case .float(let f): attrs.append((name, .float(f)))
      case .string(let s): attrs.append((name, .string(s)))
      case .ints(let xs): attrs.append((name, .ints(xs.map { Int($0) })))
      case .floats(let xs): attrs.append((name, .floats(xs)))
      case .strings(let xs): attrs.append((name, .strings(xs)))
      case .tensor(let t): attrs.append((name, .tensor(t)))
      case .unsupported(let kind): throw notExportable(n, "attribute '\(name)' of kind \(kind) was not kept")
      }
    }
    if !a.domain.isEmpty && a.domain != "ai.onnx" { customDomains.insert(a.domain) }
    var e = simple(n, a.opType, attrs)
    e.domain = a.domain
    return [e]
  }
}
