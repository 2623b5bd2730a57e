import GraphIR
import Passes

/// Options of every command that transforms a model (convert, emit-c, export-onnx, stats --mod-…).
let modOptions: [OptionSpec] = [
  .value("--mod-every", "N", "Insert MoD into blocks N-1, 2N-1, … of every stage (paper: 2)"),
  .value("--capacity", "C", "MoD capacity c: each MoD block keeps k = ⌊C_block / c⌋ channels", default: "64"),
  .value("--blocks", "LIST", "Insert MoD into exactly these blocks, e.g. layer2.1,layer3.3"),
  .value("--fusion", "MODE", "How processed channels return: first-k or scatter", default: "first-k"),
  .value("--router-weights", "FILE.npz", "Router parameters ({block}.fc1.weight|bias, {block}.fc2.weight|bias)"),
  .value("--seed", "S", "Seed of the router initialiser used without --router-weights", default: "0"),
  .flag("--no-recognize-mod", "Keep exported CNN-MoD patterns as generic ops (to compare with the fused MoD path)"),
]

/// Pass tracing options.
let traceOptions: [OptionSpec] = [
  .value("--print-after", "PASS", "Print the IR after pass PASS (see 'modc passes')"),
  .flag("--print-after-all", "Print the IR after every pass"),
  .flag("--print-changed", "Print the IR after each pass that changed it"),
  .value("--stop-after", "PASS", "Stop the pipeline after pass PASS"),
  .flag("--pass-timing", "Print the time each pass took"),
  .flag("--verbose", "Explain decisions (which blocks got MoD and why others were skipped)"),
  .flag("--quiet", "Print nothing but errors"),
]

/// The MoD request of a command line, or nil when no MoD flag was given.
struct MoDRequest {
  var placement: MoDPlacement
  var capacity: Int
  var fusion: MoDFusion
  var routerWeightsPath: String?
  var seed: UInt64

  /// Parses and validates the MoD flags; nil when none of --mod-every/--blocks/--router-weights is present.
  static func parse(_ args: ParsedArguments) throws -> MoDRequest? {
    let every = try args.int("--mod-every")
    let blocks = args.string("--blocks")
    let weights = args.string("--router-weights")
    let capacityGiven = args.string("--capacity") != nil
    guard every != nil || blocks != nil || weights != nil || capacityGiven else { return nil }
    if every != nil && blocks != nil { throw UsageError("--mod-every and --blocks are mutually exclusive") }
    if let every, every < 1 { throw UsageError("--mod-every must be ≥ 1, got \(every)") }
    let capacity = try args.int("--capacity", default: 64) ?? 64
    if capacity < 1 { throw UsageError("--capacity must be ≥ 1, got \(capacity)") }
    let fusionName = try args.choice("--fusion", ["first-k", "scatter"], default: "first-k")
    let seed = try args.int("--seed", default: 0, in: 0...Int.max) ?? 0
    let placement: MoDPlacement
    if let blocks {
      let names = blocks.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
      if names.isEmpty { throw UsageError("--blocks needs at least one block name, e.g. layer2.1") }
      placement = .blocks(names)
    } else {
      placement = .every(every ?? 2)
    }
    return MoDRequest(placement: placement, capacity: capacity, fusion: MoDFusion(rawValue: fusionName) ?? .firstK,
      routerWeightsPath: weights, seed: UInt64(seed))
  }
}

extension String {
  func trimmingSpaces() -> String {
    var s = Substring(self)
    while s.first == " " { s.removeFirst() }
    while s.last == " " { s.removeLast() }
    return String(s)
  }
}

/// The standard pipeline with the command line's MoD request.
func makePipeline(
  mod: MoDRequest?, routerWeights: [String: TensorData]?, target: PipelineTarget, recognizeMoD: Bool = true
) -> Pipeline {
  let insert = mod.map {
    InsertMoD(placement: $0.placement, capacity: $0.capacity, fusion: $0.fusion, routerWeights: routerWeights, seed: $0.seed)
  }
  return Pipeline.standard(insertMoD: insert, target: target, recognizeMoD: recognizeMoD)
}
