import Foundation
import GraphIR
import ONNXReader
import TestSupport
import Testing

@testable import Passes

/// RecognizeMoD on the shared CNN-MoD fixture and on modc's own InsertMoD → ExpandMoD output.
@Suite("RecognizeMoD fixture")
struct RecognizeMoDFixtureTests {
  static let model = RecognizeSupport.fixture("mod/cifar_resnet20_mod_c16.onnx")

  @Test(.requires(model != nil, "shared/fixtures/mod"))
  func fixtureBlocksRecognised() throws {
    let path = try #require(Self.model)
    let (g, context) = try RecognizeSupport.recognise(path)
    let routers = RecognizeSupport.routers(g)
    #expect(routers.map(\.block) == ["layer1.1", "layer2.1", "layer3.1"])
    #expect(routers.map(\.k) == [1, 2, 4])
    #expect(routers.map(\.capacity) == [16, 16, 16])
    #expect(RecognizeSupport.fuses(g).map(\.mode) == [.firstK, .firstK, .firstK])
    #expect(RecognizeSupport.fuses(g).allSatisfy { $0.relu })
    #expect(g.nodes.filter { if case .modGather = $0.op { return true } else { return false } }.count == 3)
    // Nothing of the exported pattern is left over.
    for n in g.nodes {
      switch n.op {
      case .topK, .sigmoid, .gatherElements, .expand, .unsqueeze, .concat, .slice, .where, .constantOfShape:
        Issue.record("leftover \(n.op.onnxOpType) '\(n.name)'")
      default: break
      }
    }
    try Verifier.verify(g)
    #expect(checkMoDInvariants(g).isEmpty)
    #expect(context.remarks.contains { $0.contains("recognised 3 MoD block(s), names from node names") })
    // The trained router weights are the fixture's initializers, kept as they are.
    let r = try #require(g.nodes.first { if case .modRouter = $0.op { return true } else { return false } })
    #expect(g[r.inputs[1]].name == "layer1.1.selector.fc1.weight")
    #expect(g[r.inputs[4]].name == "layer1.1.selector.fc2.bias")
    // MoD blocks are visible to the MoD analysis used by `modc stats`.
    #expect(g.modBlocks().map(\.name) == ["layer1.1", "layer2.1", "layer3.1"])
  }

  /// The recognised ops, evaluated by their definition from the tensors onnxruntime computes for the fixture
  /// input, reproduce the exported graph (router scores/indices, gathered channels and fused outputs).
  @Test(
    .requires(model != nil, "shared/fixtures/mod"), .requires(RecognizeSupport.hasPython, RecognizeSupport.pythonORT))
  func fixtureNumericEquivalence() throws {
    let path = try #require(Self.model)
    let input = try #require(RecognizeSupport.fixture("mod/cifar_resnet20_mod_c16.input.npy"))
    let (g, _) = try RecognizeSupport.recognise(path)
    let (status, report) = try RecognizeSupport.numericCheck(model: path, graph: g, input: input)
    #expect(status == 0, "\(report)")
    #expect(report.contains("\"layer3.1\""))
  }

  /// A plain ResNet has no TopK: nothing changes and the remark says 0 blocks.
  @Test(.requires(RecognizeSupport.fixture("resnet18_op17.onnx") != nil, "shared/fixtures"))
  func plainModelUntouched() throws {
    let path = try #require(RecognizeSupport.fixture("resnet18_op17.onnx"))
    var g = try loadONNX(path: path)
    try ShapeInference().run(on: &g)
    var context = PassContext()
    try FoldConstants().run(on: &g, context: &context)
    let before = printGraph(g)
    try RecognizeMoD().run(on: &g, context: &context)
    #expect(printGraph(g) == before)
    #expect(context.remarks == ["RecognizeMoD: recognised 0 MoD block(s)"])
  }

  /// InsertMoD → ExpandMoD → RecognizeMoD gives back the same MoD ops with the same router weights.
  @Test(
    .requires(RecognizeSupport.fixture("cifar_resnet20_op17.onnx") != nil, "shared/fixtures"),
    arguments: [MoDFusion.firstK, .scatter])
  func roundTripThroughExpandMoD(_ fusion: MoDFusion) throws {
    let path = try #require(RecognizeSupport.fixture("cifar_resnet20_op17.onnx"))
    var g = try loadONNX(path: path)
    try ShapeInference().run(on: &g)
    var context = PassContext()
    try Pipeline([
      RemoveIdentities(), FoldConstants(), CanonicalizeGlobalPool(), FoldBatchNorm(),
      InsertMoD(placement: .every(2), capacity: 8, fusion: fusion),
    ]).run(on: &g, context: &context)
    let inserted = g
    try Pipeline([ExpandMoD(), RecognizeMoD()]).run(on: &g, context: &context)
    try Verifier.verify(g)
    #expect(checkMoDInvariants(g).isEmpty)
    #expect(RecognizeSupport.routers(g) == RecognizeSupport.routers(inserted))
    #expect(RecognizeSupport.fuses(g) == RecognizeSupport.fuses(inserted))
    func weights(_ g: Graph) -> [UInt64] {
      g.nodes.flatMap { n -> [UInt64] in
        guard case .modRouter = n.op else { return [] }
        return n.inputs.dropFirst().compactMap { g.constants[$0]?.checksum }
      }
    }
    #expect(weights(g) == weights(inserted))
    #expect(weights(g).count == 12)
    #expect(g.nodes.count == inserted.nodes.count)
  }
}
