import Foundation
import FuzzDrivers
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A family of generated cases: `count` inputs, each made by `make` from a fresh per-case generator.
struct Strategy {
  var label: String
  var count: Int
  var make: (inout SplitMix64) -> [UInt8]

  /// `count` cases, each a random seed with 1–`maxSteps` mutations of `mutate` stacked on it.
  static func mutating(
    _ label: String, count: Int, seeds: [[UInt8]], maxSteps: Int = 3,
    _ mutate: @escaping (inout [UInt8], inout SplitMix64) -> Void
  ) -> Strategy {
    Strategy(label: label, count: seeds.isEmpty ? 0 : count) { rng in
      var b = rng.pick(seeds)
      for _ in 0..<(1 + rng.below(maxSteps)) { mutate(&b, &rng) }
      return b
    }
  }
}

/// What a campaign saw.
struct CampaignReport: CustomStringConvertible {
  var format: String
  var cases = 0
  var accepted = 0
  var rejectedByStage: [String: Int] = [:]
  var maxSeconds = 0.0
  var maxCase = ""
  var totalSeconds = 0.0
  var largestInput = 0
  var peakRSSMiB = 0.0

  var description: String {
    let stages = rejectedByStage.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    return "fuzz[\(format)]: \(cases) cases in \(fmt(totalSeconds)) s, accepted \(accepted), rejected {\(stages)}, "
      + "max case \(fmt(maxSeconds * 1000)) ms (\(maxCase)), largest input \(largestInput) B, "
      + "peak RSS \(fmt(peakRSSMiB)) MiB, crashes 0, hangs 0"
  }

  private func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
}

/// Runs strategies against one format, case by case, with a reproducible seed per case.
///
/// A crash cannot be caught in-process, so before each case the campaign records "format, strategy, index, seed"
/// where a fatal-signal handler prints it, and a watchdog thread aborts with the same note when one case runs for
/// longer than `hangSeconds`. `FUZZ_CASE=<format>:<index>` replays a single case
/// (and `FUZZ_DUMP=<file>` writes its input, e.g. for the libFuzzer binary).
struct Campaign {
  var format: FuzzFormat
  var baseSeed: UInt64
  var strategies: [Strategy]

  func run() -> CampaignReport {
    var report = CampaignReport(format: format.name)
    let only = Campaign.replayIndex(for: format.name)
    var index = 0
    let slot = CrashNotes.slot(for: format.name)
    let clock = ContinuousClock()
    let started = clock.now
    for s in strategies {
      for _ in 0..<s.count {
        defer { index += 1 }
        if let only, only != index { continue }
        let seed = SplitMix64.caseSeed(base: baseSeed, index: index)
        var rng = SplitMix64(seed: seed)
        CrashNotes.set(slot, "\(format.name):\(index) strategy=\(s.label) seed=0x\(String(seed, radix: 16)) (generating)")
        let input = s.make(&rng)
        let label = "\(format.name):\(index) strategy=\(s.label) seed=0x\(String(seed, radix: 16)) bytes=\(input.count)"
        CrashNotes.set(slot, label)
        if only != nil, let dump = ProcessInfo.processInfo.environment["FUZZ_DUMP"] {
          FileManager.default.createFile(atPath: dump, contents: Data(input))  // the replayed case, for a driver
        }
        let t0 = clock.now
        let outcome = format.run(input)
        let dt = (clock.now - t0) / .seconds(1)
        CrashNotes.clear(slot)
        report.cases += 1
        report.largestInput = max(report.largestInput, input.count)
        if dt > report.maxSeconds { (report.maxSeconds, report.maxCase) = (dt, label) }
        switch outcome {
        case .accepted: report.accepted += 1
        case .rejected(let stage, _): report.rejectedByStage[stage, default: 0] += 1
        }
        if only != nil { print("replay \(label): \(outcome)") }
      }
    }
    report.totalSeconds = (clock.now - started) / .seconds(1)
    report.peakRSSMiB = peakRSSMiB()
    return report
  }

  /// The index from `FUZZ_CASE=<format>:<index>` when it names this format.
  static func replayIndex(for format: String) -> Int? {
    guard let v = ProcessInfo.processInfo.environment["FUZZ_CASE"] else { return nil }
    let parts = v.split(separator: ":")
    guard parts.count == 2, parts[0] == format else { return nil }
    return Int(parts[1])
  }
}

extension Duration {
  static func / (a: Duration, b: Duration) -> Double {
    let (s, a) = (Double(a.components.seconds), Double(a.components.attoseconds) * 1e-18)
    let (t, c) = (Double(b.components.seconds), Double(b.components.attoseconds) * 1e-18)
    return (s + a) / (t + c)
  }
}

/// Peak resident set size of this process so far (all tests in it), in MiB.
func peakRSSMiB() -> Double {
  var u = rusage()
  getrusage(Int32(RUSAGE_SELF.rawValue), &u)
  return Double(u.ru_maxrss) / 1024  // ru_maxrss is in KiB on Linux
}
