import Codegen
import Testing

/// Compiled targets: encoding in plans and the refusal on a machine without the target's ISA.
@Suite struct TargetTests {
  @Test func encodingRoundTrips() {
    for isa in TargetISA.allCases {
      for policy in ConvAlgorithmPolicy.allCases {
        let t = CompiledTarget(isa: isa, convAlgorithm: policy)
        #expect(CompiledTarget(encoded: t.encoded) == t)
      }
    }
    #expect(CompiledTarget(encoded: [9, 0]) == nil)
    #expect(CompiledTarget(encoded: [1, 7]) == nil)
    #expect(CompiledTarget(encoded: [1]) == nil)
  }

  @Test func aMachineWithoutTheTargetRefusesNamingBoth() {
    let t = CompiledTarget(isa: .avx512, convAlgorithm: .auto)
    #expect(throws: RuntimeError.self) { try t.checkRunnable(on: .avx2) }
    do {
      try t.checkRunnable(on: .avx2)
    } catch {
      #expect(error.message.contains("compiled for avx512, but this machine supports only avx2"))
    }
    #expect(throws: Never.self) { try CompiledTarget(isa: .avx2, convAlgorithm: .auto).checkRunnable(on: .avx512) }
    #expect(throws: Never.self) { try CompiledTarget(isa: .generic, convAlgorithm: .direct).checkRunnable(on: .generic) }
  }

  @Test func hostTargetsAreOrdered() {
    #expect(TargetISA.generic < TargetISA.avx2 && TargetISA.avx2 < TargetISA.avx512)
    #expect(TargetISA.runnableOnHost.first == .generic)
    #expect(TargetISA.runnableOnHost.last == TargetISA.host)
  }
}
