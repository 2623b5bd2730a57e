import GraphIR
import ONNXReader

#if canImport(Glibc)
import Glibc
#endif

/// A model file that failed to load or compile: the path plus the reader's, verifier's or pass's one-line reason.
public struct ModelLoadError: Error, Sendable, CustomStringConvertible {
  public var path: String
  public var reason: String
  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }
  public var description: String { "\(path): \(reason)" }
}

/// Reads models from files: ONNX protobuf or modc's textual IR, with input shapes bound, shapes inferred and the
/// graph verified.
public enum ModelLoader {
  /// Loads `path`, binds `options.inputShapes` and `options.batch`, infers shapes and verifies the graph.
  public static func load(path: String, options: CompileOptions = CompileOptions()) throws -> Graph {
    var g = try loadUnchecked(path: path)
    let shapes = boundShapes(g, inputShapes: options.inputShapes, batch: options.batch)
    do {
      try ShapeInference(inputShapes: shapes).run(on: &g)
      try Verifier.verify(g)
    } catch { throw ModelLoadError(path: path, reason: oneLineDescription(error)) }
    return g
  }

  /// Reads a model file without shape inference or verification.
  public static func loadUnchecked(path: String) throws -> Graph {
    if isTextualIR(path: path) {
      guard let text = readTextFile(path) else {
        throw ModelLoadError(path: path, reason: "cannot read file (\(String(cString: strerror(errno))))")
      }
      do { return try parseGraph(text) } catch { throw ModelLoadError(path: path, reason: oneLineDescription(error)) }
    }
    do {
      return try loadONNX(path: path)
    } catch {
      // The reader names the file itself; the path given leads the message once.
      var e = error
      e.file = nil
      throw ModelLoadError(path: path, reason: oneLineDescription(e))
    }
  }

  /// `inputShapes` plus, with a batch, dimension 0 of every other declared graph input rebound to it.
  public static func boundShapes(_ g: Graph, inputShapes: [String: [Dim]], batch: Int?) -> [String: [Dim]] {
    var shapes = inputShapes
    guard let batch else { return shapes }
    for v in g.inputs where g.constants[v] == nil && shapes[g[v].name] == nil {
      if var s = g.type(of: v)?.shape, !s.isEmpty {
        s[0] = .fixed(batch)
        shapes[g[v].name] = s
      }
    }
    return shapes
  }

  /// True if the file at `path` looks like modc's textual IR rather than an ONNX protobuf.
  public static func isTextualIR(path: String) -> Bool {
    if path.hasSuffix(".mir") { return true }
    if path.hasSuffix(".onnx") { return false }
    guard let f = fopen(path, "rb") else { return false }
    defer { fclose(f) }
    var buf = [UInt8](repeating: 0, count: 64)
    let n = fread(&buf, 1, 64, f)
    let head = String(decoding: buf.prefix(n), as: UTF8.self).drop { $0 == " " || $0 == "\n" || $0 == "\t" }
    return head.hasPrefix("graph") || head.hasPrefix("//")
  }

  /// Reads a whole text file, or nil.
  public static func readTextFile(_ path: String) -> String? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = fread(&buf, 1, buf.count, f)
      if n <= 0 { break }
      bytes.append(contentsOf: buf.prefix(n))
    }
    if ferror(f) != 0 { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }
}

/// An error's description on one line (multi-line verifier reports joined with spaces).
public func oneLineDescription(_ error: any Error) -> String {
  String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
}
