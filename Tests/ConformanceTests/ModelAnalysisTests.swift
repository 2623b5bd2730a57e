import Foundation
import GraphIR
import ONNXReader
import Passes
import TestSupport
import Testing

/// `modc dump` / `modc stats` on every generated model: the text IR round-trips and the MAC count matches the
/// generator's analytic count (torchvision's numbers for ResNet-18/50).
@Suite struct ModelAnalysisTests {
  @Test(.requires(Conformance.hasModels, Conformance.models), arguments: Conformance.manifest())
  func textRoundTripAndMACs(_ m: Conformance.Model) throws {
    var g = try loadONNX(path: Conformance.modelsDir.appendingPathComponent(m.file).path)
    let batch = try Conformance.floats(Conformance.modelsDir.appendingPathComponent(m.input).path).1[0]
    var shapes: [String: [Dim]] = [:]
    for v in g.inputs where g.constants[v] == nil {
      if var s = g.type(of: v)?.shape { s[0] = .fixed(batch); shapes[g[v].name] = s }
    }
    try ShapeInference(inputShapes: shapes).run(on: &g)
    try Verifier.verify(g)
    let text = printGraph(g)
    var parsed = try parseGraph(text)
    #expect(printGraph(parsed) == text, "\(m.name): print → parse → print differs")
    // A parsed graph (weights absent) still infers shapes and verifies.
    try ShapeInference().run(on: &parsed)
    try Verifier.verify(parsed)
    // MACs after canonicalisation and BN folding; per sample.
    var ctx = PassContext()
    try Pipeline.standard(target: .analysis).run(on: &g, context: &ctx)
    let macs = g.cost().totalMACs / batch
    if m.macs > 0 {
      #expect(abs(Double(macs - m.macs)) / Double(m.macs) < 0.01, "\(m.name): \(macs) MACs, analytic \(m.macs)")
    }
    #expect(!graphJSON(g).isEmpty && graphDOT(g).hasPrefix("digraph"))
  }
}
