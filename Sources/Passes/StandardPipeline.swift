import GraphIR

/// How a pipeline ends: analysis only, ready for codegen (fused conv epilogues), or ready for ONNX export (MoD lowered
/// to standard ops, nothing fused).
public enum PipelineTarget: Sendable {
  case analysis, codegen, onnx
}

extension Pipeline {
  /// modc's one pipeline, in order:
  /// 1. `RemoveIdentities`, `FoldConstants` (shape chains), `RecognizeMoD` (exported CNN-MoD patterns → MoD ops),
  ///    `CanonicalizeGlobalPool`, `FoldBatchNorm`, `DeadCodeElimination`;
  /// 2. `InsertMoD` when requested;
  /// 3. `FuseProjectionShortcut` and `FuseConvEpilogue` for codegen, or `ExpandMoD` for ONNX export.
  /// The verifier (including the MoD invariants) runs after every pass.
  /// `recognizeMoD: false` keeps exported CNN-MoD patterns as generic ops (to compare against the fused MoD path).
  public static func standard(insertMoD: InsertMoD? = nil, target: PipelineTarget, recognizeMoD: Bool = true) -> Pipeline {
    var passes: [any Pass] = [RemoveIdentities(), FoldConstants()]
    if recognizeMoD { passes.append(RecognizeMoD()) }
    passes += [CanonicalizeGlobalPool(), FoldBatchNorm(), DeadCodeElimination()]
    if let insertMoD { passes.append(insertMoD) }
    switch target {
    case .analysis: break
    case .codegen: passes += [FuseProjectionShortcut(), FuseConvEpilogue()]
    case .onnx: passes.append(ExpandMoD())
    }
    return Pipeline(passes, verifyEach: true) { g in
      try Verifier.verify(g)
      let mod = checkMoDInvariants(g)
      if !mod.isEmpty { throw GraphErrors(mod) }
    }
  }
}
