import Testing

@testable import GraphIR

@Suite struct ElementwiseDenseShapeTests {
  @Test(arguments: [
    ("same", "f32[2,3]", "f32[2,3]", "f32[2,3]"),
    ("scalar", "f32[2,3]", "f32[]", "f32[2,3]"),
    ("rank extension", "f32[1,64,56,56]", "f32[64,1,1]", "f32[1,64,56,56]"),
    ("both sides 1", "f32[4,1,5]", "f32[1,3,1]", "f32[4,3,5]"),
    ("symbol equal", "f32[N,3]", "f32[N,3]", "f32[N,3]"),
    ("symbol vs 1", "f32[N,3]", "f32[1,3]", "f32[N,3]"),
    ("1 vs symbol", "f32[1,3]", "f32[B,1]", "f32[B,3]"),
    ("symbol vs fixed", "f32[N,3]", "f32[5,3]", "f32[5,3]"),
  ])
  func broadcasting(_ id: String, _ a: String, _ b: String, _ expected: String) throws {
    for op in [Op.add, .sub, .mul, .div] { #expect(try infer(op, [a, b]) == [expected], "\(id)") }
    #expect(try infer(.equal, [a, b]) == [ty(expected).with(.bool)], "\(id)")
  }

  @Test func broadcastingErrors() {
    #expect(inferFailure(.add, ["f32[2,3]", "f32[4,3]"])
      == "shapes [2,3] and [4,3] cannot be broadcast: dims 2 and 4 differ and neither is 1")
    #expect(inferFailure(.mul, ["f32[N,3]", "f32[M,3]"])
      == "shapes [N,3] and [M,3] cannot be broadcast: symbolic dims N and M may differ")
    #expect(inferFailure(.add, ["f32[2]", "i64[2]"])
      == "inputs A and B must have the same element type, but are f32 and i64")
  }

  @Test func unaryAndVariadic() throws {
    #expect(try infer(.relu, ["f32[N,64,7,7]"]) == ["f32[N,64,7,7]"])
    #expect(try infer(.sigmoid, ["f32[1,16]"]) == ["f32[1,16]"])
    #expect(try infer(.sum, ["f32[1,8,4,4]", "f32[1,8,4,4]", "f32[8,1,1]"]) == ["f32[1,8,4,4]"])
    #expect(try infer(.sum, ["f32[3]"]) == ["f32[3]"])
    #expect(inferFailure(.sum, []) == "expects at least 1 input, but has 0")
    #expect(try infer(.identity, ["i64[4]"]) == ["i64[4]"])
    #expect(try infer(.dropout, ["f32[2,3]"]) == ["f32[2,3]"])
    #expect(try infer(.dropout, ["f32[2,3]", "f32[]"], outputs: 2) == ["f32[2,3]", "bool[2,3]"])
  }

  @Test func whereAndExpand() throws {
    #expect(try infer(.where, ["bool[4]", "i64[4]", "i64[]"]) == ["i64[4]"])
    #expect(inferFailure(.where, ["f32[4]", "i64[4]", "i64[4]"]) == "condition must be a bool tensor, but has type f32[4]")
    #expect(try infer(.expand, ["i64[1,1,1,1]", "i64[4]"], [nil, i64s([2, 4, 8, 8])]) == ["i64[2,4,8,8]"])
    // ONNX Expand is bidirectional: a 1 in the shape keeps the input dim.
    #expect(try infer(.expand, ["f32[3,1]", "i64[2]"], [nil, i64s([1, 5])]) == ["f32[3,5]"])
    #expect(try infer(.expand, ["f32[3,1]", "i64[3]"]).count == 1)
    #expect(inferFailure(.expand, ["f32[3,2]", "i64[2]"], [nil, i64s([3, 4])])
      == "shapes [3,2] and [3,4] cannot be broadcast: dims 2 and 4 differ and neither is 1")
  }

  @Test(arguments: [
    ("plain", GemmAttrs(), ["f32[1,512]", "f32[512,1000]", "f32[1000]"], "f32[1,1000]"),
    ("transB (torch Linear)", GemmAttrs(transB: true), ["f32[N,512]", "f32[1000,512]", "f32[1000]"], "f32[N,1000]"),
    ("transA", GemmAttrs(transA: true), ["f32[3,2]", "f32[3,4]"], "f32[2,4]"),
    ("C full", GemmAttrs(), ["f32[2,3]", "f32[3,4]", "f32[2,4]"], "f32[2,4]"),
    ("C column", GemmAttrs(), ["f32[2,3]", "f32[3,4]", "f32[2,1]"], "f32[2,4]"),
  ])
  func gemm(_ id: String, _ attrs: GemmAttrs, _ inputs: [String], _ expected: String) throws {
    #expect(try infer(.gemm(attrs), inputs) == [expected], "\(id)")
  }

  @Test func gemmErrors() {
    #expect(inferFailure(.gemm(GemmAttrs()), ["f32[1,512]", "f32[1000,512]"])
      == "inner dimensions differ: A is [1,512] and B is [1000,512]")
    #expect(inferFailure(.gemm(GemmAttrs(transB: true)), ["f32[2,3]", "f32[4,3]", "f32[3]"])
      == "C with shape [3] cannot be broadcast to the output [2,4]")
    #expect(inferFailure(.gemm(GemmAttrs()), ["f32[1,2,3]", "f32[3,4]"])
      == "input A must have rank 2, but has type f32[1,2,3]")
  }

  @Test(arguments: [
    ("2-D", "f32[2,3]", "f32[3,4]", "f32[2,4]"),
    ("batched broadcast", "f32[5,1,2,3]", "f32[7,3,4]", "f32[5,7,2,4]"),
    ("1-D A", "f32[3]", "f32[2,3,4]", "f32[2,4]"),
    ("1-D B", "f32[2,2,3]", "f32[3]", "f32[2,2]"),
    ("1-D both", "f32[3]", "f32[3]", "f32[]"),
    ("symbolic batch", "f32[N,2,3]", "f32[3,4]", "f32[N,2,4]"),
  ])
  func matMul(_ id: String, _ a: String, _ b: String, _ expected: String) throws {
    #expect(try infer(.matMul, [a, b]) == [expected], "\(id)")
  }

  @Test func matMulAndSoftmaxErrors() {
    #expect(inferFailure(.matMul, ["f32[2,3]", "f32[4,5]"]) == "inner dimensions differ: A is [2,3] and B is [4,5] (3 ≠ 4)")
    #expect(inferFailure(.softmax(SoftmaxAttrs(axis: 2)), ["f32[1,10]"]) == "axis 2 is out of range for rank 2 (valid: -2...1)")
  }

  @Test func softmax() throws {
    #expect(try infer(.softmax(SoftmaxAttrs(axis: -1)), ["f32[1,10]"]) == ["f32[1,10]"])
    #expect(try infer(.softmax(SoftmaxAttrs(axis: 1, coerce2D: true)), ["f32[2,3,4]"]) == ["f32[2,3,4]"])
  }
}

extension TensorType {
  /// The same shape with another element type, printed (test helper).
  func with(_ d: DType) -> String { TensorType(d, shape).description }
}
