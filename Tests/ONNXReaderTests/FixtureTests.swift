import GraphIR
import TestSupport
import Testing
@testable import ONNXReader

@Suite struct FixtureLoadTests {
  @Test(.requires(Fixtures.resnet18 != nil, "shared/fixtures")) func resnet18() throws {
    let g = try loadONNX(path: Fixtures.resnet18 ?? "")
    #expect(g.nodes.count == 49)
    #expect(opHistogram(g) == ["Conv": 20, "Relu": 17, "MaxPool": 1, "Add": 8, "GlobalAveragePool": 1,
                               "Flatten": 1, "Gemm": 1])
    #expect(floatParameterCount(g) == 11_684_712)
    #expect(g.inputs.map { g[$0].name } == ["input"])
    #expect(g.inputs.map { g[$0].type?.description } == ["f32[1,3,224,224]"])
    #expect(g.outputs.map { g[$0].name } == ["output"])
    #expect(g.outputs.map { g[$0].type?.description } == ["f32[1,1000]"])
    #expect(g.metadata.defaultOpset == 17)
    #expect(g.metadata.irVersion == 8)
    #expect(g.metadata.producerName == "pytorch")
    let conv1 = try #require(g.nodes.first)
    guard case .conv(let a) = conv1.op else { Issue.record("first node is \(conv1.op.mnemonic)"); return }
    #expect(a.kernelShape == [7, 7] && a.strides == [2, 2] && a.pads == [3, 3, 3, 3] && a.group == 1)
    #expect(conv1.inputs.count == 3)
  }

  @Test(.requires(Fixtures.cifar != nil, "shared/fixtures")) func cifarResNet20() throws {
    let g = try loadONNX(path: Fixtures.cifar ?? "")
    #expect(g.nodes.count == 52)
    #expect(opHistogram(g) == ["Conv": 21, "Relu": 19, "Add": 9, "GlobalAveragePool": 1, "Flatten": 1, "Gemm": 1])
    #expect(floatParameterCount(g) == 271_690)
    #expect(g.inputs.map { g[$0].type?.description } == ["f32[1,3,32,32]"])
    #expect(g.outputs.map { g[$0].type?.description } == ["f32[1,10]"])
    // Every node input is defined, and names are unique and non-empty.
    #expect(Set(g.nodes.map(\.name)).count == g.nodes.count)
    #expect(!g.nodes.contains { $0.name.isEmpty })
  }

  @Test(.requires(Fixtures.mod != nil, "shared/fixtures")) func modFixture() throws {
    let g = try loadONNX(path: Fixtures.mod ?? "")
    // 166 ONNX nodes, 51 of them Constant (which become graph constants).
    #expect(g.nodes.count == 115)
    let h = opHistogram(g)
    #expect(h["TopK"] == 3 && h["GatherElements"] == 3 && h["Unsqueeze"] == 12 && h["Constant"] == nil)
    #expect(g.constants.count == 56 + 51)
    let topk = try #require(g.nodes.first { if case .topK = $0.op { return true } else { return false } })
    guard case .topK(let a) = topk.op else { return }
    #expect(a.k == nil && a.largest && a.sorted && topk.inputs.count == 2 && topk.outputs.count == 2)
    #expect(g.constantData(topk.inputs[1]) != nil)
  }
}
