import Foundation
import GraphIR
import TestSupport
import Testing
@testable import ONNXReader

/// Constant checksums keyed by value name.
private func checksums(_ g: Graph) -> [String: UInt64] {
  Dictionary(uniqueKeysWithValues: g.constants.map { (g[$0.key].name, $0.value.checksum) })
}

/// True if python3 can import onnxruntime and numpy.
private var hasOnnxRuntime: Bool { Prerequisites.python(imports: "onnxruntime, numpy") }

/// Runs `model` on `input.npy` with onnxruntime and returns max|out − ref| / max|ref| against `output.npy`.
private func ortRelativeError(model: String, input: String, reference: String) throws -> Double {
  let script = """
    import sys, numpy as np, onnxruntime as ort
    so = ort.SessionOptions(); so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(sys.argv[1], so, providers=['CPUExecutionProvider'])
    x = np.load(sys.argv[2]); ref = np.load(sys.argv[3])
    y = s.run(None, {s.get_inputs()[0].name: x})[0]
    print(float(np.max(np.abs(y - ref)) / np.max(np.abs(ref))))
    """
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = ["python3", "-c", script, model, input, reference]
  let out = Pipe()
  p.standardOutput = out
  try p.run()
  let data = out.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  return try #require(Double(text), "onnxruntime helper printed '\(text)'")
}

@Suite struct RoundTripTests {
  @Test(.requires(Fixtures.present, "shared/fixtures"),
    arguments: ["resnet18_op17", "cifar_resnet20_op17", "mod/cifar_resnet20_mod_c16"])
  func loadWriteLoad(name: String) throws {
    let path = try #require(Fixtures.path(name + ".onnx"))
    let g = try loadONNX(path: path)
    let bytes = try writeONNX(g)
    let g2 = try loadONNX(bytes: bytes)
    #expect(g2.nodes.count == g.nodes.count)
    #expect(g2.nodes.map(\.op.onnxOpType) == g.nodes.map(\.op.onnxOpType))
    #expect(g2.nodes.map(\.name) == g.nodes.map(\.name))
    #expect(checksums(g2) == checksums(g))
    #expect(g2.inputs.map { g2[$0].type } == g.inputs.map { g[$0].type })
    #expect(g2.outputs.map { g2[$0].name } == g.outputs.map { g[$0].name })
  }

  @Test(.requires(Fixtures.present, "shared/fixtures"), .requires(hasOnnxRuntime, "python3 with onnxruntime and numpy"),
    arguments: ["resnet18_op17", "cifar_resnet20_op17", "mod/cifar_resnet20_mod_c16"])
  func writtenModelRunsInOnnxRuntime(name: String) throws {
    let path = try #require(Fixtures.path(name + ".onnx"))
    let input = try #require(Fixtures.path(name + ".input.npy"))
    let reference = try #require(Fixtures.path(name + ".output.npy"))
    let g = try loadONNX(path: path)
    let out = Fixtures.tempDir() + "/written.onnx"
    FileManager.default.createFile(atPath: out, contents: Data(try writeONNX(g)))
    let err = try ortRelativeError(model: out, input: input, reference: reference)
    #expect(err <= 1e-4, "relative error \(err)")
  }

  @Test func fusedConvExpandsToConvAddRelu() throws {
    var g = Graph()
    let x = g.addValue(name: "x", type: TensorType(.f32, [1, 2, 4, 4]))
    g.inputs = [x]
    let w = g.addConstant(name: "w", TensorData(shape: [2, 2, 1, 1], floats: [1, 0, 0, 1]))
    let y = g.addValue(name: "y", type: TensorType(.f32, [1, 2, 4, 4]))
    g.appendNode(name: "c", op: .conv(ConvAttrs(kernelShape: [1, 1], fusedRelu: true, fusedResidual: true)),
                 inputs: [x, w, x], outputs: [y])
    g.outputs = [y]
    let g2 = try loadONNX(bytes: try writeONNX(g))
    #expect(g2.nodes.map(\.op.onnxOpType) == ["Conv", "Add", "Relu"])
    #expect(g2.nodes.map(\.name) == ["c", "c.add", "c.relu"])
    #expect(g2.outputs.map { g2[$0].name } == ["y"])
  }

  @Test func modOpsAreNotExportableYet() {
    var g = Graph()
    let x = g.addValue(name: "x", type: TensorType(.f32, [1, 16, 4, 4]))
    let i = g.addValue(name: "i")
    g.appendNode(name: "layer1.1.gather", op: .modGather(MoDGatherAttrs(block: "layer1.1")), inputs: [x, i],
                 outputs: [g.addValue(name: "xk")])
    #expect(throws: ONNXReadError.self) { try writeONNX(g) }
  }

  @Test func attributeFormsBecomeOpset17Inputs() throws {
    let sq = ONNXProto.node("Unsqueeze", ["x"], ["t"], attrs: [ONNXProto.attribute("axes", ints: [0])])
    let sl = ONNXProto.node("Slice", ["t"], ["y"], attrs: [
      ONNXProto.attribute("starts", ints: [0]), ONNXProto.attribute("ends", ints: [1]),
      ONNXProto.attribute("axes", ints: [0]),
    ])
    let m = ONNXProto.model(nodes: [sq, sl], inputs: [ONNXProto.valueInfo("x", dims: [1, 4])],
                            outputs: [ONNXProto.valueInfo("y", dims: [1, 1, 4])], opset: 9)
    let g = try loadONNX(bytes: m)
    let g2 = try loadONNX(bytes: try writeONNX(g, opset: 17))
    #expect(g2.metadata.defaultOpset == 17)
    #expect(g2.nodes[0].inputs.count == 2 && g2.nodes[1].inputs.count == 4)
    #expect(g2.constantData(g2.nodes[1].inputs[2])?.int64s() == [1])
  }
}
