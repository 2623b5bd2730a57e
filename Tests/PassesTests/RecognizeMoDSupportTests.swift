import Foundation
import GraphIR
import ONNXReader
import Testing

@testable import Passes

/// Fixtures, python helpers and the recognition pipeline shared by the RecognizeMoD tests.
enum RecognizeSupport {
  /// The package root (three levels above this file).
  static let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  /// `<package>/../shared/fixtures`, or the nearest ancestor's `shared/fixtures` (worktrees sit deeper).
  static let fixtures: String? = {
    var url = URL(fileURLWithPath: packageRoot)
    while url.path != "/" {
      let candidate = url.appendingPathComponent("shared/fixtures").path
      if FileManager.default.fileExists(atPath: candidate) { return candidate }
      url.deleteLastPathComponent()
    }
    return nil
  }()

  static func fixture(_ name: String) -> String? {
    guard let d = fixtures, FileManager.default.fileExists(atPath: d + "/" + name) else { return nil }
    return d + "/" + name
  }

  static let casesScript = packageRoot + "/tools/models/recognize_cases.py"

  /// Runs `python3 args…`; returns the exit status and stdout (stderr is appended on failure).
  static func python(_ args: [String]) -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + args
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    do { try p.run() } catch { return (127, "\(error)") }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let text = String(decoding: o, as: UTF8.self)
    return (p.terminationStatus, p.terminationStatus == 0 ? text : text + String(decoding: e, as: UTF8.self))
  }

  /// True when python3 with numpy, onnx and onnxruntime is available.
  static let hasPython: Bool = python(["-c", "import numpy, onnx, onnxruntime"]).status == 0
  static let pythonORT = "python3 with numpy, onnx and onnxruntime"

  /// Loads an ONNX file and runs ShapeInference + FoldConstants + RemoveIdentities + RecognizeMoD.
  static func recognise(_ path: String) throws -> (Graph, PassContext) {
    var g = try loadONNX(path: path)
    try ShapeInference().run(on: &g)
    var context = PassContext()
    try Pipeline([FoldConstants(), RemoveIdentities(), RecognizeMoD()]).run(on: &g, context: &context)
    return (g, context)
  }

  /// The `mod.router` attributes in graph order.
  static func routers(_ g: Graph) -> [MoDRouterAttrs] {
    g.nodes.compactMap { if case .modRouter(let a) = $0.op { return a } else { return nil } }
  }

  /// The `mod.fuse` attributes in graph order.
  static func fuses(_ g: Graph) -> [MoDFuseAttrs] {
    g.nodes.compactMap { if case .modFuse(let a) = $0.op { return a } else { return nil } }
  }

  /// BLOCKS.json for `recognize_cases.py check`: tensor names and kept router weights of every MoD block.
  static func blocksJSON(_ g: Graph) -> String {
    let producers = g.producerIndex()
    func floats(_ v: ValueID) -> String {
      guard let d = g.constantData(v) else { return "null" }
      let f = d.floats().map { "\($0)" }
      guard d.shape.count == 2 else { return "[" + f.joined(separator: ",") + "]" }
      let cols = d.shape[1]
      return "["
        + stride(from: 0, to: f.count, by: max(cols, 1)).map {
          "[" + f[$0..<min($0 + cols, f.count)].joined(separator: ",") + "]"
        }.joined(separator: ",") + "]"
    }
    func name(_ v: ValueID) -> String {
      let s = g[v].name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      return "\"\(s)\""
    }
    var blocks: [String] = []
    for n in g.nodes {
      guard case .modFuse(let fa) = n.op, let ri = producers[n.inputs[3]], case .modRouter(let ra) = g.nodes[ri].op
      else { continue }
      let r = g.nodes[ri]
      let gathered = g.nodes.first {
        if case .modGather = $0.op { return $0.inputs[1] == r.outputs[0] } else { return false }
      }
      blocks.append(
        """
        {"block": "\(fa.block)", "k": \(ra.k), "fusion": "\(fa.mode.rawValue)", "relu": \(fa.relu),
         "x": \(name(n.inputs[0])), "p": \(name(n.inputs[1])), "indices": \(name(r.outputs[0])),
         "scores": \(name(r.outputs[1])), "gathered": \(gathered.map { name($0.outputs[0]) } ?? "null"),
         "y": \(name(n.outputs[0])), "w1": \(floats(r.inputs[1])), "b1": \(floats(r.inputs[2])),
         "w2": \(floats(r.inputs[3])), "b2": \(floats(r.inputs[4]))}
        """)
    }
    return "{\"blocks\": [\n" + blocks.joined(separator: ",\n") + "\n]}\n"
  }

  /// Writes BLOCKS.json for `g` and runs the numeric check of `model` in onnxruntime; returns (status, report).
  static func numericCheck(model: String, graph g: Graph, input: String? = nil) throws -> (Int32, String) {
    let json = NSTemporaryDirectory() + "modc-recognize-" + UUID().uuidString + ".json"
    try blocksJSON(g).write(toFile: json, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: json) }
    return python([casesScript, "check", model, json] + (input.map { ["--input", $0] } ?? []))
  }
}

@Suite("RecognizeMoD helpers")
struct RecognizeMoDSupportTests {
  @Test(
    arguments: [
      ("/layer2/layer2.1/selector/TopK", "layer2.1"), ("layer12.30.conv", "layer12.30"), ("layer1", nil),
      ("/layer3/Add", nil), ("node7", nil), ("xlayer4.0y", "layer4.0"),
    ] as [(String, String?)])
  func blockNameFromNodeName(_ input: String, _ expected: String?) {
    #expect(blockName(in: input) == expected)
  }
}
