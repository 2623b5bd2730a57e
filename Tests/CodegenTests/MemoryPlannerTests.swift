import Testing

@testable import Codegen

/// A deterministic pseudo-random generator (SplitMix64) so property tests are reproducible.
struct SplitMix: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite struct MemoryPlannerTests {
  /// input → a → b → c → output: only two intermediates are ever live together, so the arena holds two.
  @Test func chainReusesMemory() throws {
    let steps = [
      PlannerStep(reads: [0], writes: [1]),
      PlannerStep(reads: [1], writes: [2]),
      PlannerStep(reads: [2], writes: [3]),
      PlannerStep(reads: [3], writes: [4]),
    ]
    let sizes = [0: 1000, 1: 4096, 2: 4096, 3: 4096, 4: 40]
    let buffers = try MemoryPlanner.liveness(steps: steps, sizes: sizes, graphInputs: [0], graphOutputs: [4])
    #expect(buffers.map(\.region) == [.inputs, .arena, .arena, .arena, .outputs])
    #expect(buffers.first { $0.id == 2 }.map { ($0.firstUse, $0.lastUse) } ?? (0, 0) == (1, 2))
    let plan = try MemoryPlanner.plan(buffers)
    #expect(plan.arenaSize == 2 * 4096)
    #expect(plan.totalArenaBufferBytes == 3 * 4096)
    #expect(plan.savedBytes == 4096)
    #expect(plan.placement(of: 1)?.offset == plan.placement(of: 3)?.offset)
    #expect(plan.inputsSize == 1024)
    #expect(plan.outputsSize == 64)
    #expect(plan.placement(of: 0)?.region == .inputs)
  }

  /// ResNet basic block: x → conv1 → relu → conv2 → add(x) → relu. The shortcut x stays live across the block.
  @Test func residualDiamondKeepsShortcutAlive() throws {
    let s = 64 * 56 * 56 * 4
    let steps = [
      PlannerStep(reads: [0], writes: [1]),  // stem
      PlannerStep(reads: [1], writes: [2]),  // conv1
      PlannerStep(reads: [2], writes: [3], inPlace: [3: 2]),  // relu
      PlannerStep(reads: [3], writes: [4]),  // conv2
      PlannerStep(reads: [4, 1], writes: [5], inPlace: [5: 4]),  // add
      PlannerStep(reads: [5], writes: [6], inPlace: [6: 5]),  // relu
      PlannerStep(reads: [6], writes: [7]),  // head
    ]
    let sizes = [0: 3 * 224 * 224 * 4, 1: s, 2: s, 3: s, 4: s, 5: s, 6: s, 7: 4000]
    let plan = try MemoryPlanner.plan(
      MemoryPlanner.liveness(steps: steps, sizes: sizes, graphInputs: [0], graphOutputs: [7]))
    // 1 is live until step 4; 2/3 and 4/5/6 are in-place chains: at most 3 activations at once.
    #expect(plan.arenaSize == 3 * s)
    #expect(plan.placement(of: 3)?.inPlaceOf == 2)
    #expect(plan.placement(of: 5)?.inPlaceOf == 4)
    #expect(plan.placement(of: 6)?.inPlaceOf == 5)
    #expect(plan.placement(of: 6)?.offset == plan.placement(of: 4)?.offset)
    #expect(plan.placement(of: 1)?.offset != plan.placement(of: 4)?.offset)
  }

  @Test func inPlaceOnlyWhenLegal() throws {
    // 1 is read again at step 2, so step 1 cannot overwrite it; 3 has a different size than 2.
    let steps = [
      PlannerStep(reads: [0], writes: [1]),
      PlannerStep(reads: [1], writes: [2], inPlace: [2: 1]),
      PlannerStep(reads: [1, 2], writes: [3], inPlace: [3: 2]),
      PlannerStep(reads: [3], writes: [4]),
    ]
    let sizes = [0: 64, 1: 256, 2: 256, 3: 128, 4: 64]
    let plan = try MemoryPlanner.plan(
      MemoryPlanner.liveness(steps: steps, sizes: sizes, graphInputs: [0], graphOutputs: [4]))
    #expect(plan.placement(of: 2)?.inPlaceOf == nil)
    #expect(plan.placement(of: 3)?.inPlaceOf == nil)
    #expect(plan.placement(of: 1)?.offset != plan.placement(of: 2)?.offset)
    // Graph inputs are pinned, so an in-place hint on them is never taken.
    let pinned = try MemoryPlanner.plan(
      MemoryPlanner.liveness(
        steps: [PlannerStep(reads: [0], writes: [1], inPlace: [1: 0]), PlannerStep(reads: [1], writes: [2])],
        sizes: [0: 64, 1: 64, 2: 64], graphInputs: [0], graphOutputs: [2]))
    #expect(pinned.placement(of: 1)?.inPlaceOf == nil)
  }

  @Test func invalidSchedulesAreErrors() {
    #expect(throws: MemoryPlanError.self) {
      try MemoryPlanner.liveness(steps: [PlannerStep(reads: [9], writes: [1])], sizes: [1: 4], graphInputs: [], graphOutputs: [])
    }
    #expect(throws: MemoryPlanError.self) {
      try MemoryPlanner.liveness(
        steps: [PlannerStep(reads: [0], writes: [1]), PlannerStep(reads: [0], writes: [1])], sizes: [0: 4, 1: 4],
        graphInputs: [0], graphOutputs: [])
    }
    #expect(throws: MemoryPlanError.self) {
      try MemoryPlanner.liveness(steps: [PlannerStep(reads: [0], writes: [1])], sizes: [0: 4], graphInputs: [0], graphOutputs: [1])
    }
    #expect(throws: MemoryPlanError.self) {
      try MemoryPlanner.plan([PlannerBuffer(id: 1, size: 4, firstUse: 0, lastUse: 1), PlannerBuffer(id: 1, size: 4, firstUse: 2, lastUse: 3)])
    }
    #expect(throws: MemoryPlanError.self) { try MemoryPlanner.plan([PlannerBuffer(id: 1, size: 4, firstUse: 3, lastUse: 1)]) }
  }

  @Test func verifierCatchesOverlapsAndMisalignment() throws {
    let a = BufferPlacement(id: 1, region: .arena, offset: 0, size: 128, firstUse: 0, lastUse: 3)
    var b = BufferPlacement(id: 2, region: .arena, offset: 64, size: 128, firstUse: 2, lastUse: 4)
    #expect(throws: MemoryPlanError.self) { try MemoryPlan(placements: [a, b], arenaSize: 192, inputsSize: 0, outputsSize: 0).verify() }
    b.firstUse = 4  // disjoint in time: fine
    try MemoryPlan(placements: [a, b], arenaSize: 192, inputsSize: 0, outputsSize: 0).verify()
    b.offset = 32  // misaligned
    #expect(throws: MemoryPlanError.self) { try MemoryPlan(placements: [a, b], arenaSize: 192, inputsSize: 0, outputsSize: 0).verify() }
    b.offset = 128  // past the arena end
    #expect(throws: MemoryPlanError.self) { try MemoryPlan(placements: [a, b], arenaSize: 192, inputsSize: 0, outputsSize: 0).verify() }
    // An in-place handover at the boundary step is legal only when declared.
    let c = BufferPlacement(id: 3, region: .arena, offset: 0, size: 128, firstUse: 3, lastUse: 5, inPlaceOf: 1)
    try MemoryPlan(placements: [a, c], arenaSize: 128, inputsSize: 0, outputsSize: 0).verify()
    var d = c
    d.inPlaceOf = nil
    #expect(throws: MemoryPlanError.self) { try MemoryPlan(placements: [a, d], arenaSize: 128, inputsSize: 0, outputsSize: 0).verify() }
  }

  /// Random schedules: the plan always verifies, the arena never exceeds the sum of aligned sizes, and it is at
  /// least the largest set of simultaneously live buffers that do not share memory in place.
  @Test(arguments: 0..<40)
  func randomSchedulesNeverOverlap(seed: Int) throws {
    var rng = SplitMix(state: UInt64(seed) &* 7919 &+ 1)
    let n = Int.random(in: 2...(seed < 5 ? 2000 : 150), using: &rng)
    var steps: [PlannerStep] = []
    var sizes: [Int: Int] = [0: 4096]
    var defined = [0]
    for i in 1...n {
      let k = Int.random(in: 1...min(3, defined.count), using: &rng)
      // Mostly read recent buffers (like a CNN), sometimes old ones (long skip connections).
      let reads = (0..<k).map { _ -> Int in
        Bool.random(using: &rng) ? defined[max(0, defined.count - Int.random(in: 1...3, using: &rng))]
          : defined.randomElement(using: &rng) ?? 0
      }
      sizes[i] = [64, 100, 1000, 4096, 65536, 12345].randomElement(using: &rng) ?? 64
      var hint: [Int: Int] = [:]
      if Int.random(in: 0..<3, using: &rng) == 0, let r = reads.first {
        sizes[i] = sizes[r]
        hint[i] = r
      }
      steps.append(PlannerStep(reads: reads, writes: [i], inPlace: hint))
      defined.append(i)
    }
    let buffers = try MemoryPlanner.liveness(
      steps: steps, sizes: sizes, graphInputs: [0], graphOutputs: [n], pinGraphIO: seed % 2 == 0)
    let plan = try MemoryPlanner.plan(buffers)
    try plan.verify()
    let arena = plan.placements.filter { $0.region == .arena }
    #expect(arena.count == buffers.filter { $0.region == .arena }.count)
    #expect(plan.arenaSize <= arena.reduce(0) { $0 + alignUp($1.size, to: 64) })
    for s in 0..<steps.count {
      let live = arena.filter { $0.firstUse <= s && s <= $0.lastUse && !($0.lastUse == s && isReplaced($0, at: s, arena)) }
      #expect(plan.arenaSize >= live.reduce(0) { $0 + alignUp($1.size, to: 64) })
    }
  }

  private func isReplaced(_ p: BufferPlacement, at s: Int, _ all: [BufferPlacement]) -> Bool {
    all.contains { $0.inPlaceOf == p.id && $0.firstUse == s }
  }

  @Test func zeroSizedAndEmptySchedules() throws {
    let empty = try MemoryPlanner.plan([])
    #expect(empty.arenaSize == 0)
    let plan = try MemoryPlanner.plan([
      PlannerBuffer(id: 0, size: 0, firstUse: 0, lastUse: 5), PlannerBuffer(id: 1, size: 10, firstUse: 0, lastUse: 5),
    ])
    #expect(plan.arenaSize == 64)
  }
}
