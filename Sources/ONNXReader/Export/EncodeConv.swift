import GraphIR

/// Conv (expanding fused ReLU / residual marks into Conv + Add + Relu) and BatchNormalization.
extension ExportContext {
  func encodeConv(_ n: Node, _ a: ConvAttrs) throws(ONNXReadError) -> [ExportNode] {
    var attrs: [(String, ExportAttribute)] = []
    if !a.kernelShape.isEmpty { attrs.append(("kernel_shape", .ints(a.kernelShape))) }
    if !a.strides.isEmpty { attrs.append(("strides", .ints(a.strides))) }
    if !a.pads.isEmpty { attrs.append(("pads", .ints(a.pads))) }
    if !a.dilations.isEmpty { attrs.append(("dilations", .ints(a.dilations))) }
    attrs.append(("group", .int(a.group)))
    if a.autoPad != .notSet { attrs.append(("auto_pad", .string(a.autoPad.rawValue))) }

    var ins = n.inputs.map(name)
    var residual: String? = nil
    if a.fusedResidual {
      guard ins.count >= 3, let r = ins.popLast() else { throw notExportable(n, "fused residual without an R input") }
      residual = r
    }
    guard (2...3).contains(ins.count), n.outputs.count == 1 else {
      throw notExportable(n, "expected conv(X, W, B?) with one output")
    }
    let out = name(n.outputs[0])
    if residual == nil && !a.fusedRelu {
      return [ExportNode(name: n.name, opType: "Conv", inputs: ins, outputs: [out], attributes: attrs)]
    }
    let convOut = "\(out).conv"
    var nodes = [ExportNode(name: n.name, opType: "Conv", inputs: ins, outputs: [convOut], attributes: attrs)]
    var last = convOut
    if let residual {
      let addOut = a.fusedRelu ? "\(out).add" : out
      nodes.append(ExportNode(name: "\(n.name).add", opType: "Add", inputs: [last, residual], outputs: [addOut]))
      last = addOut
    }
    if a.fusedRelu {
      nodes.append(ExportNode(name: "\(n.name).relu", opType: "Relu", inputs: [last], outputs: [out]))
    }
    return nodes
  }

  func encodeBatchNorm(_ n: Node, _ a: BatchNormAttrs) -> [ExportNode] {
    [simple(n, "BatchNormalization", [("epsilon", .float(a.epsilon))])]
  }

  /// The node as-is with `opType` and `attrs`.
  func simple(_ n: Node, _ opType: String, _ attrs: [(String, ExportAttribute)] = [], inputs: [String]? = nil)
    -> ExportNode
  {
    ExportNode(name: n.name, opType: opType, inputs: inputs ?? n.inputs.map(name), outputs: n.outputs.map(name),
               attributes: attrs)
  }
}
