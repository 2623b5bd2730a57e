import Codegen
import GraphIR
import ONNXReader

/// What a reader made of one untrusted input: it either accepted it or threw a typed error (anything else — a trap,
/// a crash, a hang — is a bug the harness reports).
public enum FuzzOutcome: Sendable, Equatable {
  /// The reader (and every later stage) accepted the input.
  case accepted
  /// A stage rejected the input with an error; `stage` names it ("load", "shapes", "metadata", …).
  case rejected(stage: String, message: String)

  /// Whether the input was accepted.
  public var isAccepted: Bool { self == .accepted }

  /// The stage that rejected the input, or nil when it was accepted.
  public var rejectedStage: String? {
    if case .rejected(let stage, _) = self { return stage }
    return nil
  }
}

/// One untrusted-input format and the function that feeds bytes to its reader and every stage that consumes the
/// reader's output.
public struct FuzzFormat: Sendable {
  /// Short name, also the libFuzzer target suffix and corpus directory (`onnx`, `text`, `plan`, `npy`, `npz`).
  public let name: String
  /// Runs the reader chain on one input. Never traps on malformed input; that is what the harness checks.
  public let run: @Sendable ([UInt8]) -> FuzzOutcome

  public init(name: String, run: @escaping @Sendable ([UInt8]) -> FuzzOutcome) {
    self.name = name
    self.run = run
  }
}

/// The readers of untrusted input, one `FuzzFormat` each.
public enum FuzzFormats {
  /// Every format, in a stable order.
  public static let all: [FuzzFormat] = [onnx, text, plan, npy, npz]

  /// The format called `name`, or nil.
  public static func named(_ name: String) -> FuzzFormat? { all.first { $0.name == name } }

  /// `loadONNX(bytes:)`, then shape inference and the verifier on whatever the reader accepted.
  /// External data is refused (no directory), so the fuzzer never touches the file system.
  public static let onnx = FuzzFormat(name: "onnx") { bytes in
    let g: Graph
    do { g = try loadONNX(bytes: bytes, directory: nil) } catch { return .rejected(stage: "load", message: "\(error)") }
    return laterStages(g)
  }

  /// `parseGraph` on the bytes as UTF-8 (invalid sequences repaired, as a file read would), then the later stages.
  public static let text = FuzzFormat(name: "text") { bytes in
    let g: Graph
    do { g = try parseGraph(String(decoding: bytes, as: UTF8.self)) } catch {
      return .rejected(stage: "parse", message: "\(error)")
    }
    return laterStages(g)
  }

  /// `PlanFile.parse`, then every payload decoder in `planDecoders`.
  public static let plan = FuzzFormat(name: "plan") { bytes in
    let f: PlanFile
    do { f = try PlanFile.parse(bytes, path: "fuzz.modplan") } catch {
      return .rejected(stage: "open", message: "\(error)")
    }
    var outcome = FuzzOutcome.accepted
    for (stage, decode) in planDecoders {
      do { try decode(f) } catch {
        if outcome == .accepted { outcome = .rejected(stage: stage, message: "\(error)") }
      }
    }
    return outcome
  }

  /// The plan's payload decoders, each run on every plan that opens (a missing section is an ordinary error).
  /// Adding a decoder is one line here.
  public static let planDecoders: [(stage: String, decode: @Sendable (PlanFile) throws -> Void)] = [
    ("metadata", { _ = try $0.metadata() }),
    ("memoryPlan", { _ = try $0.memoryPlan() }),
    ("weightIndex", { f in for e in try f.weightIndex() { _ = try f.weightBytes(e) } }),
    ("dump", { _ = try $0.dump() }),
    // A schedule that validates must also run without touching memory outside its buffers.
    ("schedule", { f in
      guard f.hasSection(.schedule) else { return }
      let exe = try Plan.executable(from: f)
      guard exe.inputShapes.count == 1, exe.schedule.arenaSize <= 64 << 20 else { return }
      let ctx = try ExecutionContext(exe, threads: 1)
      let input = [Float](repeating: 0.5, count: exe.inputShapes[0].reduce(1, *))
      var outs = exe.outputShapes.map { [Float](repeating: 0, count: $0.reduce(1, *)) }
      try input.withUnsafeBytes { i in
        var ptrs: [UnsafeMutableRawPointer] = []
        for k in outs.indices { outs[k].withUnsafeMutableBytes { ptrs.append($0.baseAddress!) } }
        try ctx.run(inputs: [i.baseAddress!], outputs: ptrs)
      }
    }),
  ]

  /// `NPY.parse`, then the typed views of the array.
  public static let npy = FuzzFormat(name: "npy") { bytes in
    do {
      let a = try bytes.withUnsafeBytes { b throws(NPYError) in try NPY.parse(b, file: "fuzz.npy") }
      touch(a)
      return .accepted
    } catch {
      return .rejected(stage: "parse", message: "\(error)")
    }
  }

  /// `NPZFile.parse` (zip directory, inflate, CRC, every member through `NPY.parse`).
  public static let npz = FuzzFormat(name: "npz") { bytes in
    do {
      let z = try bytes.withUnsafeBytes { b throws(NPYError) in try NPZFile.parse(b, file: "fuzz.npz") }
      for n in z.names { touch(try z.array(n)) }
      return .accepted
    } catch {
      return .rejected(stage: "parse", message: "\(error)")
    }
  }

  /// Shape inference and the verifier, run on a graph some reader accepted.
  static func laterStages(_ graph: Graph) -> FuzzOutcome {
    var g = graph
    do { try ShapeInference().run(on: &g) } catch { return .rejected(stage: "shapes", message: "\(error)") }
    do { try Verifier.verify(g) } catch { return .rejected(stage: "verify", message: "\(error)") }
    _ = printGraph(g)
    return .accepted
  }

  /// Reads every typed view of an array so their conversions run too.
  static func touch(_ a: NPYArray) {
    _ = a.floats.count
    _ = a.int64s?.count
    _ = a.tensorData.dtype
  }
}
