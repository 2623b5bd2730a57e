import GraphIR

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A validated `.modplan` file in memory. `open` reads the file into weight memory (`WeightMemory`: huge pages where
/// the OS offers them, since a run streams the weights from it every time) and falls back to a read-only mapping
/// when that memory is unavailable or the file exceeds the memory limit (`MemoryBudget`); `borrow` uses the caller's bytes. Section bytes (the weights in particular)
/// point into that one image and are never copied again; they stay valid while this object lives.
///
/// `open` checks everything before returning: magic, header checksum, versions, endianness, file size, the section
/// table (bounds, 64-byte alignment, overlaps, duplicate kinds) and every section checksum.
public final class PlanFile: @unchecked Sendable {
  // @unchecked: the mapping is read-only and never changes after `open`; it is unmapped in deinit.

  public let path: String
  /// The format version the file was written with.
  public let formatVersion: UInt32
  /// The oldest reader version that can read the file.
  public let minReaderVersion: UInt32
  /// The producer string from the header (e.g. "modc 0.1.0").
  public let producer: String
  /// The section table, in file order.
  public let sections: [PlanSectionEntry]
  /// The whole file.
  public let bytes: UnsafeRawBufferPointer
  private let ownership: Ownership

  /// Who releases `bytes`: munmap, deallocate, WeightMemory.free, or nobody (memory borrowed from the caller).
  private enum Ownership { case mapped, allocated, weightMemory, borrowed }

  private init(
    path: String, bytes: UnsafeRawBufferPointer, ownership: Ownership, formatVersion: UInt32, minReaderVersion: UInt32,
    producer: String, sections: [PlanSectionEntry]
  ) {
    self.path = path
    self.bytes = bytes
    self.ownership = ownership
    self.formatVersion = formatVersion
    self.minReaderVersion = minReaderVersion
    self.producer = producer
    self.sections = sections
  }

  deinit { Self.release(bytes, ownership) }

  /// Returns `bytes` the way `ownership` says (also for an image that failed validation).
  private static func release(_ bytes: UnsafeRawBufferPointer, _ ownership: Ownership) {
    guard let base = bytes.baseAddress else { return }
    switch ownership {
    case .mapped: if bytes.count > 0 { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    case .allocated: UnsafeMutableRawPointer(mutating: base).deallocate()
    case .weightMemory: WeightMemory.free(UnsafeMutableRawPointer(mutating: base))
    case .borrowed: break
    }
  }

  /// Reads (or, failing weight memory, maps) and validates the plan at `path`.
  public static func open(_ path: String) throws(PlanError) -> PlanFile {
    let fd = systemOpen(path, O_RDONLY)
    guard fd >= 0 else { throw PlanError(path: path, .io, "cannot open: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw PlanError(path: path, .io, String(cString: strerror(errno))) }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw PlanError(path: path, .io, "not a regular file") }
    let size = Int(st.st_size)
    guard size > 0 else { throw PlanError(path: path, .truncated, "file is empty") }
    // Within the memory limit (--max-memory), read the plan into weight memory; beyond it, or when that memory is
    // unavailable, map the file instead (paged in on demand, not counted against the limit).
    if MemoryBudget.limit.map({ size <= $0 }) ?? true, let p = WeightMemory.allocate(size) {
      let buffer = UnsafeRawBufferPointer(start: p, count: size)
      do { try readAll(fd, into: p, count: size, path: path) } catch {
        release(buffer, .weightMemory)
        throw error
      }
      return try adopt(buffer, .weightMemory, path: path)
    }
    guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
      throw PlanError(path: path, .io, "cannot map: \(String(cString: strerror(errno)))")
    }
    return try adopt(UnsafeRawBufferPointer(start: p, count: size), .mapped, path: path)
  }

  /// A plan file over `bytes` once they validate; otherwise `bytes` are released as `ownership` says and the
  /// error is thrown.
  private static func adopt(_ bytes: UnsafeRawBufferPointer, _ ownership: Ownership, path: String) throws(PlanError)
    -> PlanFile
  {
    do {
      let h = try validate(bytes, path: path)
      return PlanFile(
        path: path, bytes: bytes, ownership: ownership, formatVersion: h.version, minReaderVersion: h.minReader,
        producer: h.producer, sections: h.sections)
    } catch {
      release(bytes, ownership)
      throw error
    }
  }

  /// Reads `count` bytes of `fd` from offset 0 into `p`.
  private static func readAll(_ fd: Int32, into p: UnsafeMutableRawPointer, count: Int, path: String) throws(PlanError) {
    var done = 0
    while done < count {
      let n = pread(fd, p + done, count - done, off_t(done))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        throw PlanError(path: path, .io, n == 0 ? "file shrank while reading" : "cannot read: \(String(cString: strerror(errno)))")
      }
      done += n
    }
  }

  /// Validates a plan image held in memory (copied into aligned storage); `path` names it in errors.
  public static func parse(_ image: [UInt8], path: String) throws(PlanError) -> PlanFile {
    let weightMemory = WeightMemory.allocate(image.count)
    let p =
      weightMemory ?? UnsafeMutableRawPointer.allocate(byteCount: max(image.count, 1), alignment: PlanLayout.alignment)
    let ownership: Ownership = weightMemory == nil ? .allocated : .weightMemory
    image.withUnsafeBytes { src in
      if let base = src.baseAddress { p.copyMemory(from: base, byteCount: src.count) }
    }
    return try adopt(UnsafeRawBufferPointer(start: p, count: image.count), ownership, path: path)
  }

  /// Validates a plan image the caller keeps alive and unchanged for the lifetime of the returned object (and of
  /// every `Executable` made from it); nothing is copied. `image` must be 64-byte aligned so the weights are.
  public static func borrow(_ image: UnsafeRawBufferPointer, path: String) throws(PlanError) -> PlanFile {
    guard let base = image.baseAddress, Int(bitPattern: base) % PlanLayout.alignment == 0 else {
      throw PlanError(path: path, .unsupported, "a borrowed plan image must be \(PlanLayout.alignment)-byte aligned")
    }
    return try adopt(image, .borrowed, path: path)
  }

  /// The bytes of the section of `kind`; a missing section is an error.
  public func section(_ kind: PlanSectionKind) throws(PlanError) -> UnsafeRawBufferPointer {
    guard let e = sections.first(where: { $0.kind == kind }) else {
      throw PlanError(path: path, .missingSection, "has no \(kind) section")
    }
    return UnsafeRawBufferPointer(rebasing: bytes[e.offset..<(e.offset + e.size)])
  }

  /// Whether the plan has a section of `kind`.
  public func hasSection(_ kind: PlanSectionKind) -> Bool { sections.contains { $0.kind == kind } }

  /// A section decoded by `body` with a `ByteReader`; read overruns become `.malformed` errors naming the section.
  public func decode<T>(_ kind: PlanSectionKind, _ body: (inout ByteReader) throws(ByteReadError) -> T)
    throws(PlanError) -> T
  {
    var r = ByteReader(try section(kind))
    do {
      let v = try body(&r)
      guard r.isAtEnd else { throw ByteReadError(offset: r.offset, "\(r.remaining) unread bytes at the end") }
      return v
    } catch {
      throw PlanError(path: path, .malformed, "\(kind) section: \(error)")
    }
  }

  private struct Header {
    var version: UInt32
    var minReader: UInt32
    var producer: String
    var sections: [PlanSectionEntry]
  }

  /// Every structural check of the file format (see `PlanLayout`).
  private static func validate(_ b: UnsafeRawBufferPointer, path: String) throws(PlanError) -> Header {
    func err(_ k: PlanError.Kind, _ m: String) -> PlanError { PlanError(path: path, k, m) }
    let magic = PlanLayout.magic
    guard b.count >= magic.count, b.prefix(magic.count).elementsEqual(magic) else {
      if b.count < magic.count, b.elementsEqual(magic.prefix(b.count)) {
        throw err(.truncated, "file is truncated (\(b.count) bytes)")
      }
      throw err(.notAPlan, "not a modc plan file (bad magic)")
    }
    guard b.count >= 24 else { throw err(.truncated, "file is truncated (\(b.count) bytes)") }
    var r = ByteReader(b)
    do {
      try r.seek(to: 8)
      let version = try r.u32()
      let minReader = try r.u32()
      let mark = try r.u32()
      let headerSize = Int(try r.u32())
      if mark == PlanLayout.endianMark.byteSwapped {
        throw err(.unsupported, "plan was written big-endian; this modc reads little-endian plans only")
      }
      guard mark == PlanLayout.endianMark else { throw err(.corrupt, "bad endianness mark 0x\(hex(mark))") }
      guard 1.littleEndian == 1 else { throw err(.unsupported, "this host is big-endian; plans are little-endian") }
      guard headerSize >= PlanLayout.headerSize, headerSize <= 4096, headerSize % 8 == 0 else {
        throw err(.corrupt, "bad header size \(headerSize)")
      }
      guard b.count >= headerSize else { throw err(.truncated, "file is truncated (\(b.count) bytes)") }
      let stored = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: headerSize - 8, as: UInt64.self))
      let computed = PlanChecksum.checksum(UnsafeRawBufferPointer(rebasing: b[0..<(headerSize - 8)]))
      guard stored == computed else { throw err(.corrupt, "header checksum mismatch (file is corrupt)") }
      guard minReader <= PlanLayout.readerVersion else {
        throw err(
          .newerVersion,
          "plan format v\(version) is newer than this modc (reads ≤ v\(PlanLayout.readerVersion)); recompile the plan")
      }
      guard version >= 1, minReader >= 1, minReader <= version else {
        throw err(.corrupt, "bad version fields (format v\(version), min reader v\(minReader))")
      }
      let count = Int(try r.u32())
      guard try r.u32() == 0 else { throw err(.unsupported, "unknown header flags") }
      let fileSize = try r.count64()
      guard count <= PlanLayout.maxSections else { throw err(.corrupt, "implausible section count \(count)") }
      if fileSize > b.count { throw err(.truncated, "file is truncated: \(b.count) of \(fileSize) bytes") }
      if fileSize < b.count { throw err(.corrupt, "file has \(b.count - fileSize) unexpected bytes after the end") }
      let nameLen = Int(try r.u8())
      guard nameLen <= PlanLayout.maxProducerBytes,
        let producer = String(validating: try r.bytes(nameLen), as: UTF8.self)
      else { throw err(.corrupt, "bad producer string") }
      try r.seek(to: 104)
      let tableChecksum = try r.u64()

      let tableEnd = headerSize + count * PlanLayout.entrySize
      guard tableEnd <= b.count else { throw err(.truncated, "section table extends past the end of the file") }
      let table = UnsafeRawBufferPointer(rebasing: b[headerSize..<tableEnd])
      guard PlanChecksum.checksum(table) == tableChecksum else { throw err(.corrupt, "section table checksum mismatch") }
      var t = ByteReader(table)
      var entries: [PlanSectionEntry] = []
      for i in 0..<count {
        let kind = PlanSectionKind(rawValue: try t.u32())
        guard try t.u32() == 0 else { throw err(.unsupported, "section \(i) has unknown flags") }
        let rawOffset = try t.u64()
        let rawSize = try t.u64()
        let sum = try t.u64()
        guard rawOffset % UInt64(PlanLayout.alignment) == 0 else {
          throw err(.corrupt, "section \(i) (\(kind)) offset \(rawOffset) is not 64-byte aligned")
        }
        let fileBytes = UInt64(b.count)
        guard rawOffset >= UInt64(tableEnd), rawOffset <= fileBytes, rawSize <= fileBytes - rawOffset else {
          throw err(.corrupt, "section \(i) (\(kind)) [\(rawOffset), +\(rawSize)) is outside the file")
        }
        let offset = Int(rawOffset), size = Int(rawSize)
        guard !entries.contains(where: { $0.kind == kind }) else { throw err(.corrupt, "duplicate \(kind) section") }
        entries.append(PlanSectionEntry(kind: kind, offset: offset, size: size, checksum: sum))
      }
      let byOffset = entries.sorted { $0.offset < $1.offset }
      for (a, c) in zip(byOffset, byOffset.dropFirst()) where a.offset + a.size > c.offset {
        throw err(.corrupt, "sections \(a.kind) and \(c.kind) overlap")
      }
      for e in entries {
        let got = PlanChecksum.checksum(UnsafeRawBufferPointer(rebasing: b[e.offset..<(e.offset + e.size)]))
        guard got == e.checksum else { throw err(.corrupt, "\(e.kind) section checksum mismatch (file is corrupt)") }
      }
      return Header(version: version, minReader: minReader, producer: producer, sections: entries)
    } catch let e as PlanError {
      throw e
    } catch {
      throw err(.truncated, "file is truncated (\(error))")
    }
  }
}

private func hex(_ v: UInt32) -> String { String(v, radix: 16, uppercase: true) }

/// The C library's open(2), named so it does not clash with `PlanFile.open`.
private func systemOpen(_ path: String, _ flags: Int32) -> Int32 {
  #if canImport(Glibc)
  return Glibc.open(path, flags)
  #else
  return Darwin.open(path, flags)
  #endif
}
