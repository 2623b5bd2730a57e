import GraphIR
import Passes
import Testing

/// `InsertMoD` on a model that already has MoD blocks: one rule (fail naming them, or `force` into the rest), and
/// Conv-Block names that count MoD blocks.
@Suite struct InsertMoDForceTests {
  /// A stem and `blocks` BasicBlocks (C = 8, BN folded) in one stage.
  static func stage(blocks: Int) -> String {
    var lines = ["graph \"g\" {", "  input %x \"x\" : f32[1,8,4,4]"]
    var body: [String] = []
    lines.append("  const %w0 \"w0\" : f32[8,8,3,3] #0000000000000010")
    lines.append("  const %b0 \"b0\" : f32[8] #0000000000000011")
    body.append("  %s = conv(%x, %w0, %b0) {pads=[1,1,1,1]} : f32[1,8,4,4]  # \"stem\"")
    body.append("  %a0 = relu(%s) : f32[1,8,4,4]  # \"stem_relu\"")
    for i in 0..<blocks {
      for j in 1...2 {
        lines.append("  const %w\(i)_\(j) \"l\(i).w\(j)\" : f32[8,8,3,3] #00000000000001\(i)\(j)")
        lines.append("  const %b\(i)_\(j) \"l\(i).b\(j)\" : f32[8] #00000000000002\(i)\(j)")
      }
      body += [
        "  %c\(i)_1 = conv(%a\(i), %w\(i)_1, %b\(i)_1) {pads=[1,1,1,1]} : f32[1,8,4,4]  # \"l\(i).conv1\"",
        "  %r\(i) = relu(%c\(i)_1) : f32[1,8,4,4]  # \"l\(i).relu1\"",
        "  %c\(i)_2 = conv(%r\(i), %w\(i)_2, %b\(i)_2) {pads=[1,1,1,1]} : f32[1,8,4,4]  # \"l\(i).conv2\"",
        "  %s\(i) = add(%c\(i)_2, %a\(i)) : f32[1,8,4,4]  # \"l\(i).add\"",
        "  %a\(i + 1) = relu(%s\(i)) : f32[1,8,4,4]  # \"l\(i).relu2\"",
      ]
    }
    return (lines + body + ["  output %a\(blocks)", "}"]).joined(separator: "\n")
  }

  static func graph(blocks: Int, mod: [String]) throws -> Graph {
    var g = try parseGraph(stage(blocks: blocks))
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    if !mod.isEmpty { try InsertMoD(placement: .blocks(mod), capacity: 4, seed: 1).run(on: &g, context: &ctx) }
    return g
  }

  @Test func blockNamesCountMoDBlocks() throws {
    let g = try Self.graph(blocks: 4, mod: ["layer1.1"])
    let blocks = g.convBlocks()
    #expect(blocks.map(\.name) == ["layer1.0", "layer1.1", "layer1.2", "layer1.3"])
    #expect(blocks.map { $0.mod != nil } == [false, true, false, false])
    #expect(blocks[1].ineligibleReason == "already a MoD block (k=2, capacity=4)")
    #expect(blocks[1].kind == .basic)
  }

  @Test func moDFlagsOnAMoDModelNameTheBlocks() throws {
    var g = try Self.graph(blocks: 3, mod: ["layer1.1"])
    var ctx = PassContext()
    #expect {
      try InsertMoD(placement: .every(2), capacity: 4).run(on: &g, context: &ctx)
    } throws: { error in
      "\(error)".contains("already has 1 MoD block(s) (layer1.1)") && "\(error)".contains("--force")
    }
  }

  @Test func forceAddsMoDToTheRemainingBlocks() throws {
    // Blocks 0 (plain), 1 (MoD), 2, 3, 4: the remaining ones are 0, 2, 3, 4 at positions 0…3; every 2 → 2 and 4.
    var g = try Self.graph(blocks: 5, mod: ["layer1.1"])
    var ctx = PassContext()
    try InsertMoD(placement: .every(2), capacity: 4, force: true).run(on: &g, context: &ctx)
    try Verifier.verify(g)
    #expect(g.modBlocks().map(\.name) == ["layer1.1", "layer1.2", "layer1.4"])
    // Naming an existing MoD block explicitly is refused.
    #expect(throws: GraphError.self) {
      try InsertMoD(placement: .blocks(["layer1.1"]), capacity: 4, force: true).run(on: &g, context: &ctx)
    }
  }

  @Test func forceWithNothingLeftWarns() throws {
    var g = try Self.graph(blocks: 2, mod: ["layer1.1"])
    var ctx = PassContext()
    try InsertMoD(placement: .every(2), capacity: 4, force: true).run(on: &g, context: &ctx)
    #expect(g.modBlocks().map(\.name) == ["layer1.1"])
    #expect(ctx.warnings.contains { $0.contains("nothing was added") })
  }
}
