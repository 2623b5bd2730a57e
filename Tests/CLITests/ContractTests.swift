import Foundation
import TestSupport
import Testing

/// The CLI contract every command keeps: --help, unknown options, missing files, no partial outputs.
@Suite(.requires(CLI.hasBinary, CLI.built)) struct ContractTests {
  @Test func commandListMatchesHelp() throws {
    let r = try CLI.run(["--help"])
    #expect(r.status == 0)
    let listed = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).drop { $0 != "COMMANDS:" }.dropFirst()
      .prefix { !$0.isEmpty }.compactMap { $0.split(separator: " ").first.map(String.init) }
    #expect(listed == CLI.commands)
  }

  @Test(arguments: CLI.commands) func helpExitsZero(_ command: String) throws {
    let r = try CLI.run([command, "--help"])
    #expect(r.status == 0)
    #expect(r.stdout.hasPrefix("USAGE: modc \(command)"))
    #expect(r.stderr.isEmpty)
    // `modc help CMD` prints the same text.
    let h = try CLI.run(["help", command])
    #expect(h.status == 0 && h.stdout == r.stdout)
  }

  @Test(arguments: CLI.commands) func unknownOptionIsOneLineAndExitTwo(_ command: String) throws {
    let r = try CLI.run([command, "--no-such-option"])
    #expect(r.status == 2)
    #expect(r.stderrLines.count == 1)
    #expect(r.stderr.contains("unknown option '--no-such-option'"))
    #expect(r.stdout.isEmpty)
  }

  @Test func unknownCommandIsOneLineAndExitTwo() throws {
    let r = try CLI.run(["frobnicate"])
    #expect(r.status == 2)
    #expect(r.stderrLines.count == 1 && r.stderr.contains("unknown command 'frobnicate'"))
  }

  /// Arguments that make each model-reading command read `model` and write into `dir`.
  static func argumentsReading(_ command: String, model: String, dir: TempDir) throws -> [String]? {
    switch command {
    case "dump", "stats": return [command, model, "-o", dir.path("out.txt")]
    case "convert": return [command, model, "-o", dir.path("m.modplan")]
    case "export-onnx": return [command, model, "-o", dir.path("m.onnx")]
    case "viz": return [command, model, "-o", dir.path("m.dot")]
    case "bench": return [command, model, "--runs", "1"]
    case "verify": return [command, model]
    case "emit-c": return [command, model, "-o", dir.path("c-project")]
    case "run":
      let x = try dir.writeNPY("x.npy", shape: [1, 3, 8, 8])
      return [command, model, "--input", x, "-o", dir.path("y.npy")]
    default: return nil  // passes, completion read no model
    }
  }

  /// The commands that read a model (`passes` and `completion` read none).
  static let modelCommands = CLI.commands.filter { !["passes", "completion"].contains($0) }

  @Test(arguments: modelCommands) func missingModelNamesTheFileAndWritesNothing(_ command: String) throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let missing = dir.path("no-such-model.onnx")
    let args = try #require(try Self.argumentsReading(command, model: missing, dir: dir), "\(command) reads no model")
    let before = Set(dir.contents)
    let r = try CLI.run(args)
    #expect(r.status != 0)
    #expect(r.stderrLines.count == 1)
    #expect(r.stderr.contains("no-such-model.onnx"))
    #expect(Set(dir.contents) == before, "a failing \(command) left files behind")
  }

  @Test func missingInputNPYIsNamed() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let r = try CLI.run(["run", dir.path("model.onnx"), "--input", dir.path("absent.npy")])
    #expect(r.status != 0 && r.stderrLines.count == 1 && r.stderr.contains("absent.npy"))
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func badCapacityLeavesTheOutputDirectoryEmpty() throws {
    let model = try #require(CLI.fixtures).appendingPathComponent("cifar_resnet20_op17.onnx").path
    for (command, out) in [("convert", "m.modplan"), ("export-onnx", "m.onnx"), ("viz", "m.svg"), ("stats", "s.txt")] {
      let dir = try TempDir()
      defer { dir.remove() }
      let r = try CLI.run([command, model, "--capacity", "0", "-o", dir.path(out)])
      #expect(r.status == 2, "\(command)")
      #expect(r.stderrLines.count == 1 && r.stderr.contains("--capacity"), "\(command)")
      #expect(dir.contents.isEmpty, "\(command) left \(dir.contents)")
    }
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func verboseIsAcceptedByTransformingCommands() throws {
    let model = try #require(CLI.fixtures).appendingPathComponent("cifar_resnet20_op17.onnx").path
    let dir = try TempDir()
    defer { dir.remove() }
    let mod = ["--mod-every", "2", "--capacity", "16", "--verbose"]
    for args in [["convert", model, "-o", dir.path("m.modplan")], ["export-onnx", model, "-o", dir.path("m.onnx")],
      ["stats", model]]
    {
      let r = try CLI.run(args + mod)
      #expect(r.status == 0, "\(args[0]): \(r.stderr)")
      #expect(r.stderr.contains("layer1.1: MoD with C=16, capacity=16, k=1"), "\(args[0]) printed no remarks")
    }
  }
}
