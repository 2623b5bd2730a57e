import Codegen
import GraphIR
import Passes

/// Everything that decides how a model is compiled: MoD insertion, the target machine, conv algorithms, input
/// shapes and precision. Built by the CLI from flags, by the C API (`modc_compile`) and by Python's
/// `modc.compile`; `validate()` rejects contradictory or out-of-range settings before any work is done.
public struct CompileOptions: Sendable {
  /// MoD to insert, or nil for none (an imported MoD model keeps its own blocks either way).
  public var mod: MoDOptions?
  /// With `mod` on a model that already has MoD blocks: add MoD to the remaining eligible blocks instead of failing.
  public var force: Bool
  /// Recognise exported CNN-MoD patterns as MoD blocks (off: keep them as generic ops).
  public var recognizeMoD: Bool
  /// The instruction set to compile for.
  public var target: TargetChoice
  /// How conv algorithms are chosen.
  public var convAlgorithm: ConvAlgorithmPolicy
  /// Binds dimension 0 of every graph input whose shape `inputShapes` does not give.
  public var batch: Int?
  /// Explicit input shapes by input name (symbolic dims allowed).
  public var inputShapes: [String: [Dim]]
  /// Arithmetic precision of the compiled model.
  public var precision: Precision

  public init(
    mod: MoDOptions? = nil, force: Bool = false, recognizeMoD: Bool = true, target: TargetChoice = .native,
    convAlgorithm: ConvAlgorithmPolicy = .auto, batch: Int? = nil, inputShapes: [String: [Dim]] = [:],
    precision: Precision = .fp32
  ) {
    self.mod = mod
    self.force = force
    self.recognizeMoD = recognizeMoD
    self.target = target
    self.convAlgorithm = convAlgorithm
    self.batch = batch
    self.inputShapes = inputShapes
    self.precision = precision
  }

  /// Checks every field; the first problem is thrown as a one-line `CompileOptionsError`.
  public func validate() throws(CompileOptionsError) {
    if let mod { try mod.validate() }
    if let batch, !(1...65536).contains(batch) { throw CompileOptionsError("--batch must be in 1...65536, got \(batch)") }
    for (name, dims) in inputShapes {
      if name.isEmpty { throw CompileOptionsError("--input-shape needs an input name") }
      for case .fixed(let d) in dims where d < 0 || d > 1 << 31 {
        throw CompileOptionsError("--input-shape: dimension \(d) of '\(name)' out of range")
      }
    }
    guard precision == .fp32 else {
      throw CompileOptionsError("--precision \(precision.rawValue) is not implemented yet (fp32 only)")
    }
  }

  /// The lowering options these settings resolve to on this machine (`native` → the host's ISA).
  public var loweringOptions: LoweringOptions {
    LoweringOptions(target: target.resolved, convAlgorithm: convAlgorithm)
  }
}

/// A rejected compile option: one line, suitable for the CLI's usage errors and the C API's last error.
public struct CompileOptionsError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// `--target`: the host's best ISA, or a named one.
public enum TargetChoice: Sendable, Equatable, CustomStringConvertible {
  case native
  case isa(TargetISA)

  /// Parses `native|avx512|avx2|generic`.
  public init?(_ text: String) {
    if text == "native" { self = .native; return }
    guard let t = TargetISA(rawValue: text) else { return nil }
    self = .isa(t)
  }

  /// Every spelling `init?(_:)` accepts.
  public static let names = ["native"] + TargetISA.allCases.reversed().map(\.rawValue)

  /// The concrete ISA: `native` is the machine compiling.
  public var resolved: TargetISA {
    switch self {
    case .native: return .host
    case .isa(let t): return t
    }
  }

  public var description: String {
    switch self {
    case .native: return "native"
    case .isa(let t): return t.rawValue
    }
  }
}

/// Arithmetic precision of a compiled model (FP32 today; INT8 and BF16 are planned).
public enum Precision: String, Sendable, CaseIterable {
  case fp32
  case int8
  case bf16
}

/// Where MoD goes and how it behaves (mod.md).
public struct MoDOptions: Sendable {
  public var placement: MoDPlacement
  /// Capacity c: a block with C channels keeps k = ⌊C / c⌋.
  public var capacity: Int
  public var fusion: MoDFusion
  /// Trained router parameters (`{block}.fc1.weight|bias`, `{block}.fc2.weight|bias`), or nil for seeded values.
  public var routerWeights: RouterWeights?
  /// Seed of the router initialiser used without router weights.
  public var seed: UInt64

  public init(
    placement: MoDPlacement = .every(2), capacity: Int = 64, fusion: MoDFusion = .firstK,
    routerWeights: RouterWeights? = nil, seed: UInt64 = 0
  ) {
    self.placement = placement
    self.capacity = capacity
    self.fusion = fusion
    self.routerWeights = routerWeights
    self.seed = seed
  }

  public func validate() throws(CompileOptionsError) {
    if capacity < 1 { throw CompileOptionsError("--capacity must be ≥ 1, got \(capacity)") }
    switch placement {
    case .every(let n): if n < 1 { throw CompileOptionsError("--mod-every must be ≥ 1, got \(n)") }
    case .blocks(let names):
      if names.isEmpty || names.contains(where: \.isEmpty) {
        throw CompileOptionsError("--blocks needs at least one block name, e.g. layer2.1")
      }
    }
  }
}

/// Router parameters for MoD insertion: an `.npz` file, or tensors already in memory.
public enum RouterWeights: Sendable {
  case file(String)
  case tensors([String: TensorData])

  /// The tensors by key (reads the file).
  public func load() throws -> [String: TensorData] {
    switch self {
    case .tensors(let t): return t
    case .file(let path):
      let npz = try NPZFile.read(path)
      var out: [String: TensorData] = [:]
      for name in npz.names { out[name] = try npz.array(name).tensorData }
      return out
    }
  }
}

extension CompileOptions {
  /// Parses one input-shape binding `NAME=DxDx…` (dims are integers or symbol names), as `--input-shape` takes it.
  public static func parseInputShape(_ s: String) throws(CompileOptionsError) -> (name: String, dims: [Dim]) {
    guard let eq = s.lastIndex(of: "=") else { throw CompileOptionsError("--input-shape expects NAME=DxDx…, got '\(s)'") }
    let name = String(s[..<eq])
    let parts = s[s.index(after: eq)...].split(separator: "x", omittingEmptySubsequences: false)
    guard !name.isEmpty, !parts.isEmpty else { throw CompileOptionsError("--input-shape expects NAME=DxDx…, got '\(s)'") }
    var dims: [Dim] = []
    for d in parts {
      if let v = Int(d) {
        guard v >= 0 && v <= 1 << 31 else { throw CompileOptionsError("--input-shape: dimension \(v) out of range in '\(s)'") }
        dims.append(.fixed(v))
        continue
      }
      guard let c = d.first, c.isLetter || c == "_" else { throw CompileOptionsError("--input-shape: bad dimension '\(d)' in '\(s)'") }
      dims.append(.symbol(String(d)))
    }
    return (name, dims)
  }

  /// Parses `--blocks` text: comma-separated block names (spaces around names ignored).
  public static func parseBlockList(_ text: String) throws(CompileOptionsError) -> [String] {
    let names = text.split(separator: ",").map { $0.trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
    if names.isEmpty { throw CompileOptionsError("--blocks needs at least one block name, e.g. layer2.1") }
    return names
  }
}

extension Substring {
  func trimmingCharacters(in set: Character) -> String {
    var s = self
    while s.first == set { s.removeFirst() }
    while s.last == set { s.removeLast() }
    return String(s)
  }
}
