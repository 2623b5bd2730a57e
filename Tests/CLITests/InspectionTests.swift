import Foundation
import TestSupport
import Testing

/// Golden outputs of `passes` and `stats`, and the `viz` pictures.
@Suite(.requires(CLI.hasBinary, CLI.built)) struct InspectionTests {
  static var cifar: String { CLI.fixtures?.appendingPathComponent("cifar_resnet20_op17.onnx").path ?? "" }
  static let mod = ["--mod-every", "2", "--capacity", "16"]

  @Test func passesGolden() throws {
    let r = try CLI.run(["passes"])
    #expect(r.status == 0 && r.stderr.isEmpty)
    try CLI.expectGolden(r.stdout, "passes.txt")
    // Every pass named is accepted by --stop-after (the names are real pipeline names).
    #expect(r.stdout.contains("InsertMoD") && r.stdout.contains("optional"))
  }

  @Test func passesJSONListsTheSameOrder() throws {
    let text = try CLI.run(["passes"]).stdout
    let json = try CLI.run(["passes", "--json"]).stdout
    let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
    let names = entries.compactMap { $0["name"] as? String }
    #expect(names.count == 12)
    #expect(names.suffix(2) == ["PlaceConcatPieces", "FuseMoDSteps"])
    let tableNames = text.split(separator: "\n").dropFirst(2).prefix(names.count).map { $0.split(separator: " ")[1] }
    #expect(tableNames.map(String.init) == names)
  }

  /// `bench --json` reports every run (`times_ms`, in run order) next to the statistics computed from them, so tools
  /// can pool runs across interleaved rounds (tools/bench.py).
  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func benchJSONListsEveryRun() throws {
    let r = try CLI.run(["bench", Self.cifar, "--runs", "5", "--warmup", "1", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let times = try #require(obj["times_ms"] as? [Double])
    #expect(times.count == 5 && times.allSatisfy { $0 > 0 })
    #expect(obj["median_ms"] as? Double == times.sorted()[2])
    #expect(obj["min_ms"] as? Double == times.min())
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func statsListBlocksGolden() throws {
    let r = try CLI.run(["stats", "cifar_resnet20_op17.onnx", "--list-blocks"], in: CLI.fixtures)
    #expect(r.status == 0)
    try CLI.expectGolden(r.stdout, "stats-list-blocks-cifar.txt")
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func statsDiffGolden() throws {
    let r = try CLI.run(["stats", "cifar_resnet20_op17.onnx", "cifar_resnet20_op17.onnx"] + Self.mod, in: CLI.fixtures)
    #expect(r.status == 0, "\(r.stderr)")
    try CLI.expectGolden(r.stdout, "stats-diff-cifar.txt")
    // The totals agree with the reference MAC counts of the fixtures README.
    #expect(r.stdout.contains("40,813,184  26,713,376  -34.5%"))
  }

  @Test(.requires(FileManager.default.fileExists(
    atPath: CLI.fixtures?.appendingPathComponent("mod/cifar_resnet20_mod_c16.onnx").path ?? ""), "shared/fixtures/mod"))
  func statsDiffOfPlainVsExportedMoDMatchesInsertedMoD() throws {
    let exported = try CLI.run(["stats", "cifar_resnet20_op17.onnx", "mod/cifar_resnet20_mod_c16.onnx", "--json"],
      in: CLI.fixtures)
    let inserted = try CLI.run(["stats", "cifar_resnet20_op17.onnx", "cifar_resnet20_op17.onnx", "--json"] + Self.mod,
      in: CLI.fixtures)
    #expect(exported.status == 0 && inserted.status == 0)
    func rows(_ s: String) throws -> [String] {
      let o = try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
      let rows = try #require(o["rows"] as? [[String: Any]])
      return rows.map { r in
        let b = r["b"] as? [String: Any] ?? [:]
        return "\(r["block"] ?? "") \(b["kind"] ?? "") \(b["macs"] ?? "")"
      }
    }
    #expect(try rows(exported.stdout) == rows(inserted.stdout))
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures"), .requires(CLI.hasDot, "Graphviz dot (/usr/bin/dot)"))
  func vizSVGHasOneClusterPerBlockAndMoDColours() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let out = dir.path("cifar.svg")
    let r = try CLI.run(["viz", Self.cifar, "-o", out] + Self.mod)
    #expect(r.status == 0, "\(r.stderr)")
    let svg = try String(contentsOfFile: out, encoding: .utf8)
    #expect(svg.components(separatedBy: "class=\"cluster\"").count - 1 == 9)
    for block in ["layer1.0", "layer1.2", "layer2.0", "layer3.2"] { #expect(svg.contains("\(block) BasicBlock")) }
    // MoD clusters: labelled with c and k, filled orange (k/C = 1/16 for all three blocks).
    for (block, k, c) in [("layer1.1", 1, 16), ("layer2.1", 2, 32), ("layer3.1", 4, 64)] {
      #expect(svg.contains("\(block) MoD"))
      #expect(svg.contains("c=16 k=\(k) of C=\(c), first&#45;k"))  // dot escapes "-"
    }
    #expect(svg.components(separatedBy: "fill=\"#ffbd6b\"").count - 1 == 3)
    #expect(svg.contains("f32[1,16,32,32]"))  // tensor shapes on edges
    #expect(svg.contains("2,359,296 MACs"))  // per-node MACs
    #expect(dir.contents == ["cifar.svg"])  // no temporary left behind
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func vizCollapseDrawsOneNodePerBlock() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let out = dir.path("c.dot")
    let r = try CLI.run(["viz", Self.cifar, "--collapse", "-o", out] + Self.mod)
    #expect(r.status == 0, "\(r.stderr)")
    let dot = try String(contentsOfFile: out, encoding: .utf8)
    #expect(!dot.contains("subgraph"))
    let blockNodes = dot.split(separator: "\n").filter { $0.hasPrefix("  b") && $0.contains("shape=box3d") }
    #expect(blockNodes.count == 9)
    #expect(blockNodes.filter { $0.contains("MoD") }.count == 3)
    // No conv inside a block survives as its own node; the stem conv does.
    #expect(!dot.contains("/layer1/layer1.0/conv1/Conv"))
    #expect(dot.contains("/conv1/Conv"))
    // Parallel edges into a block (body + shortcut) are merged.
    let edges = dot.split(separator: "\n").filter { $0.contains(" -> ") }
    #expect(Set(edges).count == edges.count)
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func vizWithoutDotFailsClearlyAndWritesNothing() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let r = try CLI.run(["viz", Self.cifar, "-o", dir.path("m.png")], environment: ["PATH": dir.path("bin")])
    #expect(r.status == 1)
    #expect(r.stderrLines.count == 1 && r.stderr.contains("Graphviz 'dot' not found"))
    #expect(dir.contents.isEmpty)
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func vizLeavesNoPartialOutputWhenDotFails() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let bin = dir.url.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    let fake = bin.appendingPathComponent("dot").path
    try "#!/bin/sh\necho '<svg partial'\necho 'Error: syntax error in line 1' >&2\nexit 3\n"
      .write(toFile: fake, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
    let out = dir.url.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let r = try CLI.run(["viz", Self.cifar, "-o", out.appendingPathComponent("m.svg").path],
      environment: ["PATH": bin.path])
    #expect(r.status == 1)
    #expect(r.stderrLines.count == 1 && r.stderr.contains("dot failed (status 3): Error: syntax error"))
    #expect((try FileManager.default.contentsOfDirectory(atPath: out.path)).isEmpty)
  }

  @Test func vizRejectsUnknownExtension() throws {
    let r = try CLI.run(["viz", "m.onnx", "-o", "m.jpg"])
    #expect(r.status == 2 && r.stderr.contains(".svg, .png or .dot"))
  }
}
