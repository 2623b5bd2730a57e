import Codegen
import Foundation
import GraphIR
import Passes
import TestSupport
import Testing

/// modc's plan runtime vs onnxruntime (graph optimisations disabled) on every generated model and on the fixtures:
/// max|modc − ORT| / max|ORT| ≤ 1e-4, and 1 vs 2 threads within 1e-5.
@Suite(.serialized) struct ModelConformanceTests {
  @Test(.requires(Conformance.hasModels, Conformance.models), arguments: Conformance.manifest())
  func generatedModelMatchesOnnxruntime(_ m: Conformance.Model) throws {
    let dir = Conformance.modelsDir
    let (_, exe) = try Conformance.compile(dir.appendingPathComponent(m.file).path,
      batch: try Conformance.floats(dir.appendingPathComponent(m.input).path).1.first)
    let (x, _) = try Conformance.floats(dir.appendingPathComponent(m.input).path)
    let (ref, refShape) = try Conformance.floats(dir.appendingPathComponent(m.output).path)
    #expect(exe.outputShapes[0] == refShape)
    let y1 = try Conformance.run(exe, x, threads: 1)
    let err = Conformance.relativeError(y1, ref)
    #expect(err <= 1e-4, "\(m.name): relative error \(err)")
    let y2 = try Conformance.run(exe, x, threads: 2)
    #expect(Conformance.relativeError(y2, y1) <= 1e-5, "\(m.name): 1 vs 2 threads differ")
  }

  @Test(.requires(Conformance.hasModels, Conformance.models)) func modelSetIsComplete() {
    #expect(Conformance.manifest().count >= 20, "generated model set incomplete")
  }

  @Test(.requires(Conformance.fixturesDir != nil, Conformance.fixtures),
    arguments: ["resnet18_op17", "cifar_resnet20_op17", "mod/cifar_resnet20_mod_c16"])
  func fixtureMatchesOnnxruntime(_ name: String) throws {
    let f = try #require(Conformance.fixturesDir)
    let (_, exe) = try Conformance.compile(f.appendingPathComponent("\(name).onnx").path)
    let (x, _) = try Conformance.floats(f.appendingPathComponent("\(name).input.npy").path)
    let (ref, _) = try Conformance.floats(f.appendingPathComponent("\(name).output.npy").path)
    let err = Conformance.relativeError(try Conformance.run(exe, x), ref)
    #expect(err <= 1e-4, "\(name): relative error \(err)")
  }

  /// Issue 4's headline number: inserting MoD into the plain CIFAR fixture with the fixture's router weights
  /// reproduces the PyTorch CNN-MoD reference.
  @Test(.requires(Conformance.fixturesDir != nil, Conformance.fixtures))
  func insertedMoDReproducesPyTorchReference() throws {
    let f = try #require(Conformance.fixturesDir)
    let npz = try NPZFile.read(f.appendingPathComponent("mod/cifar_resnet20_mod_c16.router.npz").path)
    var weights: [String: TensorData] = [:]
    for n in npz.names { weights[n] = try npz.array(n).tensorData }
    let pass = InsertMoD(placement: .every(2), capacity: 16, routerWeights: weights)
    let (g, exe) = try Conformance.compile(f.appendingPathComponent("cifar_resnet20_op17.onnx").path, insertMoD: pass)
    #expect(g.modBlocks().map(\.name) == ["layer1.1", "layer2.1", "layer3.1"])
    #expect(g.modBlocks().map(\.k) == [1, 2, 4])
    let (x, _) = try Conformance.floats(f.appendingPathComponent("mod/cifar_resnet20_mod_c16.input.npy").path)
    let (ref, _) = try Conformance.floats(f.appendingPathComponent("mod/cifar_resnet20_mod_c16.output.npy").path)
    let err = Conformance.relativeError(try Conformance.run(exe, x, threads: 2), ref)
    #expect(err <= 1e-4, "relative error \(err)")
  }
}
