import GraphIR

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A problem reading or writing a `.npy`/`.npz` file; one line naming the file (and the `.npz` member, if any).
public struct NPYError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file path.
  public var file: String
  /// The `.npz` member, when the problem is inside one.
  public var member: String?
  public var reason: String

  public init(file: String, member: String? = nil, _ reason: String) {
    self.file = file
    self.member = member
    self.reason = reason
  }

  public var description: String {
    if let member { return "\(file): member '\(member)': \(reason)" }
    return "\(file): \(reason)"
  }
}

/// The element types modc reads from `.npy` files (little-endian only). modc's own inputs and outputs are `<f4`.
public enum NPYDType: String, Sendable, CaseIterable {
  case f32 = "<f4"
  case f64 = "<f8"
  case i64 = "<i8"
  case i32 = "<i4"

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .f32, .i32: return 4
    case .f64, .i64: return 8
    }
  }

  /// The matching GraphIR element type.
  public var dtype: DType {
    switch self {
    case .f32: return .f32
    case .f64: return .f64
    case .i64: return .i64
    case .i32: return .i32
    }
  }
}

/// A C-order NumPy array: element type, shape and the raw little-endian element bytes.
public struct NPYArray: Sendable, Equatable {
  public var dtype: NPYDType
  public var shape: [Int]
  /// Element bytes, little-endian, row-major; exactly `elementCount * dtype.byteSize` of them.
  public var data: [UInt8]

  /// Wraps raw bytes; the caller guarantees the length matches `shape`.
  public init(dtype: NPYDType, shape: [Int], data: [UInt8]) {
    precondition(data.count == shape.reduce(1, *) * dtype.byteSize, "NPYArray data length does not match shape")
    self.dtype = dtype
    self.shape = shape
    self.data = data
  }

  /// A float32 array from values (row-major).
  public init(shape: [Int], floats: [Float]) {
    precondition(shape.reduce(1, *) == floats.count, "NPYArray shape does not match value count")
    var d = [UInt8]()
    d.reserveCapacity(floats.count * 4)
    for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
    self.init(dtype: .f32, shape: shape, data: d)
  }

  /// Number of elements (1 for a 0-d array).
  public var elementCount: Int { shape.reduce(1, *) }

  /// The elements converted to `Float` (exact for `<f4`; rounded for the other types).
  public var floats: [Float] {
    switch dtype {
    case .f32: return decode(UInt32.self) { Float(bitPattern: $0) }
    case .f64: return decode(UInt64.self) { Float(Double(bitPattern: $0)) }
    case .i64: return decode(UInt64.self) { Float(Int64(bitPattern: $0)) }
    case .i32: return decode(UInt32.self) { Float(Int32(bitPattern: $0)) }
    }
  }

  /// The elements converted to `Double`.
  public var doubles: [Double] {
    switch dtype {
    case .f32: return decode(UInt32.self) { Double(Float(bitPattern: $0)) }
    case .f64: return decode(UInt64.self) { Double(bitPattern: $0) }
    case .i64: return decode(UInt64.self) { Double(Int64(bitPattern: $0)) }
    case .i32: return decode(UInt32.self) { Double(Int32(bitPattern: $0)) }
    }
  }

  /// The elements as integers, or nil for floating-point arrays.
  public var int64s: [Int64]? {
    switch dtype {
    case .i64: return decode(UInt64.self) { Int64(bitPattern: $0) }
    case .i32: return decode(UInt32.self) { Int64(Int32(bitPattern: $0)) }
    case .f32, .f64: return nil
    }
  }

  /// The array as a GraphIR constant (bytes copied into aligned storage).
  public var tensorData: TensorData {
    let storage = data.withUnsafeBytes { TensorStorage(copying: $0) }
    return TensorData(dtype: dtype.dtype, shape: shape, storage: storage)
  }

  private func decode<W: FixedWidthInteger, T>(_: W.Type, _ f: (W) -> T) -> [T] {
    data.withUnsafeBytes { raw in
      (0..<elementCount).map { i in f(W(littleEndian: raw.loadUnaligned(fromByteOffset: i * W.bitWidth / 8, as: W.self))) }
    }
  }
}

/// Reads and writes NumPy `.npy` files (format versions 1.0, 2.0 and 3.0; C order; little-endian).
public enum NPY {
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

  /// Reads the `.npy` file at `path`.
  public static func read(_ path: String) throws(NPYError) -> NPYArray {
    let bytes = try readWholeFile(path)
    return try withBytes(bytes) { b throws(NPYError) in try parse(b, file: path) }
  }

  /// Parses `.npy` bytes; `file` (and `member`) name the source in errors.
  public static func parse(_ bytes: UnsafeRawBufferPointer, file: String, member: String? = nil) throws(NPYError)
    -> NPYArray
  {
    func fail(_ reason: String) -> NPYError { NPYError(file: file, member: member, reason) }
    guard bytes.count >= 10 else {
      throw bytes.count >= 6 && Array(bytes[0..<6]) == magic ? fail("truncated .npy header") : fail("not a .npy file")
    }
    guard Array(bytes[0..<6]) == magic else { throw fail("not a .npy file (bad magic)") }
    let major = bytes[6], minor = bytes[7]
    let headerLen: Int
    let dataStart: Int
    switch major {
    case 1:
      headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
      dataStart = 10 + headerLen
    case 2, 3:
      guard bytes.count >= 12 else { throw fail("truncated .npy header") }
      headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      dataStart = 12 + headerLen
    default:
      throw fail("unsupported .npy format version \(major).\(minor) (reads 1.0, 2.0, 3.0)")
    }
    guard minor == 0 else { throw fail("unsupported .npy format version \(major).\(minor) (reads 1.0, 2.0, 3.0)") }
    guard dataStart <= bytes.count else { throw fail("truncated .npy header") }
    let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[(dataStart - headerLen)..<dataStart])
    let text: String
    if major == 3 {
      guard let s = String(validating: headerBytes, as: UTF8.self) else { throw fail("header is not valid UTF-8") }
      text = s
    } else {
      // Versions 1 and 2 are latin-1; the keys and values modc accepts are ASCII.
      guard headerBytes.allSatisfy({ $0 < 0x80 }) else { throw fail("header is not ASCII") }
      text = String(decoding: headerBytes, as: UTF8.self)
    }
    guard text.hasSuffix("\n") else { throw fail("malformed header: does not end in a newline") }
    let header: NPYHeader
    do { header = try NPYHeader.parse(text) } catch { throw fail("malformed header: \(error.reason)") }
    guard let dtype = NPYDType(rawValue: header.descr) else {
      let hint = header.descr.hasPrefix(">") ? " (big-endian data is not supported)" : ""
      throw fail("unsupported dtype '\(header.descr)'\(hint); modc reads <f4, <f8, <i8, <i4")
    }
    guard !header.fortranOrder else { throw fail("Fortran-order arrays are not supported; save with C order") }
    var count = 1
    for d in header.shape {
      let (m, o) = count.multipliedReportingOverflow(by: d)
      guard !o else { throw fail("shape \(header.shape) is too large") }
      count = m
    }
    let (expected, o) = count.multipliedReportingOverflow(by: dtype.byteSize)
    guard !o else { throw fail("shape \(header.shape) is too large") }
    let actual = bytes.count - dataStart
    guard actual >= expected else {
      throw fail("truncated data: shape \(header.shape) of \(dtype.rawValue) needs \(expected) bytes, file has \(actual)")
    }
    guard actual == expected else {
      throw fail("shape \(header.shape) of \(dtype.rawValue) needs \(expected) bytes, but \(actual) follow the header")
    }
    return NPYArray(dtype: dtype, shape: header.shape, data: Array(bytes[dataStart...]))
  }

  /// The `.npy` bytes of `array`: a version 1.0 header (2.0 if the header is huge) padded to 64 bytes, then data.
  public static func encode(_ array: NPYArray) -> [UInt8] {
    let dict = NPYHeader(descr: array.dtype.rawValue, fortranOrder: false, shape: array.shape).text
    let v1 = dict.utf8.count + 1 + 10 <= 0xFFFF + 10
    let prefix = v1 ? 10 : 12
    let total = alignUp(prefix + dict.utf8.count + 1, to: 64)
    let headerLen = total - prefix
    var out = magic + [v1 ? 1 : 2, 0]
    out.reserveCapacity(total + array.data.count)
    for i in 0..<(v1 ? 2 : 4) { out.append(UInt8(truncatingIfNeeded: headerLen >> (8 * i))) }
    out += Array(dict.utf8)
    out += [UInt8](repeating: 0x20, count: headerLen - dict.utf8.count - 1)
    out.append(0x0A)
    out += array.data
    return out
  }

  /// Writes `array` to `path` atomically. modc writes `<f4` only; other types are rejected.
  public static func write(_ array: NPYArray, to path: String) throws(NPYError) {
    guard array.dtype == .f32 else {
      throw NPYError(file: path, "modc writes only <f4 arrays, not \(array.dtype.rawValue)")
    }
    do { try AtomicFile.write(encode(array), to: path) } catch { throw NPYError(file: path, error.reason) }
  }

  /// Writes float32 `values` of `shape` to `path` atomically.
  public static func write(floats values: [Float], shape: [Int], to path: String) throws(NPYError) {
    guard shape.reduce(1, *) == values.count, shape.allSatisfy({ $0 >= 0 }) else {
      throw NPYError(file: path, "shape \(shape) does not hold \(values.count) values")
    }
    try write(NPYArray(shape: shape, floats: values), to: path)
  }

  /// The whole file at `path`; errors name the file.
  static func readWholeFile(_ path: String) throws(NPYError) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw NPYError(file: path, String(cString: strerror(errno))) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw NPYError(file: path, String(cString: strerror(errno))) }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw NPYError(file: path, "not a regular file") }
    var out = [UInt8](repeating: 0, count: Int(st.st_size))
    var off = 0
    while off < out.count {
      let n = out.withUnsafeMutableBytes { b -> Int in
        guard let base = b.baseAddress else { return 0 }
        return systemRead(fd, base + off, b.count - off)
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw NPYError(file: path, String(cString: strerror(errno)))
      }
      if n == 0 { out.removeLast(out.count - off); break }
      off += n
    }
    return out
  }
}

/// The C library's read(2), named so it does not clash with `NPY.read`.
func systemRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int {
  #if canImport(Glibc)
  return Glibc.read(fd, p, n)
  #else
  return Darwin.read(fd, p, n)
  #endif
}

/// The C library's write(2), named so it does not clash with methods called `write`.
func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
  #if canImport(Glibc)
  return Glibc.write(fd, p, n)
  #else
  return Darwin.write(fd, p, n)
  #endif
}
