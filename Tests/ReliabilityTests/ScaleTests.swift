import Codegen
import Foundation
import GraphIR
import Passes
import Synchronization
import Testing

/// Complexity guards: 100k-node graphs through every load-free stage. The bound is generous (a quadratic stage takes
/// minutes at this size, a linear one well under a second); the measured seconds are printed for the report.
@Suite(.serialized) struct ScaleTests {
  /// Generous bound in seconds for each stage (debug build, shared machine); the pipeline stage includes the
  /// verifier after every pass.
  /// `MODC_SCALE_BOUND` overrides it (sanitizer builds run several times slower).
  static let bound = ProcessInfo.processInfo.environment["MODC_SCALE_BOUND"].flatMap(Double.init) ?? 90.0

  /// Runs `body`, prints its duration under `label`, returns its result.
  static func timed<T>(_ label: String, _ log: inout [String], _ body: () throws -> T) rethrows -> T {
    let t0 = monotonicSeconds()
    let r = try body()
    let dt = monotonicSeconds() - t0
    log.append("\(label)=\(String(format: "%.2f", dt))s")
    #expect(dt < bound, "stage \(label) took \(dt) s on a 100k-node graph (complexity guard)")
    return r
  }

  /// ShapeInference, Verifier, the codegen pipeline (pass by pass), Lowering and print/parse on `graph`.
  static func runStages(_ graph: Graph, insertMoD: InsertMoD? = nil, label: String) throws -> Graph {
    var log: [String] = []
    let start = monotonicSeconds()
    var g = graph
    try timed("ShapeInference", &log) { try ShapeInference().run(on: &g) }
    try timed("Verifier", &log) { try Verifier.verify(g) }
    let text = timed("printGraph", &log) { printGraph(g) }
    let parsed = try timed("parseGraph", &log) { try parseGraph(text) }
    #expect(parsed.nodes.count == g.nodes.count)
    var ctx = PassContext()
    let passTimes = PassTimes()
    let observer = PipelineObserver { name, _, dt in passTimes.add(name, dt) }
    try timed("Pipeline", &log) {
      try Pipeline.standard(insertMoD: insertMoD, target: .codegen).run(on: &g, context: &ctx, observer: observer)
    }
    let lowered = try timed("Lowering", &log) { try Lowering.lower(g) }
    #expect(!lowered.schedule.steps.isEmpty)
    let total = monotonicSeconds() - start
    print("[scale] \(label): \(graph.nodes.count) nodes → \(g.nodes.count) after passes; "
      + log.joined(separator: " ") + "; passes (excl. verify): " + passTimes.summary
      + String(format: "; total=%.2fs", total))
    return g
  }

  @Test func residualChain100k() throws {
    let g = SyntheticGraphs.residualChain(blocks: 16_667)
    #expect(g.nodes.count >= 100_000)
    let out = try Self.runStages(g, label: "residual chain")
    // BN folded, add and both relus fused: two convs per block remain.
    #expect(out.nodes.count == 2 * 16_667)
  }

  @Test func residualChainWithMoD() throws {
    let g = SyntheticGraphs.residualChain(blocks: 16_667)
    let mod = InsertMoD(placement: .every(2), capacity: 2)
    let out = try Self.runStages(g, insertMoD: mod, label: "residual chain + InsertMoD every 2")
    let routers = out.nodes.filter { if case .modRouter = $0.op { return true } else { return false } }
    #expect(routers.count == 16_667 / 2)
  }

  /// `--blocks` with thousands of names, given in reverse order (the selection sorts them into graph order).
  @Test func insertMoDManyNamedBlocks() throws {
    var g = SyntheticGraphs.residualChain(blocks: 8_000)
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    try Pipeline([RemoveIdentities(), FoldBatchNorm()]).run(on: &g, context: &ctx)
    let names = stride(from: 7_999, to: 0, by: -2).map { "layer1.\($0)" }
    let t0 = monotonicSeconds()
    try InsertMoD(placement: .blocks(names), capacity: 2).run(on: &g, context: &ctx)
    let dt = monotonicSeconds() - t0
    print("[scale] InsertMoD --blocks with \(names.count) names on 8000 blocks: \(String(format: "%.2f", dt))s")
    let routers = g.nodes.compactMap { n -> String? in
      if case .modRouter(let a) = n.op { return a.block } else { return nil }
    }
    #expect(routers == names.reversed())
    #expect(dt < Self.bound)
  }

  @Test func shapeChain100k() throws {
    let g = SyntheticGraphs.shapeChain(count: 100_000)
    #expect(g.nodes.count >= 100_000)
    let out = try Self.runStages(g, label: "identity/dropout/reshape chain")
    // Identities and dropouts are gone; the reshapes stay (they lower to aliases) plus the relu.
    let identities = out.nodes.filter {
      switch $0.op {
      case .identity, .dropout: return true
      default: return false
      }
    }
    #expect(identities.isEmpty)
    #expect(out.nodes.count == 50_001)
  }

  /// Only identities, the output of the last one being the graph output (it keeps its ONNX name).
  @Test func identityChain100k() throws {
    var g = Graph(name: "identities")
    var x = g.addValue(name: "input", type: TensorType(.f32, [1, 4]))
    g.inputs = [x]
    let r = g.addValue(name: "r")
    g.appendNode(name: "relu", op: .relu, inputs: [x], outputs: [r])
    x = r
    for i in 0..<100_000 {
      let y = g.addValue(name: "id\(i)")
      g.appendNode(name: "id\(i)", op: .identity, inputs: [x], outputs: [y])
      x = y
    }
    g.outputs = [x]
    var log: [String] = []
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    try Self.timed("RemoveIdentities", &log) { try RemoveIdentities().run(on: &g, context: &ctx) }
    print("[scale] 100k identities: " + log.joined(separator: " "))
    #expect(g.nodes.count == 1)
    #expect(g.outputs == [r])
    #expect(g[r].name == "id99999")
    try Verifier.verify(g)
  }
}

/// Thread-safe accumulator of per-pass seconds (the pipeline observer is `@Sendable`).
final class PassTimes: Sendable {
  private let entries = Mutex<[(String, Double)]>([])
  func add(_ name: String, _ dt: Double) { entries.withLock { $0.append((name, dt)) } }
  var summary: String {
    entries.withLock { $0.map { "\($0.0)=\(String(format: "%.2f", $0.1))s" }.joined(separator: " ") }
  }
}
