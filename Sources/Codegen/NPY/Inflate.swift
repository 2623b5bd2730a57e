/// A raw DEFLATE (RFC 1951) decoder, enough to read `np.savez_compressed` archives without linking zlib.
///
/// Canonical Huffman codes are decoded with the count/symbol tables of RFC 1951 §3.2.2 (as in zlib's `puff`):
/// simple, bounds-checked on every read, and fast enough for router weights and test references.
enum Inflate {
  /// Why a stream failed to decode.
  struct Failure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
  }

  /// Decompresses a raw deflate stream. `expectedSize`, when known, pre-sizes the output and bounds it.
  static func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int? = nil) throws(Failure) -> [UInt8] {
    var s = BitStream(input)
    var out: [UInt8] = []
    // DEFLATE expands at most ~1032:1, so a corrupt declared size cannot make us reserve absurd amounts.
    if let expectedSize { out.reserveCapacity(min(expectedSize, input.count &* 1032 &+ 1024)) }
    let limit = expectedSize ?? Int.max
    var last = false
    while !last {
      last = try s.bits(1) == 1
      switch try s.bits(2) {
      case 0: try stored(&s, &out)
      case 1: try codes(&s, &out, fixedTables.lit, fixedTables.dist, limit)
      case 2:
        let (lit, dist) = try dynamicTables(&s)
        try codes(&s, &out, lit, dist, limit)
      default: throw Failure("invalid deflate block type 3")
      }
      guard out.count <= limit else { throw Failure("inflated data is larger than the declared \(limit) bytes") }
    }
    return out
  }

  private static func stored(_ s: inout BitStream, _ out: inout [UInt8]) throws(Failure) {
    s.alignToByte()
    let len = try s.bits(16)
    let nlen = try s.bits(16)
    guard len == ~nlen & 0xFFFF else { throw Failure("stored block length check failed") }
    try s.copyBytes(len, into: &out)
  }

  private static let lengthBase: [Int] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
  ]
  private static let lengthExtra: [Int] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
  ]
  private static let distBase: [Int] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
    6145, 8193, 12289, 16385, 24577,
  ]
  private static let distExtra: [Int] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
  ]

  /// Decodes literal/length + distance codes until end-of-block (symbol 256).
  private static func codes(
    _ s: inout BitStream, _ out: inout [UInt8], _ lit: Huffman, _ dist: Huffman, _ limit: Int
  ) throws(Failure) {
    while true {
      let sym = try lit.decode(&s)
      if sym < 256 {
        out.append(UInt8(sym))
      } else if sym == 256 {
        return
      } else {
        let li = sym - 257
        guard li < lengthBase.count else { throw Failure("invalid length symbol \(sym)") }
        let len = lengthBase[li] + (try s.bits(lengthExtra[li]))
        let di = try dist.decode(&s)
        guard di < distBase.count else { throw Failure("invalid distance symbol \(di)") }
        let d = distBase[di] + (try s.bits(distExtra[di]))
        guard d <= out.count else { throw Failure("distance \(d) reaches before the start of the output") }
        let start = out.count - d
        for k in 0..<len { out.append(out[start + k]) }
      }
      guard out.count <= limit else { throw Failure("inflated data is larger than the declared \(limit) bytes") }
    }
  }

  private static let fixedTables: (lit: Huffman, dist: Huffman) = {
    var lengths = [Int](repeating: 8, count: 288)
    for i in 144..<256 { lengths[i] = 9 }
    for i in 256..<280 { lengths[i] = 7 }
    // Both tables are complete, so construction cannot fail.
    let lit = (try? Huffman(lengths)) ?? Huffman.empty
    let dist = (try? Huffman([Int](repeating: 5, count: 30))) ?? Huffman.empty
    return (lit, dist)
  }()

  private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

  private static func dynamicTables(_ s: inout BitStream) throws(Failure) -> (Huffman, Huffman) {
    let nlen = try s.bits(5) + 257
    let ndist = try s.bits(5) + 1
    let ncode = try s.bits(4) + 4
    guard nlen <= 286, ndist <= 30 else { throw Failure("bad dynamic block counts") }
    var clens = [Int](repeating: 0, count: 19)
    for i in 0..<ncode { clens[codeLengthOrder[i]] = try s.bits(3) }
    let clcode = try Huffman(clens)
    var lengths: [Int] = []
    lengths.reserveCapacity(nlen + ndist)
    while lengths.count < nlen + ndist {
      let sym = try clcode.decode(&s)
      switch sym {
      case 0..<16: lengths.append(sym)
      case 16:
        guard let prev = lengths.last else { throw Failure("repeat code with no previous length") }
        lengths += repeatElement(prev, count: 3 + (try s.bits(2)))
      case 17: lengths += repeatElement(0, count: 3 + (try s.bits(3)))
      default: lengths += repeatElement(0, count: 11 + (try s.bits(7)))
      }
    }
    guard lengths.count == nlen + ndist else { throw Failure("code lengths overrun the table") }
    guard lengths[256] > 0 else { throw Failure("no end-of-block code") }
    return (try Huffman(Array(lengths[0..<nlen])), try Huffman(Array(lengths[nlen...])))
  }
}

/// A canonical Huffman code as counts per length and symbols in code order.
private struct Huffman {
  var counts: [Int]  // counts[len] = number of codes of that length, len 0...15
  var symbols: [Int]

  static let empty = Huffman(counts: [Int](repeating: 0, count: 16), symbols: [])

  private init(counts: [Int], symbols: [Int]) {
    self.counts = counts
    self.symbols = symbols
  }

  /// Builds the code from code lengths (0 = unused symbol). Over-subscribed sets are rejected.
  init(_ lengths: [Int]) throws(Inflate.Failure) {
    var counts = [Int](repeating: 0, count: 16)
    for l in lengths { counts[l] += 1 }
    var left = 1
    for len in 1..<16 {
      left = left * 2 - counts[len]
      guard left >= 0 else { throw Inflate.Failure("over-subscribed Huffman code") }
    }
    var offsets = [Int](repeating: 0, count: 16)
    for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
    var symbols = [Int](repeating: 0, count: lengths.count)
    for (sym, l) in lengths.enumerated() where l != 0 {
      symbols[offsets[l]] = sym
      offsets[l] += 1
    }
    self.counts = counts
    self.symbols = symbols
  }

  /// Reads one symbol, bit by bit (codes are stored most-significant bit first).
  func decode(_ s: inout BitStream) throws(Inflate.Failure) -> Int {
    var code = 0, first = 0, index = 0
    for len in 1..<16 {
      code |= try s.bits(1)
      let count = counts[len]
      if code - count < first { return symbols[index + (code - first)] }
      index += count
      first = (first + count) << 1
      code <<= 1
    }
    throw Inflate.Failure("invalid Huffman code")
  }
}

/// LSB-first bit reader over a byte buffer; every read is bounds-checked.
private struct BitStream {
  let bytes: UnsafeRawBufferPointer
  var pos = 0
  var bitBuffer = 0
  var bitCount = 0

  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  mutating func bits(_ n: Int) throws(Inflate.Failure) -> Int {
    while bitCount < n {
      guard pos < bytes.count else { throw Inflate.Failure("deflate stream is truncated") }
      bitBuffer |= Int(bytes[pos]) << bitCount
      pos += 1
      bitCount += 8
    }
    let v = bitBuffer & ((1 << n) - 1)
    bitBuffer >>= n
    bitCount -= n
    return v
  }

  mutating func alignToByte() {
    bitBuffer = 0
    bitCount = 0
  }

  mutating func copyBytes(_ n: Int, into out: inout [UInt8]) throws(Inflate.Failure) {
    guard n <= bytes.count - pos else { throw Inflate.Failure("deflate stream is truncated") }
    out.append(contentsOf: bytes[pos..<(pos + n)])
    pos += n
  }
}
