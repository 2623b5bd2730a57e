// swift-tools-version:6.0
// modc — a static-graph compiler for ONNX ResNets with CNN Mixture-of-Depths.
import PackageDescription

let package = Package(
  name: "modc",
  products: [
    .executable(name: "modc", targets: ["modc"]),
  ],
  targets: [
    .target(name: "GraphIR", path: "Sources/GraphIR"),
    .target(name: "ONNXReader", dependencies: ["GraphIR"], path: "Sources/ONNXReader"),
    .target(name: "Passes", dependencies: ["GraphIR"], path: "Sources/Passes"),
    .target(name: "Codegen", dependencies: ["Passes", "GraphIR"], path: "Sources/Codegen"),
    .target(
      name: "CKernels",
      path: "Sources/CKernels",
      cSettings: [.unsafeFlags(["-std=c11", "-O2"])],
      linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("m")]
    ),
    .executableTarget(name: "modc", dependencies: ["Codegen", "Passes", "GraphIR", "ONNXReader"], path: "Sources/modc"),
    .testTarget(name: "KernelTests", dependencies: ["CKernels"], path: "Tests/KernelTests"),
  ],
  swiftLanguageModes: [.v6]
)
