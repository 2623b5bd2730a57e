import Foundation
import GraphIR
@testable import ONNXReader

/// Locations and small helpers shared by the reader tests.
enum Fixtures {
  /// `<package>/../shared/fixtures` (found from this file's path), or the nearest ancestor's `shared/fixtures`
  /// for packages checked out as worktrees one level deeper.
  static let directory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }  // Support.swift, ONNXReaderTests, Tests
    while url.path != "/" {
      url.deleteLastPathComponent()
      let candidate = url.appendingPathComponent("shared/fixtures").path
      if FileManager.default.fileExists(atPath: candidate) { return candidate }
    }
    return "/nonexistent/shared/fixtures"
  }()

  static func path(_ name: String) -> String? {
    let p = directory + "/" + name
    return FileManager.default.fileExists(atPath: p) ? p : nil
  }

  /// Whether the shared fixtures are there (the prerequisite of the fixture tests: `.requires(Fixtures.present, …)`).
  static var present: Bool { cifar != nil }

  static var resnet18: String? { path("resnet18_op17.onnx") }
  static var cifar: String? { path("cifar_resnet20_op17.onnx") }
  static var mod: String? { path("mod/cifar_resnet20_mod_c16.onnx") }

  /// A fresh empty temporary directory.
  static func tempDir() -> String {
    let d = NSTemporaryDirectory() + "modc-reader-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }
}

/// Histogram of ONNX op types in a graph.
func opHistogram(_ g: Graph) -> [String: Int] {
  var h: [String: Int] = [:]
  for n in g.nodes { h[n.op.onnxOpType, default: 0] += 1 }
  return h
}

/// Number of float elements over all constants.
func floatParameterCount(_ g: Graph) -> Int {
  g.constants.values.filter { $0.type.dtype == .f32 }.reduce(0) { $0 + ($1.type.elementCount ?? 0) }
}
