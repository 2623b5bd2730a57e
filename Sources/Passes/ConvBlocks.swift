import GraphIR

/// A residual Conv-Block found in the graph by structure (not by node names), named as torchvision does.
public struct ConvBlock: Sendable {
  /// Body layout of a block.
  public enum Kind: String, Sendable {
    case basic = "BasicBlock"
    case bottleneck = "Bottleneck"
    case preActivation = "PreActivation"
    case other = "Other"
  }
  /// How the block input reaches the residual add.
  public enum Shortcut: String, Sendable {
    case identity
    case projection
    /// A parameter-free shortcut (CIFAR option A: strided Slice + channel Pad).
    case optionA = "option-A"
  }

  /// `layer{stage}.{index}`, stage from 1, index from 0.
  public var name: String
  public var stage: Int
  public var index: Int
  public var kind: Kind
  public var shortcut: Shortcut
  /// Block input X and block output (the final ReLU's output, or the add's when there is none).
  public var input: ValueID
  public var output: ValueID
  /// Main-branch nodes from X to the add (exclusive), in order.
  public var body: [NodeID]
  /// Convs of the main branch, in order.
  public var convs: [NodeID]
  /// Shortcut nodes (empty for identity).
  public var shortcutNodes: [NodeID]
  public var add: NodeID
  public var finalRelu: NodeID?
  public var cIn: Int
  public var cOut: Int
  public var stride: Int
  /// MACs of body + shortcut.
  public var macs: Int
  /// Nil when MoD can be inserted; otherwise why not.
  public var ineligibleReason: String?
  public var isEligible: Bool { ineligibleReason == nil }
  /// Set when the block already is a MoD block (`add` is then its `mod.fuse` node, `body` its router, gather and
  /// k-channel convs).
  public var mod: MoDBlockInfo?
}

extension Graph {
  /// Finds residual Conv-Blocks: an add (or 2-input sum) of a conv chain from X and a shortcut from X, and the MoD
  /// blocks already in the graph (`mod.fuse`; never eligible again). Requires inferred types. Blocks are returned in
  /// graph order and numbered into stages: a new stage starts at every block whose shortcut is not the identity
  /// (except the very first block), so a plain block keeps its torchvision name next to MoD blocks.
  public func convBlocks() -> [ConvBlock] {
    let producers = producerIndex()
    var uses: [ValueID: Int] = [:]
    for n in nodes { for v in n.inputs { uses[v, default: 0] += 1 } }
    for v in outputs { uses[v, default: 0] += 1 }
    let consumers = consumerIndex()

    var found: [ConvBlock] = []
    for (ai, addNode) in nodes.enumerated() {
      switch addNode.op {
      case .add, .sum: break
      default: continue
      }
      guard addNode.inputs.count == 2, let t = type(of: addNode.inputs[0]), t.rank == 4,
        type(of: addNode.inputs[1]) == t
      else { continue }
      var best: ConvBlock?
      for side in 0..<2 {
        guard let b = matchBlock(addIndex: ai, mainSide: side, producers: producers, uses: uses,
          consumers: consumers)
        else { continue }
        if best == nil || b.convs.count > best!.convs.count { best = b }
      }
      if let b = best { found.append(b) }
    }
    found += modBlocks().compactMap(modConvBlock)
    let position = Dictionary(nodes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: min)
    found.sort { (position[$0.add] ?? 0) < (position[$1.add] ?? 0) }
    // Stage numbering.
    var stage = 1
    var index = -1
    for i in found.indices {
      if i > 0 && found[i].shortcut != .identity {
        stage += 1
        index = 0
      } else {
        index += 1
      }
      found[i].stage = stage
      found[i].index = index
      found[i].name = "layer\(stage).\(index)"
    }
    return found
  }

  /// A MoD block as a (never eligible) Conv-Block: identity shortcut, stride 1, C → C.
  private func modConvBlock(_ m: MoDBlockInfo) -> ConvBlock? {
    guard let last = m.nodeIndices.last, case .modFuse = nodes[last].op, let x = nodes[last].inputs.first,
      let y = nodes[last].outputs.first
    else { return nil }
    let members = m.nodeIndices.dropLast()
    let convs = members.filter { if case .conv = nodes[$0].op { return true } else { return false } }
    let kernels = convs.map { type(of: nodes[$0].inputs[1])?.staticShape.map { Array($0.dropFirst(2)) } ?? [] }
    let kind: ConvBlock.Kind =
      kernels == [[3, 3], [3, 3]] ? .basic : kernels == [[1, 1], [3, 3], [1, 1]] ? .bottleneck : .other
    return ConvBlock(
      name: m.name, stage: 0, index: 0, kind: kind, shortcut: .identity, input: x, output: y,
      body: members.map { nodes[$0].id }, convs: convs.map { nodes[$0].id }, shortcutNodes: [], add: nodes[last].id,
      finalRelu: nil, cIn: m.channels, cOut: m.channels, stride: 1, macs: m.macs,
      ineligibleReason: "already a MoD block (k=\(m.k), capacity=\(m.capacity))", mod: m)
  }

  private func matchBlock(
    addIndex ai: Int, mainSide side: Int, producers: [ValueID: Int], uses: [ValueID: Int],
    consumers: [ValueID: [Int]]
  ) -> ConvBlock? {
    let addNode = nodes[ai]
    // Walk the main branch back through single-use conv/relu/batch_norm nodes to the first multi-use value (X).
    var v = addNode.inputs[side]
    var body: [Int] = []
    while let p = producers[v], uses[v] == 1 {
      let n = nodes[p]
      switch n.op {
      case .conv, .relu, .batchNorm: break
      default: return nil
      }
      guard let x = n.inputs.first else { return nil }
      body.append(p)
      v = x
      if body.count > 12 { return nil }
    }
    let x = v
    body.reverse()
    let convs = body.filter { if case .conv = nodes[$0].op { return true } else { return false } }
    guard convs.count >= 2 else { return nil }
    // Shortcut: identity, or a short parameter path from X.
    let other = addNode.inputs[1 - side]
    var shortcutNodes: [Int] = []
    var shortcut = ConvBlock.Shortcut.identity
    if other != x {
      var w = other
      while w != x {
        guard let p = producers[w], shortcutNodes.count < 6, let first = nodes[p].inputs.first else { return nil }
        shortcutNodes.append(p)
        w = first
      }
      shortcutNodes.reverse()
      let hasConv = shortcutNodes.contains { if case .conv = nodes[$0].op { return true } else { return false } }
      shortcut = hasConv ? .projection : .optionA
    }
    guard let xt = type(of: x)?.staticShape, xt.count == 4, let yt = type(of: addNode.outputs[0])?.staticShape
    else { return nil }

    // Final ReLU right after the add.
    var output = addNode.outputs[0]
    var finalRelu: NodeID?
    if uses[output] == 1, let c = consumers[output]?.first, case .relu = nodes[c].op {
      finalRelu = nodes[c].id
      output = nodes[c].outputs[0]
    }
    var stride = 1
    var kernels: [[Int]] = []
    var groups: [Int] = []
    for c in convs {
      guard case .conv(let a) = nodes[c].op else { continue }
      stride = max(stride, a.strides.max() ?? 1)
      let k = type(of: nodes[c].inputs[1])?.staticShape.map { Array($0.dropFirst(2)) } ?? []
      kernels.append(k)
      groups.append(a.group)
    }
    let firstIsPre: Bool = {
      switch nodes[body[0]].op {
      case .batchNorm, .relu: return true
      default: return false
      }
    }()
    let kind: ConvBlock.Kind
    if firstIsPre { kind = .preActivation }
    else if kernels == [[3, 3], [3, 3]] { kind = .basic }
    else if kernels == [[1, 1], [3, 3], [1, 1]] { kind = .bottleneck }
    else { kind = .other }

    let macs = (body + shortcutNodes).reduce(0) { $0 + self.macs(of: nodes[$1]) }
    var reason: String?
    if shortcut != .identity { reason = "\(shortcut.rawValue) shortcut (MoD needs an identity shortcut)" }
    else if stride != 1 { reason = "stride \(stride) (MoD needs stride 1)" }
    else if xt[1] != yt[1] { reason = "C_in \(xt[1]) != C_out \(yt[1])" }
    else if kind == .preActivation { reason = "pre-activation layout (BN/ReLU before the first conv)" }
    else if kind == .other { reason = "body is not a BasicBlock or Bottleneck conv chain" }
    else if finalRelu == nil { reason = "no ReLU after the residual add" }
    else if let g = groups.first(where: { $0 != 1 }) { reason = "grouped convolution (group=\(g)) cannot be sliced to k channels" }
    else if body.contains(where: { if case .batchNorm = nodes[$0].op { return true } else { return false } }) {
      reason = "BatchNormalization not folded into its conv"
    }
    return ConvBlock(
      name: "", stage: 0, index: 0, kind: kind, shortcut: shortcut, input: x, output: output,
      body: body.map { nodes[$0].id }, convs: convs.map { nodes[$0].id },
      shortcutNodes: shortcutNodes.map { nodes[$0].id }, add: addNode.id, finalRelu: finalRelu,
      cIn: xt[1], cOut: yt[1], stride: stride, macs: macs, ineligibleReason: reason, mod: nil)
  }
}
