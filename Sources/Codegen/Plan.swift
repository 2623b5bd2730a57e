#if canImport(Glibc)
import Glibc
#endif
import GraphIR

/// Writing and loading `.modplan` files: metadata, the encoded schedule and the pre-packed weights.
public enum Plan {
  /// Serialises `lowered` with `metadata` (producer version, source model hash, MoD settings, …) to `path`
  /// atomically.
  public static func write(_ lowered: LoweredModel, metadata: [(String, String)], producer: String, to path: String) throws {
    var w = PlanWriter(producer: producer)
    var md = PlanMetadata()
    for (k, v) in metadata { md[k] = v }
    md["arena_bytes"] = String(lowered.schedule.arenaSize)
    md["intermediate_bytes"] = String(lowered.schedule.intermediateBytes)
    w.addMetadata(md)
    w.addSection(.schedule, lowered.schedule.encoded())
    if let t = lowered.schedule.target { w.addSection(.target, t.encoded) }
    w.addWeights(lowered.weights)
    try w.write(to: path)
  }

  /// Opens, validates (checksums, versions, bounds of every step) and maps a plan; the weights are not copied.
  public static func load(path: String) throws -> (Executable, PlanMetadata) {
    try load(try PlanFile.open(path), path: path)
  }

  /// Validates a plan held in memory; the image is copied into aligned storage owned by the executable.
  /// `name` stands for the path in error messages.
  public static func load(bytes: [UInt8], name: String = "<memory>") throws -> (Executable, PlanMetadata) {
    try load(try PlanFile.parse(bytes, path: name), path: name)
  }

  /// Validates a plan image without copying it: the caller keeps `image` alive and unchanged while the executable
  /// (and any context running it) lives. `image` must be 64-byte aligned.
  public static func load(borrowing image: UnsafeRawBufferPointer, name: String = "<memory>") throws -> (
    Executable, PlanMetadata
  ) {
    try load(try PlanFile.borrow(image, path: name), path: name)
  }

  private static func load(_ file: PlanFile, path: String) throws -> (Executable, PlanMetadata) {
    (try executable(from: file), try file.metadata())
  }

  /// Decodes and validates the schedule of an opened plan against its weights (no copy of the weights).
  public static func executable(from file: PlanFile) throws -> Executable {
    let schedule = try file.schedule()
    let weights = try file.section(.weights)
    do {
      return try Executable(schedule: schedule, weights: weights, owner: file)
    } catch {
      throw PlanError(path: file.path, .malformed, "\(error)")
    }
  }

  /// True if the file starts with the plan magic.
  public static func isPlan(path: String) -> Bool {
    guard let f = fopen(path, "rb") else { return false }
    defer { fclose(f) }
    var buf = [UInt8](repeating: 0, count: 8)
    return fread(&buf, 1, 8, f) == 8 && buf == PlanLayout.magic
  }
}
