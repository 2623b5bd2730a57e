import CKernels

/// The instruction set a compiled model is built for: lowering picks algorithms (and Winograd choices) for it, the
/// plan records it, and the runtime refuses to run a plan whose target the machine lacks and otherwise caps the
/// kernels' ISA at it, so an `avx2` plan runs the AVX2 kernels even on an AVX-512 machine.
public enum TargetISA: String, Sendable, CaseIterable, Comparable, CustomStringConvertible {
  /// Portable C paths only.
  case generic
  /// AVX2 + FMA.
  case avx2
  /// AVX-512F.
  case avx512

  /// The `enum modc_isa` value of the kernel library.
  public var isaValue: Int32 {
    switch self {
    case .generic: return Int32(MODC_ISA_SCALAR.rawValue)
    case .avx2: return Int32(MODC_ISA_AVX2.rawValue)
    case .avx512: return Int32(MODC_ISA_AVX512.rawValue)
    }
  }

  /// The target for an `enum modc_isa` value (nil for auto or an unknown value).
  public init?(isaValue: Int32) {
    guard let t = TargetISA.allCases.first(where: { $0.isaValue == isaValue }) else { return nil }
    self = t
  }

  /// The best target this machine runs (the kernel library's detection, ignoring any override).
  public static var host: TargetISA { TargetISA(isaValue: modc_detect_isa()) ?? .generic }

  /// Whether this machine can run code built for `self`.
  public var isSupportedByHost: Bool { self <= TargetISA.host }

  /// Every target this machine can run, from `generic` up.
  public static var runnableOnHost: [TargetISA] { allCases.filter(\.isSupportedByHost) }

  public static func < (a: TargetISA, b: TargetISA) -> Bool { a.isaValue < b.isaValue }
  public var description: String { rawValue }

  /// Runs `body` with the calling thread's kernel ISA capped at this target (the kernel library's per-thread cap),
  /// restoring the previous cap afterwards.
  public func withKernelCap<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    try Self.withKernelCap(self, body)
  }

  /// `withKernelCap` for an optional target: nil runs uncapped (a plan that recorded no target).
  public static func withKernelCap<T, E: Error>(_ target: TargetISA?, _ body: () throws(E) -> T) throws(E) -> T {
    let previous = modc_isa_cap_set(target?.isaValue ?? Int32(MODC_ISA_AUTO.rawValue))
    defer { _ = modc_isa_cap_set(previous) }
    return try body()
  }
}

/// The convolution algorithm of a conv step (`enum modc_conv_algo`); the packed weights are in its format.
public enum ConvAlgorithm: Int, Sendable, CaseIterable, CustomStringConvertible {
  /// The library default (direct).
  case auto = 0
  case direct = 1
  /// Winograd F(4x4,3x3).
  case winograd = 2
  /// Winograd F(2x2,3x3).
  case winograd2 = 3

  /// Whether the step runs either Winograd algorithm; MoD-mapped convs never do.
  public var isWinograd: Bool { self == .winograd || self == .winograd2 }

  public var description: String {
    switch self {
    case .auto: return "auto"
    case .direct: return "direct"
    case .winograd: return "winograd"
    case .winograd2: return "winograd2"
    }
  }
}

/// How lowering chooses conv algorithms (`--conv-algo`).
public enum ConvAlgorithmPolicy: String, Sendable, CaseIterable, CustomStringConvertible {
  /// Per layer, what `modc_conv2d_winograd_choice` says beats direct on the target.
  case auto
  /// Direct convolution everywhere.
  case direct
  /// Winograd F(4x4,3x3) on every conv that supports it.
  case winograd
  /// Winograd F(2x2,3x3) on every conv that supports it.
  case winograd2
  public var description: String { rawValue }
}

/// What lowering needs to know about the machine it compiles for; nothing is read from the environment.
public struct LoweringOptions: Sendable, Equatable {
  public var target: TargetISA
  public var convAlgorithm: ConvAlgorithmPolicy
  public init(target: TargetISA = .host, convAlgorithm: ConvAlgorithmPolicy = .auto) {
    self.target = target
    self.convAlgorithm = convAlgorithm
  }
}

/// The machine a schedule was compiled for, recorded in plans (section `target`) and checked before a run.
public struct CompiledTarget: Sendable, Equatable, CustomStringConvertible {
  public var isa: TargetISA
  public var convAlgorithm: ConvAlgorithmPolicy
  public init(isa: TargetISA, convAlgorithm: ConvAlgorithmPolicy) {
    self.isa = isa
    self.convAlgorithm = convAlgorithm
  }
  public var description: String { "\(isa) (conv algorithms: \(convAlgorithm))" }

  /// Two bytes: ISA (`enum modc_isa`) and conv policy (index in `ConvAlgorithmPolicy.allCases`).
  public var encoded: [UInt8] {
    [UInt8(isa.isaValue), UInt8(ConvAlgorithmPolicy.allCases.firstIndex(of: convAlgorithm) ?? 0)]
  }

  /// Throws the one-line refusal when a machine whose best ISA is `host` cannot run code built for this target.
  public func checkRunnable(on host: TargetISA = .host) throws(RuntimeError) {
    guard isa > host else { return }
    throw RuntimeError("the model was compiled for \(isa), but this machine supports only \(host) "
      + "(recompile with --target \(host) or --target native)")
  }

  public init?(encoded b: [UInt8]) {
    guard b.count >= 2, let isa = TargetISA(isaValue: Int32(b[0])), Int(b[1]) < ConvAlgorithmPolicy.allCases.count
    else { return nil }
    self.init(isa: isa, convAlgorithm: ConvAlgorithmPolicy.allCases[Int(b[1])])
  }
}

extension TargetISA {
  /// The `enum modc_isa` constant, as emitted C spells it.
  public var cName: String {
    switch self {
    case .generic: return "MODC_ISA_SCALAR"
    case .avx2: return "MODC_ISA_AVX2"
    case .avx512: return "MODC_ISA_AVX512"
    }
  }
}
