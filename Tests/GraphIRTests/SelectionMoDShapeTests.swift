import Testing

@testable import GraphIR

@Suite struct SelectionMoDShapeTests {
  @Test func topK() throws {
    #expect(try infer(.topK(TopKAttrs()), ["f32[N,64]", "i64[1]"], [nil, i64s([4])], outputs: 2) == ["f32[N,4]", "i64[N,4]"])
    #expect(try infer(.topK(TopKAttrs(axis: 1, k: 3)), ["f32[2,8,5]"], outputs: 2) == ["f32[2,3,5]", "i64[2,3,5]"])
    // A dynamic K gives an unknown (later: fresh symbolic) dim.
    #expect(try infer(.topK(TopKAttrs()), ["f32[1,64]", "i64[1]"], outputs: 2) == ["f32[1,?]", "i64[1,?]"])
    #expect(inferFailure(.topK(TopKAttrs()), ["f32[1,16]", "i64[1]"], [nil, i64s([17])], outputs: 2)
      == "K = 17 exceeds the size 16 of axis 1 of X [1,16]")
    #expect(inferFailure(.topK(TopKAttrs()), ["f32[1,16]", "i64[1]"], [nil, i64s([2])])
      == "has 1 outputs, but topk produces 2")
  }

  @Test func gatherScatter() throws {
    #expect(try infer(.gatherElements(AxisAttrs(axis: 1)), ["f32[1,16,8,8]", "i64[1,4,8,8]"]) == ["f32[1,4,8,8]"])
    #expect(inferFailure(.gatherElements(AxisAttrs(axis: 1)), ["f32[1,16,8,8]", "i64[1,4]"])
      == "indices must have the rank of data (4), but has type i64[1,4]")
    #expect(try infer(.scatterElements(ScatterAttrs(axis: 1)), ["f32[1,16,8,8]", "i64[1,4,8,8]", "f32[1,4,8,8]"]) == ["f32[1,16,8,8]"])
    #expect(try infer(.scatterND(ScatterAttrs()), ["f32[1,16,8,8]", "i64[1,4,2]", "f32[1,4,8,8]"]) == ["f32[1,16,8,8]"])
    #expect(inferFailure(.scatterND(ScatterAttrs()), ["f32[1,16,8,8]", "i64[1,4,2]", "f32[1,4,8]"])
      == "updates must have shape [1,4,8,8], but has type f32[1,4,8]")
  }

  static let router = Op.modRouter(MoDRouterAttrs(block: "layer1.1", capacity: 16, k: 4))

  @Test func modRouter() throws {
    let ins = ["f32[N,64,8,8]", "f32[4,64]", "f32[4]", "f32[64,4]", "f32[64]"]
    #expect(try infer(Self.router, ins, outputs: 2) == ["i64[N,4]", "f32[N,4]"])
    #expect(inferFailure(Self.router, ["f32[1,64,8,8]", "f32[4,32]", "f32[4]", "f32[64,4]", "f32[64]"], outputs: 2)
      == "W1 must have shape [hidden,C] = [4,64], but has type f32[4,32]")
    let big = Op.modRouter(MoDRouterAttrs(block: "b", capacity: 1, k: 100))
    #expect(inferFailure(big, ["f32[1,64,8,8]", "f32[4,64]", "f32[4]", "f32[64,4]", "f32[64]"], outputs: 2)
      == "k = 100 exceeds the 64 channels of X")
  }

  @Test func modGatherFuse() throws {
    let g = Op.modGather(MoDGatherAttrs(block: "layer1.1"))
    #expect(try infer(g, ["f32[N,64,8,8]", "i64[N,4]"]) == ["f32[N,4,8,8]"])
    #expect(inferFailure(g, ["f32[1,64,8,8]", "f32[1,4]"]) == "input indices must be an integer tensor, but has type f32[1,4]")
    let f = Op.modFuse(MoDFuseAttrs(block: "layer1.1"))
    #expect(try infer(f, ["f32[1,64,8,8]", "f32[1,4,8,8]", "f32[1,4]", "i64[1,4]"]) == ["f32[1,64,8,8]"])
    #expect(inferFailure(f, ["f32[1,64,8,8]", "f32[1,4,4,4]", "f32[1,4]", "i64[1,4]"])
      == "P must have shape [B,k,H,W] = [1,4,8,8], but has type f32[1,4,4,4]")
  }

  @Test func opaqueKeepsDeclaredTypes() throws {
    let op = Op.opaque(OpaqueAttrs(opType: "Resize"))
    #expect(try op.outputTypes(inputs: [ty("f32[1,3,8,8]")], constants: [nil], declared: [ty("f32[1,3,16,16]")])
      == [ty("f32[1,3,16,16]")])
    #expect(inferFailure(op, ["f32[1,3,8,8]"]) == "cannot infer shapes through unsupported op Resize")
  }
}
