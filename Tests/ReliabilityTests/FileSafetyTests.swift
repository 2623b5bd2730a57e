import Foundation
import TestSupport
import Testing

/// A failing command never clobbers an existing output: every output goes through AtomicFile (or, for emit-c, a
/// temporary directory renamed into place), so the sentinel written before the run must survive byte for byte.
@Suite struct FileSafetyTests {
  static let sentinel = "sentinel: must survive a failing command\n"

  /// (id, arguments with MODEL/OUT placeholders). Each fails after option parsing, some only late (memory limit
  /// during lowering, a block that does not exist in the pipeline).
  static let failing: [(String, [String])] = [
    ("convert missing model", ["convert", "MISSING", "-o", "OUT"]),
    ("convert memory limit", ["convert", "MODEL", "--max-memory", "64K", "-o", "OUT"]),
    ("convert unknown block", ["convert", "MODEL", "--blocks", "layer9.9", "-o", "OUT"]),
    ("export-onnx unknown block", ["export-onnx", "MODEL", "--blocks", "layer9.9", "-o", "OUT"]),
    ("export-onnx missing model", ["export-onnx", "MISSING", "-o", "OUT"]),
    ("dump missing model", ["dump", "MISSING", "-o", "OUT"]),
    ("emit-c memory limit", ["emit-c", "MODEL", "--max-memory", "64K", "--force", "-o", "OUTDIR"]),
    ("emit-c unknown block", ["emit-c", "MODEL", "--blocks", "layer9.9", "--force", "-o", "OUTDIR"]),
  ]

  @Test(.requires(Env.modc != nil, Env.modcWhat), .requires(Env.cifarModel != nil, Env.cifarWhat),
    arguments: failing.map(\.0))
  func failingCommandKeepsExistingOutput(id: String) throws {
    let modc = try #require(Env.modc, "build modc first")
    let model = try #require(Env.cifarModel, "needs ../shared/fixtures or the generated models (make models)").onnx
    let args = try #require(Self.failing.first { $0.0 == id }).1
    let dir = try TempDir()
    defer { dir.remove() }
    let out = dir.file("out.bin")
    let outDir = dir.file("project")
    try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: false)
    try Self.sentinel.write(toFile: out, atomically: false, encoding: .utf8)
    try Self.sentinel.write(toFile: outDir + "/keep.txt", atomically: false, encoding: .utf8)
    let argv = [modc] + args.map {
      switch $0 {
      case "MODEL": return model
      case "MISSING": return dir.file("missing.onnx")
      case "OUT": return out
      case "OUTDIR": return outDir
      default: return $0
      }
    }
    let r = try #require(try runChild(argv))
    #expect(r.status != 0, "expected \(id) to fail")
    #expect(r.stderr.split(separator: "\n").count == 1, "one-line error expected: \(r.stderr)")
    #expect(try String(contentsOfFile: out, encoding: .utf8) == Self.sentinel)
    #expect(try String(contentsOfFile: outDir + "/keep.txt", encoding: .utf8) == Self.sentinel)
    #expect(try FileManager.default.contentsOfDirectory(atPath: outDir) == ["keep.txt"])
    // No temporary files left behind next to the outputs.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["out.bin", "project"])
  }

  /// The audit as a test: product code writes files only through AtomicFile or the emit-c project writer.
  @Test func noDirectFileWritesInSources() throws {
    let root = Env.packageRoot + "/Sources"
    let allowed: Set<String> = ["GraphIR/Support/AtomicFile.swift", "Codegen/EmitC/ProjectWriter.swift"]
    let patterns = ["O_CREAT", "O_TRUNC", "fopen(", "createFile(", ".write(toFile", ".write(to: URL", "FileHandle(forWriting"]
    var offenders: [String] = []
    let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
    #expect(files.contains("GraphIR/Support/AtomicFile.swift"))
    for f in files where f.hasSuffix(".swift") && !allowed.contains(f) {
      let text = try String(contentsOfFile: root + "/" + f, encoding: .utf8)
      for line in text.split(separator: "\n") where !line.contains("w.line(") {
        // fopen for reading ("rb") is fine; generated C (w.line) is not modc writing.
        if patterns.contains(where: { line.contains($0) }) && !line.contains("\"rb\"") && !line.contains("O_RDONLY") {
          offenders.append("\(f): \(line.trimmingCharacters(in: .whitespaces))")
        }
      }
    }
    // modc viz redirects dot's stderr into its own temporary file; that is not an output.
    offenders.removeAll { $0.hasPrefix("modc/Commands/VizCommand.swift") && $0.contains("stderrPath") }
    #expect(offenders.isEmpty, "direct file writes outside AtomicFile: \(offenders)")
  }
}
