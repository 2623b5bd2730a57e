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
/// Sections this reader does not know are listed in the table but not decoded; the schedule is listed by size
/// only (its serializer owns its format).
extension PlanFile {
  public func dump() throws(PlanError) -> String {
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
    return out.joined(separator: "\n") + "\n"
  }
}
