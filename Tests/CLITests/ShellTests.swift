import Foundation
import TestSupport
import Testing

/// Completion scripts, generated docs and the progress line.
@Suite(.requires(CLI.hasBinary, CLI.built)) struct ShellTests {
  @Test(arguments: ["bash", "zsh"]) func completionMentionsEveryCommand(_ shell: String) throws {
    let r = try CLI.run(["completion", shell])
    #expect(r.status == 0)
    for c in CLI.commands + ["help"] { #expect(r.stdout.contains(c), "\(shell) script lacks \(c)") }
    for option in ["--collapse", "--mod-every", "--list-blocks", "--router-weights"] {
      #expect(r.stdout.contains(option), "\(shell) script lacks \(option)")
    }
  }

  @Test func completionRejectsUnknownShell() throws {
    let r = try CLI.run(["completion", "fish"])
    #expect(r.status == 2 && r.stderrLines.count == 1 && r.stderr.contains("fish"))
  }

  /// Sources the bash script and asks it to complete `words`; returns COMPREPLY.
  func bashComplete(_ words: [String]) throws -> [String] {
    let script = try CLI.run(["completion", "bash"]).stdout
    let dir = try TempDir()
    defer { dir.remove() }
    let path = dir.path("modc.bash")
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    let quoted = words.map { "'\($0)'" }.joined(separator: " ")
    let cmd = "source '\(path)'; COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); _modc; printf '%s\\n' \"${COMPREPLY[@]}\""
    let r = try CLI.run(["-c", cmd], in: dir.url, executable: "/bin/bash")
    #expect(r.status == 0, "\(r.stderr)")
    return r.stdout.split(separator: "\n").map(String.init)
  }

  @Test func bashCompletesCommandsAndOptions() throws {
    #expect(try bashComplete(["modc", "vi"]) == ["viz"])
    #expect(try bashComplete(["modc", "viz", "--col"]) == ["--collapse"])
    #expect(try bashComplete(["modc", "completion", "z"]) == ["zsh"])
    #expect(try bashComplete(["modc", "help", "exp"]) == ["export-onnx"])
  }

  // An optional prerequisite: zsh is not part of `make deps`, so the test is skipped without it, in CI too.
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/zsh"), "zsh not installed"))
  func zshScriptParses() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let path = dir.path("_modc")
    try CLI.run(["completion", "zsh"]).stdout.write(toFile: path, atomically: true, encoding: .utf8)
    let r = try CLI.run(["-n", path], executable: "/usr/bin/zsh")
    #expect(r.status == 0, "\(r.stderr)")
  }

  /// The committed docs/cli.md and completions/ are what tools/gen-cli-docs.sh makes from this binary.
  @Test func generatedFilesAreUpToDate() throws {
    let root = CLI.packageRoot
    for (file, args) in [("completions/modc.bash", ["completion", "bash"]), ("completions/_modc", ["completion", "zsh"])] {
      let committed = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
      #expect(committed == (try CLI.run(args)).stdout, "\(file) is stale: run tools/gen-cli-docs.sh")
    }
    let docs = try String(contentsOf: root.appendingPathComponent("docs/cli.md"), encoding: .utf8)
    for c in CLI.commands {
      let help = try CLI.run([c, "--help"]).stdout
      #expect(docs.contains("## modc \(c)\n\n```\n" + help + "```\n"), "docs/cli.md is stale for \(c)")
    }
  }

  static var hasScript: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/script") }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures")) func noProgressWhenStderrIsNotATerminal() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let model = try #require(CLI.fixtures).appendingPathComponent("cifar_resnet20_op17.onnx").path
    let r = try CLI.run(["convert", model, "-o", dir.path("m.modplan")])
    #expect(r.status == 0)
    #expect(!r.stderr.contains("\r") && r.stderr.isEmpty)
  }

  /// Runs convert under `script` (a pseudo-terminal) and returns everything the terminal saw.
  func convertOnTerminal(_ extra: [String]) throws -> String {
    let dir = try TempDir()
    defer { dir.remove() }
    let model = try #require(CLI.fixtures).appendingPathComponent("cifar_resnet20_op17.onnx").path
    let cmd = ([CLI.binary, "convert", model, "-o", dir.path("m.modplan")] + extra).map { "'\($0)'" }.joined(separator: " ")
    let r = try CLI.run(["-qec", cmd, "/dev/null"], executable: "/usr/bin/script")
    #expect(r.status == 0, "\(r.stderr)")
    return r.stdout
  }

  @Test(.requires(CLI.hasFixtures, "shared/fixtures"), .requires(hasScript, "script (util-linux)"))
  func progressLineOnATerminal() throws {
    let tty = try convertOnTerminal([])
    for stage in ["loading cifar_resnet20_op17.onnx", "optimising", "lowering", "writing"] {
      #expect(tty.contains("\rmodc convert: \(stage)"), "no '\(stage)' status")
    }
    // The line is erased before the result is printed.
    #expect(tty.contains("\r\u{1B}[Kwrote "))
    let quiet = try convertOnTerminal(["--quiet"])
    #expect(!quiet.contains("modc convert:"))
  }
}
