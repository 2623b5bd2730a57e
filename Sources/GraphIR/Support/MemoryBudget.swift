#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A large allocation would exceed the memory limit (`--max-memory`); names what, its size and the limit.
public struct MemoryLimitError: Error, CustomStringConvertible, Sendable {
  /// What needed the memory ("weights of model.onnx", "arena + workspace", …).
  public var what: String
  public var bytes: Int
  public var limit: Int
  public init(what: String, bytes: Int, limit: Int) {
    self.what = what
    self.bytes = bytes
    self.limit = limit
  }
  public var description: String {
    "\(what) need \(MemoryBudget.format(bytes)) (\(bytes) bytes), over the memory limit of "
      + "\(MemoryBudget.format(limit)) (\(limit) bytes; see --max-memory)"
  }
}

/// The memory limit checked before modc's big allocations: weights copied by the ONNX reader, the packed weights
/// of lowering, the arena and kernel workspace of an `ExecutionContext`, and the weights source of `emit-c`.
///
/// The limit is task-local, so a caller (the CLI's `--max-memory`, or a test) binds it around the work it covers
/// without affecting concurrent work: `try MemoryBudget.$limit.withValue(1 << 30) { try compile() }`. Each check
/// compares one allocation (or one group allocated together) with the limit; memory-mapped data (external
/// weights, and plan files larger than the limit, which are then mapped instead of read) is not counted, since it
/// is paged in from the file on demand.
public enum MemoryBudget {
  /// The limit in bytes, or nil for none (the default).
  @TaskLocal public static var limit: Int?

  /// Throws when `bytes` exceeds the current limit.
  public static func check(_ bytes: Int, for what: @autoclosure () -> String) throws(MemoryLimitError) {
    guard let limit, bytes > limit else { return }
    throw MemoryLimitError(what: what(), bytes: bytes, limit: limit)
  }

  /// Parses `BYTES`, `NK`, `NM`, `NG` or `NT` (powers of 1024; an optional trailing `B`/`iB`, any case), or nil.
  public static func parse(_ text: String) -> Int? {
    var s = Substring(text.uppercased())
    if s.hasSuffix("IB") { s = s.dropLast(2) } else if s.hasSuffix("B") { s = s.dropLast() }
    let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
    var shift = 0
    if let last = s.last, let sh = shifts[last] {
      shift = sh
      s = s.dropLast()
    }
    guard !s.isEmpty, s.allSatisfy(\.isNumber), let v = Int(s), v >= 0 else { return nil }
    let (r, overflow) = v.multipliedReportingOverflow(by: 1 << shift)
    return overflow ? nil : r
  }

  /// Physical memory of the machine in bytes, or nil if unknown.
  public static var physicalMemory: Int? {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return nil }
    return pages.multipliedReportingOverflow(by: size).overflow ? nil : pages * size
  }

  /// `1536` → `1.50 KiB`: binary units, two decimals.
  public static func format(_ bytes: Int) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(bytes)
    var u = 0
    while v >= 1024 && u < units.count - 1 {
      v /= 1024
      u += 1
    }
    if u == 0 { return "\(bytes) bytes" }
    let hundredths = Int((v * 100).rounded())
    let frac = hundredths % 100
    return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac) \(units[u])"
  }
}
