import Foundation
import GraphIR
import Testing
@testable import ONNXReader

/// A model `y = x + w` whose f32[1,4] weight `w` lives in external data described by `entries`.
private func externalModel(_ entries: [(String, String)]) -> [UInt8] {
  let w = ONNXProto.tensor(name: "w", dims: [1, 4], external: entries)
  return ONNXProto.single(ONNXProto.node("Add", ["x", "w"], ["y"]), initializers: [w])
}

private func load(_ model: [UInt8], in dir: String) -> Result<Graph, ONNXReadError> {
  let path = dir + "/model.onnx"
  FileManager.default.createFile(atPath: path, contents: Data(model))
  return Result { () throws(ONNXReadError) -> Graph in try loadONNX(path: path) }
}

private func message(_ r: Result<Graph, ONNXReadError>) -> String? {
  if case .failure(let e) = r { return e.description }
  return nil
}

@Suite struct ExternalDataTests {
  let dir: String
  init() {
    dir = Fixtures.tempDir()
    // 32 bytes of data: 16 bytes padding then floats 1,2,3,4.
    let payload = Array(repeating: UInt8(0), count: 16) + floatBytes([1, 2, 3, 4])
    FileManager.default.createFile(atPath: dir + "/weights.bin", contents: Data(payload))
  }

  @Test func loadsZeroCopyAtOffset() throws {
    let g = try load(externalModel([("location", "weights.bin"), ("offset", "16"), ("length", "16")]), in: dir).get()
    let w = try #require(g.constants.values.first?.data)
    #expect(w.floats() == [1, 2, 3, 4])
  }

  @Test func lengthDefaultsToRestOfFile() {
    // Without `length` the rest of the file (32 bytes) is used, which does not match f32[1,4].
    let e = message(load(externalModel([("location", "weights.bin")]), in: dir))
    #expect(e == "model.onnx: tensor 'w': external data: length 32 does not match 16 bytes for f32[1,4]")
  }

  @Test func dotDotIsRefused() {
    let e = message(load(externalModel([("location", "../x")]), in: dir))
    #expect(e == "model.onnx: tensor 'w': external data: location '../x' escapes the model directory")
  }

  @Test func absolutePathIsRefused() {
    let e = message(load(externalModel([("location", dir + "/weights.bin")]), in: dir))
    #expect(e?.contains("absolute location") == true, "\(e ?? "nil")")
  }

  @Test func escapingSymlinkIsRefused() throws {
    let outside = Fixtures.tempDir()
    FileManager.default.createFile(atPath: outside + "/secret.bin", contents: Data(floatBytes([9, 9, 9, 9])))
    try FileManager.default.createSymbolicLink(atPath: dir + "/link.bin", withDestinationPath: outside + "/secret.bin")
    let e = message(load(externalModel([("location", "link.bin")]), in: dir))
    #expect(e?.contains("location 'link.bin' resolves outside the model directory") == true, "\(e ?? "nil")")
  }

  @Test func pastEndOfFile() {
    let e = message(load(externalModel([("location", "weights.bin"), ("offset", "24"), ("length", "16")]), in: dir))
    #expect(e == "model.onnx: tensor 'w': external data: offset 24 + length 16 is past the end of 'weights.bin' (32 bytes)")
    let e2 = message(load(externalModel([("location", "weights.bin"), ("offset", "4096")]), in: dir))
    #expect(e2 == "model.onnx: tensor 'w': external data: offset 4096 is past the end of 'weights.bin' (32 bytes)")
  }

  @Test func missingFileAndInMemoryModels() {
    let e = message(load(externalModel([("location", "nope.bin")]), in: dir))
    #expect(e == "model.onnx: tensor 'w': external data: file 'nope.bin' not found next to the model")
    let m = externalModel([("location", "weights.bin")])
    #expect(throws: ONNXReadError.self) { try loadONNX(bytes: m) }
  }
}
