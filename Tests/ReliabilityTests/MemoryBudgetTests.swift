import Codegen
import Foundation
import GraphIR
import ONNXReader
import Passes
import TestSupport
import Testing

/// `--max-memory`: sizes parse, and each big allocation site fails first with a one-line error naming the size and
/// the limit.
@Suite struct MemoryBudgetTests {
  @Test(arguments: [
    ("1024", 1024), ("64K", 64 << 10), ("512M", 512 << 20), ("2G", 2 << 30), ("2g", 2 << 30), ("3GiB", 3 << 30),
    ("10MB", 10 << 20), ("100B", 100), ("1T", 1 << 40),
  ])
  func parsesSizes(text: String, bytes: Int) {
    #expect(MemoryBudget.parse(text) == bytes)
  }

  @Test(arguments: ["", "M", "-1", "1.5G", "12Q", "G2", "99999999999999999999"])
  func rejectsBadSizes(text: String) {
    #expect(MemoryBudget.parse(text) == nil)
  }

  @Test func formatsAndChecks() throws {
    #expect(MemoryBudget.format(1536) == "1.50 KiB")
    #expect(MemoryBudget.format(100) == "100 bytes")
    #expect(MemoryBudget.limit == nil)
    try MemoryBudget.check(Int.max, for: "anything")  // no limit bound: never throws
    let e = #expect(throws: MemoryLimitError.self) {
      try MemoryBudget.$limit.withValue(1024) { try MemoryBudget.check(2048, for: "the arena") }
    }
    #expect(e?.description == "the arena need 2.00 KiB (2048 bytes), over the memory limit of 1.00 KiB (1024 bytes; see --max-memory)")
  }

  /// Reader, lowering, execution context and emit-c each refuse under a tiny limit and work without one.
  @Test(.requires(Env.cifarModel != nil, Env.cifarWhat)) func everyAllocationSiteHonoursTheLimit() throws {
    let model = try #require(Env.cifarModel, "needs ../shared/fixtures or the generated models (make models)").onnx
    let tiny = 4096
    // Reader: the model's weights are copied.
    #expect(throws: ONNXReadError.self) { try MemoryBudget.$limit.withValue(tiny) { _ = try loadONNX(path: model) } }
    let g = try compiledGraph(model)
    // Lowering: packed weights.
    let lowerError = #expect(throws: MemoryLimitError.self) {
      try MemoryBudget.$limit.withValue(tiny) { _ = try Lowering.lower(g) }
    }
    #expect(lowerError?.what == "the packed weights")
    let lowered = try Lowering.lower(g)
    let exe = try Executable(lowered)
    // Execution context: arena + workspace (weights fit under this limit, the arena does not).
    let arena = lowered.schedule.arenaSize
    #expect(arena > tiny)
    let ctxError = #expect(throws: MemoryLimitError.self) {
      try MemoryBudget.$limit.withValue(arena - 1) { _ = try ExecutionContext(exe, threads: 1) }
    }
    #expect(ctxError?.what == "the arena and kernel workspace")
    _ = try MemoryBudget.$limit.withValue(arena + (64 << 20)) { try ExecutionContext(exe, threads: 1) }
    // emit-c: embedded weights as C text.
    let options = EmitCOptions(
      name: "net", weights: .embed,
      provenance: CProvenance(modcVersion: "test", commandLine: "", sourceModel: "m", sourceHash: "0", modSettings: "none"))
    let emitError = #expect(throws: EmitCError.self) {
      try MemoryBudget.$limit.withValue(lowered.weights.bytes.count) { _ = try EmitC.project(lowered, options: options) }
    }
    #expect(emitError?.description.contains("over the memory limit") == true)
    _ = try EmitC.project(lowered, options: options)
  }

  @Test(.requires(Env.modc != nil, Env.modcWhat), .requires(Env.cifarModel != nil, Env.cifarWhat))
  func cliReportsOneLine() throws {
    let modc = try #require(Env.modc, "build modc first")
    let model = try #require(Env.cifarModel, "needs ../shared/fixtures or the generated models (make models)").onnx
    let dir = try TempDir()
    defer { dir.remove() }
    let r = try #require(try runChild([modc, "convert", model, "--max-memory", "1K", "-o", dir.file("m.modplan")]))
    #expect(r.status == 1)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1)
    #expect(r.stderr.contains("over the memory limit of 1.00 KiB (1024 bytes"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.file("m.modplan")))
    let bad = try #require(try runChild([modc, "convert", model, "--max-memory", "lots", "-o", dir.file("m.modplan")]))
    #expect(bad.status == 2)
    #expect(bad.stderr.contains("--max-memory expects BYTES"))
    // A plan converts under a generous limit, then running it under a limit below its arena fails cleanly.
    let ok = try #require(try runChild([modc, "convert", model, "--max-memory", "1G", "-o", dir.file("m.modplan")]))
    #expect(ok.status == 0, "\(ok.stderr)")
    let input = try #require(Env.cifarModel).input
    let run = try #require(try runChild([modc, "run", dir.file("m.modplan"), "--input", input, "--max-memory", "16K"]))
    #expect(run.status == 1)
    #expect(run.stderr.contains("the arena and kernel workspace need"), "\(run.stderr)")
  }
}

/// The fixture at `path` read, shape-inferred (batch 1) and run through the codegen pipeline.
func compiledGraph(_ path: String) throws -> Graph {
  var g = try loadONNX(path: path)
  let input = try #require(g.inputs.first { g.constants[$0] == nil })
  try ShapeInference(inputShapes: [g[input].name: [.fixed(1), .fixed(3), .fixed(32), .fixed(32)]]).run(on: &g)
  var ctx = PassContext()
  try Pipeline.standard(target: .codegen).run(on: &g, context: &ctx)
  return g
}
