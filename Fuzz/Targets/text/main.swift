import FuzzDrivers

#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target for the text reader chain (`FuzzFormats.text`); any trap or sanitizer report is a finding.
// SwiftPM gives a one-file executable a Swift `main`, so instead of defining LLVMFuzzerTestOneInput and relying on
// libFuzzer's own main, this calls libFuzzer's documented driver entry point with the callback.

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The per-input callback (libFuzzer's object files reference this symbol, so it is defined even though the
/// driver is handed it explicitly).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  _ = FuzzFormats.text.run(bytes)
  return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(
  runFuzzerDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) })
