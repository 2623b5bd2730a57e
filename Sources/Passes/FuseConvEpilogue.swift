import GraphIR

/// Marks Conv + residual Add + ReLU epilogues so codegen runs them inside the convolution's output loop.
///
/// Given
/// ```
/// %5 = conv(%4, %w, %b) {…}
/// %6 = add(%5, %r)
/// %7 = relu(%6)
/// ```
/// the result is `%7 = conv(%4, %w, %b, %r) {fused_relu=true fused_residual=true …}`. A lone `conv → relu`
/// becomes `{fused_relu=true}`. The residual must be defined before the conv that absorbs the add; when both add
/// operands are convs, the later one absorbs it (torchvision's projection shortcut runs after the main branch).
/// Only single-use intermediates with identical (non-broadcast) shapes are fused.
public struct FuseConvEpilogue: Pass {
  public static let summary = "Fuse residual Add and ReLU into the producing Conv's epilogue."
  public init() {}

  public func run(on graph: inout Graph, context: inout PassContext) throws {
    var uses: [ValueID: Int] = [:]
    for n in graph.nodes { for v in n.inputs { uses[v, default: 0] += 1 } }
    for v in graph.outputs { uses[v, default: 0] += 1 }
    var position: [ValueID: Int] = [:]
    for (i, n) in graph.nodes.enumerated() { for o in n.outputs { position[o] = i } }
    var removed = Set<NodeID>()

    for i in graph.nodes.indices where !removed.contains(graph.nodes[i].id) {
      let n = graph.nodes[i]
      switch n.op {
      case .add:
        guard n.inputs.count == 2, let t0 = graph.type(of: n.inputs[0]), let t1 = graph.type(of: n.inputs[1]),
          t0 == t1, let out = n.outputs.first
        else { continue }
        // Candidates: conv operands that are single-use and unfused; prefer the one computed later.
        let candidates = (0..<2).compactMap { side -> (conv: Int, residual: ValueID)? in
          guard let p = position[n.inputs[side]], case .conv(let a) = graph.nodes[p].op, !a.fusedResidual,
            !a.fusedRelu, uses[n.inputs[side]] == 1, !removed.contains(graph.nodes[p].id)
          else { return nil }
          let other = n.inputs[1 - side]
          // The residual must exist before the conv runs.
          if let q = position[other], q >= p { return nil }
          return (p, other)
        }.sorted { $0.conv > $1.conv }
        guard let pick = candidates.first, case .conv(var attrs) = graph.nodes[pick.conv].op else { continue }
        attrs.fusedResidual = true
        graph.nodes[pick.conv].op = .conv(attrs)
        graph.nodes[pick.conv].inputs = padToThree(graph.nodes[pick.conv].inputs, graph: &graph) + [pick.residual]
        graph.nodes[pick.conv].outputs = [out]
        position[out] = pick.conv
        removed.insert(n.id)
      case .relu:
        guard let x = n.inputs.first, let p = position[x], case .conv(var attrs) = graph.nodes[p].op,
          !attrs.fusedRelu, uses[x] == 1, !removed.contains(graph.nodes[p].id), let out = n.outputs.first
        else { continue }
        attrs.fusedRelu = true
        graph.nodes[p].op = .conv(attrs)
        graph.nodes[p].outputs = [out]
        position[out] = p
        removed.insert(n.id)
      default:
        continue
      }
    }
    if !removed.isEmpty { graph.nodes.removeAll { removed.contains($0.id) } }
  }

  /// Conv inputs with an explicit bias (zeros if the conv had none), so the residual is always input 3.
  private func padToThree(_ inputs: [ValueID], graph: inout Graph) -> [ValueID] {
    if inputs.count >= 3 { return Array(inputs.prefix(3)) }
    let cout = graph.type(of: inputs[1])?.staticShape?.first ?? 0
    let b = graph.addConstant(name: "\(graph[inputs[1]].name).zero_bias",
      TensorData(shape: [cout], floats: [Float](repeating: 0, count: cout)))
    return inputs + [b]
  }
}
