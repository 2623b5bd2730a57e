// swift-tools-version:6.0
// libFuzzer targets for modc's readers of untrusted input. Kept out of the main package because an executable
// whose only entry point is `LLVMFuzzerTestOneInput` links only with `-sanitize=fuzzer`. Build and run with
// `tools/fuzz.sh FORMAT SECONDS` (or `make fuzz`), which passes `-Xswiftc -sanitize=fuzzer,address`.
import Foundation
import PackageDescription

/// The main package: `MODC_ROOT`, else the parent directory. SwiftPM names a path dependency after its last path
/// component, which must differ from this package's directory name (tools/fuzz.sh builds from build/fuzz-package).
let mainPackage = ProcessInfo.processInfo.environment["MODC_ROOT"].map { URL(fileURLWithPath: $0) }
  ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let formats = ["onnx", "text", "plan", "npy", "npz"]

let package = Package(
  name: "modc-fuzz",
  products: formats.map { .executable(name: "fuzz-\($0)", targets: ["fuzz-\($0)"]) },
  dependencies: [.package(path: mainPackage.path)],
  targets: [
    .target(
      name: "LibFuzzerMain", dependencies: [.product(name: "FuzzDrivers", package: mainPackage.lastPathComponent)],
      path: "LibFuzzerMain")
  ] + formats.map {
    .executableTarget(
      name: "fuzz-\($0)",
      dependencies: ["LibFuzzerMain", .product(name: "FuzzDrivers", package: mainPackage.lastPathComponent)],
      path: "Targets/\($0)")
  },
  swiftLanguageModes: [.v6]
)
