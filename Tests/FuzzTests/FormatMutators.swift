import Codegen

/// Mutations that know the layout of one format, so cases get past the first sanity check of its reader.
enum FormatMutators {
  // MARK: ONNX (protobuf)

  /// 1–3 structure-aware protobuf mutations (bytes stay well-formed where lengths are recomputed).
  static func protobuf(_ b: inout [UInt8], _ rng: inout SplitMix64) {
    guard var tree = ProtoTree.parse(b[...]) else { return ByteMutator.any(&b, &rng) }
    for _ in 0..<(1 + rng.below(3)) { ProtoTree.mutate(&tree, &rng) }
    b = ProtoTree.serialize(tree)
  }

  /// Rewrites one varint in place anywhere in the buffer (a length, a dim, a type) to an extreme value.
  static func rawVarint(_ b: inout [UInt8], _ rng: inout SplitMix64, in region: Range<Int>? = nil) {
    let r = region ?? 0..<b.count
    guard !r.isEmpty else { return }
    var start = r.lowerBound + rng.below(r.count)
    while start > r.lowerBound, b[start - 1] & 0x80 != 0 { start -= 1 }
    var end = start
    while end < b.count, b[end] & 0x80 != 0 { end += 1 }
    end = min(end + 1, b.count)
    var enc: [UInt8] = []
    ProtoTree.encodeVarint(rng.pick(ProtoTree.extremeVarints), into: &enc)
    b.replaceSubrange(start..<end, with: enc)
  }

  // MARK: Text IR

  static let hugeNumbers = [
    "99999999999999999999999", "9223372036854775807", "-9223372036854775808", "4294967296", "-1", "0", "1e308",
    "1e-400", "nan", "-inf", "0x7fffffff", "281474976710656",
  ]
  static let tokens = [
    "%", "%0", "=", "(", ")", "[", "]", "{", "}", ",", ":", "#", "\"", "?", "//", "graph", "input", "output", "const",
    "f32", "i64[", "conv", "relu", "N", "\\", "\n", "opaque", "attrs={", "s:\"", "f:", "i:", "ints:[",
  ]

  /// One text-aware mutation: huge numbers, deep nesting, duplicated/removed lines, stray tokens.
  static func text(_ b: inout [UInt8], _ rng: inout SplitMix64) {
    var s = String(decoding: b, as: UTF8.self)
    switch rng.below(6) {
    case 0:
      // Replace one number literal with an extreme one (huge dims, huge ids, overflowing attributes).
      let digits = s.utf8.indices.filter { i in s.utf8[i] >= 0x30 && s.utf8[i] <= 0x39 }
      guard !digits.isEmpty else { return }
      let at = rng.pick(digits)
      var end = at
      while end < s.utf8.endIndex, s.utf8[end] >= 0x30 && s.utf8[end] <= 0x39 { end = s.utf8.index(after: end) }
      s.replaceSubrange(at..<end, with: rng.pick(hugeNumbers))
    case 1:
      // Deep nesting at a random position.
      let opener = rng.pick(["[", "(", "{", "attrs={a=ints:[", "\""])
      let depth = rng.pick([63, 65, 500, 3000])
      b.insert(contentsOf: Array(String(repeating: opener, count: depth).utf8), at: rng.below(b.count + 1))
      return
    case 2, 3:
      var lines = s.split(separator: "\n", omittingEmptySubsequences: false)
      guard !lines.isEmpty else { return }
      let i = rng.below(lines.count)
      switch rng.below(3) {
      case 0: lines.insert(contentsOf: Array(repeating: lines[i], count: 1 + rng.below(3)), at: i)  // duplicated
      case 1: lines.remove(at: i)
      default: lines.swapAt(i, rng.below(lines.count))
      }
      s = lines.joined(separator: "\n")
    case 4:
      b.insert(contentsOf: Array(rng.pick(tokens).utf8), at: rng.below(b.count + 1))
      return
    default:
      return ByteMutator.any(&b, &rng)
    }
    b = Array(s.utf8)
  }

  // MARK: Plan

  /// Recomputes the table and header checksums, so a header or table edit reaches the checks behind them.
  static func resealPlan(_ b: inout [UInt8]) {
    guard b.count >= 128 else { return }
    let headerSize = Int(b[20]) | Int(b[21]) << 8
    let count = Int(b[24]) | Int(b[25]) << 8
    guard headerSize >= 128, headerSize <= min(4096, b.count) else { return }
    let tableEnd = headerSize + count * PlanLayout.entrySize
    if tableEnd <= b.count {
      put64(&b, 104, PlanChecksum.checksum(Array(b[headerSize..<tableEnd])))
    }
    put64(&b, headerSize - 8, PlanChecksum.checksum(Array(b[0..<(headerSize - 8)])))
  }

  static func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) {
    for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
  }

  /// One plan mutation: raw damage, a resealed header/table edit, a duplicated section kind, or a damaged section
  /// payload re-wrapped in a valid container (so the payload decoders see it).
  static func plan(_ b: inout [UInt8], _ rng: inout SplitMix64) {
    let headerSize = 128
    let count = b.count >= 28 ? Int(b[24]) | Int(b[25]) << 8 : 0
    let table = min(b.count, headerSize)..<min(b.count, headerSize + count * PlanLayout.entrySize)
    switch rng.below(6) {
    case 0:
      ByteMutator.any(&b, &rng)
    case 1:
      guard b.count >= headerSize else { return ByteMutator.any(&b, &rng) }
      if rng.chance(0.5) { ByteMutator.extremeInteger(&b, &rng, in: 8..<104) } else { ByteMutator.flipBits(&b, &rng, in: 8..<104) }
      resealPlan(&b)
    case 2:
      guard !table.isEmpty else { return ByteMutator.any(&b, &rng) }
      if rng.chance(0.5) { ByteMutator.extremeInteger(&b, &rng, in: table) } else { ByteMutator.setBytes(&b, &rng, in: table) }
      resealPlan(&b)
    case 3:
      // Duplicate a section kind: copy entry i's kind onto entry j.
      guard count >= 2, table.count == count * PlanLayout.entrySize else { return ByteMutator.any(&b, &rng) }
      let i = rng.below(count), j = rng.below(count)
      for k in 0..<4 { b[headerSize + j * 32 + k] = b[headerSize + i * 32 + k] }
      resealPlan(&b)
    default:
      guard let f = try? PlanFile.parse(b, path: "seed") else { return ByteMutator.any(&b, &rng) }
      var sections = f.sections.compactMap { e in (try? f.section(e.kind)).map { (e.kind, Array($0)) } }
      guard !sections.isEmpty else { return }
      let i = rng.below(sections.count)
      switch rng.below(5) {
      case 0: sections.remove(at: i)
      case 1: sections.swapAt(i, rng.below(sections.count))
      case 2: sections[i].0 = PlanSectionKind(rawValue: UInt32(rng.below(8)))
      case 3: ByteMutator.extremeInteger(&sections[i].1, &rng)
      default: ByteMutator.any(&sections[i].1, &rng)
      }
      var w = PlanWriter(producer: f.producer)
      var seen: Set<UInt32> = []
      for (kind, bytes) in sections where seen.insert(kind.rawValue).inserted { w.addSection(kind, bytes) }
      b = w.serialized()
    }
  }

  // MARK: NPY / NPZ

  /// One `.npy`-aware mutation: header text (shape digits, descr, dict syntax), header length, or raw damage.
  static func npy(_ b: inout [UInt8], _ rng: inout SplitMix64) {
    guard b.count > 10 else { return ByteMutator.any(&b, &rng) }
    switch rng.below(5) {
    case 0, 1:
      // Edit the header dictionary as text, keeping the rest.
      // The first newline after the 10-byte preamble ends the header (an earlier one is damage, not the header's end).
      let headerEnd = b[10...].firstIndex(of: 0x0A).map { $0 + 1 } ?? min(b.count, 128)
      var head = Array(b[10..<headerEnd])
      let body = Array(b[headerEnd...])
      var hs = String(decoding: head, as: UTF8.self)
      let edits = [
        ("'<f4'", rng.pick(["'>f4'", "'<f2'", "'|b1'", "'<U3'", "'<f4", "[('a','<f4')]", "'<i8'", "''"])),
        ("False", rng.pick(["True", "1", "None", ""])),
        ("(", rng.pick(["((", "(-1, ", "(99999999999999999999, ", "(4294967296, 4294967296, ", "([", ")"])),
        ("}", rng.pick(["", "}}", ", 'x': 1}", "{"])),
      ]
      let (from, to) = rng.pick(edits)
      if let r = hs.range(of: from) { hs.replaceSubrange(r, with: to) } else { hs += to }
      head = Array(hs.utf8)
      b = Array(b[0..<8]) + [UInt8(truncatingIfNeeded: head.count), UInt8(truncatingIfNeeded: head.count >> 8)] + head + body
    case 2:
      ByteMutator.extremeInteger(&b, &rng, in: 6..<min(b.count, 16))
    default:
      ByteMutator.any(&b, &rng)
    }
  }

  /// One `.npz` mutation: zip header integers (sizes, offsets, counts), the deflate stream, or raw damage.
  static func npz(_ b: inout [UInt8], _ rng: inout SplitMix64) {
    switch rng.below(4) {
    case 0:
      // Target the end-of-central-directory and central-directory records (the last ~300 bytes).
      let tail = max(0, b.count - 300)..<b.count
      if rng.chance(0.5) { ByteMutator.extremeInteger(&b, &rng, in: tail) } else { ByteMutator.setBytes(&b, &rng, in: tail) }
    case 1:
      ByteMutator.extremeInteger(&b, &rng)
    default:
      ByteMutator.any(&b, &rng)
    }
  }
}
