import FuzzDrivers

/// libFuzzer entry point: feeds one input to the text reader chain (`FuzzFormats.text`). Any trap is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  _ = FuzzFormats.text.run(bytes)
  return 0
}
