/// A deterministic, human-readable listing of a validated plan (`modc inspect`, golden snapshots in tests).
///
/// ```
/// modplan v1 (min reader v1), producer "modc 0.1", 5 sections, 1088 bytes
/// section metadata      @192 +30 crc64=0x…
/// metadata:
///   model = resnet18
/// memory plan: arena 256 B for 300 B of buffers (saved 44 B), inputs 0 B, outputs 0 B
///   buffer 1: arena @0 +100 live 0...1
/// weights: 2 tensors, 72 bytes
///   conv1.weight: f32[2,3] @0 +24
/// ```
/// target: avx2 (conv algorithms: auto)
/// schedule arena=256 intermediates=300 weights=72
/// buffers:
///   #0 "x" f32[1,2,2,2] input 0
/// …
/// ```
/// Sections this reader does not know are listed in the table but not decoded. With `includeSchedule` the schedule
/// follows in its text form (`Schedule.text`; a schedule that does not decode is reported on one line).
extension PlanFile {
  public func dump(includeSchedule: Bool = true) throws(PlanError) -> String {
    var out: [String] = []
    out.append(
      "modplan v\(formatVersion) (min reader v\(minReaderVersion)), producer \"\(producer)\", "
        + "\(sections.count) sections, \(bytes.count) bytes")
    for s in sections {
      let kind = s.kind.description
      let name = kind + String(repeating: " ", count: max(0, 13 - kind.count))
      out.append("section \(name) @\(s.offset) +\(s.size) crc64=0x\(String(s.checksum, radix: 16, uppercase: true))")
    }
    if hasSection(.metadata) {
      out.append("metadata:")
      for (k, v) in try metadata().entries { out.append("  \(k) = \(v)") }
    }
    if hasSection(.memoryPlan) {
      let mp = try memoryPlan()
      out.append(
        "memory plan: arena \(mp.arenaSize) B for \(mp.totalArenaBufferBytes) B of buffers (saved \(mp.savedBytes) B), "
          + "inputs \(mp.inputsSize) B, outputs \(mp.outputsSize) B")
      for p in mp.placements {
        let alias = p.inPlaceOf.map { " in place of \($0)" } ?? ""
        out.append("  buffer \(p.id): \(p.region) @\(p.offset) +\(p.size) live \(p.firstUse)...\(p.lastUse)\(alias)")
      }
    }
    if hasSection(.weightIndex) {
      let index = try weightIndex()
      out.append("weights: \(index.count) tensors, \(try section(.weights).count) bytes")
      for e in index {
        out.append("  \(e.name): \(e.dtype.rawValue)[\(e.shape.map(String.init).joined(separator: ","))] @\(e.offset) +\(e.size)")
      }
    }
    if hasSection(.target) {
      let bytes = Array(try section(.target))
      out.append("target: " + (CompiledTarget(encoded: bytes).map(\.description) ?? "unknown \(bytes)"))
    }
    var text = out.joined(separator: "\n") + "\n"
    if includeSchedule, hasSection(.schedule) {
      do { text += try schedule().text } catch { text += "schedule: does not decode (\(error.message))\n" }
    }
    return text
  }

  /// The decoded schedule with its compiled target (not yet verified against the weights: `Schedule.verify`).
  public func schedule() throws(PlanError) -> Schedule {
    var schedule = try decode(.schedule) { (r: inout ByteReader) throws(ByteReadError) in try Schedule.decode(&r) }
    if hasSection(.target) {
      guard let t = CompiledTarget(encoded: Array(try section(.target))) else {
        throw PlanError(path: path, .malformed, "unknown target in the target section")
      }
      schedule.target = t
    }
    return schedule
  }
}
