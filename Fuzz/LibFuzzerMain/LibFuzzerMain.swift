import FuzzDrivers

#if canImport(Glibc)
import Glibc
#endif

// The shared entry point of every libFuzzer target: any trap or sanitizer report is a finding.
// SwiftPM gives a one-file executable a Swift `main`, so instead of relying on libFuzzer's own main, each target's
// main.swift calls `libFuzzerMain(format)`, which hands libFuzzer's documented driver entry point the callback.

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The reader chain under test; set once by `libFuzzerMain` before the driver starts, read-only afterwards.
nonisolated(unsafe) private var currentFormat: FuzzFormat?

/// The per-input callback (libFuzzer's object files reference this symbol, so it is defined even though the
/// driver is handed it explicitly).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  _ = currentFormat?.run(bytes)
  return 0
}

/// Runs libFuzzer on `format` with the process's command line; never returns.
public func libFuzzerMain(_ format: FuzzFormat) -> Never {
  currentFormat = format
  var argc = CommandLine.argc
  var argv = CommandLine.unsafeArgv
  exit(runFuzzerDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) })
}
