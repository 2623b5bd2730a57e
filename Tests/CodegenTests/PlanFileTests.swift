import GraphIR
import Testing

@testable import Codegen

/// A small but complete plan: metadata, a schedule blob, a memory plan and two weights.
private func samplePlan(producer: String = "modc test") throws -> PlanWriter {
  var w = PlanWriter(producer: producer)
  w.addMetadata(PlanMetadata(["model": "tiny", "opset": "17"]))
  var sched = ByteWriter()
  sched.u32(3)
  sched.string("conv")
  sched.f32(0.5)
  w.addSection(.schedule, sched.bytes)
  let plan = try MemoryPlanner.plan([
    PlannerBuffer(id: 1, size: 100, firstUse: 0, lastUse: 1), PlannerBuffer(id: 2, size: 100, firstUse: 1, lastUse: 2),
    PlannerBuffer(id: 3, size: 100, firstUse: 2, lastUse: 3, inPlaceOf: 2),
  ])
  try w.addMemoryPlan(plan)
  var blob = WeightsBlob()
  blob.append(name: "conv1.weight", TensorData(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]))
  blob.append(name: "conv1.bias", TensorData(shape: [2], floats: [-1, 1]))
  w.addWeights(blob)
  return w
}

private func expectPlanError(
  _ image: [UInt8], _ kinds: Set<PlanError.Kind>? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
  do {
    _ = try PlanFile.parse(image, path: "t.modplan")
    Issue.record("expected a PlanError", sourceLocation: sourceLocation)
  } catch {
    if let kinds { #expect(kinds.contains(error.kind), "\(error)", sourceLocation: sourceLocation) }
    #expect(error.description.hasPrefix("plan 't.modplan': "), sourceLocation: sourceLocation)
    #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
  }
}

/// Re-seals a header after editing it, so the edit is seen by the checks behind the checksum.
private func resealHeader(_ image: inout [UInt8]) {
  let sum = PlanChecksum.checksum(Array(image[0..<120]))
  for i in 0..<8 { image[120 + i] = UInt8(truncatingIfNeeded: sum >> (8 * UInt64(i))) }
}

private func setU32(_ image: inout [UInt8], at offset: Int, _ v: UInt32) {
  for i in 0..<4 { image[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
}

@Suite struct PlanFileTests {
  @Test func roundTripThroughFileIsMappedAndAligned() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let path = dir.file("tiny.modplan")
    let writer = try samplePlan()
    try writer.write(to: path)
    #expect(try readBytes(path) == writer.serialized())
    let f = try PlanFile.open(path)
    #expect(f.producer == "modc test")
    #expect(f.formatVersion == PlanLayout.formatVersion)
    #expect(f.sections.map(\.kind) == [.metadata, .schedule, .memoryPlan, .weightIndex, .weights])
    #expect(try f.metadata()["model"] == "tiny")
    #expect(try f.metadata().entries.map(\.key) == ["model", "opset"])
    let (n, name, x) = try f.decode(.schedule) { (r: inout ByteReader) throws(ByteReadError) in
      (try r.u32(), try r.string(), try r.f32())
    }
    #expect(n == 3 && name == "conv" && x == 0.5)
    let mp = try f.memoryPlan()
    #expect(mp.placement(of: 3)?.inPlaceOf == 2)
    #expect(mp.arenaSize == 256)
    let index = try f.weightIndex()
    #expect(index.map(\.name) == ["conv1.weight", "conv1.bias"])
    #expect(index.map(\.offset) == [0, 64])
    for e in index {
      let b = try f.weightBytes(e)
      #expect(Int(bitPattern: b.baseAddress) % 64 == 0, "weights are 64-byte aligned in memory")
    }
    let bias = try f.weightBytes(index[1])
    #expect(Array(bias.bindMemory(to: Float.self)) == [-1, 1])
    #expect(throws: PlanError.self) { try f.section(PlanSectionKind(rawValue: 99)) }
  }

  /// `open` reads a plan into weight memory (huge pages from 2 MiB on) within the memory limit and maps it beyond;
  /// both give the same validated image.
  @Test func readAndMappedOpensAgree() throws {
    let dir = try TempDir()
    defer { dir.cleanup() }
    let path = dir.file("big.modplan")
    var w = PlanWriter(producer: "modc test")
    w.addMetadata(PlanMetadata(["model": "big"]))
    var blob = WeightsBlob()
    let floats = (0..<(900 * 1024)).map { Float($0 % 977) * 0.25 }  // 3.5 MiB: takes the huge-page size class
    blob.append(name: "w", TensorData(shape: [floats.count], floats: floats))
    w.addWeights(blob)
    try w.write(to: path)
    let size = try readBytes(path).count
    let read = try PlanFile.open(path)
    let mapped = try MemoryBudget.$limit.withValue(size - 1) { try PlanFile.open(path) }
    for f in [read, mapped] {
      #expect(try f.metadata()["model"] == "big")
      let e = try #require(try f.weightIndex().first)
      let b = try f.weightBytes(e)
      #expect(Int(bitPattern: b.baseAddress) % 64 == 0)
      #expect(Array(b.bindMemory(to: Float.self)) == floats)
    }
    #expect(Array(read.bytes) == Array(mapped.bytes))
    #expect(Int(bitPattern: read.bytes.baseAddress) % (2 << 20) == 0, "a large plan is read into 2 MiB aligned memory")
  }

  @Test func dumpMatchesSnapshot() throws {
    let f = try PlanFile.parse(try samplePlan().serialized(), path: "tiny.modplan")
    try assertSnapshot(try f.dump(), named: "tiny.plan.txt")
  }

  @Test func longProducerIsTruncatedOnACharacterBoundary() throws {
    let w = try samplePlan(producer: String(repeating: "é", count: 40))
    let f = try PlanFile.parse(w.serialized(), path: "p")
    #expect(f.producer == String(repeating: "é", count: 31))
  }

  @Test func emptyPlanAndUnknownSectionKinds() throws {
    var w = PlanWriter(producer: "x")
    #expect(try PlanFile.parse(w.serialized(), path: "e").sections.isEmpty)
    w.addSection(PlanSectionKind(rawValue: 77), [1, 2, 3])
    let f = try PlanFile.parse(w.serialized(), path: "e")
    #expect(try Array(f.section(PlanSectionKind(rawValue: 77))) == [1, 2, 3])
    #expect(throws: PlanError.self) { try f.metadata() }
  }

  @Test func foreignAndEmptyFiles() throws {
    expectPlanError(Array("PK\u{3}\u{4} this is a zip, not a plan, padded out to be long enough....".utf8), [.notAPlan])
    expectPlanError(Array(repeating: 0, count: 500), [.notAPlan])
    expectPlanError([], [.truncated, .notAPlan])
    let dir = try TempDir()
    defer { dir.cleanup() }
    try writeBytes([], dir.file("empty.modplan"))
    #expect(throws: PlanError.self) { try PlanFile.open(dir.file("empty.modplan")) }
    #expect(throws: PlanError.self) { try PlanFile.open(dir.file("missing.modplan")) }
    #expect(throws: PlanError.self) { try PlanFile.open(dir.path) }
  }

  @Test func newerVersionIsReportedAsSuch() throws {
    var image = try samplePlan().serialized()
    setU32(&image, at: 8, 7)
    setU32(&image, at: 12, 5)
    resealHeader(&image)
    do {
      _ = try PlanFile.parse(image, path: "t.modplan")
      Issue.record("a newer plan must be rejected")
    } catch {
      #expect(error.kind == .newerVersion)
      #expect(error.description.contains("plan format v7 is newer than this modc (reads ≤ v1)"))
    }
    // A newer writer that stays readable by v1 readers (min reader 1) is accepted.
    var compatible = try samplePlan().serialized()
    setU32(&compatible, at: 8, 2)
    resealHeader(&compatible)
    #expect(try PlanFile.parse(compatible, path: "t").formatVersion == 2)
  }

  @Test func wrongMagicAndEndianness() throws {
    var image = try samplePlan().serialized()
    image[0] = UInt8(ascii: "X")
    expectPlanError(image, [.notAPlan])
    var big = try samplePlan().serialized()
    setU32(&big, at: 16, PlanLayout.endianMark.byteSwapped)
    resealHeader(&big)
    expectPlanError(big, [.unsupported])
  }

  @Test func sectionTableProblemsBehindAValidChecksum() throws {
    let good = try samplePlan().serialized()
    // Rewrite entry `i` field at `field` and re-seal both the table checksum and the header.
    func edit(_ i: Int, _ field: Int, _ v: UInt64) -> [UInt8] {
      var img = good
      let count = Int(img[24])
      let at = 128 + 32 * i + field
      for k in 0..<8 { img[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
      let sum = PlanChecksum.checksum(Array(img[128..<(128 + 32 * count)]))
      for k in 0..<8 { img[104 + k] = UInt8(truncatingIfNeeded: sum >> (8 * UInt64(k))) }
      resealHeader(&img)
      return img
    }
    expectPlanError(edit(0, 8, 200), [.corrupt])  // misaligned offset
    expectPlanError(edit(0, 8, 64), [.corrupt])  // inside the table
    expectPlanError(edit(1, 16, 1 << 40), [.corrupt])  // past the end
    expectPlanError(edit(1, 16, UInt64.max), [.corrupt])  // size overflow
    let second = UInt64(good[128 + 32 + 8]) | UInt64(good[128 + 32 + 9]) << 8
    expectPlanError(edit(0, 16, second + 64), [.corrupt])  // overlaps the next section
    expectPlanError(edit(1, 0, 1), [.corrupt])  // duplicate kind
    expectPlanError(edit(2, 24, 12345), [.corrupt])  // section checksum
  }

  @Test func everyHeaderAndTableByteFlipIsAnError() throws {
    let good = try samplePlan().serialized()
    let tableEnd = 128 + 32 * Int(good[24])
    for i in 0..<tableEnd {
      for mask: UInt8 in [0x01, 0x80, 0xFF] {
        var bad = good
        bad[i] ^= mask
        expectPlanError(bad)
      }
    }
  }

  @Test func sampledBodyByteFlipsAreErrors() throws {
    let good = try samplePlan().serialized()
    let f = try PlanFile.parse(good, path: "g")
    // Every byte inside a section is covered by its checksum; padding between sections is not read.
    var covered: [Int] = []
    for e in f.sections { covered += Array(e.offset..<(e.offset + e.size)) }
    var rng = SplitMix(state: 42)
    for _ in 0..<300 {
      guard let i = covered.randomElement(using: &rng) else { break }
      var bad = good
      bad[i] ^= UInt8.random(in: 1...255, using: &rng)
      expectPlanError(bad, [.corrupt])
    }
  }

  @Test func everyTruncationIsAnError() throws {
    let good = try samplePlan().serialized()
    for n in 0..<good.count {
      expectPlanError(Array(good.prefix(n)))
    }
    expectPlanError(good + [0], [.corrupt])
  }

  @Test func malformedPayloadsBehindValidChecksums() throws {
    // A memory plan with overlapping live buffers, sealed correctly, is still rejected by the reader.
    var mp = ByteWriter()
    mp.u32(64)
    mp.count64(128)
    mp.count64(0)
    mp.count64(0)
    mp.u32(2)
    for id in [1, 2] {
      mp.i64(Int64(id))
      mp.u8(0)
      mp.count64(0)
      mp.count64(128)
      mp.i64(0)
      mp.i64(5)
      mp.i64(-1)
    }
    var w = PlanWriter(producer: "x")
    w.addSection(.memoryPlan, mp.bytes)
    w.addSection(.metadata, [5, 0, 0, 0, 1])
    w.addSection(.weights, [0, 0, 0, 0])
    var idx = ByteWriter()
    idx.u32(1)
    idx.string("w")
    idx.string("f32")
    idx.u32(1)
    idx.count64(2)
    idx.count64(0)
    idx.count64(8)  // 2 floats need 8 bytes but the blob has 4
    w.addSection(.weightIndex, idx.bytes)
    let f = try PlanFile.parse(w.serialized(), path: "m")
    for check in [{ _ = try f.memoryPlan() }, { _ = try f.metadata() }, { _ = try f.weightIndex() }] {
      do {
        try check()
        Issue.record("malformed payload accepted")
      } catch let e as PlanError {
        #expect(e.kind == .malformed, "\(e)")
      } catch {
        Issue.record("unexpected error type \(error)")
      }
    }
  }
}
