import FuzzDrivers
import Testing

/// Deterministic mutation campaigns: every reader of untrusted input must accept or throw on each of ≥ 10,000
/// mutated inputs per format — no crash, no case slower than 2 s, under 30 s per format.
@Suite struct FuzzTests {
  static let minCases = 10_000

  /// Checks the campaign's totals and prints its report line (the numbers the issue asks for).
  func check(_ r: CampaignReport, minCases: Int = FuzzTests.minCases) {
    print(r)
    #expect(r.cases >= minCases, "\(r.format): only \(r.cases) cases")
    #expect(r.maxSeconds < 2, "\(r.format): slowest case took \(r.maxSeconds) s: \(r.maxCase)")
    #expect(r.totalSeconds < 30, "\(r.format): campaign took \(r.totalSeconds) s")
    #expect(r.rejectedByStage.values.reduce(0, +) > r.cases / 2, "\(r.format): mutations rarely break the input")
  }

  @Test func seedsAreAccepted() {
    let sets: [(FuzzFormat, [[UInt8]])] = [
      (FuzzFormats.onnx, [ONNXSeeds.convBlock, ONNXSeeds.reshapeChain]),
      (FuzzFormats.text, Seeds.handWrittenText.map { Array($0.utf8) }),
      (FuzzFormats.plan, [Seeds.plan, Seeds.minimalPlan, CompiledPlanSeed.bytes]),
      (FuzzFormats.npy, Seeds.npy), (FuzzFormats.npz, Seeds.npz),
    ]
    for (format, seeds) in sets {
      for (i, s) in seeds.enumerated() {
        let outcome = format.run(s)
        // Hand-written text seeds exercise syntax (opaque ops, MoD ops without their weights) that shape
        // inference rightly refuses; they must parse.
        let ok = format.name == "text" ? outcome.rejectedStage != "parse" : outcome.isAccepted
        #expect(ok, "\(format.name) seed \(i): \(outcome)")
      }
    }
  }

  @Test func onnx() {
    let small = ONNXSeeds.all.map(\.bytes)
    var strategies: [Strategy] = [
      .mutating("proto", count: 5300, seeds: small, FormatMutators.protobuf),
      .mutating("bytes", count: 2500, seeds: small, ByteMutator.any),
      .mutating("varint", count: 1500, seeds: small) { b, rng in FormatMutators.rawVarint(&b, &rng) },
      Strategy(label: "deep", count: 16) { rng in
        var b = ONNXSeeds.nestedSubgraphs(depth: rng.pick([100, 1000, 3000]))
        if rng.chance(0.5) { FormatMutators.rawVarint(&b, &rng) }
        return b
      },
    ]
    let fixtures = [FuzzFixtures.cifar, FuzzFixtures.mod].compactMap { $0 }
    strategies += [
      .mutating("fixture.proto", count: 200, seeds: fixtures, maxSteps: 1, FormatMutators.protobuf),
      .mutating("fixture.truncate", count: 150, seeds: fixtures, maxSteps: 1) { b, rng in ByteMutator.truncate(&b, &rng) },
      .mutating("fixture.flip", count: 150, seeds: fixtures, maxSteps: 1) { b, rng in
        ByteMutator.flipBits(&b, &rng, in: rng.pick(ONNXRegions.weightFree(b)))
      },
    ]
    if let big = FuzzFixtures.resnet18 {
      let regions = ONNXRegions.weightFree(big)
      strategies += [
        Strategy(label: "resnet18.truncate", count: 140) { rng in
          let r = rng.pick(regions)
          return Array(big[0..<(r.lowerBound + rng.below(r.count))])
        },
        Strategy(label: "resnet18.flip", count: 60) { rng in
          var b = big
          if rng.chance(0.5) {
            ByteMutator.flipBits(&b, &rng, in: rng.pick(regions))
          } else {
            FormatMutators.rawVarint(&b, &rng, in: rng.pick(regions))
          }
          return b
        },
      ]
    }
    // Without the shared fixtures (a standalone clone) the small seeds make up the 10,000 cases.
    let planned = strategies.reduce(0) { $0 + $1.count }
    if planned < 10_016 {
      strategies.append(.mutating("proto.extra", count: 10_016 - planned, seeds: small, FormatMutators.protobuf))
    }
    check(Campaign(format: FuzzFormats.onnx, baseSeed: 0x0_4E58, strategies: strategies).run())
  }

  @Test func text() {
    let seeds = Seeds.text
    let r = Campaign(
      format: FuzzFormats.text, baseSeed: 0x7E47,
      strategies: [
        .mutating("text", count: 7000, seeds: seeds, FormatMutators.text),
        .mutating("bytes", count: 3000, seeds: seeds, ByteMutator.any),
      ]
    ).run()
    check(r)
  }

  @Test func plan() {
    let r = Campaign(
      format: FuzzFormats.plan, baseSeed: 0x91A4,
      strategies: [
        .mutating("plan", count: 8000, seeds: [Seeds.plan, Seeds.minimalPlan, CompiledPlanSeed.bytes], maxSteps: 2, FormatMutators.plan),
        .mutating("bytes", count: 2000, seeds: [Seeds.plan, CompiledPlanSeed.bytes], ByteMutator.any),
      ]
    ).run()
    check(r)
    #expect(r.accepted > 0, "no mutated plan opened: the payload decoders were never reached")
  }

  @Test func npy() {
    let r = Campaign(
      format: FuzzFormats.npy, baseSeed: 0x4E59,
      strategies: [.mutating("npy", count: 10_000, seeds: Seeds.npy, maxSteps: 2, FormatMutators.npy)]
    ).run()
    check(r)
  }

  @Test func npz() {
    let r = Campaign(
      format: FuzzFormats.npz, baseSeed: 0x4E5A,
      strategies: [.mutating("npz", count: 10_000, seeds: Seeds.npz, maxSteps: 2, FormatMutators.npz)]
    ).run()
    check(r)
  }
}
