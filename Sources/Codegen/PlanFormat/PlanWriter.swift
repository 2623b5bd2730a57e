import GraphIR

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Collects sections and writes a `.modplan` file (see `PlanLayout`), atomically.
///
/// ```swift
/// var w = PlanWriter(producer: "modc 0.1")
/// w.addMetadata(["model": "resnet18"])
/// w.addSection(.schedule, scheduleWriter.bytes)
/// try w.addMemoryPlan(plan)
/// w.addWeights(blob)
/// try w.write(to: "resnet18.modplan")
/// ```
public struct PlanWriter: Sendable {
  /// Producer string stored in the header (truncated to 63 bytes of UTF-8 on a character boundary).
  public var producer: String
  /// Sections in the order they will appear.
  public private(set) var sections: [(kind: PlanSectionKind, bytes: [UInt8])] = []

  public init(producer: String) {
    self.producer = producer
  }

  /// Adds a section with raw bytes. Kinds must be unique.
  public mutating func addSection(_ kind: PlanSectionKind, _ bytes: [UInt8]) {
    precondition(!sections.contains { $0.kind == kind }, "duplicate plan section \(kind)")
    sections.append((kind, bytes))
  }

  /// Adds the metadata section.
  public mutating func addMetadata(_ metadata: PlanMetadata) {
    addSection(.metadata, metadata.serialized())
  }

  /// Adds the memory-plan section; the plan is verified first.
  public mutating func addMemoryPlan(_ plan: MemoryPlan) throws(MemoryPlanError) {
    try plan.verify()
    addSection(.memoryPlan, plan.serialized())
  }

  /// Adds the weights blob and its index as two sections.
  public mutating func addWeights(_ blob: WeightsBlob) {
    addSection(.weightIndex, blob.serializedIndex())
    addSection(.weights, blob.bytes)
  }

  /// The complete file image.
  public func serialized() -> [UInt8] {
    let (head, offsets) = headerAndTable()
    var out = head
    for (i, s) in sections.enumerated() {
      out += [UInt8](repeating: 0, count: offsets[i] - out.count)
      out += s.bytes
    }
    return out
  }

  /// Writes the file atomically (temporary file, fsync, rename); the section bytes are not copied again.
  public func write(to path: String) throws(PlanError) {
    let (head, offsets) = headerAndTable()
    do {
      try AtomicFile.write(to: path) { fd in
        var position = 0
        func put(_ b: [UInt8]) -> String? {
          let r = b.withUnsafeBytes { raw -> String? in
            var off = 0
            while off < raw.count {
              guard let base = raw.baseAddress else { return nil }
              let n = systemWrite(fd, base + off, raw.count - off)
              if n < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
              }
              off += n
            }
            return nil
          }
          position += b.count
          return r
        }
        if let e = put(head) { return e }
        for (i, s) in sections.enumerated() {
          if let e = put([UInt8](repeating: 0, count: offsets[i] - position)) { return e }
          if let e = put(s.bytes) { return e }
        }
        return nil
      }
    } catch {
      throw PlanError(path: path, .io, "cannot write: \(error.reason)")
    }
  }

  /// Header plus section table, and each section's absolute offset.
  private func headerAndTable() -> ([UInt8], [Int]) {
    let tableEnd = PlanLayout.headerSize + PlanLayout.entrySize * sections.count
    var offsets: [Int] = []
    var cursor = alignUp(tableEnd, to: PlanLayout.alignment)
    for s in sections {
      offsets.append(cursor)
      cursor = alignUp(cursor + s.bytes.count, to: PlanLayout.alignment)
    }
    let fileSize = sections.isEmpty ? tableEnd : (offsets.last ?? 0) + (sections.last?.bytes.count ?? 0)

    var table = ByteWriter(reservingCapacity: PlanLayout.entrySize * sections.count)
    for (i, s) in sections.enumerated() {
      table.u32(s.kind.rawValue)
      table.u32(0)
      table.count64(offsets[i])
      table.count64(s.bytes.count)
      table.u64(PlanChecksum.checksum(s.bytes))
    }

    var h = ByteWriter(reservingCapacity: tableEnd)
    h.raw(PlanLayout.magic)
    h.u32(PlanLayout.formatVersion)
    h.u32(PlanLayout.readerVersion)
    h.u32(PlanLayout.endianMark)
    h.u32(UInt32(PlanLayout.headerSize))
    h.u32(UInt32(sections.count))
    h.u32(0)
    h.count64(fileSize)
    let name = Self.truncatedUTF8(producer, max: PlanLayout.maxProducerBytes)
    h.u8(UInt8(name.count))
    h.raw(name + [UInt8](repeating: 0, count: PlanLayout.maxProducerBytes - name.count))
    h.u64(PlanChecksum.checksum(table.bytes))
    h.u64(0)
    h.u64(PlanChecksum.checksum(h.bytes))
    precondition(h.count == PlanLayout.headerSize)
    h.raw(table.bytes)
    return (h.bytes, offsets)
  }

  /// The longest prefix of `s`'s UTF-8 that fits in `max` bytes without splitting a character.
  static func truncatedUTF8(_ s: String, max: Int) -> [UInt8] {
    var out: [UInt8] = []
    for ch in s {
      let u = Array(String(ch).utf8)
      if out.count + u.count > max { break }
      out += u
    }
    return out
  }
}
