#if canImport(Glibc)
import Glibc
#endif

/// Every subcommand, in the order `modc --help` lists them.
let commands: [any Command.Type] = [
  DumpCommand.self,
  StatsCommand.self,
  ConvertCommand.self,
  EmitCCommand.self,
  RunCommand.self,
  BenchCommand.self,
  VerifyCommand.self,
  ExportONNXCommand.self,
  VizCommand.self,
  PassesCommand.self,
  CompletionCommand.self,
]

/// The version printed by `modc --version` and recorded in plans and emitted C.
let modcVersion = "0.1.0"

@MainActor
func topLevelHelp() -> String {
  var lines = [
    "modc \(modcVersion) — compile ONNX ResNets (optionally with CNN Mixture-of-Depths) to plans or C.",
    "", "USAGE: modc <command> [options]", "", "COMMANDS:",
  ]
  for c in commands { lines.append("  " + c.name + String(repeating: " ", count: max(1, 14 - c.name.count)) + c.summary) }
  lines += ["", "Run 'modc <command> --help' (or 'modc help <command>') for a command's options."]
  return lines.joined(separator: "\n")
}

/// Writes one line to stderr.
func printError(_ message: String) {
  var s = message
  if !s.hasSuffix("\n") { s += "\n" }
  writeStderr(s)
}

@MainActor
func runMain() -> Int32 {
  var argv = Array(CommandLine.arguments.dropFirst())
  guard let first = argv.first else {
    print(topLevelHelp())
    return 2
  }
  if first == "--help" || first == "-h" {
    print(topLevelHelp())
    return 0
  }
  if first == "--version" {
    print("modc \(modcVersion)")
    return 0
  }
  if first == "help" {
    guard argv.count > 1 else {
      print(topLevelHelp())
      return 0
    }
    argv = [argv[1], "--help"]
  }
  guard let cmd = commands.first(where: { $0.name == argv[0] }) else {
    printError("modc: error: unknown command '\(argv[0])' (run 'modc --help')")
    return 2
  }
  let rest = Array(argv.dropFirst())
  if rest.contains("--help") || rest.contains("-h") {
    print(cmd.help)
    return 0
  }
  do {
    let parsed = try parseArguments(rest, specs: cmd.options)
    try runWithMemoryLimit(cmd, parsed)
    return 0
  } catch let e as UsageError {
    printError("modc \(cmd.name): error: \(e.description)")
    return 2
  } catch {
    printError("modc \(cmd.name): error: \(oneLine(error))")
    return 1
  }
}

/// Renders any error as a single line.
func oneLine(_ error: any Error) -> String {
  String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
}

exit(runMain())
