/// Checks every MoD invariant of mod.md on the `mod.*` ops of a graph; part of the verifier.
///
/// Rules (each violation names the block and the numbers): k = ⌊C/c⌋ ≥ 1 and k ≤ C; router parameters
/// W1 [hidden, C], B1 [hidden], W2 [C, hidden], B2 [C]; indices and scores are per sample, [B, k]; the gathered
/// tensor is [B, k, H, W]; every conv between gather and fuse is k → k and keeps H×W; P is [B, k, H, W]; the
/// fused output has X's type.
public func checkMoDInvariants(_ g: Graph) -> [GraphError] {
  var errors: [GraphError] = []
  let producers = g.producerIndex()
  func shape(_ v: ValueID) -> [Int]? { g.contains(v) ? g.type(of: v)?.staticShape : nil }

  for n in g.nodes {
    switch n.op {
    case .modRouter(let a):
      func fail(_ m: String) { errors.append(GraphError(n, "MoD block \(a.block): \(m)")) }
      guard n.inputs.count == 5, n.outputs.count == 2 else {
        fail("router needs 5 inputs (X, W1, B1, W2, B2) and 2 outputs, got \(n.inputs.count) and \(n.outputs.count)")
        continue
      }
      guard let x = shape(n.inputs[0]), x.count == 4 else { continue }
      let c = x[1]
      if a.capacity < 1 { fail("capacity \(a.capacity) must be ≥ 1") }
      else if a.k != c / a.capacity { fail("k = \(a.k) but ⌊C/c⌋ = ⌊\(c)/\(a.capacity)⌋ = \(c / a.capacity)") }
      if a.k < 1 || a.k > c { fail("k = \(a.k) must be in 1...\(c) (C)") }
      if let w1 = shape(n.inputs[1]), let b1 = shape(n.inputs[2]), let w2 = shape(n.inputs[3]),
        let b2 = shape(n.inputs[4])
      {
        let h = w1.first ?? 0
        if w1 != [h, c] { fail("W1 has shape \(w1), expected [hidden, \(c)]") }
        if b1 != [h] { fail("B1 has shape \(b1), expected [\(h)]") }
        if w2 != [c, h] { fail("W2 has shape \(w2), expected [\(c), \(h)]") }
        if b2 != [c] { fail("B2 has shape \(b2), expected [\(c)]") }
      }
      for (i, what) in [(0, "indices"), (1, "scores")] {
        if let s = shape(n.outputs[i]), s != [x[0], a.k] { fail("\(what) have shape \(s), expected [\(x[0]), \(a.k)] (per sample)") }
      }
    case .modGather(let a):
      guard n.inputs.count == 2, let x = shape(n.inputs[0]), x.count == 4,
        let idx = shape(n.inputs[1]), idx.count == 2, let y = shape(n.outputs[0])
      else { continue }
      if y != [x[0], idx[1], x[2], x[3]] {
        errors.append(GraphError(n, "MoD block \(a.block): gathered tensor has shape \(y), expected \([x[0], idx[1], x[2], x[3]])"))
      }
    case .modFuse(let a):
      func fail(_ m: String) { errors.append(GraphError(n, "MoD block \(a.block): \(m)")) }
      guard n.inputs.count == 4, let x = shape(n.inputs[0]), x.count == 4, let p = shape(n.inputs[1]),
        let idx = shape(n.inputs[3]), idx.count == 2
      else { continue }
      let k = idx[1]
      if p != [x[0], k, x[2], x[3]] { fail("P has shape \(p), expected \([x[0], k, x[2], x[3]])") }
      if let y = shape(n.outputs[0]), y != x { fail("fused output has shape \(y), expected X's \(x)") }
      // Walk back from P to the gather: every conv must be k → k with H×W preserved.
      var v = n.inputs[1]
      var steps = 0
      while let pi = producers[v], steps < 64 {
        let m = g.nodes[pi]
        if case .modGather = m.op { break }
        if case .conv = m.op, m.inputs.count >= 2, let w = shape(m.inputs[1]), w.count == 4 {
          if w[0] != k || w[1] != k { fail("conv '\(m.name)' is \(w[1]) → \(w[0]), expected \(k) → \(k)") }
          if let o = shape(m.outputs[0]), o.count == 4, o[2] != x[2] || o[3] != x[3] {
            fail("conv '\(m.name)' changes the spatial size to \(o[2])×\(o[3]), expected \(x[2])×\(x[3])")
          }
        }
        guard let first = m.inputs.first else { break }
        v = first
        steps += 1
      }
    default:
      continue
    }
  }
  return errors
}
