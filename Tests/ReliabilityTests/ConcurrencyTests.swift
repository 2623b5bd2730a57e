import Codegen
import Foundation
import GraphIR
import TestSupport
import Testing

/// One `Executable` loaded from a plan file, run from many threads at once, each with its own `ExecutionContext`:
/// every result must be bit-identical to a sequential run with the same thread count, within a time bound.
@Suite(.serialized, .requires(Env.cifarModel != nil, Env.cifarWhat)) struct ConcurrencyTests {
  /// A plan for the CIFAR fixture written to a file and loaded back (weights mmap'ed), plus its input.
  static func loadPlan(_ dir: TempDir) throws -> (Executable, [Float]) {
    let (model, inputPath) = try #require(Env.cifarModel, "needs ../shared/fixtures or the generated models (make models)")
    let lowered = try Lowering.lower(try compiledGraph(model))
    let path = dir.file("cifar.modplan")
    try Plan.write(lowered, metadata: [("producer", "reliability test")], producer: "test", to: path)
    let exe = try Plan.load(path: path).0
    return (exe, try NPY.read(inputPath).floats)
  }

  static func run(_ exe: Executable, threads: Int, input: [Float]) throws -> [Float] {
    let ctx = try ExecutionContext(exe, threads: threads)
    var out = [Float](repeating: .nan, count: exe.outputShapes[0].reduce(1, *))
    try input.withUnsafeBytes { i in
      try out.withUnsafeMutableBytes { o in
        guard let ib = i.baseAddress, let ob = o.baseAddress else { return }
        try ctx.run(inputs: [ib], outputs: [ob])
      }
    }
    return out
  }

  /// Starts one OS thread per entry of `threadCounts` (the count each context uses), each running `runs` times;
  /// returns every output, or records an issue if they do not all finish within `timeout` seconds.
  static func concurrentRuns(
    _ exe: Executable, input: [Float], threadCounts: [Int], runs: Int, timeout: Double = 120
  ) -> [[[Float]]]? {
    final class Results: @unchecked Sendable {
      let lock = NSLock()
      var outputs: [[[Float]]]
      var errors: [String] = []
      init(_ n: Int) { outputs = Array(repeating: [], count: n) }
    }
    let results = Results(threadCounts.count)
    let done = DispatchSemaphore(value: 0)
    let start = DispatchSemaphore(value: 0)
    for (t, count) in threadCounts.enumerated() {
      let thread = Thread {
        start.wait()  // all threads begin together
        for _ in 0..<runs {
          do {
            let y = try run(exe, threads: count, input: input)
            results.lock.withLock { results.outputs[t].append(y) }
          } catch {
            results.lock.withLock { results.errors.append("\(error)") }
          }
        }
        done.signal()
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
    for _ in threadCounts { start.signal() }
    let deadline = DispatchTime.now() + timeout
    for _ in threadCounts where done.wait(timeout: deadline) == .timedOut {
      Issue.record("concurrent runs did not finish within \(timeout) s")
      return nil
    }
    #expect(results.errors.isEmpty, "\(results.errors)")
    return results.outputs
  }

  @Test func eightThreadsShareOneExecutable() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let (exe, input) = try Self.loadPlan(dir)
    let reference = [1: try Self.run(exe, threads: 1, input: input), 2: try Self.run(exe, threads: 2, input: input)]
    #expect(reference[1]?.contains { $0.isNaN } == false)
    let counts = [1, 2, 1, 2, 1, 2, 1, 2]
    let runs = 3
    let t0 = Date()
    let outputs = try #require(Self.concurrentRuns(exe, input: input, threadCounts: counts, runs: runs))
    var identical = 0
    for (t, count) in counts.enumerated() {
      #expect(outputs[t].count == runs)
      for y in outputs[t] {
        #expect(y == reference[count], "thread \(t) (\(count) kernel threads) differs from the sequential run")
        if y == reference[count] { identical += 1 }
      }
    }
    print("[concurrency] 8 OS threads × \(runs) runs (contexts of 1 and 2 threads): \(identical)/\(counts.count * runs) "
      + "bit-identical to sequential, \(String(format: "%.2f", Date().timeIntervalSince(t0))) s")
  }

  @Test func twoContextsOfTwoThreads() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let (exe, input) = try Self.loadPlan(dir)
    let reference = try Self.run(exe, threads: 2, input: input)
    let outputs = try #require(Self.concurrentRuns(exe, input: input, threadCounts: [2, 2], runs: 5))
    let all = outputs.flatMap { $0 }
    #expect(all.count == 10)
    #expect(all.allSatisfy { $0 == reference })
    print("[concurrency] 2 contexts × 2 threads × 5 runs: \(all.filter { $0 == reference }.count)/10 bit-identical")
  }
}
