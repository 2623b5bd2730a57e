import Foundation
import TestSupport
import Testing

/// `modc run` input/output errors: wrong dtype, wrong shape, malformed header, missing output directory — one line
/// on stderr naming the file, exit ≠ 0, and no output file.
@Suite(.requires(CLI.hasBinary, CLI.built), .requires(CLI.hasFixtures, "shared/fixtures")) struct RunInputTests {
  func model() throws -> String { try #require(CLI.fixtures).appendingPathComponent("cifar_resnet20_op17.onnx").path }

  func expectFailure(_ args: [String], mentions: String, noFile out: String) throws {
    let r = try CLI.run(args)
    #expect(r.status != 0)
    #expect(r.stderrLines.count == 1, "\(r.stderr)")
    #expect(r.stderr.contains(mentions), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  @Test func wrongShapeDtypeHeaderAndDirectory() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let m = try model()
    let out = dir.path("y.npy")
    let wrongShape = try dir.writeNPY("shape.npy", shape: [1, 3, 31, 32])
    try expectFailure(["run", m, "--input", wrongShape, "-o", out], mentions: "does not match the model's", noFile: out)
    // float64 input: same header layout with descr '<f8'.
    var f64: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3, 32, 32), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    f64 += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
    f64 += [UInt8](repeating: 0, count: 3 * 32 * 32 * 8)
    let f64Path = dir.path("f64.npy")
    #expect(FileManager.default.createFile(atPath: f64Path, contents: Data(f64)))
    try expectFailure(["run", m, "--input", f64Path, "-o", out], mentions: "float32", noFile: out)
    let badHeader = dir.path("bad.npy")
    #expect(FileManager.default.createFile(atPath: badHeader, contents: Data([0x93] + Array("NUMPY".utf8) + [1, 0, 4, 0] + Array("{x}\n".utf8))))
    try expectFailure(["run", m, "--input", badHeader, "-o", out], mentions: "bad.npy", noFile: out)
    let good = try dir.writeNPY("x.npy", shape: [1, 3, 32, 32])
    let missingDir = dir.path("no/such/dir/y.npy")
    try expectFailure(["run", m, "--input", good, "-o", missingDir], mentions: "does not exist", noFile: missingDir)
  }
}
