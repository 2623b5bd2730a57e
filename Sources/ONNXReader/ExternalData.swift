#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GraphIR

/// Resolves `data_location = EXTERNAL` tensors strictly inside the model's directory and maps them zero-copy.
///
/// Refused: absolute locations, `..` components, and paths (including symlinks) whose real path leaves the
/// directory. Each data file is mapped once; a tensor's storage keeps its mapping alive.
final class ExternalDataResolver {
  /// Real path of the model's directory.
  let directory: String
  private var files: [String: MappedFile] = [:]

  init(directory: String) throws(ONNXReadError) {
    guard let real = realPath(directory) else { throw ONNXReadError(.io("cannot resolve directory '\(directory)'")) }
    self.directory = real
  }

  /// Zero-copy storage of `expectedBytes` bytes described by the external_data `entries` of tensor `name`.
  func storage(for name: String, entries: [String: String], expectedBytes: Int, typeText: String)
    throws(ONNXReadError) -> TensorStorage
  {
    func bad(_ r: String) -> ONNXReadError { ONNXReadError(.externalData(tensor: name, reason: r)) }
    guard let location = entries["location"], !location.isEmpty else { throw bad("missing 'location' key") }
    guard !location.hasPrefix("/") else { throw bad("absolute location '\(location)' refused") }
    let parts = location.split(separator: "/", omittingEmptySubsequences: true)
    guard !parts.contains("..") else { throw bad("location '\(location)' escapes the model directory") }
    let joined = directory + "/" + location
    guard let real = realPath(joined) else { throw bad("file '\(location)' not found next to the model") }
    guard real.hasPrefix(directory + "/") else {
      throw bad("location '\(location)' resolves outside the model directory (to '\(real)')")
    }
    let file: MappedFile
    if let f = files[real] {
      file = f
    } else {
      do { file = try MappedFile(path: real) } catch { throw bad("cannot map '\(location)': \(error.description)") }
      files[real] = file
    }
    let offset = try parseInt(entries["offset"], key: "offset", default: 0, bad)
    let size = file.bytes.count
    guard offset <= size else { throw bad("offset \(offset) is past the end of '\(location)' (\(size) bytes)") }
    let length = try parseInt(entries["length"], key: "length", default: size - offset, bad)
    guard length <= size - offset else {
      throw bad("offset \(offset) + length \(length) is past the end of '\(location)' (\(size) bytes)")
    }
    guard length == expectedBytes else { throw bad("length \(length) does not match \(expectedBytes) bytes for \(typeText)") }
    guard let base = file.bytes.baseAddress else { return TensorStorage(zeroedCount: 0) }
    let region = UnsafeRawBufferPointer(start: base + offset, count: length)
    if offset % 16 != 0 {
      do { try MemoryBudget.check(length, for: "an unaligned copy of the external data") } catch {
        throw bad(error.description)
      }
      return TensorStorage(copying: region)
    }
    // The closure holds the mapping; it is unmapped when the last storage over it dies.
    return TensorStorage(bytes: region) { _ in withExtendedLifetime(file) {} }
  }

  private func parseInt(
    _ s: String?, key: String, default d: Int, _ bad: (String) -> ONNXReadError
  ) throws(ONNXReadError) -> Int {
    guard let s else { return d }
    guard let v = Int(s), v >= 0 else { throw bad("'\(key)' is not a non-negative integer: '\(s)'") }
    return v
  }
}

/// `realpath(3)`, or nil if the path does not exist.
func realPath(_ path: String) -> String? {
  guard let p = realpath(path, nil) else { return nil }
  defer { free(p) }
  return String(cString: p)
}
