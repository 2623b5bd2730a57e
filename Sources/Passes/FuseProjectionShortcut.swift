import GraphIR

/// Merges a bottleneck's last 1×1 conv and its 1×1 projection shortcut into one conv over the channel concatenation
/// of their inputs (one GEMM with K = C_main + C_shortcut instead of two GEMMs and a residual pass).
///
/// Given (torchvision's projection shortcut; `%x` is the block input, stride s ≥ 1)
/// ```
/// %c3 = conv(%h, %w3, %b3) {kernel_shape=[1,1]}
/// %d  = conv(%x, %wd, %bd) {kernel_shape=[1,1] strides=[s,s]}
/// %y  = add(%c3, %d)
/// ```
/// the result is
/// ```
/// %xs  = slice(%x, [0,0], [H,W], [2,3], [s,s])        (only when s > 1; placed right after %x is computed)
/// %cat = concat(%h, %xs) {axis=1}
/// %y   = conv(%cat, [%w3 | %wd], %b3 + %bd) {kernel_shape=[1,1]}
/// ```
/// named `<conv3>+shortcut`. y[o] = Σ w3[o,c]·h[c] + Σ wd[o,c]·x[c, s·i, s·j] + b3[o] + bd[o] is the same sum in
/// another order. Codegen places `%h` and `%xs` (or `%x`) inside `%cat` when it can, so the concat costs no copy and
/// the shortcut's stride becomes one strided copy. Both convs must be single-use, unfused, ungrouped 1×1 convs
/// without padding or dilation, with constant weights, and their outputs must have the same static type; the add
/// then fuses with the following ReLU as before (`FuseConvEpilogue`). Runs for codegen only, so export and analysis
/// see the model's own structure.
public struct FuseProjectionShortcut: Pass {
  public static let summary = "Merge a 1x1 conv + 1x1 projection shortcut + add into one conv over concatenated inputs."
  public init() {}

  public func run(on graph: inout Graph, context: inout PassContext) throws {
    let index = graph.rewriteIndex()
    var removed = Set<NodeID>()
    var replacement: [NodeID: [Node]] = [:]
    var after: [NodeID: [Node]] = [:]

    for add in graph.nodes {
      guard case .add = add.op, add.inputs.count == 2, let out = add.outputs.first,
        let outType = graph.type(of: out), let shape = outType.staticShape, shape.count == 4
      else { continue }
      let convs = add.inputs.compactMap { v -> (index: Int, stride: Int)? in
        guard index.isPrivate(v), graph.type(of: v) == outType, let p = index.producers[v],
          let s = pointwiseStride(graph.nodes[p], graph)
        else { return nil }
        return (p, s)
      }
      guard convs.count == 2 else { continue }
      // The stride-1 conv is the main branch; the other (if strided) the shortcut. Ties keep the add's order.
      let ordered = convs[1].stride == 1 && convs[0].stride != 1 ? [convs[1], convs[0]] : convs
      guard ordered[0].stride == 1 else { continue }
      let main = graph.nodes[ordered[0].index], short = graph.nodes[ordered[1].index]
      let stride = ordered[1].stride
      guard let h = main.inputs.first, let x = short.inputs.first, let hShape = graph.type(of: h)?.staticShape,
        let xShape = graph.type(of: x)?.staticShape, hShape.count == 4, xShape.count == 4,
        let w3 = graph.floatConstant(main.inputs[1]), let wd = graph.floatConstant(short.inputs[1]),
        let w3Shape = w3.type.staticShape, let wdShape = wd.type.staticShape
      else { continue }
      let (cout, cm, ci) = (shape[1], hShape[1], xShape[1])
      guard w3Shape == [cout, cm, 1, 1], wdShape == [cout, ci, 1, 1] else { continue }
      // A bias is absent (zero) or a float constant of cout elements; any other bias keeps the convs apart.
      let biasInputs = [main, short].compactMap { $0.inputs.count >= 3 ? $0.inputs[2] : nil }
      let biases = biasInputs.compactMap { graph.floatConstant($0) }.filter { $0.type.elementCount == cout }
      guard biases.count == biasInputs.count else { continue }

      let name = "\(main.name)+shortcut"
      var nodes: [Node] = []
      var xs = x
      if stride > 1 {
        let (oh, ow) = (shape[2], shape[3])
        xs = graph.addValue(name: "\(name).strided", type: TensorType(.f32, [xShape[0], ci, oh, ow]))
        let ints: [(String, [Int64])] = [("starts", [0, 0]), ("ends", [Int64(xShape[2]), Int64(xShape[3])]),
          ("axes", [2, 3]), ("steps", [Int64(stride), Int64(stride)])]
        let consts = ints.map { graph.addConstant(name: "\(name).\($0.0)", TensorData(shape: [2], int64s: $0.1)) }
        let slice = graph.makeNode(name: "\(name).strided", op: .slice(SliceAttrs()), inputs: [x] + consts,
          outputs: [xs])
        // Right after x is computed, while x is still in cache (the block's first conv reads it next anyway).
        if let p = index.producers[x] { after[graph.nodes[p].id, default: []].append(slice) } else { nodes.append(slice) }
      }
      let cat = graph.addValue(name: "\(name).inputs", type: TensorType(.f32, [shape[0], cm + ci, shape[2], shape[3]]))
      nodes.append(graph.makeNode(name: "\(name).inputs", op: .concat(AxisAttrs(axis: 1)), inputs: [h, xs],
        outputs: [cat]))
      let w = DerivedConstant(sources: [w3, wd]).add(
        to: &graph, name: "\(name).weight", shape: [cout, cm + ci, 1, 1], tag: "shortcut_w"
      ) { f in
        var rows: [Float] = []
        rows.reserveCapacity(cout * (cm + ci))
        for o in 0..<cout {
          rows += f[0][o * cm..<(o + 1) * cm]
          rows += f[1][o * ci..<(o + 1) * ci]
        }
        return rows
      }
      let b = DerivedConstant(sources: biases).add(to: &graph, name: "\(name).bias", shape: [cout], tag: "shortcut_b") {
        f in
        var sum = [Float](repeating: 0, count: cout)
        for v in f { for o in 0..<cout { sum[o] += v[o] } }
        return sum
      }
      nodes.append(graph.makeNode(name: name, op: .conv(ConvAttrs(kernelShape: [1, 1])), inputs: [cat, w, b],
        outputs: [out]))
      replacement[add.id] = nodes
      removed.formUnion([main.id, short.id, add.id])
    }
    guard !removed.isEmpty else { return }
    graph.nodes = graph.nodes.flatMap { n in
      (replacement[n.id] ?? (removed.contains(n.id) ? [] : [n])) + (after[n.id] ?? [])
    }
    graph.eliminateDeadCode()
  }

  /// The stride of an unfused, ungrouped 1×1 conv without padding or dilation (equal strides), else nil.
  private func pointwiseStride(_ n: Node, _ graph: Graph) -> Int? {
    guard case .conv(let a) = n.op, !a.fusedRelu, !a.fusedResidual, a.group == 1, n.inputs.count >= 2,
      a.autoPad == .notSet || a.autoPad == .valid, a.pads.allSatisfy({ $0 == 0 }), a.dilations.allSatisfy({ $0 == 1 }),
      graph.type(of: n.inputs[1])?.staticShape?.dropFirst(2).elementsEqual([1, 1]) == true
    else { return nil }
    let s = a.strides.isEmpty ? [1, 1] : a.strides
    guard s.count == 2, s[0] == s[1], s[0] >= 1 else { return nil }
    return s[0]
  }
}
