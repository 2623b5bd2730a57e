import Foundation
import TestSupport
import Testing

/// The compile driver through the CLI: the "already MoD" rule and `--force`, explicit targets and conv algorithms,
/// schedule passes in `--print-after`.
@Suite(.requires(CLI.hasBinary, CLI.built)) struct CompileDriverTests {
  static var modFixture: String? { CLI.fixtures?.appendingPathComponent("mod/cifar_resnet20_mod_c16.onnx").path }
  static var cifar: String? { CLI.fixtures?.appendingPathComponent("cifar_resnet20_op17.onnx").path }
  static var cifarInput: String? { CLI.fixtures?.appendingPathComponent("cifar_resnet20_op17.input.npy").path }

  /// The float32 payload of a version-1 `.npy` file written by `modc run`.
  static func floats(_ path: String) throws -> [Float] {
    let d = try Data(contentsOf: URL(fileURLWithPath: path))
    let bytes = [UInt8](d)
    try #require(bytes.count > 10 && bytes[0] == 0x93)
    let headerEnd = 10 + Int(bytes[8]) + Int(bytes[9]) << 8
    let body = bytes[headerEnd...]
    return stride(from: body.startIndex, to: body.endIndex, by: 4).map { i in
      Float(bitPattern: UInt32(body[i]) | UInt32(body[i + 1]) << 8 | UInt32(body[i + 2]) << 16 | UInt32(body[i + 3]) << 24)
    }
  }

  static func relativeDiff(_ a: [Float], _ b: [Float]) -> Float {
    let ref = b.map(abs).max() ?? 0
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / max(ref, 1e-30) } ?? .infinity
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func moDFlagsOnAMoDModelFailWithoutForce() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let model = try #require(Self.modFixture)
    let r = try CLI.run(["convert", model, "--mod-every", "2", "--capacity", "8", "-o", dir.path("m.modplan")])
    #expect(r.status != 0)
    #expect(r.stderr.contains("already has 3 MoD block(s) (layer1.1, layer2.1, layer3.1)"), "\(r.stderr)")
    #expect(r.stderr.contains("--force"))
    #expect(dir.contents.isEmpty)
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func forceAddsMoDToTheRemainingBlocksAndRuns() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let model = try #require(Self.modFixture)
    let plan = dir.path("m.modplan")
    let r = try CLI.run(["convert", model, "--mod-every", "2", "--capacity", "8", "--force", "-o", plan, "--verbose"])
    #expect(r.status == 0, "\(r.stderr)")
    for b in ["layer1.2", "layer2.2", "layer3.2"] {
      #expect(r.stderr.contains("\(b): MoD with"), "\(b) should get MoD: \(r.stderr)")
    }
    let input = try #require(CLI.fixtures?.appendingPathComponent("mod/cifar_resnet20_mod_c16.input.npy").path)
    let run = try CLI.run(["run", plan, "--input", input, "--output", dir.path("y.npy")])
    #expect(run.status == 0, "\(run.stderr)")
    let y = try Self.floats(dir.path("y.npy"))
    #expect(y.count == 10 && y.allSatisfy(\.isFinite))
    // The plan records the six MoD blocks.
    let dump = try CLI.run(["stats", model, "--list-blocks"])
    #expect(dump.stdout.contains("layer1.1  BasicBlock"))
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func everyTargetThisMachineRunsMatchesNative() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let model = try #require(Self.cifar)
    let input = try #require(Self.cifarInput)
    func output(_ flags: [String], _ tag: String) throws -> [Float] {
      let plan = dir.path("\(tag).modplan")
      let c = try CLI.run(["convert", model, "-o", plan, "--quiet"] + flags)
      try #require(c.status == 0, "\(c.stderr)")
      let r = try CLI.run(["run", plan, "--input", input, "--output", dir.path("\(tag).npy")])
      try #require(r.status == 0, "\(r.stderr)")
      return try Self.floats(dir.path("\(tag).npy"))
    }
    let native = try output([], "native")
    let host = try CLI.run(["convert", "--help"])
    #expect(host.stdout.contains("--target"))
    for target in ["generic", "avx2", "avx512"] {
      for algo in ["auto", "direct", "winograd"] {
        let flags = ["--target", target, "--conv-algo", algo]
        let c = try CLI.run(["convert", model, "-o", dir.path("probe.modplan"), "--quiet"] + flags)
        try #require(c.status == 0, "\(c.stderr)")
        let r = try CLI.run(["run", dir.path("probe.modplan"), "--input", input, "--output", dir.path("probe.npy")])
        if r.status != 0 {
          // Only a target this machine lacks may fail, and it must say so.
          #expect(r.stderr.contains("compiled for \(target), but this machine supports only"), "\(r.stderr)")
          continue
        }
        let y = try Self.floats(dir.path("probe.npy"))
        #expect(Self.relativeDiff(y, native) <= 1e-4, "--target \(target) --conv-algo \(algo)")
      }
    }
    #expect(try output(["--target", "avx2"], "avx2").count == native.count)
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func badTargetIsAUsageError() throws {
    let model = try #require(Self.cifar)
    let r = try CLI.run(["convert", model, "--target", "sse9", "-o", "/tmp/never.modplan"])
    #expect(r.status == 2)
    #expect(r.stderr.contains("--target"))
    #expect(!FileManager.default.fileExists(atPath: "/tmp/never.modplan"))
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func printAfterASchedulePassPrintsTheSchedule() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let model = try #require(Self.modFixture)
    let r = try CLI.run(["convert", model, "-o", dir.path("m.modplan"), "--print-after", "FuseMoDSteps"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("// ----- schedule after FuseMoDSteps -----"))
    #expect(r.stdout.contains("= mod.conv") && r.stdout.contains("gatherChannels=16") && r.stdout.contains("fuseChannels=16"),
      "MoD convs are fused in the printed schedule")
    let bad = try CLI.run(["convert", model, "-o", dir.path("m.modplan"), "--stop-after", "FuseMoDSteps"])
    #expect(bad.status == 2)
  }
}

/// `modc dump` / `modc stats` on a `.modplan`: golden plan listing of an imported MoD model compiled for the
/// portable target (the same text on every machine).
@Suite(.requires(CLI.hasBinary, CLI.built)) struct PlanReportTests {
  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func dumpOfAPlanIsGolden() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let src = try #require(CompileDriverTests.modFixture)
    try FileManager.default.copyItem(atPath: src, toPath: dir.path("m.onnx"))
    let c = try CLI.run(["convert", "m.onnx", "--target", "generic", "-o", "m.modplan", "--quiet"], in: dir.url)
    try #require(c.status == 0, "\(c.stderr)")
    let r = try CLI.run(["dump", "m.modplan"], in: dir.url)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("target: generic (conv algorithms: auto)"))
    #expect(r.stdout.contains("mod.conv"), "the fused MoD convs are listed")
    try CLI.expectGolden(r.stdout, "plan_dump_mod_cifar.txt")
    let json = try CLI.run(["dump", "m.modplan", "--format", "json"], in: dir.url)
    #expect(json.status == 2 && json.stderr.contains("text only"))
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func statsOfAPlanListsEveryStep() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let src = try #require(CompileDriverTests.modFixture)
    let plan = dir.path("m.modplan")
    try #require(try CLI.run(["convert", src, "--target", "generic", "-o", plan, "--quiet"]).status == 0)
    let r = try CLI.run(["stats", plan, "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let steps = try #require(obj["steps"] as? [[String: Any]])
    let total = try #require(obj["total"] as? [String: Any])
    #expect(total["target"] as? String == "generic")
    #expect(steps.count == total["steps"] as? Int)
    let macs = steps.compactMap { $0["macs"] as? Int }.reduce(0, +)
    #expect(macs == total["macs"] as? Int && macs > 0)
    let table = try CLI.run(["stats", plan])
    #expect(table.status == 0 && table.stdout.contains("mod.router") && table.stdout.contains("GMAC"))
  }
}

/// A reader error names the model path once (issue 22 item 7: it used to read `m.onnx: m.onnx: …`).
@Suite(.requires(CLI.hasBinary, CLI.built)) struct ModelPathInErrorsTests {
  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func readerErrorsNameThePathOnce() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let src = try Data(contentsOf: try #require(CLI.fixtures).appendingPathComponent("cifar_resnet20_op17.onnx"))
    try src.prefix(5000).write(to: URL(fileURLWithPath: dir.path("trunc.onnx")))
    for args in [["convert", "trunc.onnx", "-o", "m.modplan"], ["stats", "trunc.onnx"], ["dump", "trunc.onnx"]] {
      let r = try CLI.run(args, in: dir.url)
      #expect(r.status == 1)
      #expect(r.stderr.components(separatedBy: "trunc.onnx").count == 2, "path named once: \(r.stderr)")
      #expect(r.stderr.contains("error: trunc.onnx: not an ONNX model"), "\(r.stderr)")
    }
  }
}
