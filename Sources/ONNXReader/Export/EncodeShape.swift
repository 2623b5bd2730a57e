import GraphIR

/// Shape ops in the opset ≥ 13 input forms (Squeeze/Unsqueeze axes, Slice starts/ends, Pad pads as inputs).
extension ExportContext {
  mutating func encodeAxes(_ n: Node, _ a: AxesAttrs, opType: String) throws(ONNXReadError) -> [ExportNode] {
    var ins = n.inputs.map(name)
    if opset >= 13 {
      if let axes = a.axes { ins = [ins[0], int64Input(n, "axes", axes)] }
      return [simple(n, opType, inputs: ins)]
    }
    if let axes = a.axes { return [simple(n, opType, [("axes", .ints(axes))])] }
    guard n.inputs.count == 2, let c = graph.constantData(n.inputs[1]) else {
      if n.inputs.count == 1 { return [simple(n, opType)] }
      throw notExportable(n, "axes input is not a constant (opset \(opset) needs an attribute)")
    }
    return [simple(n, opType, [("axes", .ints(c.int64s().map { Int($0) }))], inputs: [ins[0]])]
  }

  mutating func encodeSlice(_ n: Node, _ a: SliceAttrs) throws(ONNXReadError) -> [ExportNode] {
    guard let starts = a.starts, let ends = a.ends else { return [simple(n, "Slice")] }
    var ins = [name(n.inputs[0]), int64Input(n, "starts", starts), int64Input(n, "ends", ends)]
    if let axes = a.axes { ins.append(int64Input(n, "axes", axes)) }
    return [simple(n, "Slice", inputs: ins)]
  }

  mutating func encodePad(_ n: Node, _ a: PadAttrs) throws(ONNXReadError) -> [ExportNode] {
    let attrs: [(String, ExportAttribute)] = [("mode", .string(a.mode.rawValue))]
    guard let pads = a.pads else { return [simple(n, "Pad", attrs)] }
    var ins = [name(n.inputs[0]), int64Input(n, "pads", pads)]
    if a.value != 0 {
      guard graph.type(of: n.inputs[0])?.dtype ?? .f32 == .f32 else {
        throw notExportable(n, "non-zero pad value for non-f32 data")
      }
      ins.append(tensorInput(n, "constant_value", TensorData(shape: [], floats: [a.value])))
    }
    return [simple(n, "Pad", attrs, inputs: ins)]
  }

  func encodeSoftmax(_ n: Node, _ a: SoftmaxAttrs) throws(ONNXReadError) -> [ExportNode] {
    let legacyTarget = opset < 13
    if a.coerce2D == legacyTarget { return [simple(n, "Softmax", [("axis", .int(a.axis))])] }
    // The two semantics agree when the axis is the last one.
    guard let rank = n.inputs.first.flatMap({ graph.type(of: $0)?.rank }) else {
      throw notExportable(n, "Softmax semantics differ across opset 13 and the input rank is unknown")
    }
    let axis = a.axis < 0 ? a.axis + rank : a.axis
    guard axis == rank - 1 else {
      throw notExportable(n, "coerce-2D Softmax over axis \(a.axis) of a rank-\(rank) tensor needs opset < 13")
    }
    return [simple(n, "Softmax", [("axis", .int(a.axis))])]
  }

  mutating func encodeTopK(_ n: Node, _ a: TopKAttrs) -> [ExportNode] {
    var attrs: [(String, ExportAttribute)] = [("axis", .int(a.axis))]
    if opset >= 11 {
      attrs.append(("largest", .int(a.largest ? 1 : 0)))
      attrs.append(("sorted", .int(a.sorted ? 1 : 0)))
    }
    guard let k = a.k else { return [simple(n, "TopK", attrs)] }
    return [simple(n, "TopK", attrs, inputs: [name(n.inputs[0]), int64Input(n, "k", [k], shape: [1])])]
  }

  func encodeConstantOfShape(_ n: Node, _ a: ConstantOfShapeAttrs) throws(ONNXReadError) -> [ExportNode] {
    let t: TensorData
    switch a.dtype {
    case .f32: t = TensorData(shape: [1], floats: [Float(a.value)])
    case .i64: t = TensorData(shape: [1], int64s: [Int64(a.value)])
    default:
      let value = a.value
      let storage = TensorStorage(count: a.dtype.byteSize) { out in
        switch a.dtype {
        case .f64: out.storeBytes(of: value, as: Double.self)
        case .f16: out.storeBytes(of: Float16(value).bitPattern, as: UInt16.self)
        case .i32, .u32: out.storeBytes(of: Int32(truncatingIfNeeded: Int64(value)), as: Int32.self)
        case .bf16: out.storeBytes(of: UInt16(Float(value).bitPattern >> 16), as: UInt16.self)
        case .i16, .u16: out.storeBytes(of: Int16(truncatingIfNeeded: Int64(value)), as: Int16.self)
        case .i8, .u8, .bool: out.storeBytes(of: Int8(truncatingIfNeeded: Int64(value)), as: Int8.self)
        case .u64: out.storeBytes(of: UInt64(max(0, value)), as: UInt64.self)
        default: break
        }
      }
      t = TensorData(dtype: a.dtype, shape: [1], storage: storage)
    }
    return [simple(n, "ConstantOfShape", [("value", .tensor(t))])]
  }
}
