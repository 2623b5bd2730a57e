@testable import Codegen
import CKernels
import Foundation
import GraphIR
import Passes
import TestSupport
import Testing

/// The schedule as an IR: every step type's named fields agree with the C descriptors, encode and decode losslessly,
/// print as text (golden plan dump of a small conv + MoD ResNet), and the verifier enforces the aliasing rules.
/// Re-record the snapshot with `RECORD_SNAPSHOTS=1 swift test --filter ScheduleIRTests` and review the diff.
@Suite struct ScheduleIRTests {
  /// `TinyResNet` with MoD in its second block (folded into the block's convs), lowered for the generic target with
  /// direct convs (the same on every machine).
  static func tinyMoDResNet() throws -> LoweredModel {
    var g = TinyResNet.graph(name: "tiny_mod_resnet")
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    try Pipeline.standard(insertMoD: InsertMoD(placement: .every(2), capacity: 4, seed: 9), target: .codegen)
      .run(on: &g, context: &ctx)
    return try Lowering.lower(g, options: LoweringOptions(target: .generic, convAlgorithm: .direct))
  }

  /// One value of every step kind, with non-default fields.
  static let samples: [StepKind] = [
    .conv(ConvStep(n: 1, cIn: 3, h: 8, w: 8, cOut: 8, kh: 3, kw: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1,
      relu: true, hasBias: true, outH: 8, outW: 8, algo: .winograd)),
    .modConv(MoDConvStep(conv: ConvStep(n: 1, cIn: 4, h: 8, w: 8, cOut: 4, kh: 1, kw: 1, outH: 8, outW: 8),
      maps: MoDConvMaps(gatherChannels: 8, fuse: MoDFuseEpilogue(channels: 8, scatter: true, relu: true)))),
    .fullyConnected(FullyConnectedStep(batch: 2, inFeatures: 8, outFeatures: 4, hasBias: true, relu: true)),
    .maxPool(MaxPoolStep(window: PoolWindow(n: 1, c: 2, h: 4, w: 4, kh: 2, kw: 2, strideH: 2, strideW: 2, outH: 2, outW: 2))),
    .averagePool(AveragePoolStep(window: PoolWindow(n: 1, c: 2, h: 4, w: 4, kh: 3, kw: 3, padTop: 1, padLeft: 1,
      padBottom: 1, padRight: 1, ceilMode: true, countIncludePad: true, outH: 4, outW: 4))),
    .globalAveragePool(GlobalAveragePoolStep(planes: 8, hw: 16)),
    .binary(BinaryStep(op: .mul, shape: [2, 3], aStrides: [3, 1], bStrides: [0, 1])),
    .relu(ReluStep(count: 5)),
    .sigmoid(SigmoidStep(count: 6)),
    .softmax(SoftmaxStep(rows: 2, cols: 10)),
    .batchNorm(BatchNormStep(n: 1, c: 4, hw: 9)),
    .copy(CopyStep(shape: [2, 3], srcOffset: 5, srcStrides: [-3, 1], dstOffset: 1, dstStrides: [3, 1])),
    .fill(FillStep(count: 7, offset: 2, value: -0.5)),
    .modRouter(MoDRouterStep(b: 1, c: 8, hw: 16, hidden: 2, k: 4)),
    .modGather(MoDGatherStep(b: 1, c: 8, hw: 16, k: 4)),
    .modFuse(MoDFuseStep(b: 1, c: 8, hw: 16, k: 4, scatter: true, relu: false)),
    .topK(TopKStep(outer: 1, n: 8, inner: 1, k: 3, largest: false)),
    .gatherElements(GatherElementsStep(outer: 2, n: 8, inner: 1, m: 3)),
    .scatterElements(ScatterElementsStep(outer: 2, n: 8, inner: 1, m: 3, add: true)),
    .gather(GatherStep(outer: 1, n: 8, inner: 4, count: 2)),
  ]

  @Test func everyKindHasOneSampleAndAUniqueTag() {
    let tags = Self.samples.map(\.tag)
    #expect(Set(tags).count == tags.count)
    #expect(Set(tags) == Set(StepKind.descriptorTypes.map { $0.tag }))
    #expect(Set(tags) == Set(1...20))
  }

  @Test(arguments: samples)
  func fieldsRoundTripThroughThePlanWords(_ kind: StepKind) throws {
    let d = kind.descriptor
    #expect(try StepKind.decode(tag: kind.tag, words: d.words) == kind)
    #expect(throws: StepFieldError.self) { try StepKind.decode(tag: kind.tag, words: d.words + [0]) }
    #expect(throws: StepFieldError.self) { try StepKind.decode(tag: kind.tag, words: Array(d.words.dropLast())) }
  }

  /// The Swift field list of every kind is the C struct's: same names, same order, same offsets and size.
  @Test(arguments: samples)
  func fieldsMatchTheCDescriptor(_ kind: StepKind) throws {
    let d = kind.descriptor
    var count: Int32 = 0
    let table = try #require(modc_step_fields(Int32(kind.tag), &count))
    let c = (0..<Int(count)).map { (String(cString: table[$0].name), Int(table[$0].offset), Int(table[$0].words)) }
    var offset = 0
    var swift: [(String, Int, Int)] = []
    for f in d.fields {
      let words: Int
      if case .ints = f.value { words = Int(MODC_MAX_RANK) } else { words = 1 }
      swift.append((f.cPath, offset, words))
      offset += words
    }
    #expect(c.map(\.0) == swift.map(\.0), "\(kind.mnemonic)")
    #expect(c.map(\.1) == swift.map(\.1), "\(kind.mnemonic)")
    #expect(c.map(\.2) == swift.map(\.2), "\(kind.mnemonic)")
    #expect(modc_step_desc_size(Int32(kind.tag)) == d.cWords.count * 8)
  }

  /// docs/modplan.md's step table is generated from the step types (`RECORD_SNAPSHOTS=1` rewrites it).
  @Test func docTableMatchesTheStepTypes() throws {
    var rows = ["| tag | mnemonic | C struct | fields, in encoding order |", "| ---: | --- | --- | --- |"]
    for kind in Self.samples.sorted(by: { $0.tag < $1.tag }) {
      let fields = kind.descriptor.fields.map { f -> String in
        if case .ints = f.value { return f.cPath + "[rank]" } else { return f.cPath }
      }
      rows.append("| \(kind.tag) | `\(kind.mnemonic)` | `modc_step_\(StepEmitter.cKind(kind))` | "
        + fields.joined(separator: " ") + " |")
    }
    let table = rows.joined(separator: "\n")
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let path = repo.appendingPathComponent("docs/modplan.md").path
    let doc = try String(contentsOfFile: path, encoding: .utf8)
    let (begin, end) = ("<!-- steps:begin -->\n", "<!-- steps:end -->")
    let start = try #require(doc.range(of: begin)).upperBound
    let stop = try #require(doc.range(of: end)).lowerBound
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
      try (String(doc[..<start]) + table + "\n" + String(doc[stop...])).write(toFile: path, atomically: true, encoding: .utf8)
      return
    }
    #expect(String(doc[start..<stop]) == table + "\n", "docs/modplan.md step table is stale (RECORD_SNAPSHOTS=1)")
  }

  @Test func decodeRejectsOutOfRangeValues() {
    var conv = StepKind.samples(ConvStep.self).words
    conv[21] = 9  // no such algorithm
    #expect(throws: StepFieldError.self) { try StepKind.decode(tag: 1, words: conv) }
    #expect(throws: StepFieldError.self) { try StepKind.decode(tag: 6, words: [7, 0]) }  // op 7
    #expect(throws: StepFieldError.self) { try StepKind.decode(tag: 11, words: [9] + [Int](repeating: 1, count: 29)) }
    #expect(throws: StepFieldError.self) { try StepKind.decode(tag: 99, words: []) }
  }

  @Test func planDumpMatchesSnapshot() throws {
    let lowered = try Self.tinyMoDResNet()
    let labels = lowered.schedule.steps.map(\.kind.mnemonic)
    #expect(labels.contains("mod.conv") && labels.contains("mod.router"))
    let tmp = try TempDir()
    defer { tmp.cleanup() }
    try Plan.write(lowered, metadata: [("model", "tiny_mod_resnet")], producer: "modc test", to: tmp.file("m.modplan"))
    let file = try PlanFile.open(tmp.file("m.modplan"))
    #expect(try file.schedule() == lowered.schedule)
    try assertSnapshot(try file.dump(), named: "tiny_mod_resnet.plan.txt")
  }

  @Test func verifierRejectsOverlapsTheKernelCannotTake() throws {
    var s = try Self.tinyMoDResNet().schedule
    try s.verify(weightsSize: s.weightsSize)
    // A conv writing over its own input.
    let i = try #require(s.steps.firstIndex { if case .conv = $0.kind { true } else { false } })
    let x = s.steps[i].inputs[0]
    let y = s.steps[i].outputs[0]
    if case .arena = s.buffers[x].location, s.buffers[x].byteCount == s.buffers[y].byteCount {
      var bad = s
      bad.buffers[y].location = bad.buffers[x].location
      #expect(throws: ScheduleError.self) { try bad.verify(weightsSize: bad.weightsSize) }
    }
    // A ReLU in place is fine; half-overlapping is not.
    s.buffers.append(ScheduleBuffer(name: "a", dtype: .f32, shape: [8], location: .arena(0)))
    s.buffers.append(ScheduleBuffer(name: "b", dtype: .f32, shape: [8], location: .arena(0)))
    s.buffers.append(ScheduleBuffer(name: "c", dtype: .f32, shape: [8], location: .arena(16)))
    let (a, b, c) = (s.buffers.count - 3, s.buffers.count - 2, s.buffers.count - 1)
    s.steps.append(Step(kind: .relu(ReluStep(count: 8)), inputs: [a], outputs: [b], node: "inplace"))
    try s.verify(weightsSize: s.weightsSize)
    s.steps.append(Step(kind: .relu(ReluStep(count: 8)), inputs: [a], outputs: [c], node: "shifted"))
    #expect(throws: ScheduleError.self) { try s.verify(weightsSize: s.weightsSize) }
  }
}

extension StepKind {
  /// The sample of `type` in `ScheduleIRTests.samples`.
  static func samples<T: StepDescriptor>(_ type: T.Type) -> any StepDescriptor {
    ScheduleIRTests.samples.first { $0.tag == T.tag }?.descriptor ?? T.blank
  }
}

extension StepKind: CustomTestStringConvertible {
  public var testDescription: String { mnemonic }
}
