import GraphIR
import Testing
@testable import ONNXReader

@Suite struct OpsetFormTests {
  @Test func squeezeAxesAttributeBeforeOpset13() throws {
    let n = ONNXProto.node("Squeeze", ["x"], ["y"], attrs: [ONNXProto.attribute("axes", ints: [0])])
    let g = try loadONNX(bytes: ONNXProto.single(n, opset: 11))
    guard case .squeeze(let a) = g.nodes[0].op else { Issue.record("not squeeze"); return }
    #expect(a.axes == [0])
  }

  @Test func softmaxDefaultsDependOnOpset() throws {
    let n = ONNXProto.node("Softmax", ["x"], ["y"])
    for (opset, axis, coerce) in [(11, 1, true), (13, -1, false)] {
      let g = try loadONNX(bytes: ONNXProto.single(n, opset: Int64(opset)))
      guard case .softmax(let a) = g.nodes[0].op else { Issue.record("not softmax"); return }
      #expect(a.axis == axis && a.coerce2D == coerce)
    }
  }

  @Test func topKAttributeBeforeOpset10() throws {
    let n = ONNXProto.node("TopK", ["x"], ["v", "i"], attrs: [ONNXProto.attribute("k", int: 2)])
    let m = ONNXProto.model(nodes: [n], inputs: [ONNXProto.valueInfo("x", dims: [1, 4])],
                            outputs: [ONNXProto.valueInfo("v", dims: [1, 2])], opset: 9)
    let g = try loadONNX(bytes: m)
    guard case .topK(let a) = g.nodes[0].op else { Issue.record("not topk"); return }
    #expect(a.k == 2)
  }

  @Test func padEmptyConstantValueIsMaterialized() throws {
    let pads = ONNXProto.tensor(name: "pads", dtype: 7, dims: [2], raw: Array(repeating: 0, count: 16))
    let axes = ONNXProto.tensor(name: "axes", dtype: 7, dims: [1], raw: [1, 0, 0, 0, 0, 0, 0, 0])
    let n = ONNXProto.node("Pad", ["x", "pads", "", "axes"], ["y"], name: "p")
    let g = try loadONNX(bytes: ONNXProto.single(n, initializers: [pads, axes], opset: 18))
    #expect(g.nodes[0].inputs.count == 4)
    let v = try #require(g.constantData(g.nodes[0].inputs[2]))
    #expect(v.shape == [] && v.dtype == .f32 && v.floats() == [0])
  }

  @Test func unknownOpAndCustomDomainBecomeOpaque() throws {
    let a = ONNXProto.node("LeakyRelu", ["x"], ["t"], attrs: [ONNXProto.attribute("alpha", float: 0.1)])
    let b = ONNXProto.node("Fancy", ["t"], ["y"], domain: "com.example")
    let m = ONNXProto.model(nodes: [a, b], inputs: [ONNXProto.valueInfo("x", dims: [nil, 4])],
                            outputs: [ONNXProto.valueInfo("y", dims: [nil, 4])])
    let g = try loadONNX(bytes: m)
    guard case .opaque(let oa) = g.nodes[0].op, case .opaque(let ob) = g.nodes[1].op else {
      Issue.record("expected opaque ops"); return
    }
    #expect(oa.opType == "LeakyRelu" && ob.domain == "com.example")
    #expect(g.nodes.map(\.name) == ["LeakyRelu_0", "Fancy_1"])
    #expect(g.inputs.map { g[$0].type?.description } == ["f32[N,4]"])
  }

  @Test func constantNodeForms() throws {
    let c1 = ONNXProto.node("Constant", [], ["c1"], attrs: [ONNXProto.attribute("value_ints", ints: [1, 2])])
    let c2 = ONNXProto.node("Constant", [], ["c2"], attrs: [ONNXProto.attribute("value_float", float: 2.5)])
    let t = ONNXProto.tensor(name: "", dims: [4], floats: [1, 2, 3, 4])
    let c3 = ONNXProto.node("Constant", [], ["c3"], attrs: [ONNXProto.attribute("value", tensor: t)])
    let add = ONNXProto.node("Add", ["x", "c3"], ["y"])
    let g = try loadONNX(bytes: ONNXProto.model(nodes: [c1, c2, c3, add], inputs: [ONNXProto.valueInfo("x", dims: [1, 4])],
                      outputs: [ONNXProto.valueInfo("y", dims: [1, 4])]))
    #expect(g.nodes.count == 1)
    let byName = Dictionary(uniqueKeysWithValues: g.constants.keys.map { (g[$0].name, $0) })
    #expect(g.constantData(try #require(byName["c1"]))?.int64s() == [1, 2])
    #expect(g.constantData(try #require(byName["c2"]))?.floats() == [2.5])
    #expect(g.constantData(try #require(byName["c3"]))?.floats() == [1, 2, 3, 4])
  }
}
