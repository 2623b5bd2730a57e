/// A usage error: bad flag, missing value, wrong positional count. Exit code 2.
struct UsageError: Error, CustomStringConvertible {
  var message: String
  init(_ message: String) { self.message = message }
  var description: String { message }
}

/// Declares one option of a command: `--name VALUE` or a boolean `--flag`.
struct OptionSpec {
  enum Kind { case flag, value, repeated }
  var name: String
  var short: String?
  var kind: Kind
  var valueName: String
  var help: String
  var defaultDescription: String?

  static func flag(_ name: String, short: String? = nil, _ help: String) -> OptionSpec {
    OptionSpec(name: name, short: short, kind: .flag, valueName: "", help: help, defaultDescription: nil)
  }

  static func value(
    _ name: String, short: String? = nil, _ valueName: String, _ help: String, default d: String? = nil
  ) -> OptionSpec {
    OptionSpec(name: name, short: short, kind: .value, valueName: valueName, help: help, defaultDescription: d)
  }

  static func repeated(_ name: String, _ valueName: String, _ help: String) -> OptionSpec {
    OptionSpec(name: name, short: nil, kind: .repeated, valueName: valueName, help: help, defaultDescription: nil)
  }
}

/// Parsed command line of one subcommand: positionals plus typed accessors for options.
struct ParsedArguments {
  var positionals: [String] = []
  var values: [String: [String]] = [:]
  var flags: Set<String> = []

  func flag(_ name: String) -> Bool { flags.contains(name) }
  func string(_ name: String) -> String? { values[name]?.last }
  func strings(_ name: String) -> [String] { values[name] ?? [] }

  /// An integer option, validated against `range`.
  func int(_ name: String, default d: Int? = nil, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
    guard let s = string(name) else { return d }
    guard let v = Int(s) else { throw UsageError("\(name) expects an integer, got '\(s)'") }
    guard range.contains(v) else {
      throw UsageError("\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(v)")
    }
    return v
  }

  /// One of a fixed set of choices.
  func choice(_ name: String, _ choices: [String], default d: String) throws -> String {
    guard let s = string(name) else { return d }
    guard choices.contains(s) else {
      throw UsageError("\(name) must be one of \(choices.joined(separator: "|")), got '\(s)'")
    }
    return s
  }
}

/// Parses `args` against `specs`. `--name=value` and `--name value` are both accepted; `--` ends options.
func parseArguments(_ args: [String], specs: [OptionSpec]) throws -> ParsedArguments {
  var out = ParsedArguments()
  var byName: [String: OptionSpec] = [:]
  for s in specs {
    byName[s.name] = s
    if let sh = s.short { byName[sh] = s }
  }
  var i = 0
  var onlyPositionals = false
  while i < args.count {
    let a = args[i]
    i += 1
    if onlyPositionals || !a.hasPrefix("-") || a == "-" {
      out.positionals.append(a)
      continue
    }
    if a == "--" {
      onlyPositionals = true
      continue
    }
    var name = a
    var inline: String?
    if let eq = a.firstIndex(of: "="), a.hasPrefix("--") {
      name = String(a[..<eq])
      inline = String(a[a.index(after: eq)...])
    }
    guard let spec = byName[name] else { throw UsageError("unknown option '\(name)' (see --help)") }
    switch spec.kind {
    case .flag:
      if inline != nil { throw UsageError("option '\(spec.name)' takes no value") }
      out.flags.insert(spec.name)
    case .value, .repeated:
      let v: String
      if let inline { v = inline }
      else {
        guard i < args.count else { throw UsageError("option '\(spec.name)' needs a value <\(spec.valueName)>") }
        v = args[i]
        i += 1
      }
      if spec.kind == .value { out.values[spec.name] = [v] } else { out.values[spec.name, default: []].append(v) }
    }
  }
  return out
}

/// Renders `--help` text for a command from its specs.
func helpText(usage: String, summary: String, specs: [OptionSpec], details: String = "") -> String {
  var lines = ["USAGE: \(usage)", "", summary, ""]
  if !specs.isEmpty {
    lines.append("OPTIONS:")
    for s in specs {
      var left = "  " + (s.short.map { "\($0), " } ?? "") + s.name
      if s.kind != .flag { left += " <\(s.valueName)>" }
      let pad = max(1, 34 - left.count)
      var h = s.help
      if let d = s.defaultDescription { h += " (default: \(d))" }
      if s.kind == .repeated { h += " (repeatable)" }
      lines.append(left + String(repeating: " ", count: pad) + h)
    }
    lines.append("  -h, --help" + String(repeating: " ", count: 34 - 12) + "Show this help.")
  }
  if !details.isEmpty { lines += ["", details] }
  return lines.joined(separator: "\n")
}
