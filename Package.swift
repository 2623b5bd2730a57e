// swift-tools-version:6.0
// modc — a static-graph compiler for ONNX ResNets with CNN Mixture-of-Depths.
import PackageDescription

let package = Package(
  name: "modc",
  products: [
    .executable(name: "modc", targets: ["modc"]),
    // Entry points that feed untrusted bytes to every reader; used by Tests/FuzzTests and the libFuzzer package in Fuzz/.
    .library(name: "FuzzDrivers", targets: ["FuzzDrivers"]),
    // The embedding runtime: a stable C ABI (include/modc_runtime.h) over Plan/Executable/ExecutionContext.
    .library(name: "modc_runtime", type: .dynamic, targets: ["ModcRuntimeAPI"]),
    .library(name: "modc_runtime_static", type: .static, targets: ["ModcRuntimeAPI"]),
  ],
  targets: [
    // The typed SSA IR every module speaks.
    .target(name: "GraphIR", path: "Sources/GraphIR"),
    // Debian's libprotobuf-c (pkg-config) and the bindings generated from proto/onnx.proto.
    .systemLibrary(
      name: "CProtobufC", path: "Sources/CProtobufC", pkgConfig: "libprotobuf-c",
      providers: [.apt(["libprotobuf-c-dev"])]),
    .target(name: "CONNXProto", dependencies: ["CProtobufC"], path: "Sources/CONNXProto"),
    .target(name: "ONNXReader", dependencies: ["GraphIR", "CONNXProto", "CProtobufC"], path: "Sources/ONNXReader"),
    .target(name: "Passes", dependencies: ["GraphIR"], path: "Sources/Passes"),
    // Shared C11 kernel library: linked by the plan runtime, copied verbatim by `modc emit-c`.
    // Portable flags only; AVX2/AVX-512 paths use function target attributes and run-time dispatch.
    .target(
      name: "CKernels", path: "Sources/CKernels",
      cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-fno-trapping-math"])],
      linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("m")]),
    .target(name: "Codegen", dependencies: ["GraphIR", "CKernels"], path: "Sources/Codegen"),
    // The compile driver: typed CompileOptions and compile(model, options) for the CLI, the C API and Python.
    .target(name: "Compiler", dependencies: ["Codegen", "Passes", "GraphIR", "ONNXReader"], path: "Sources/Compiler"),
    .executableTarget(name: "modc", dependencies: ["Compiler", "Codegen", "Passes", "GraphIR"], path: "Sources/modc"),
    // The C ABI of libmodc_runtime (@_cdecl entry points; declared by hand in include/modc_runtime.h).
    .target(name: "ModcRuntimeAPI", dependencies: ["Compiler", "Codegen"], path: "Sources/ModcRuntimeAPI"),
    .testTarget(name: "GraphIRTests", dependencies: ["GraphIR", "TestSupport"], path: "Tests/GraphIRTests"),
    .testTarget(name: "ONNXReaderTests", dependencies: ["ONNXReader", "GraphIR", "TestSupport"], path: "Tests/ONNXReaderTests"),
    .testTarget(name: "PassesTests", dependencies: ["Passes", "GraphIR", "ONNXReader", "TestSupport"], path: "Tests/PassesTests"),
    .testTarget(name: "CodegenTests", dependencies: ["Codegen", "GraphIR", "CKernels", "TestSupport"], path: "Tests/CodegenTests", exclude: ["Snapshots"]),
    .testTarget(
      name: "ConformanceTests", dependencies: ["Codegen", "Passes", "GraphIR", "ONNXReader", "TestSupport"],
      path: "Tests/ConformanceTests"),
    .testTarget(
      name: "EmitCTests", dependencies: ["Codegen", "GraphIR", "Passes", "modc", "TestSupport"], path: "Tests/EmitCTests", exclude: ["Snapshots"]),
    .target(name: "FuzzDrivers", dependencies: ["ONNXReader", "Codegen", "GraphIR"], path: "Fuzz/Drivers"),
    .testTarget(
      name: "FuzzTests", dependencies: ["FuzzDrivers", "ONNXReader", "Codegen", "GraphIR", "Passes", "TestSupport"], path: "Tests/FuzzTests"),
    .testTarget(name: "KernelTests", dependencies: ["CKernels"], path: "Tests/KernelTests"),
    // Runs the built `modc` binary (.build/debug/modc; `swift build --build-tests` builds it): CLI contract, goldens.
    .testTarget(name: "CLITests", dependencies: ["TestSupport"], path: "Tests/CLITests", exclude: ["Golden"]),
    // Helpers shared by the test targets: child processes (modc, compilers, python), the `.requires` prerequisite
    // trait and small fixture graphs.
    .target(name: "TestSupport", dependencies: ["GraphIR"], path: "Tests/TestSupport"),
    // The C ABI in-process, `make install-files` into a temp prefix + examples/c via pkg-config, python/tests.
    .testTarget(
      name: "EmbeddingTests", dependencies: ["ModcRuntimeAPI", "Codegen", "TestSupport"], path: "Tests/EmbeddingTests"),
    // Scale (100k-node graphs), memory limits, huge external data, concurrent runs, sanitizers, file safety.
    .testTarget(
      name: "ReliabilityTests", dependencies: ["Codegen", "Passes", "GraphIR", "ONNXReader", "TestSupport"],
      path: "Tests/ReliabilityTests"),
  ],
  swiftLanguageModes: [.v6]
)
