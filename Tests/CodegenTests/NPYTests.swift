import TestSupport
import Testing

@testable import Codegen

/// `.npy` header bytes for `dict` with a given format version, numpy-style padding.
private func npyBytes(_ dict: String, major: UInt8 = 1, data: [UInt8]) -> [UInt8] {
  let prefix = major == 1 ? 10 : 12
  let total = alignUp(prefix + dict.utf8.count + 1, to: 64)
  let hlen = total - prefix
  var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
  for i in 0..<(major == 1 ? 2 : 4) { out.append(UInt8(truncatingIfNeeded: hlen >> (8 * i))) }
  out += Array(dict.utf8) + [UInt8](repeating: 0x20, count: hlen - dict.utf8.count - 1) + [0x0A]
  return out + data
}

private func parse(_ bytes: [UInt8]) throws(NPYError) -> NPYArray {
  try withBytes(bytes) { b throws(NPYError) in try NPY.parse(b, file: "x.npy") }
}

private func expectNPYError(_ bytes: [UInt8], contains text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
  do {
    _ = try parse(bytes)
    Issue.record("expected an NPYError containing '\(text)'", sourceLocation: sourceLocation)
  } catch {
    #expect(error.description.hasPrefix("x.npy: "), sourceLocation: sourceLocation)
    #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation)
    #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
  }
}

@Suite struct NPYTests {
  @Test func roundTripThroughFile() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let values: [Float] = (0..<24).map { Float($0) * 0.5 - 3 }
    try NPY.write(floats: values, shape: [2, 3, 4], to: dir.file("a.npy"))
    let back = try NPY.read(dir.file("a.npy"))
    #expect(back.dtype == .f32)
    #expect(back.shape == [2, 3, 4])
    #expect(back.floats == values)
    let raw = try readBytes(dir.file("a.npy"))
    #expect((raw.count - 24 * 4) % 64 == 0, "header is padded to 64 bytes")
  }

  @Test(arguments: [[Int](), [0], [5], [1, 1, 1, 1]])
  func shapesRoundTrip(shape: [Int]) throws {
    let n = shape.reduce(1, *)
    let a = NPYArray(shape: shape, floats: (0..<n).map(Float.init))
    #expect(try parse(NPY.encode(a)) == a)
  }

  @Test func readsVersions2And3AndOtherDTypes() throws {
    let i64 = [UInt8]([7, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    let a = try parse(npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", major: 2, data: i64))
    #expect(a.int64s == [7, -1])
    let f64 = withUnsafeBytes(of: (1.5).bitPattern.littleEndian) { Array($0) }
    let b = try parse(npyBytes("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": ()}", major: 3, data: f64))
    #expect(b.shape == [])
    #expect(b.doubles == [1.5])
    let i32 = [UInt8]([0xFE, 0xFF, 0xFF, 0xFF])
    let c = try parse(npyBytes("{'shape': (1, 1), 'fortran_order': False, 'descr': '<i4'}", data: i32))
    #expect(c.floats == [-2])
  }

  @Test func malformedFilesGiveOneLineErrors() {
    let ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    let data = [UInt8](repeating: 0, count: 8)
    expectNPYError(Array("hello world, not numpy".utf8), contains: "not a .npy file")
    expectNPYError([0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF], contains: "truncated .npy header")
    expectNPYError(Array(npyBytes(ok, data: data).prefix(40)), contains: "truncated .npy header")
    expectNPYError(npyBytes(ok, data: Array(data.prefix(5))), contains: "truncated data")
    expectNPYError(npyBytes(ok, data: data + [0]), contains: "needs 8 bytes, but 9")
    expectNPYError(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data: data), contains: "big-endian")
    expectNPYError(npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", data: data), contains: "unsupported dtype '<f2'")
    expectNPYError(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data: data), contains: "Fortran")
    expectNPYError(npyBytes("{'descr': '<f4', 'shape': (2,), }", data: data), contains: "missing key 'fortran_order'")
    expectNPYError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data: data), contains: "unexpected key 'x'")
    expectNPYError(npyBytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", data: data), contains: "duplicate key")
    expectNPYError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data: data), contains: "malformed header")
    expectNPYError(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk", data: data), contains: "after the header")
    expectNPYError(npyBytes("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", data: data), contains: "True or False")
    var badVersion = npyBytes(ok, data: data)
    badVersion[6] = 4
    expectNPYError(badVersion, contains: "format version 4.0")
  }

  @Test func missingFileAndWrongWriteTypeAreErrors() throws {
    #expect(throws: NPYError.self) { try NPY.read("/nonexistent/dir/a.npy") }
    let dir = try TempDir()
    defer { dir.cleanup() }
    let i32 = NPYArray(dtype: .i32, shape: [1], data: [1, 0, 0, 0])
    #expect(throws: NPYError.self) { try NPY.write(i32, to: dir.file("b.npy")) }
    #expect(throws: NPYError.self) { try NPY.write(floats: [1, 2], shape: [3], to: dir.file("c.npy")) }
    #expect(throws: NPYError.self) { try NPY.write(floats: [1], shape: [1], to: "/nonexistent/dir/c.npy") }
  }

  @Test(.requires(pythonHasNumpy, "python3 with numpy")) func readsNumpyWrittenFiles() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let ok = runPython(
      """
      import numpy as np
      np.save('f.npy', np.arange(12, dtype='<f4').reshape(3, 4) / 7)
      np.save('d.npy', np.arange(5, dtype='<f8') * 0.25)
      np.save('fo.npy', np.asfortranarray(np.ones((2, 3), dtype='<f4')))
      np.save('big.npy', np.ones((2,), dtype='>f4'))
      """, in: dir.path)
    #expect(ok)
    let f = try NPY.read(dir.file("f.npy"))
    #expect(f.shape == [3, 4])
    #expect(f.floats == (0..<12).map { Float($0) / 7 })
    #expect(try NPY.read(dir.file("d.npy")).doubles == [0, 0.25, 0.5, 0.75, 1])
    #expect(throws: NPYError.self) { try NPY.read(dir.file("fo.npy")) }
    #expect(throws: NPYError.self) { try NPY.read(dir.file("big.npy")) }
  }

  @Test(.requires(fixturesDir != nil, "shared/fixtures")) func fixtureInputAndOutputLoad() throws {
    let fx = try #require(fixturesDir)
    let input = try NPY.read(fx + "/cifar_resnet20_op17.input.npy")
    #expect(input.shape == [1, 3, 32, 32])
    #expect(try NPY.read(fx + "/cifar_resnet20_op17.output.npy").shape == [1, 10])
  }
}
