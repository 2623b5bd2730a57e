import CKernels

/// Facts about the CPU the kernels run on.
public enum Machine {
  /// Single-thread FP32 GFLOP/s of a register-only FMA loop on the active ISA path.
  public static func peakGFLOPS(seconds: Double = 0.2) -> Double { modc_measure_peak_gflops(seconds) }

  /// The active kernel path: "avx512", "avx2" or "scalar".
  public static var isaName: String { String(cString: modc_isa_name(modc_get_isa())) }

  /// Forces a kernel path by name (for tests and comparisons); returns false for an unknown name.
  @discardableResult
  public static func setISA(_ name: String) -> Bool {
    switch name {
    case "auto": modc_set_isa(Int32(MODC_ISA_AUTO.rawValue))
    case "scalar": modc_set_isa(Int32(MODC_ISA_SCALAR.rawValue))
    case "avx2": modc_set_isa(Int32(MODC_ISA_AVX2.rawValue))
    case "avx512": modc_set_isa(Int32(MODC_ISA_AVX512.rawValue))
    default: return false
    }
    return true
  }
}
