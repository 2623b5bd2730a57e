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
    .systemLibrary(
      name: "CProtobufC", path: "Sources/CProtobufC", pkgConfig: "libprotobuf-c",
      providers: [.apt(["libprotobuf-c-dev"])]),
    .target(name: "CONNXProto", dependencies: ["CProtobufC"], path: "Sources/CONNXProto"),
    .target(name: "ONNXReader", dependencies: ["GraphIR", "CONNXProto", "CProtobufC"], path: "Sources/ONNXReader"),
    .testTarget(name: "ONNXReaderTests", dependencies: ["ONNXReader", "GraphIR"], path: "Tests/ONNXReaderTests"),
    .target(name: "Passes", dependencies: ["GraphIR"], path: "Sources/Passes"),
    .testTarget(name: "PassesTests", dependencies: ["Passes", "GraphIR", "ONNXReader"], path: "Tests/PassesTests"),
    .target(name: "Codegen", dependencies: ["Passes", "GraphIR"], path: "Sources/Codegen"),
    .testTarget(name: "GraphIRTests", dependencies: ["GraphIR"], path: "Tests/GraphIRTests"),
    .testTarget(name: "CodegenTests", dependencies: ["Codegen", "GraphIR"], path: "Tests/CodegenTests"),
    .executableTarget(name: "modc", dependencies: ["Codegen", "Passes", "GraphIR", "ONNXReader"], path: "Sources/modc"),
  ],
  swiftLanguageModes: [.v6]
)
