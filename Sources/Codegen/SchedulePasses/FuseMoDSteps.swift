import CKernels
import GraphIR

extension Lowering {
  /// Conv nodes that begin (read a `mod.gather` output) or end (feed a `mod.fuse` as P) a MoD body: they become
  /// `modConv` steps, so they must not take Winograd (its transforms have no channel map).
  static func moDBodyConvs(_ graph: Graph) -> Set<String> {
    let producer = graph.producerIndex()
    let consumers = graph.consumerIndex()
    var out = Set<String>()
    for n in graph.nodes {
      guard case .conv = n.op, let x = n.inputs.first, let y = n.outputs.first else { continue }
      if let p = producer[x], case .modGather = graph.nodes[p].op { out.insert(n.name) }
      if let users = consumers[y], users.count == 1, case .modFuse = graph.nodes[users[0]].op { out.insert(n.name) }
    }
    return out
  }

}

/// The MoD fast path on the lowered steps:
///
///     idx, v = mod.router(X)            idx, v = mod.router(X)
///     Xk = mod.gather(X, idx)      →    A = modConv[gather C](X, W1, b1, idx)
///     A = conv(Xk, W1, b1)              …
///     …                                 Y = modConv[fuse](B, Wn, bn, idx, X, v)   (Y in place on X)
///     P = conv(B, Wn, bn)
///     Y = mod.fuse(X, P, v, idx)
///
/// A gather folds when its output feeds exactly one ungrouped, non-Winograd conv (as its input) and nothing else;
/// a fuse folds when P comes from such a conv (no ReLU, no residual) read by nothing else and that conv does not
/// itself read X (it would read channels the epilogue overwrites). Anything else keeps the generic steps.
public struct FuseMoDSteps: SchedulePass {
  public static let summary = "Fold each MoD block's gather into its first conv and its fuse into its last (modConv steps)."
  public init() {}
  public func run(on draft: inout ScheduleDraft) { draft.fuseMoDSteps() }
}

extension ScheduleDraft {
  mutating func fuseMoDSteps() {
    let viewed = Set(aliasOf.values)
    // Reader / writer indices, rebuilt before each sweep (one linear pass; a scan per block was quadratic).
    var readerIndex: [Int: [Int]] = [:]
    var writerIndex: [Int: Int] = [:]
    func index() {
      readerIndex = [:]
      writerIndex = [:]
      for (i, s) in schedule.steps.enumerated() {
        for b in Set(s.inputs) { readerIndex[b, default: []].append(i) }
        for b in s.outputs { writerIndex[b] = i }
      }
    }
    func readers(_ b: Int) -> [Int] { readerIndex[b] ?? [] }
    func writer(_ b: Int) -> Int? { writerIndex[b] }
    func private_(_ b: Int) -> Bool { !graphOutputs.contains(b) && !viewed.contains(b) && aliasOf[b] == nil }
    func foldable(_ c: ConvStep) -> Bool { c.groups == 1 && !c.isWinograd && !c.hasResidual }
    var dead = Set<Int>()

    index()
    for gi in schedule.steps.indices {
      guard case .modGather(let gather) = schedule.steps[gi].kind else { continue }
      let g = schedule.steps[gi]
      let xk = g.outputs[0]
      let rs = readers(xk)
      guard private_(xk), rs.count == 1, case .conv(let c) = schedule.steps[rs[0]].kind, foldable(c),
        schedule.steps[rs[0]].inputs.firstIndex(of: xk) == 0,
        schedule.steps[rs[0]].inputs.dropFirst().allSatisfy({ $0 != xk })
      else { continue }
      var s = schedule.steps[rs[0]]
      s.kind = .modConv(MoDConvStep(conv: c, maps: MoDConvMaps(gatherChannels: gather.c)))
      s.inputs = [g.inputs[0]] + Array(s.inputs[1...]) + [g.inputs[1]]
      schedule.steps[rs[0]] = s
      dead.insert(gi)
    }

    index()
    for fi in schedule.steps.indices {
      guard case .modFuse(let fuse) = schedule.steps[fi].kind else { continue }
      let f = schedule.steps[fi]
      let (x, p, scores, idx) = (f.inputs[0], f.inputs[1], f.inputs[2], f.inputs[3])
      guard private_(p), readers(p) == [fi], let wi = writer(p), wi < fi, schedule.steps[wi].outputs == [p] else { continue }
      var s = schedule.steps[wi]
      let epilogue = MoDFuseEpilogue(channels: fuse.c, scatter: fuse.scatter, relu: fuse.relu)
      switch s.kind {
      case .conv(let c) where foldable(c) && !c.relu:
        s.kind = .modConv(MoDConvStep(conv: c, maps: MoDConvMaps(fuse: epilogue)))
        s.inputs += [idx]
      case .modConv(var m) where m.maps.fuse == nil && !m.conv.relu && s.inputs.last == idx:
        // Gather and fuse in one conv: only when it does not read X itself.
        guard (aliasOf[s.inputs[0]] ?? s.inputs[0]) != (aliasOf[x] ?? x) else { continue }
        m.maps.fuse = epilogue
        s.kind = .modConv(m)
      default: continue
      }
      s.inputs += [x, scores]
      s.outputs = f.outputs
      schedule.steps[wi] = s
      inPlace[f.outputs[0]] = x
      dead.insert(fi)
    }
    schedule.steps = schedule.steps.indices.filter { !dead.contains($0) }.map { schedule.steps[$0] }
  }
}
