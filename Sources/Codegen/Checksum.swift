import CKernels

/// The checksum of `.modplan` headers and sections: `modc_hash64` from the kernel library (a 64-bit, 4-lane
/// multiply–rotate hash, several GB/s, so validating a ResNet-50 plan's 100 MB of weights takes ~20 ms).
/// The same function checks the weight files of emitted C projects.
public enum PlanChecksum {
  /// Seed that makes plan checksums differ from other uses of the hash.
  public static let seed: UInt64 = 0x6D6F_6463_706C_616E  // "modcplan"

  /// The checksum of `bytes`.
  public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    modc_hash64(bytes.baseAddress, bytes.count, seed)
  }

  /// The checksum of `bytes`.
  public static func checksum(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBytes { checksum($0) }
  }
}

/// CRC-32 (IEEE 802.3, as zip and zlib use it): verifies `.npz` members. Check value: `0xCBF43926`.
public struct CRC32: Sendable {
  private var state: UInt64 = 0xFFFF_FFFF

  public init() {}

  /// Feeds `bytes` into the checksum.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    state = crcSliceBy8(state, bytes, crc32Tables)
  }

  /// Feeds `bytes` into the checksum.
  public mutating func update(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// The checksum of everything fed so far.
  public var value: UInt32 { UInt32(truncatingIfNeeded: state) ^ 0xFFFF_FFFF }

  /// The checksum of `bytes` in one call.
  public static func checksum(_ bytes: [UInt8]) -> UInt32 {
    var c = CRC32()
    c.update(bytes)
    return c.value
  }
}

/// Eight 256-entry tables (flattened) for a reflected CRC with polynomial `poly`, for slice-by-8 processing.
private func makeTables(poly: UInt64) -> [UInt64] {
  var t = [UInt64](repeating: 0, count: 8 * 256)
  for i in 0..<256 {
    var c = UInt64(i)
    for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1 }
    t[i] = c
  }
  for k in 1..<8 {
    for i in 0..<256 {
      let prev = t[(k - 1) * 256 + i]
      t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xFF)]
    }
  }
  return t
}

private let crc32Tables = makeTables(poly: 0xEDB8_8320)

/// Shared reflected-CRC kernel: works for any width ≤ 64 whose register is kept in the low bits.
private func crcSliceBy8(_ initial: UInt64, _ bytes: UnsafeRawBufferPointer, _ tables: [UInt64]) -> UInt64 {
  guard let base = bytes.baseAddress, bytes.count > 0 else { return initial }
  var crc = initial
  tables.withUnsafeBufferPointer { t in
    var i = 0
    let n = bytes.count
    while i + 8 <= n {
      let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ crc
      crc = t[7 * 256 + Int(word & 0xFF)] ^ t[6 * 256 + Int((word >> 8) & 0xFF)]
        ^ t[5 * 256 + Int((word >> 16) & 0xFF)] ^ t[4 * 256 + Int((word >> 24) & 0xFF)]
        ^ t[3 * 256 + Int((word >> 32) & 0xFF)] ^ t[2 * 256 + Int((word >> 40) & 0xFF)]
        ^ t[1 * 256 + Int((word >> 48) & 0xFF)] ^ t[Int(word >> 56)]
      i += 8
    }
    while i < n {
      crc = t[Int((crc ^ UInt64(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
      i += 1
    }
  }
  return crc
}
