import Foundation
import GraphIR
import TestSupport
import Testing
@testable import ONNXReader

/// Loads `bytes` written to `file` inside a fresh temp dir and returns the error text (or nil on success).
private func loadError(_ bytes: [UInt8], file: String = "model.onnx", dir: String? = nil) -> String? {
  let d = dir ?? Fixtures.tempDir()
  let path = d + "/" + file
  FileManager.default.createFile(atPath: path, contents: Data(bytes))
  do {
    _ = try loadONNX(path: path)
    return nil
  } catch {
    return error.description
  }
}

private let reluModel = ONNXProto.single(ONNXProto.node("Relu", ["x"], ["y"], name: "r"))

@Suite struct MalformedInputTests {
  @Test func validTinyModelLoads() throws {
    let g = try loadONNX(bytes: reluModel)
    #expect(g.nodes.count == 1)
    #expect(g.inputs.count == 1 && g.outputs.count == 1)
  }

  @Test func missingFile() {
    do {
      _ = try loadONNX(path: "/nonexistent/dir/model.onnx")
      Issue.record("expected an error")
    } catch {
      #expect(error.description.hasPrefix("model.onnx: cannot open '/nonexistent/dir/model.onnx'"))
    }
  }

  @Test func emptyFile() {
    #expect(loadError([]) == "model.onnx: empty file (0 bytes), not an ONNX model")
  }

  @Test(arguments: [1, 42, 0xDEAD_BEEF] as [UInt64]) func randomBytes(seed: UInt64) {
    var seeded = seed
    // Seeded xorshift noise: any content must give a clean error, never a crash.
    let bytes: [UInt8] = (0..<4096).map { _ in
      seeded ^= seeded << 13
      seeded ^= seeded >> 7
      seeded ^= seeded << 17
      return UInt8(truncatingIfNeeded: seeded)
    }
    let e = loadError(bytes)
    #expect(e?.hasPrefix("model.onnx: not an ONNX model") == true || e?.contains("invalid model") == true, "\(e ?? "nil")")
  }

  @Test func textFileIsRejected() {
    let e = loadError(Array("hello, this is not a model\n".utf8))
    #expect(e?.contains("not an ONNX model (protobuf parse failed at byte") == true, "\(e ?? "nil")")
  }

  @Test(.requires(Fixtures.cifar != nil, "shared/fixtures")) func truncatedFixture() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.cifar ?? ""))
    for cut in [10, data.count / 3, data.count - 7] {
      let e = loadError(Array(data.prefix(cut)), file: "cifar.onnx")
      #expect(e?.hasPrefix("cifar.onnx: not an ONNX model (protobuf parse failed at byte") == true, "\(e ?? "nil")")
      #expect(e?.contains("truncated") == true, "\(e ?? "nil")")
    }
  }

  @Test func wrongAttributeType() {
    let conv = ONNXProto.node("Conv", ["x", "w"], ["y"], name: "c1", attrs: [ONNXProto.attribute("group", float: 1)])
    let w = ONNXProto.tensor(name: "w", dims: [4, 4, 1, 1], raw: floatBytes(Array(repeating: 1, count: 16)))
    let e = loadError(ONNXProto.single(conv, initializers: [w]))
    #expect(e == "model.onnx: node 'c1' (Conv): attribute 'group': expected INT, got FLOAT")
  }

  @Test func unknownAttributeIsAnError() {
    let relu = ONNXProto.node("Relu", ["x"], ["y"], name: "r", attrs: [ONNXProto.attribute("alpha", float: 1)])
    #expect(loadError(ONNXProto.single(relu)) == "model.onnx: node 'r' (Relu): attribute 'alpha': unknown attribute for Relu")
  }

  @Test func rawDataWrongLength() {
    let w = ONNXProto.tensor(name: "fc.weight", dims: [10, 100], raw: Array(repeating: 0, count: 400))
    let add = ONNXProto.node("Add", ["x", "fc.weight"], ["y"])
    #expect(loadError(ONNXProto.single(add, initializers: [w]))
            == "model.onnx: tensor 'fc.weight': raw_data has 400 bytes, expected 4000 for f32[10,100]")
  }

  @Test func typedDataWrongCount() {
    let w = ONNXProto.tensor(name: "b", dims: [3], floats: [1, 2])
    let e = loadError(ONNXProto.single(ONNXProto.node("Add", ["x", "b"], ["y"]), initializers: [w]))
    #expect(e == "model.onnx: tensor 'b': float_data has 2 elements, expected 3 for f32[3]")
  }

  @Test func negativeDims() {
    let w = ONNXProto.tensor(name: "w", dims: [4, -1], raw: [])
    let e = loadError(ONNXProto.single(ONNXProto.node("Add", ["x", "w"], ["y"]), initializers: [w]))
    #expect(e == "model.onnx: tensor 'w': negative dimension -1 at axis 1")
  }

  @Test func hugeDimsInTinyFile() {
    // 2^20 × 2^20 × 2^10 elements claimed by a ~100-byte file: rejected before any allocation.
    let w = ONNXProto.tensor(name: "w", dims: [1 << 20, 1 << 20, 1 << 10], raw: [0, 0, 0, 0])
    let e = loadError(ONNXProto.single(ONNXProto.node("Add", ["x", "w"], ["y"]), initializers: [w]))
    #expect(e?.contains("tensor 'w': dims [1048576,1048576,1024] give more than") == true, "\(e ?? "nil")")
    // Under the element limit but far more bytes than present.
    let w2 = ONNXProto.tensor(name: "w2", dims: [1 << 30], raw: [0, 0, 0, 0])
    let e2 = loadError(ONNXProto.single(ONNXProto.node("Add", ["x", "w2"], ["y"]), initializers: [w2]))
    #expect(e2 == "model.onnx: tensor 'w2': raw_data has 4 bytes, expected 4294967296 for f32[1073741824]")
    let w3 = ONNXProto.tensor(name: "w3", dims: [1 << 30])
    let e3 = loadError(ONNXProto.single(ONNXProto.node("Add", ["x", "w3"], ["y"]), initializers: [w3]))
    #expect(e3 == "model.onnx: tensor 'w3': float_data has 0 elements, expected 1073741824 for f32[1073741824]")
  }

  @Test func undefinedInput() {
    let e = loadError(ONNXProto.single(ONNXProto.node("Add", ["x", "nope"], ["y"], name: "a")))
    #expect(e == "model.onnx: node 'a' (Add): input 1 'nope' is not produced by an earlier node, a graph input or an initializer")
  }

  @Test func wrongArity() {
    let e = loadError(ONNXProto.single(ONNXProto.node("Relu", ["x", "x"], ["y"])))
    #expect(e == "model.onnx: node 'Relu_0' (Relu): expected 1 inputs, got 2")
  }

  @Test func interiorEmptyInputIsAnError() {
    // Slice(data, starts, ends, "", steps) with steps: the empty axes cannot be materialized.
    let s = ONNXProto.tensor(name: "s", dtype: 7, dims: [1], raw: Array(repeating: 0, count: 8))
    let sl = ONNXProto.node("Slice", ["x", "s", "s", "", "s"], ["y"], name: "sl")
    let e = loadError(ONNXProto.single(sl, initializers: [s]))
    #expect(e == "model.onnx: node 'sl' (Slice): empty axes input with steps present is not supported")
  }
}
