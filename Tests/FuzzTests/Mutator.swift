/// SplitMix64: a tiny, seedable, reproducible generator (the harness must replay any case from its seed).
struct SplitMix64: RandomNumberGenerator {
  private(set) var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The seed of case `index` of a campaign seeded with `base`.
  static func caseSeed(base: UInt64, index: Int) -> UInt64 {
    var g = SplitMix64(seed: base ^ (UInt64(index) &* 0xD6E8_FEB8_6659_FD93))
    return g.next()
  }

  /// A uniform index in `0..<n` (`n > 0`).
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

  /// True with probability `p`.
  mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }

  /// A random element of a non-empty array.
  mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
}

/// Format-agnostic byte mutations.
enum ByteMutator {
  /// Bytes chosen because parsers treat them specially (zero, sign bits, all ones, ASCII delimiters).
  static let interesting: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x0A, 0x22, 0x5B, 0x7B, 0x25, 0x30, 0x39]

  /// Flips 1–8 random bits, optionally only inside `region`.
  static func flipBits(_ b: inout [UInt8], _ rng: inout SplitMix64, in region: Range<Int>? = nil) {
    let r = region ?? 0..<b.count
    guard !r.isEmpty else { return }
    for _ in 0..<(1 + rng.below(8)) { b[r.lowerBound + rng.below(r.count)] ^= UInt8(1) << UInt8(rng.below(8)) }
  }

  /// Sets 1–4 random bytes to random or interesting values.
  static func setBytes(_ b: inout [UInt8], _ rng: inout SplitMix64, in region: Range<Int>? = nil) {
    let r = region ?? 0..<b.count
    guard !r.isEmpty else { return }
    for _ in 0..<(1 + rng.below(4)) {
      b[r.lowerBound + rng.below(r.count)] = rng.chance(0.5) ? rng.pick(interesting) : UInt8(truncatingIfNeeded: rng.next())
    }
  }

  /// Cuts the input at a random length (biased towards short prefixes half of the time).
  static func truncate(_ b: inout [UInt8], _ rng: inout SplitMix64, in region: Range<Int>? = nil) {
    guard !b.isEmpty else { return }
    let r = region ?? 0..<b.count
    let n = rng.chance(0.5) ? rng.below(min(b.count, 256) + 1) : r.lowerBound + rng.below(max(r.count, 1))
    b.removeSubrange(min(n, b.count)...)
  }

  /// Inserts a copy of a random chunk somewhere (a duplicated region or section).
  static func duplicateChunk(_ b: inout [UInt8], _ rng: inout SplitMix64) {
    guard !b.isEmpty else { return }
    let start = rng.below(b.count)
    let len = 1 + rng.below(min(b.count - start, 512))
    b.insert(contentsOf: b[start..<(start + len)], at: rng.below(b.count + 1))
  }

  /// Removes a random chunk.
  static func deleteChunk(_ b: inout [UInt8], _ rng: inout SplitMix64) {
    guard !b.isEmpty else { return }
    let start = rng.below(b.count)
    b.removeSubrange(start..<(start + 1 + rng.below(min(b.count - start, 64))))
  }

  /// Overwrites 4 or 8 bytes with an extreme little-endian integer (huge sizes, counts and offsets).
  static func extremeInteger(_ b: inout [UInt8], _ rng: inout SplitMix64, in region: Range<Int>? = nil) {
    let width = rng.chance(0.5) ? 4 : 8
    let r = region ?? 0..<b.count
    guard r.count >= width else { return }
    let v: UInt64 = rng.pick([0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000, 1 << 40, .max, .max >> 1, 1 << 63])
    let at = r.lowerBound + rng.below(r.count - width + 1)
    for i in 0..<width { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
  }

  /// One random generic mutation.
  static func any(_ b: inout [UInt8], _ rng: inout SplitMix64) {
    switch rng.below(6) {
    case 0: flipBits(&b, &rng)
    case 1: setBytes(&b, &rng)
    case 2: truncate(&b, &rng)
    case 3: duplicateChunk(&b, &rng)
    case 4: deleteChunk(&b, &rng)
    default: extremeInteger(&b, &rng)
    }
  }
}
