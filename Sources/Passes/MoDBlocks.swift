import GraphIR

/// A MoD block as it appears in the IR after `InsertMoD` (or after recognising an imported CNN-MoD model).
public struct MoDBlockInfo: Sendable {
  public var name: String
  public var channels: Int
  public var capacity: Int
  public var k: Int
  public var fusion: MoDFusion
  /// Indices (into `graph.nodes`) of the router, gather, k-channel body and fuse nodes.
  public var nodeIndices: [Int]
  public var macs: Int
}

extension Graph {
  /// The MoD blocks of the graph in order, each with its nodes and MACs (router FCs + k-channel convs).
  public func modBlocks() -> [MoDBlockInfo] {
    let producers = producerIndex()
    var out: [MoDBlockInfo] = []
    for (fi, n) in nodes.enumerated() {
      guard case .modFuse(let fa) = n.op, n.inputs.count == 4 else { continue }
      var members = [fi]
      var v = n.inputs[1]
      var steps = 0
      while let p = producers[v], steps < 64 {
        members.append(p)
        if case .modGather = nodes[p].op { break }
        guard let first = nodes[p].inputs.first else { break }
        v = first
        steps += 1
      }
      var capacity = 0
      var k = 0
      if let r = producers[n.inputs[3]], case .modRouter(let ra) = nodes[r].op {
        members.append(r)
        capacity = ra.capacity
        k = ra.k
      }
      let c = type(of: n.inputs[0])?.staticShape?[1] ?? 0
      members.sort()
      out.append(MoDBlockInfo(name: fa.block, channels: c, capacity: capacity, k: k, fusion: fa.mode,
        nodeIndices: members, macs: members.reduce(0) { $0 + macs(of: nodes[$1]) }))
    }
    return out
  }
}

extension Graph {
  /// `layer1.1:k=4:c=64:first-k,…` — the MoD settings recorded in plans and emitted C.
  public var modBlocksSummary: String {
    modBlocks().map { "\($0.name):k=\($0.k):c=\($0.capacity):\($0.fusion.rawValue)" }.joined(separator: ",")
  }
}
