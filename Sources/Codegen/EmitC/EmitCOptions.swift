import GraphIR

/// How an emitted project carries its weights.
public enum CWeightsMode: String, Sendable, CaseIterable {
  /// `static const` 64-byte aligned arrays compiled into `NAME_weights.c` (bit patterns, so bit-exact).
  case embed
  /// A `NAME.weights` blob next to the binary, loaded and verified (size + checksum) by `NAME_load_weights`.
  case file

  /// The default for a weights blob of `bytes` bytes: embedded below 16 MiB, a file above.
  public static func automatic(weightsBytes bytes: Int) -> CWeightsMode { bytes < 16 << 20 ? .embed : .file }
}

/// Where an emitted project came from; written into the provenance comment of every generated file.
public struct CProvenance: Sendable, Equatable {
  public var modcVersion: String
  public var commandLine: String
  public var sourceModel: String
  public var sourceHash: String
  /// MoD settings ("none" for a plain model), e.g. `layer1.1(C=16,k=1) layer2.1(C=32,k=2)`.
  public var modSettings: String
  public init(modcVersion: String, commandLine: String, sourceModel: String, sourceHash: String, modSettings: String) {
    self.modcVersion = modcVersion
    self.commandLine = commandLine
    self.sourceModel = sourceModel
    self.sourceHash = sourceHash
    self.modSettings = modSettings
  }
}

/// Options of `EmitC.project`.
public struct EmitCOptions: Sendable {
  /// The C prefix of every public symbol and the file names (`NAME.h`, `NAME.c`, …); must be a C identifier.
  public var name: String
  public var weights: CWeightsMode
  /// Thread count the generated driver uses by default (`NAME_DEFAULT_THREADS`); 1 = no pool.
  public var threads: Int
  public var provenance: CProvenance
  public init(name: String, weights: CWeightsMode, threads: Int = 1, provenance: CProvenance) {
    self.name = name
    self.weights = weights
    self.threads = threads
    self.provenance = provenance
  }
}

/// Why a C project cannot be emitted or written; one line, naming the offending thing.
public struct EmitCError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// One generated file: a path relative to the project directory and its bytes (kept as chunks, so a large weights
/// blob is written from the lowered model's buffer without being copied).
public struct CProjectFile: Sendable {
  public var path: String
  public var chunks: [[UInt8]]
  public init(path: String, chunks: [[UInt8]]) {
    self.path = path
    self.chunks = chunks
  }
  public init(path: String, bytes: [UInt8]) { self.init(path: path, chunks: [bytes]) }
  public init(path: String, text: String) { self.init(path: path, bytes: Array(text.utf8)) }
  /// Size in bytes.
  public var byteCount: Int { chunks.reduce(0) { $0 + $1.count } }
  /// The file as text (for tests and snapshots).
  public var text: String { String(decoding: chunks.joined(), as: UTF8.self) }
}

/// A complete, self-contained C11 project: model source, header, weights, kernels, driver and build files.
public struct CProject: Sendable {
  public var name: String
  public var files: [CProjectFile]
  /// Total bytes of all files.
  public var byteCount: Int { files.reduce(0) { $0 + $1.byteCount } }
  /// The file at `path`, if any.
  public func file(_ path: String) -> CProjectFile? { files.first { $0.path == path } }
}
