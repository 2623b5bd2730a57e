import Foundation
import Testing

/// A test never passes by returning early: a missing fixture, model or program is a `.requires(…)` trait (skipped
/// locally, a failure under MODC_REQUIRE_MODELS=1), never `guard <prerequisite> else { return }` in the body and
/// never a plain `.enabled(if:)` (which skips in CI too). See Tests/README.md.
@Suite struct TestHygieneTests {
  /// Words that name a prerequisite from outside the package.
  static let prerequisite =
    #"fixture|MODC_MODELS|modelsDir|manifest\(|Env\.modc|modc\s*!=|compiler|python|onnxruntime|fileExists|isExecutableFile|which\(|hasDot|runDot|cifarModel|hasModels"#

  /// The early return of a test (or of a Void helper): `return`, or an empty list a test would loop over.
  /// (Lookups that answer nil or false are fine: the test's trait or `#require` decides.)
  static let silentReturn = #"^\s*return(\s+(\[\]|""))?\s*;?\s*\}?\s*$"#

  static func matches(_ text: some StringProtocol, _ pattern: String) -> Bool {
    text.range(of: pattern, options: [.regularExpression, .caseInsensitive]) != nil
  }

  /// The findings in one file's text: `line: reason`.
  static func lint(_ text: String) -> [String] {
    let lines = text.components(separatedBy: "\n")
    var findings: [String] = []
    for (i, raw) in lines.enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("//") { continue }
      // `.enabled(if: <prerequisite>)` skips in CI too; an optional tool says so in the comment above.
      if line.contains(".enabled(if:") {
        let statement = lines[i..<min(i + 3, lines.count)].joined(separator: " ")
        let previous = i > 0 ? lines[i - 1] : ""
        if matches(statement.components(separatedBy: ".enabled(if:")[1].prefix(160), prerequisite),
          !previous.contains("optional prerequisite")
        {
          findings.append("\(i + 1): .enabled(if:) on a prerequisite: use .requires(…, \"what\")")
        }
      }
      // `guard <prerequisite> else { return }` / `if <prerequisite missing> { return }`.
      guard line.hasPrefix("guard ") || line.hasPrefix("if ") else { continue }
      var statement = ""
      var j = i
      let opener = line.hasPrefix("guard ") ? "else {" : "{"
      while j < min(i + 8, lines.count) {
        statement += " " + lines[j].trimmingCharacters(in: .whitespaces)
        if statement.contains(opener) { break }
        j += 1
      }
      guard let open = statement.range(of: opener) else { continue }
      let condition = statement[..<open.lowerBound]
      var body = [String(statement[open.upperBound...])]
      if body[0].trimmingCharacters(in: .whitespaces).isEmpty {
        body = lines[(j + 1)..<min(j + 5, lines.count)].prefix { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("}") }
      }
      let recorded = body.contains { matches($0, #"Issue\.record|#expect|#require|throw "#) }
      let gated = body.contains { matches($0, "requireModels|MODC_REQUIRE_MODELS") }
      let returns = body.contains { matches($0, silentReturn) }
      if matches(condition, prerequisite), returns, !recorded || gated {
        findings.append("\(i + 1): returns early when a prerequisite is missing: use .requires(…) and #require")
      }
    }
    return findings
  }

  @Test func lintFlagsEarlyReturnsOnMissingPrerequisites() {
    let q = "\"", r = "return"
    let flagged = [
      "  guard let fx = Env.fixtures, let cc = Env.compilers.first else { \(r) }",
      "  guard FileManager.default.fileExists(atPath: path) else { \(r) }",
      "  guard let f = Conformance.fixturesDir else { \(r) }",
      "  guard pythonHasNumpy else { \(r) }",
      "  guard let path = Fixtures.path(name + \(q).onnx\(q)), let input = Fixtures.path(name)\n    else { \(r) }",
      "  guard FileManager.default.fileExists(atPath: plain) else {\n    #expect(!Conformance.requireModels)\n    \(r)\n  }",
      "  if ProcessInfo.processInfo.environment[\(q)MODC_MODELS\(q)] == nil { \(r) }",
      "  @Test(.enabled(if: CLI.hasFixtures)) func f() {}",
      "  @Test(.enabled(if: hasOnnxRuntime), arguments: [1]) func f() {}",
    ]
    for text in flagged { #expect(Self.lint(text).count == 1, "not flagged: \(text)") }
    let clean = [
      "  guard !r.isEmpty else { \(r) }",
      "  guard let d = fixtures, FileManager.default.fileExists(atPath: d) else { \(r) nil }",
      "  guard let r = try? run(python3) else {\n    \(r) false\n  }",
      "  guard try emit(fx + \(q)/a.onnx\(q), [], to: dir) else { \(r) }",
      "  guard try make(dir, cc: cc, cflags: flags) else { \(r) }",
      "  guard FileManager.default.fileExists(atPath: p) else {\n    Issue.record(\(q)missing\(q))\n    \(r)\n  }",
      "  guard case .conv(let c) = g.nodes[0].op else { \(r) }",
      "  @Test(.requires(CLI.hasFixtures, \(q)shared/fixtures\(q))) func f() {}",
      "  // An optional prerequisite: zsh is not in make deps.\n  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: p)))",
      "  @Test(.enabled(if: modc_detect_isa() >= 3, \(q)no AVX-512\(q))) func f() {}",
    ]
    for text in clean { #expect(Self.lint(text).isEmpty, "flagged: \(text)") }
  }

  /// Every test file under Tests/ passes the lint.
  @Test func noTestReturnsEarlyOnAMissingPrerequisite() throws {
    let tests = Env.packageRoot + "/Tests"
    let files = try FileManager.default.subpathsOfDirectory(atPath: tests).filter { $0.hasSuffix(".swift") }
    #expect(files.count > 50)
    var findings: [String] = []
    for f in files where !f.hasSuffix("TestHygieneTests.swift") {
      let text = try String(contentsOfFile: tests + "/" + f, encoding: .utf8)
      findings += Self.lint(text).map { "Tests/\(f):\($0)" }
    }
    #expect(findings.isEmpty, "a test must not pass by returning early:\n\(findings.joined(separator: "\n"))")
  }
}
