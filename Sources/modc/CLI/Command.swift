/// One `modc` subcommand: its name, help, option specs and body.
protocol Command {
  static var name: String { get }
  static var summary: String { get }
  static var usage: String { get }
  static var options: [OptionSpec] { get }
  static var details: String { get }
  /// Runs the command; throws `UsageError` for bad usage, anything else for failures.
  static func run(_ args: ParsedArguments) throws
}

extension Command {
  static var details: String { "" }
  static var help: String { helpText(usage: usage, summary: summary, specs: options, details: details) }
}

/// Exactly `n` positional arguments, else a usage error naming what is expected.
func expectPositionals(_ args: ParsedArguments, _ names: [String]) throws -> [String] {
  guard args.positionals.count == names.count else {
    if args.positionals.count < names.count {
      throw UsageError("missing argument <\(names[args.positionals.count])>")
    }
    throw UsageError("unexpected argument '\(args.positionals[names.count])'")
  }
  return args.positionals
}
