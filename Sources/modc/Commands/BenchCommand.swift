import Compiler
import Codegen
import GraphIR

/// `modc bench M [--threads N] [--runs R] [--json] [--profile]`: latency statistics of a plan or model.
enum BenchCommand: Command {
  static let name = "bench"
  static let summary = "Measure latency (median/min/p90), GFLOP/s and % of FP32 peak; --profile per layer."
  static let usage = "modc bench <model.modplan|model.onnx> [--threads N] [--runs R] [--warmup W] [--json] [--profile]"
  static let options: [OptionSpec] = [
    .value("--threads", "N", "Worker threads", default: "all cores"),
    .value("--runs", "R", "Timed runs", default: "30"),
    .value("--warmup", "W", "Untimed warm-up runs", default: "3"),
    .flag("--json", "Print one JSON object (median_ms, min_ms, p90_ms, runs, threads, gflops, peak_percent, times_ms, …)"),
    .flag("--profile", "Per-layer table: layer, op, MACs, ms (median over the runs), GFLOP/s, % of total"),
    .value("--trace", "out.json", "Write a Chrome trace (chrome://tracing, Perfetto) of one profiled run"),
    .flag("--force", "With MoD flags on a model that already has MoD blocks: add MoD to the remaining eligible blocks"),
  ] + batchOptions + targetOptions + modOptions + traceOptions + modelInputOptions

  static func run(_ args: ParsedArguments) throws {
    let path = try expectPositionals(args, ["model"])[0]
    let threads = try args.int("--threads", in: 1...256) ?? defaultThreadCount()
    let runs = try args.int("--runs", default: 30, in: 1...100_000) ?? 30
    let warmup = try args.int("--warmup", default: 3, in: 0...10_000) ?? 3
    let progress = Progress(command: name, args)
    defer { progress.finish() }
    let exe = try openExecutable(path, args, progress: progress)
    guard exe.inputShapes.count == 1 else { throw ModelLoadError(path: path, reason: "bench supports single-input models") }
    let ctx = try ExecutionContext(exe, threads: threads)
    var rng = UInt64(0x1234_5678)
    let input = (0..<exe.inputShapes[0].reduce(1, *)).map { _ -> Float in
      rng = rng &* 6364136223846793005 &+ 1442695040888963407
      return Float(Int64(bitPattern: rng >> 11) % 2000) / 1000 - 1
    }
    var outputs = exe.outputShapes.map { [Float](repeating: 0, count: $0.reduce(1, *)) }
    for w in 0..<warmup {
      progress.update("warm-up", step: w + 1, of: warmup)
      try runOnce(ctx, input: input, outputs: &outputs)
    }
    var times: [Double] = []
    for r in 0..<runs {
      progress.update("run", step: r + 1, of: runs)
      let t0 = clockNow()
      try runOnce(ctx, input: input, outputs: &outputs)
      times.append(clockNow() - t0)
    }
    progress.finish()
    let runOrder = times
    times.sort()
    let median = times[times.count / 2]
    let p90 = times[min(times.count - 1, Int(Double(times.count) * 0.9))]
    let macs = exe.schedule.macs
    let gflops = 2 * Double(macs) / median / 1e9
    let peak = Machine.peakGFLOPS() * Double(threads)
    let isa = Machine.isaName
    if args.flag("--profile") || args.string("--trace") != nil {
      ctx.profiling = true
      // Per-step median over the runs: one slow run (a noisy neighbour) must not inflate a layer.
      let reps = max(3, runs)
      var samples = [[Double]](repeating: [], count: exe.schedule.steps.count)
      for r in 0..<reps {
        progress.update("profiling run", step: r + 1, of: reps)
        try runOnce(ctx, input: input, outputs: &outputs)
        for i in samples.indices { samples[i].append(ctx.stepSeconds[i]) }
      }
      let total = samples.map { $0.sorted()[$0.count / 2] }
      ctx.profiling = false
      progress.finish()
      if let trace = args.string("--trace") { try AtomicFile.write(text: Profile.chromeTrace(exe.schedule, total), to: trace) }
      if args.flag("--profile") {
        print(args.flag("--json") ? Profile.json(exe.schedule, total) : Profile.table(exe.schedule, total))
        if args.flag("--json") { return }
      }
    }
    if args.flag("--json") {
      print("{\"model\":\(jsonString(path)),\"median_ms\":\(median * 1000),\"min_ms\":\((times.first ?? 0) * 1000),"
        + "\"p90_ms\":\(p90 * 1000),\"runs\":\(runs),\"threads\":\(threads),\"macs\":\(macs),\"gflops\":\(gflops),"
        + "\"peak_gflops\":\(peak),\"peak_percent\":\(100 * gflops / max(peak, 1e-9)),\"isa\":\(jsonString(isa)),"
        + "\"times_ms\":[\(runOrder.map { String($0 * 1000) }.joined(separator: ","))]}")
    } else {
      print("\(path): \(runs) runs, \(threads) thread(s), \(isa)")
      print("  median \(fixed(median * 1000, 3)) ms   min \(fixed((times.first ?? 0) * 1000, 3)) ms   p90 \(fixed(p90 * 1000, 3)) ms")
      print("  \(fixed(Double(macs) / 1e9, 3)) GMAC → \(fixed(gflops, 1)) GFLOP/s = \(fixed(100 * gflops / max(peak, 1e-9), 1))% of "
        + "the measured FP32 peak (\(fixed(peak, 1)) GFLOP/s for \(threads) thread(s))")
    }
  }
}

/// Per-step profile rendering (table, JSON, Chrome trace).
enum Profile {
  static func table(_ s: Schedule, _ t: [Double]) -> String {
    let total = t.reduce(0, +)
    var table = TextTable(["#", "layer", "op", "MACs", "ms", "GFLOP/s", "%"], rightAligned: [0, 3, 4, 5, 6])
    for (i, step) in s.steps.enumerated() {
      let m = step.kind.macs
      table.add([String(i), step.node, step.kind.label, grouped(m), fixed(t[i] * 1000, 3),
        m > 0 && t[i] > 0 ? fixed(2 * Double(m) / t[i] / 1e9, 1) : "-", fixed(100 * t[i] / max(total, 1e-12), 1)])
    }
    table.add(["", "total", "", grouped(s.macs), fixed(total * 1000, 3), fixed(2 * Double(s.macs) / max(total, 1e-12) / 1e9, 1), "100.0"])
    return table.render()
  }

  static func json(_ s: Schedule, _ t: [Double]) -> String {
    "{\"layers\":[" + s.steps.enumerated().map { i, step in
      "{\"index\":\(i),\"layer\":\(jsonString(step.node)),\"op\":\(jsonString(step.kind.label)),\"macs\":\(step.kind.macs),\"ms\":\(t[i] * 1000)}"
    }.joined(separator: ",") + "],\"total_ms\":\(t.reduce(0, +) * 1000)}"
  }

  static func chromeTrace(_ s: Schedule, _ t: [Double]) -> String {
    var at = 0.0
    var events: [String] = []
    for (i, step) in s.steps.enumerated() {
      events.append("{\"name\":\(jsonString(step.node)),\"cat\":\(jsonString(step.kind.label)),\"ph\":\"X\",\"ts\":\(at * 1e6),"
        + "\"dur\":\(t[i] * 1e6),\"pid\":1,\"tid\":1,\"args\":{\"macs\":\(step.kind.macs)}}")
      at += t[i]
    }
    return "{\"traceEvents\":[" + events.joined(separator: ",") + "],\"displayTimeUnit\":\"ms\"}"
  }
}
