import Codegen
import Foundation
import GraphIR
import ONNXReader
import Passes
import TestSupport
import Testing

/// Locations and helpers shared by the conformance tests.
enum Conformance {
  /// The package root (three levels above this file).
  static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// Generated models (tools/models/gen_models.py): `$MODC_MODELS` or `build/models`.
  static var modelsDir: URL {
    if let env = ProcessInfo.processInfo.environment["MODC_MODELS"], !env.isEmpty { return URL(fileURLWithPath: env) }
    return root.appendingPathComponent("build/models")
  }

  /// `../shared/fixtures` next to the checkout (walking up a few levels), if present.
  static var fixturesDir: URL? {
    var dir = root
    for _ in 0..<4 {
      let f = dir.appendingPathComponent("shared/fixtures")
      if FileManager.default.fileExists(atPath: f.appendingPathComponent("README.md").path) { return f }
      let g = dir.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
      if FileManager.default.fileExists(atPath: g.appendingPathComponent("README.md").path) { return g }
      dir = dir.deletingLastPathComponent()
    }
    return nil
  }

  /// Prerequisites (`.requires`): the generated model set (its manifest lists models), the shared fixtures, python3
  /// with onnx and onnxruntime (tools/models/*.py, tools/ort_run.py).
  static let hasModels = !manifest().isEmpty
  static let models = "generated models ($MODC_MODELS or build/models: tools/models/gen_models.py)"
  static let fixtures = "shared/fixtures"
  static var hasPython: Bool { Prerequisites.python(imports: "numpy, onnx, onnxruntime") }
  static let pythonORT = "python3 with numpy, onnx and onnxruntime"

  /// One entry of the generated manifest.
  struct Model: Sendable, CustomTestStringConvertible {
    var name: String
    var file: String
    var input: String
    var output: String
    var macs: Int
    var testDescription: String { name }
  }

  static func manifest() -> [Model] {
    let url = modelsDir.appendingPathComponent("manifest.json")
    guard let data = try? Data(contentsOf: url),
      let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let models = json["models"] as? [[String: Any]]
    else { return [] }
    return models.compactMap { m in
      guard let name = m["name"] as? String, let file = m["file"] as? String,
        let i = (m["input"] as? [String: Any])?["file"] as? String, let o = (m["output"] as? [String: Any])?["file"] as? String
      else { return nil }
      return Model(name: name, file: file, input: i, output: o, macs: m["macs"] as? Int ?? 0)
    }
  }

  /// Loads, optimises (optionally inserting MoD) and lowers a model, binding the batch to `batch` if given.
  static func compile(_ path: String, insertMoD: InsertMoD? = nil, batch: Int? = nil) throws -> (Graph, Executable) {
    var g = try loadONNX(path: path)
    var shapes: [String: [Dim]] = [:]
    if let batch {
      for v in g.inputs where g.constants[v] == nil {
        if var s = g.type(of: v)?.shape, !s.isEmpty { s[0] = .fixed(batch); shapes[g[v].name] = s }
      }
    }
    try ShapeInference(inputShapes: shapes).run(on: &g)
    try Verifier.verify(g)
    var ctx = PassContext()
    try Pipeline.standard(insertMoD: insertMoD, target: .codegen).run(on: &g, context: &ctx)
    return (g, try Executable(Lowering.lower(g)))
  }

  /// Runs `exe` on `input` with `threads` threads.
  static func run(_ exe: Executable, _ input: [Float], threads: Int = 1) throws -> [Float] {
    let ctx = try ExecutionContext(exe, threads: threads)
    var out = [Float](repeating: 0, count: exe.outputShapes[0].reduce(1, *))
    try input.withUnsafeBytes { i in
      try out.withUnsafeMutableBytes { o in try ctx.run(inputs: [i.baseAddress!], outputs: [o.baseAddress!]) }
    }
    return out
  }

  /// max|a − b| / max|b|.
  static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count, !b.isEmpty else { return .infinity }
    var d: Float = 0
    var m: Float = 0
    for i in a.indices {
      d = max(d, abs(a[i] - b[i]))
      m = max(m, abs(b[i]))
    }
    return d / max(m, 1e-30)
  }

  static func floats(_ path: String) throws -> ([Float], [Int]) {
    let a = try NPY.read(path)
    return (a.floats, a.shape)
  }

  /// Runs a Python helper; nil when python3 (with onnx/onnxruntime) is unavailable.
  @discardableResult
  static func python(_ args: [String]) throws -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + args
    p.currentDirectoryURL = root
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    do { try p.run() } catch { return nil }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    if p.terminationStatus != 0 {
      let msg = String(decoding: e, as: UTF8.self)
      if msg.contains("No module named") { return nil }
      throw ConformanceError("python3 \(args.joined(separator: " ")) failed: \(msg.suffix(2000))")
    }
    return String(decoding: o, as: UTF8.self)
  }

  static func tempDir(_ tag: String) throws -> URL {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("modc-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
    return d
  }
}

struct ConformanceError: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}
