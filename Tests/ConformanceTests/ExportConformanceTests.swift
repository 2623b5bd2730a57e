import Codegen
import Foundation
import GraphIR
import ONNXReader
import Passes
import TestSupport
import Testing

/// `modc export-onnx`'s graphs (optimised, optionally MoD) run in onnxruntime and reproduce the references.
@Suite(.serialized, .requires(Conformance.hasPython, Conformance.pythonORT)) struct ExportConformanceTests {
  /// Optimises `path` for ONNX export (BN folded, canonicalised, MoD lowered), writes it, runs onnxruntime on `input`.
  static func exportAndRun(_ path: String, input: String, insertMoD: InsertMoD? = nil) throws -> [Float] {
    var g = try loadONNX(path: path)
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    try Pipeline.standard(insertMoD: insertMoD, target: .onnx).run(on: &g, context: &ctx)
    let dir = try Conformance.tempDir("export")
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out.onnx").path
    try AtomicFile.write(try writeONNX(g, opset: 17), to: out)
    let y = dir.appendingPathComponent("y.npy").path
    try #require(try Conformance.python(["tools/ort_run.py", out, input, y, "--opt", "disabled", "--check"]) != nil,
      "python3 lacks a module")
    return try Conformance.floats(y).0
  }

  @Test(.requires(Conformance.hasModels, Conformance.models),
    arguments: ["resnet50_op17", "torch_resnet18_op13_nofold", "cifar_resnet20_op17", "zoo_resnet18_op8"])
  func optimisedPlainExportMatches(_ name: String) throws {
    let d = Conformance.modelsDir
    let path = d.appendingPathComponent("\(name).onnx").path
    try #require(FileManager.default.fileExists(atPath: path), "generated model \(name) missing from the model set")
    let y = try Self.exportAndRun(path, input: d.appendingPathComponent("\(name).input.npy").path)
    let (ref, _) = try Conformance.floats(d.appendingPathComponent("\(name).output.npy").path)
    let err = Conformance.relativeError(y, ref)
    #expect(err <= 1e-4, "\(name): exported graph relative error \(err)")
  }

  @Test(.requires(Conformance.fixturesDir != nil, Conformance.fixtures)) func modExportReproducesFixture() throws {
    let f = try #require(Conformance.fixturesDir)
    let npz = try NPZFile.read(f.appendingPathComponent("mod/cifar_resnet20_mod_c16.router.npz").path)
    var w: [String: TensorData] = [:]
    for n in npz.names { w[n] = try npz.array(n).tensorData }
    for fusion in [MoDFusion.firstK] {
      let y = try Self.exportAndRun(f.appendingPathComponent("cifar_resnet20_op17.onnx").path,
        input: f.appendingPathComponent("mod/cifar_resnet20_mod_c16.input.npy").path,
        insertMoD: InsertMoD(placement: .every(2), capacity: 16, fusion: fusion, routerWeights: w))
      let (ref, _) = try Conformance.floats(f.appendingPathComponent("mod/cifar_resnet20_mod_c16.output.npy").path)
      let err = Conformance.relativeError(y, ref)
      #expect(err <= 1e-4, "relative error \(err)")
    }
  }

  /// The exported MoD graph and modc's own runtime agree, at batch 4 with per-sample selections, for both fusions.
  @Test(.requires(Conformance.hasModels, Conformance.models), arguments: [MoDFusion.firstK, .scatter])
  func modExportMatchesRuntimeAtBatch4(_ fusion: MoDFusion) throws {
    let d = Conformance.modelsDir
    let path = d.appendingPathComponent("resnet18_op17_b4.onnx").path
    try #require(FileManager.default.fileExists(atPath: path), "resnet18_op17_b4 missing from the model set")
    let input = d.appendingPathComponent("resnet18_op17_b4.input.npy").path
    let pass = InsertMoD(placement: .every(2), capacity: 8, fusion: fusion, seed: 7)
    let y = try Self.exportAndRun(path, input: input, insertMoD: pass)
    let (_, exe) = try Conformance.compile(path, insertMoD: pass, batch: 4)
    let mine = try Conformance.run(exe, try Conformance.floats(input).0, threads: 2)
    let err = Conformance.relativeError(mine, y)
    #expect(err <= 1e-4, "\(fusion): runtime vs onnxruntime on the exported graph: \(err)")
  }
}
