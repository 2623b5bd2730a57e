import GraphIR

#if canImport(Glibc)
import Glibc
#endif

/// Observes a pipeline run: `--print-after`, `--print-after-all`, `--print-changed` and `--pass-timing` hook in here.
public struct PipelineObserver: Sendable {
  /// Called after each pass with its name, the graph after it, whether it changed the printed IR, and the seconds
  /// the pass took.
  public var afterPass: @Sendable (_ pass: String, _ graph: Graph, _ seconds: Double) -> Void
  public init(afterPass: @escaping @Sendable (_ pass: String, _ graph: Graph, _ seconds: Double) -> Void) {
    self.afterPass = afterPass
  }
}

/// An ordered list of passes, run with the verifier after every pass when `verifyEach` is set (debug and tests).
public struct Pipeline: Sendable {
  public var passes: [any Pass]
  /// Run `verify` after every pass and fail naming the pass that broke an invariant.
  public var verifyEach: Bool
  /// The graph checker run after each pass (the GraphIR verifier, injected so Passes stays free of policy).
  public var verify: (@Sendable (Graph) throws -> Void)?

  public init(_ passes: [any Pass], verifyEach: Bool = false, verify: (@Sendable (Graph) throws -> Void)? = nil) {
    self.passes = passes
    self.verifyEach = verifyEach
    self.verify = verify
  }

  /// Names of the passes, in order.
  public var names: [String] { passes.map { type(of: $0).name } }

  /// Runs every pass in order on `graph`; stops after the pass named `stopAfter` if given.
  public func run(
    on graph: inout Graph, context: inout PassContext, observer: PipelineObserver? = nil, stopAfter: String? = nil
  ) throws {
    for p in passes {
      let name = type(of: p).name
      let t0 = monotonicSeconds()
      try p.run(on: &graph, context: &context)
      let dt = monotonicSeconds() - t0
      if verifyEach, let verify {
        do { try verify(graph) } catch {
          throw PipelineError(pass: name, underlying: "\(error)")
        }
      }
      observer?.afterPass(name, graph, dt)
      if name == stopAfter { break }
    }
  }
}

/// A pass left the graph invalid: names the pass and the verifier's complaint.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
  public var pass: String
  public var underlying: String
  public var description: String { "after pass \(pass): \(underlying)" }
}

/// Seconds from a monotonic clock (for pass timing).
public func monotonicSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
