/// Reads NumPy `.npz` archives: zip files of `.npy` members, stored (`np.savez`) or deflated (`np.savez_compressed`).
///
/// The central directory is authoritative (sizes, CRC-32, offsets; zip64 extra fields understood); every member's
/// CRC-32 is verified. Member names are given without the `.npy` suffix, as `np.load` does.
public struct NPZFile: Sendable {
  /// The path the archive was read from (for messages).
  public let path: String
  /// Member names (without `.npy`) in archive order.
  public let names: [String]
  private let arrays: [String: NPYArray]

  /// Reads and decodes every member of the archive at `path`.
  public static func read(_ path: String) throws(NPYError) -> NPZFile {
    let bytes = try NPY.readWholeFile(path)
    return try withBytes(bytes) { b throws(NPYError) in try parse(b, file: path) }
  }

  /// Decodes an archive from memory; `file` names it in errors.
  public static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(NPYError) -> NPZFile {
    let entries = try ZipDirectory.entries(bytes, file: file)
    var names: [String] = []
    var arrays: [String: NPYArray] = [:]
    for e in entries {
      let data = try e.contents(bytes, file: file)
      let name = e.name.hasSuffix(".npy") ? String(e.name.dropLast(4)) : e.name
      guard arrays[name] == nil else { throw NPYError(file: file, member: e.name, "duplicate member") }
      arrays[name] = try withBytes(data) { b throws(NPYError) in try NPY.parse(b, file: file, member: e.name) }
      names.append(name)
    }
    return NPZFile(path: file, names: names, arrays: arrays)
  }

  /// The member `name` (without `.npy`); a missing member is an error listing what the archive has.
  public func array(_ name: String) throws(NPYError) -> NPYArray {
    guard let a = arrays[name] else {
      throw NPYError(file: path, member: name, "no such member (archive has: \(names.joined(separator: ", ")))")
    }
    return a
  }

  /// The member `name`, or nil.
  public subscript(name: String) -> NPYArray? { arrays[name] }
}

/// One central-directory entry of a zip archive.
private struct ZipEntry {
  var name: String
  var method: UInt16
  var flags: UInt16
  var crc: UInt32
  var compressedSize: Int
  var size: Int
  var localHeaderOffset: Int

  /// The member's uncompressed, CRC-checked bytes.
  func contents(_ zip: UnsafeRawBufferPointer, file: String) throws(NPYError) -> [UInt8] {
    func fail(_ r: String) -> NPYError { NPYError(file: file, member: name, r) }
    guard flags & 1 == 0 else { throw fail("encrypted members are not supported") }
    var r = ByteReader(zip)
    let dataStart: Int
    do throws(ByteReadError) {
      try r.seek(to: localHeaderOffset)
      guard try r.u32() == 0x0403_4B50 else { throw ByteReadError(offset: localHeaderOffset, "bad local header signature") }
      _ = try r.bytes(22)
      let nameLen = Int(try r.u16())
      let extraLen = Int(try r.u16())
      _ = try r.bytes(nameLen + extraLen)
      dataStart = r.offset
    } catch {
      throw fail("local header: \(error)")
    }
    guard compressedSize <= zip.count - dataStart else { throw fail("truncated member data") }
    let raw = UnsafeRawBufferPointer(rebasing: zip[dataStart..<(dataStart + compressedSize)])
    let out: [UInt8]
    switch method {
    case 0:
      guard compressedSize == size else { throw fail("stored member sizes disagree") }
      out = Array(raw)
    case 8:
      do { out = try Inflate.decompress(raw, expectedSize: size) } catch { throw fail("deflate: \(error.reason)") }
      guard out.count == size else { throw fail("inflated to \(out.count) bytes, expected \(size)") }
    default:
      throw fail("unsupported compression method \(method) (reads stored and deflate)")
    }
    guard CRC32.checksum(out) == crc else { throw fail("CRC-32 mismatch (corrupt archive)") }
    return out
  }
}

/// Locates and parses a zip central directory.
private enum ZipDirectory {
  static func entries(_ zip: UnsafeRawBufferPointer, file: String) throws(NPYError) -> [ZipEntry] {
    func fail(_ r: String) -> NPYError { NPYError(file: file, r) }
    guard zip.count >= 22 else { throw fail("not a zip/.npz file (too short)") }
    // The end-of-central-directory record is the last 22 bytes plus a comment of up to 65535 bytes.
    var eocd = -1
    var i = zip.count - 22
    let lowest = max(0, zip.count - 22 - 0xFFFF)
    while i >= lowest {
      if zip[i] == 0x50, zip[i + 1] == 0x4B, zip[i + 2] == 0x05, zip[i + 3] == 0x06 { eocd = i; break }
      i -= 1
    }
    guard eocd >= 0 else { throw fail("not a zip/.npz file (no end of central directory)") }
    do throws(ByteReadError) {
      var r = ByteReader(zip)
      try r.seek(to: eocd + 10)
      var count = Int(try r.u16())
      var dirSize = Int(try r.u32())
      var dirOffset = Int(try r.u32())
      if count == 0xFFFF || dirSize == 0xFFFF_FFFF || dirOffset == 0xFFFF_FFFF {
        // Zip64: a locator right before the EOCD points at the zip64 end record.
        guard eocd >= 20 else { throw ByteReadError(offset: r.offset, "zip64 locator missing") }
        try r.seek(to: eocd - 20)
        guard try r.u32() == 0x0706_4B50 else { throw ByteReadError(offset: r.offset, "zip64 locator missing") }
        _ = try r.u32()
        try r.seek(to: try r.count64())
        guard try r.u32() == 0x0606_4B50 else { throw ByteReadError(offset: r.offset, "bad zip64 end record") }
        _ = try r.bytes(20)
        count = try r.count64()
        _ = try r.u64()
        dirSize = try r.count64()
        dirOffset = try r.count64()
      }
      guard dirOffset <= zip.count, dirSize <= zip.count - dirOffset else { throw ByteReadError(offset: r.offset, "central directory out of bounds") }
      try r.seek(to: dirOffset)
      var entries: [ZipEntry] = []
      for _ in 0..<count {
        guard try r.u32() == 0x0201_4B50 else { throw ByteReadError(offset: r.offset, "bad central directory entry signature") }
        _ = try r.bytes(4)
        let flags = try r.u16()
        let method = try r.u16()
        _ = try r.bytes(4)
        let crc = try r.u32()
        var csize = Int(try r.u32())
        var usize = Int(try r.u32())
        let nameLen = Int(try r.u16())
        let extraLen = Int(try r.u16())
        let commentLen = Int(try r.u16())
        _ = try r.bytes(8)
        var offset = Int(try r.u32())
        let nameBytes = try r.bytes(nameLen)
        guard let name = String(validating: nameBytes, as: UTF8.self) else { throw ByteReadError(offset: r.offset, "member name is not UTF-8") }
        var extra = ByteReader(try r.bytes(extraLen))
        _ = try r.bytes(commentLen)
        // Zip64 extended information: only the fields whose 32-bit values are saturated are present, in order.
        while extra.remaining >= 4 {
          let tag = try extra.u16()
          var field = ByteReader(try extra.bytes(Int(try extra.u16())))
          guard tag == 0x0001 else { continue }
          if usize == 0xFFFF_FFFF { usize = try field.count64() }
          if csize == 0xFFFF_FFFF { csize = try field.count64() }
          if offset == 0xFFFF_FFFF { offset = try field.count64() }
        }
        entries.append(
          ZipEntry(
            name: name, method: method, flags: flags, crc: crc, compressedSize: csize, size: usize,
            localHeaderOffset: offset))
      }
      return entries
    } catch {
      throw fail("corrupt zip central directory: \(error)")
    }
  }
}
