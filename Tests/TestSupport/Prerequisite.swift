import Foundation
import Synchronization
import Testing

/// Something a test needs from outside the package: a fixture, the generated models, the built `modc`, python3 with
/// onnxruntime, a C compiler, `dot`. Attach it as a trait — `@Test(.requires(Env.fixtures != nil, "shared/fixtures"))`
/// — instead of returning early from the test body (a test never passes by returning early; see Tests/README.md).
///
/// The condition is evaluated before the test runs:
/// - present: the test runs;
/// - missing: the test is skipped with "missing: …" (as `.enabled(if:)` would skip it);
/// - missing with `MODC_REQUIRE_MODELS=1` (`make test`, CI): the test fails with "missing: …" and its body does not run.
///
/// On a suite it applies to every test in it. Inside the body, unwrap the prerequisite with `try #require(…)`.
public struct Prerequisite: TestTrait, SuiteTrait {
  /// What is needed, for the skip reason and the failure ("shared/fixtures", "python3 with onnxruntime").
  public var what: String
  var isPresent: @Sendable () -> Bool

  public var isRecursive: Bool { true }

  /// Whether a missing prerequisite fails instead of skipping: `MODC_REQUIRE_MODELS=1`, which `make test` sets.
  public static var required: Bool { ProcessInfo.processInfo.environment["MODC_REQUIRE_MODELS"] == "1" }

  public func prepare(for test: Test) async throws {
    if isPresent() { return }
    if Self.required { throw MissingPrerequisite(what: what) }
    try await ConditionTrait.enabled(if: false, Comment(rawValue: "missing: \(what)")).prepare(for: test)
  }
}

/// The failure of a test whose prerequisite is missing under `MODC_REQUIRE_MODELS=1`.
public struct MissingPrerequisite: Error, CustomStringConvertible {
  public var what: String
  public var description: String { "missing: \(what) (required: MODC_REQUIRE_MODELS=1)" }
}

extension Trait where Self == Prerequisite {
  /// The test needs `what`; `present` says whether it is there (evaluated before the test runs).
  public static func requires(_ present: @autoclosure @escaping @Sendable () -> Bool, _ what: String) -> Self {
    Prerequisite(what: what, isPresent: present)
  }
}

/// Lookups shared by the prerequisite conditions of several test targets.
public enum Prerequisites {
  /// The absolute path of executable `name` on PATH, or nil.
  public static func onPath(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let p = "\(dir)/\(name)"
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
  }

  /// Whether `python3 -c "import <modules>"` succeeds (cached per module list).
  public static func python(imports modules: String) -> Bool {
    pythonCache.withLock { cache in
      if let known = cache[modules] { return known }
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      p.arguments = ["python3", "-c", "import \(modules)"]
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      var ok = false
      if (try? p.run()) != nil {
        p.waitUntilExit()
        ok = p.terminationStatus == 0
      }
      cache[modules] = ok
      return ok
    }
  }

  private static let pythonCache = Mutex<[String: Bool]>([:])
}
