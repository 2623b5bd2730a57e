import Foundation
import TestSupport
import Testing

@testable import Codegen

/// Bad input to `modc emit-c`: one-line error, non-zero exit, and nothing (not even a temp dir) left behind.
@Suite struct EmitCBadInputTests {
  /// A text IR model with an op that has no kernel.
  static let opaqueModel = """
    graph "g" {
      input %0 "x" : f32[1,4]
      %1 = opaque(%0) {op_type="Foo"} : f32[1,4]  # "mystery"
      output %1
    }

    """

  func cifar() -> String? { Env.fixtures.map { $0 + "/cifar_resnet20_op17.onnx" } }

  /// Runs modc emit-c and checks the failure contract; returns stderr.
  func expectFailure(_ args: [String], in tmp: Scratch, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let modc = try #require(Env.modc, sourceLocation: sourceLocation)
    let before = Set(try FileManager.default.contentsOfDirectory(atPath: tmp.path))
    let r = try run([modc, "emit-c"] + args)
    #expect(r.status != 0, "expected failure, got success", sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1, "expected a one-line error: \(r.stderr)", sourceLocation: sourceLocation)
    let after = Set(try FileManager.default.contentsOfDirectory(atPath: tmp.path))
    #expect(after == before, "left files behind: \(after.subtracting(before))", sourceLocation: sourceLocation)
    return r.stderr
  }

  @Test(.requires(Env.fixtures != nil, "shared/fixtures"), .requires(Env.modc != nil, "the built modc"))
  func nonEmptyDirectoryNeedsForce() throws {
    let model = try #require(cifar())
    let modc = try #require(Env.modc)
    let tmp = try Scratch()
    defer { tmp.cleanup() }
    let dir = tmp.path + "/out"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try "mine".write(toFile: dir + "/keep.txt", atomically: true, encoding: .utf8)
    let err = try expectFailure([model, "-o", dir], in: tmp)
    #expect(err.contains("not empty") && err.contains("--force"))
    #expect(FileManager.default.fileExists(atPath: dir + "/keep.txt"))
    // --force replaces the directory as a whole.
    let r = try run([modc, "emit-c", model, "-o", dir, "--force", "--quiet", "--name", "c20"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/keep.txt"))
    #expect(FileManager.default.fileExists(atPath: dir + "/c20.c"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path) == ["out"])
    // An existing empty directory is fine without --force.
    let empty = tmp.path + "/empty"
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    #expect(try run([modc, "emit-c", model, "-o", empty, "--quiet"]).status == 0)
  }

  @Test(.requires(Env.fixtures != nil, "shared/fixtures"), .requires(Env.modc != nil, "the built modc"),
    arguments: ["18layers", "my-model", "int", "main"])
  func badNameIsRejected(_ name: String) throws {
    let model = try #require(cifar())
    let tmp = try Scratch()
    defer { tmp.cleanup() }
    let err = try expectFailure([model, "-o", tmp.path + "/out", "--name", name], in: tmp)
    #expect(err.contains("not a C identifier"))
  }

  @Test(.requires(Env.modc != nil, "the built modc")) func unsupportedOpIsReportedWithItsNode() throws {
    let tmp = try Scratch()
    defer { tmp.cleanup() }
    let model = tmp.path + "/opaque.mir"
    try Self.opaqueModel.write(toFile: model, atomically: true, encoding: .utf8)
    let err = try expectFailure([model, "-o", tmp.path + "/out"], in: tmp)
    #expect(err.contains("mystery"), "\(err)")
  }

  @Test(.requires(Env.fixtures != nil, "shared/fixtures"), .requires(Env.modc != nil, "the built modc"))
  func unwritableDestinations() throws {
    let model = try #require(cifar())
    let tmp = try Scratch()
    defer { tmp.cleanup() }
    let file = tmp.path + "/afile"
    try "x".write(toFile: file, atomically: true, encoding: .utf8)
    #expect(try expectFailure([model, "-o", file], in: tmp).contains("not a directory"))
    #expect(try expectFailure([model, "-o", tmp.path + "/missing/out"], in: tmp).contains("does not exist"))
    #expect(try expectFailure([model, "-o", file + "/out"], in: tmp).contains("does not exist"))
  }

  @Test(.requires(Env.fixtures != nil, "shared/fixtures"), .requires(!Env.compilers.isEmpty, "gcc or clang"))
  func corruptWeightsFileIsRejectedByTheDriver() throws {
    let fx = try Env.requireFixtures()
    let cc = try #require(Env.compilers.first)
    let tmp = try Scratch()
    defer { tmp.cleanup() }
    let dir = tmp.path + "/p"
    guard try emit(fx + "/mod/cifar_resnet20_mod_c16.onnx", ["--weights", "file", "--name", "cw"], to: dir) else { return }
    guard try make(dir, cc: cc, cflags: "-O1") else { return }
    let input = fx + "/mod/cifar_resnet20_mod_c16.input.npy"
    #expect(try run([dir + "/cw_run", input, tmp.path + "/ok.npy"]).status == 0)
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/cw.weights")))
    bytes[bytes.count / 2] ^= 0x40
    try Data(bytes).write(to: URL(fileURLWithPath: tmp.path + "/bad.weights"))
    let r = try run([dir + "/cw_run", input, tmp.path + "/bad.npy", "--weights", tmp.path + "/bad.weights"])
    #expect(r.status != 0 && r.stderr.contains("status -13"), "\(r.stderr)")
    try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: tmp.path + "/short.weights"))
    let s = try run([dir + "/cw_run", input, tmp.path + "/bad.npy", "--weights", tmp.path + "/short.weights"])
    #expect(s.status != 0 && s.stderr.contains("status -12"), "\(s.stderr)")
  }
}

@Suite struct CLiteralTests {
  /// Hex float literals read back to the same bits (Swift parses C99 hex floats).
  @Test func floatLiteralsRoundTrip() {
    var values: [Float] = [0, -0.0, 1, -1, 0.1, 3.4028235e38, 1e-45, 1.17549435e-38, 5.877472e-39, 123.456]
    var g = SystemRandomNumberGenerator()
    for _ in 0..<2000 { values.append(Float(bitPattern: UInt32.random(in: 0..<0x7F80_0000, using: &g))) }
    for v in values {
      let lit = CLiteral.float(v)
      let parsed = Float(String(lit.dropLast()))
      #expect(parsed?.bitPattern == v.bitPattern, "\(v) -> \(lit)")
    }
    #expect(CLiteral.float(1) == "0x1p+0f")
    #expect(CLiteral.float(-0.0) == "-0x0p+0f")
    #expect(CLiteral.float(.infinity) == "INFINITY")
  }
}
