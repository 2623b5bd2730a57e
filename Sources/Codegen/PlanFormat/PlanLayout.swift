/// A `.modplan` read or write failure: one line naming the file.
public struct PlanError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What went wrong, for callers that react differently (e.g. suggest recompiling on `.newerVersion`).
  public enum Kind: Sendable, Equatable {
    case io, notAPlan, newerVersion, unsupported, truncated, corrupt, missingSection, malformed
  }

  public var path: String
  public var kind: Kind
  public var message: String

  public init(path: String, _ kind: Kind, _ message: String) {
    self.path = path
    self.kind = kind
    self.message = message
  }

  public var description: String { "plan '\(path)': \(message)" }
}

/// The type of a `.modplan` section. Unknown kinds (from newer writers) are kept and ignored by readers.
public struct PlanSectionKind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  /// Key/value metadata (producer, model name, command line, …); see `PlanMetadata`.
  public static let metadata = PlanSectionKind(rawValue: 1)
  /// The serialized schedule of kernel calls (format owned by the schedule serializer).
  public static let schedule = PlanSectionKind(rawValue: 2)
  /// The memory plan: region sizes and every buffer's placement; see `MemoryPlan.serialized`.
  public static let memoryPlan = PlanSectionKind(rawValue: 3)
  /// The weights blob: tensor bytes, each 64-byte aligned.
  public static let weights = PlanSectionKind(rawValue: 4)
  /// The index of the weights blob: name, dtype, shape, offset, size per tensor; see `WeightsBlob`.
  public static let weightIndex = PlanSectionKind(rawValue: 5)
  /// What the schedule was compiled for: ISA (`enum modc_isa`, u8) and conv-algorithm policy (u8); see
  /// `CompiledTarget`. Plans without it (older writers) run uncapped on any machine.
  public static let target = PlanSectionKind(rawValue: 6)

  public var description: String {
    switch self {
    case .metadata: return "metadata"
    case .schedule: return "schedule"
    case .memoryPlan: return "memory-plan"
    case .weights: return "weights"
    case .weightIndex: return "weight-index"
    case .target: return "target"
    default: return "kind-\(rawValue)"
    }
  }
}

/// One row of the section table.
public struct PlanSectionEntry: Sendable, Hashable {
  public var kind: PlanSectionKind
  /// Absolute file offset; a multiple of 64.
  public var offset: Int
  public var size: Int
  /// CRC-64/XZ of the section bytes.
  public var checksum: UInt64
}

/// The fixed binary layout of a `.modplan` file (all integers little-endian).
///
/// ```
/// header (128 bytes)                         section table at 128, 32 bytes per entry
///   0  magic "MODCPLAN"                        0  kind u32
///   8  format version u32                      4  flags u32 (0)
///  12  min reader version u32                  8  offset u64 (64-byte aligned)
///  16  endianness mark u32 = 0x0A0B0C0D       16  size u64
///  20  header size u32 = 128                  24  checksum u64 (CRC-64/XZ of the section)
///  24  section count u32
///  28  flags u32 (0)                        sections follow, 64-byte aligned, in table order,
///  32  file size u64                        zero padding between them
///  40  producer: length u8 + 63 bytes UTF-8
/// 104  section table checksum u64
/// 112  reserved u64 (0)
/// 120  header checksum u64 (CRC-64/XZ of bytes 0..<120)
/// ```
/// Bytes 0..<24 keep this layout in every format version, and the header checksum is always the last 8 bytes of
/// the header, so any reader can tell "corrupt" from "newer than me".
public enum PlanLayout {
  public static let magic: [UInt8] = Array("MODCPLAN".utf8)
  /// The format version this modc writes.
  public static let formatVersion: UInt32 = 1
  /// The newest format whose files this modc can read (files may declare a lower `min reader version`).
  public static let readerVersion: UInt32 = 1
  public static let endianMark: UInt32 = 0x0A0B_0C0D
  public static let headerSize = 128
  public static let entrySize = 32
  public static let alignment = 64
  public static let maxProducerBytes = 63
  /// A sanity bound on the section count, so a corrupt count cannot make a reader allocate gigabytes.
  public static let maxSections = 4096
}
