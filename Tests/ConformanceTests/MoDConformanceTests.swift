import Codegen
import Foundation
import GraphIR
import ONNXReader
import Passes
import TestSupport
import Testing

/// MoD end to end: modc's InsertMoD and RecognizeMoD vs an independent ONNX reference built by
/// tools/models/mod_builder.py (mod.md's PyTorch export pattern) and run by onnxruntime.
@Suite(.serialized) struct MoDConformanceTests {
  /// Builds the reference MoD model from `plain` with `flags`, runs onnxruntime on `input`, returns the paths.
  static func reference(_ plain: String, input: String, flags: [String], tag: String) throws
    -> (dir: URL, model: String, router: String, output: String)?
  {
    let dir = try Conformance.tempDir(tag)
    let model = dir.appendingPathComponent("mod.onnx").path
    let router = dir.appendingPathComponent("router.npz").path
    guard try Conformance.python(["tools/models/mod_builder.py", plain, model, "--save-router", router] + flags) != nil
    else { return nil }
    let prefix = dir.appendingPathComponent("ref").path
    guard try Conformance.python(["tools/models/mod_reference.py", model, "--input", input, "--out", prefix]) != nil
    else { return nil }
    return (dir, model, router, prefix + ".output.npy")
  }

  static func routerWeights(_ path: String) throws -> [String: TensorData] {
    let npz = try NPZFile.read(path)
    var w: [String: TensorData] = [:]
    for n in npz.names { w[n] = try npz.array(n).tensorData }
    return w
  }

  /// Inserting MoD (k→k convs, first-k or scatter fusion) and importing the exported pattern both reproduce the
  /// reference; batch 4 exercises different channel selections per sample.
  @Test(
    .requires(Conformance.hasModels, Conformance.models), .requires(Conformance.hasPython, Conformance.pythonORT),
    arguments: [
    ("resnet50_op17", ["--mod-every", "2", "--capacity", "64", "--seed", "3"], 7, MoDFusion.firstK),
    ("resnet18_op17_b4", ["--mod-every", "2", "--capacity", "16", "--seed", "4", "--batch", "4"], 4, .firstK),
    ("cifar_resnet20_op17_b4", ["--mod-every", "2", "--capacity", "2", "--seed", "5", "--batch", "4", "--fusion", "scatter"], 3, .scatter),
  ])
  func modMatchesReference(name: String, flags: [String], blocks: Int, fusion: MoDFusion) throws {
    let dir = Conformance.modelsDir
    let plain = dir.appendingPathComponent("\(name).onnx").path
    let input = dir.appendingPathComponent("\(name).input.npy").path
    try #require(FileManager.default.fileExists(atPath: plain), "generated model \(name) missing from the model set")
    let ref = try #require(try Self.reference(plain, input: input, flags: flags, tag: name), "python3 lacks a module")
    defer { try? FileManager.default.removeItem(at: ref.dir) }
    let (x, shape) = try Conformance.floats(input)
    let (y, _) = try Conformance.floats(ref.output)
    let capacity = Int(flags[flags.firstIndex(of: "--capacity")! + 1])!

    // 1. Insert MoD into the plain model with the same router weights.
    let insert = InsertMoD(placement: .every(2), capacity: capacity, fusion: fusion,
      routerWeights: try Self.routerWeights(ref.router))
    let (g, exe) = try Conformance.compile(plain, insertMoD: insert, batch: shape[0])
    #expect(g.modBlocks().count == blocks)
    let e1 = Conformance.relativeError(try Conformance.run(exe, x, threads: 2), y)
    #expect(e1 <= 1e-4, "\(name): inserted MoD relative error \(e1)")
    Self.expectFastPath(exe.schedule, blocks: blocks, name)

    // 2. Import the exported MoD model: every block recognised, same numbers.
    let (g2, exe2) = try Conformance.compile(ref.model, batch: shape[0])
    #expect(g2.modBlocks().count == blocks, "\(name): recognised \(g2.modBlocks().count) of \(blocks) MoD blocks")
    let e2 = Conformance.relativeError(try Conformance.run(exe2, x), y)
    #expect(e2 <= 1e-4, "\(name): imported MoD relative error \(e2)")
    Self.expectFastPath(exe2.schedule, blocks: blocks, name)
  }

  /// The MoD fast path took every block: no `mod.gather` / `mod.fuse` step is left, and each block has one conv
  /// with the gather folded in and one with the fusion folded in.
  static func expectFastPath(_ s: Schedule, blocks: Int, _ name: String) {
    let labels = s.steps.map(\.kind.label)
    #expect(!labels.contains("mod.gather") && !labels.contains("mod.fuse"), "\(name): unfused MoD steps remain")
    let maps = s.steps.compactMap { if case .modConv(let m) = $0.kind { return m.maps } else { return nil } }
    #expect(maps.filter { $0.gatherChannels != nil }.count == blocks, "\(name): gathers folded")
    #expect(maps.filter { $0.fuse != nil }.count == blocks, "\(name): fusions folded")
  }

  /// `modc stats`' MAC count for ResNet-50 with MoD in every 2nd block at c = 64: 7 blocks and ≈ 2.565 GMAC.
  @Test(.requires(Conformance.hasModels, Conformance.models)) func resnet50MoDMACs() throws {
    let plain = Conformance.modelsDir.appendingPathComponent("resnet50_op17.onnx").path
    try #require(FileManager.default.fileExists(atPath: plain), "resnet50_op17 missing from the model set")
    var g = try loadONNX(path: plain)
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    try Pipeline.standard(target: .analysis).run(on: &g, context: &ctx)
    #expect(g.cost().totalMACs == 4_089_184_256)
    try InsertMoD(placement: .every(2), capacity: 64).run(on: &g, context: &ctx)
    #expect(g.modBlocks().map(\.name) == ["layer1.1", "layer2.1", "layer2.3", "layer3.1", "layer3.3", "layer3.5", "layer4.1"])
    #expect(g.modBlocks().map(\.k) == [4, 8, 8, 16, 16, 16, 32])
    // Analytic: plain minus 7 full blocks of 218.4 M MACs, plus k→k convs and the router FCs.
    let macs = Double(g.cost().totalMACs)
    #expect(abs(macs - 2.565e9) / 2.565e9 < 0.01, "MoD ResNet-50 has \(macs) MACs")
    #expect(!ctx.warnings.isEmpty)  // seeded router: "needs training"
  }
}

/// The generic-op path (RecognizeMoD off) computes the same numbers as the fused MoD ops.
@Suite struct GenericMoDPathTests {
  @Test(.requires(Conformance.fixturesDir != nil, Conformance.fixtures)) func genericOpsMatchFusedMoD() throws {
    let f = try #require(Conformance.fixturesDir)
    let path = f.appendingPathComponent("mod/cifar_resnet20_mod_c16.onnx").path
    var g = try loadONNX(path: path)
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    try Pipeline.standard(target: .codegen, recognizeMoD: false).run(on: &g, context: &ctx)
    #expect(g.modBlocks().isEmpty)
    #expect(g.nodes.contains { if case .topK = $0.op { return true } else { return false } })
    let generic = try Executable(Lowering.lower(g))
    let (x, _) = try Conformance.floats(f.appendingPathComponent("mod/cifar_resnet20_mod_c16.input.npy").path)
    let (ref, _) = try Conformance.floats(f.appendingPathComponent("mod/cifar_resnet20_mod_c16.output.npy").path)
    let err = Conformance.relativeError(try Conformance.run(generic, x), ref)
    #expect(err <= 1e-4, "generic path relative error \(err)")
  }
}
