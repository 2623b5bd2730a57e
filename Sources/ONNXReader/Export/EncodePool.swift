import GraphIR

/// MaxPool / AveragePool / ReduceMean in the target opset's form.
extension ExportContext {
  func encodePool(_ n: Node, _ a: PoolAttrs, average: Bool) throws(ONNXReadError) -> [ExportNode] {
    var attrs: [(String, ExportAttribute)] = [("kernel_shape", .ints(a.kernelShape))]
    if !a.strides.isEmpty { attrs.append(("strides", .ints(a.strides))) }
    if !a.pads.isEmpty { attrs.append(("pads", .ints(a.pads))) }
    if !a.dilations.isEmpty && a.dilations.contains(where: { $0 != 1 }) {
      if average && opset < 19 { throw notExportable(n, "AveragePool dilations need opset 19") }
      attrs.append(("dilations", .ints(a.dilations)))
    }
    if a.autoPad != .notSet { attrs.append(("auto_pad", .string(a.autoPad.rawValue))) }
    if a.ceilMode { attrs.append(("ceil_mode", .int(1))) }
    if average && a.countIncludePad { attrs.append(("count_include_pad", .int(1))) }
    return [simple(n, average ? "AveragePool" : "MaxPool", attrs)]
  }

  mutating func encodeReduceMean(_ n: Node, _ a: ReduceAttrs) throws(ONNXReadError) -> [ExportNode] {
    var attrs: [(String, ExportAttribute)] = [("keepdims", .int(a.keepDims ? 1 : 0))]
    var ins = n.inputs.map(name)
    if opset < 18 {
      // Axes must be an attribute: take them from the node or from a constant second input.
      if let axes = a.axes {
        attrs.append(("axes", .ints(axes)))
      } else if n.inputs.count == 2 {
        guard let c = graph.constantData(n.inputs[1]) else {
          throw notExportable(n, "axes input is not a constant (opset \(opset) needs an attribute)")
        }
        attrs.append(("axes", .ints(c.int64s().map { Int($0) })))
        ins.removeLast()
      }
      if a.noopWithEmptyAxes { throw notExportable(n, "noop_with_empty_axes needs opset 18") }
    } else {
      if let axes = a.axes { ins = [ins[0], int64Input(n, "axes", axes)] }
      if a.noopWithEmptyAxes { attrs.append(("noop_with_empty_axes", .int(1))) }
    }
    return [simple(n, "ReduceMean", attrs, inputs: ins)]
  }
}
