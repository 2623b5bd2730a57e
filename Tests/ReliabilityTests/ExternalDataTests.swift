import Foundation
import GraphIR
import ONNXReader
import TestSupport
import Testing

/// Minimal protobuf encoder for hand-built ONNX files (wire types 0 and 2 are all ONNX needs here).
struct ProtoWriter {
  var bytes: [UInt8] = []
  mutating func varint(_ v: UInt64) {
    var v = v
    while v >= 0x80 {
      bytes.append(UInt8(v & 0x7f) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }
  mutating func int(_ field: Int, _ v: Int) {
    varint(UInt64(field << 3))
    varint(UInt64(bitPattern: Int64(v)))
  }
  mutating func bytesField(_ field: Int, _ b: [UInt8]) {
    varint(UInt64(field << 3 | 2))
    varint(UInt64(b.count))
    bytes += b
  }
  mutating func string(_ field: Int, _ s: String) { bytesField(field, Array(s.utf8)) }
  mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
    var m = ProtoWriter()
    build(&m)
    bytesField(field, m.bytes)
  }
}

/// Loading a model whose one initializer (f32[600 000 000], 2.4 GB) lives in a sparse external data file must map
/// it, not copy it: peak memory stays far below the tensor's size.
@Suite(.serialized) struct HugeExternalDataTests {
  static let elements = 600_000_000
  static let rssBound = 300 << 20

  /// `y = mul(x: f32[1], w: f32[600000000])` with `w` in `huge.bin` (offset 0), plus the sparse data file.
  static func makeHugeModel(in dir: TempDir) throws -> String {
    func valueInfo(_ w: inout ProtoWriter, _ name: String, _ dim: Int) {
      w.string(1, name)
      w.message(2) { t in
        t.message(1) { tt in
          tt.int(1, 1)  // FLOAT
          tt.message(2) { s in s.message(1) { d in d.int(1, dim) } }
        }
      }
    }
    var model = ProtoWriter()
    model.int(1, 8)  // ir_version
    model.string(2, "modc-reliability")
    model.message(7) { g in
      g.message(1) { n in
        n.string(1, "x")
        n.string(1, "w")
        n.string(2, "y")
        n.string(3, "scale")
        n.string(4, "Mul")
      }
      g.string(2, "huge_external")
      g.message(5) { t in
        t.int(1, elements)
        t.int(2, 1)  // FLOAT
        t.string(8, "w")
        for (k, v) in [("location", "huge.bin"), ("offset", "0"), ("length", String(elements * 4))] {
          t.message(13) { e in
            e.string(1, k)
            e.string(2, v)
          }
        }
        t.int(14, 1)  // EXTERNAL
      }
      g.message(11) { valueInfo(&$0, "x", 1) }
      g.message(12) { valueInfo(&$0, "y", elements) }
    }
    model.message(8) { o in o.int(2, 17) }  // opset_import { version: 17 }
    let path = dir.file("huge.onnx")
    guard FileManager.default.createFile(atPath: path, contents: Data(model.bytes)) else { throw POSIXError(.EIO) }
    // Sparse: no blocks are allocated, reads see zeros.
    let fd = open(dir.file("huge.bin"), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    defer { close(fd) }
    guard ftruncate(fd, off_t(elements * 4)) == 0 else { throw POSIXError(.ENOSPC) }
    return path
  }

  @Test func loadMapsHugeExternalInitializer() throws {
    let dir = try TempDir()
    defer { dir.remove() }
    let path = try Self.makeHugeModel(in: dir)
    let before = try #require(currentRSS())
    var g = try loadONNX(path: path)
    try ShapeInference().run(on: &g)
    try Verifier.verify(g)
    let after = try #require(currentRSS())
    let w = try #require(g.constants.first { g[$0.key].name == "w" }?.value.data)
    #expect(w.elementCount == Self.elements)
    #expect(g.type(of: g.outputs[0]) == TensorType(.f32, [Self.elements]))
    print("[external] in-process load + infer + verify of f32[\(Self.elements)]: RSS +\((after - before) >> 20) MiB")
    #expect(after - before < Self.rssBound, "loading grew RSS by \(after - before) bytes: the data was copied")
  }

  @Test(.requires(Env.modc != nil, Env.modcWhat)) func cliVerifyPeakRSSStaysSmall() throws {
    let modc = try #require(Env.modc, "build modc first (swift build --build-tests)")
    let dir = try TempDir()
    defer { dir.remove() }
    let path = try Self.makeHugeModel(in: dir)
    // Linux records the spawning process's peak RSS in a child spawned with a shared address space (posix_spawn
    // uses CLONE_VM), so wait4 would report this test process's peak; GNU time forks modc from a small process.
    let time = "/usr/bin/time"
    let useTime = FileManager.default.isExecutableFile(atPath: time)
    let rssFile = dir.file("rss.txt")
    let argv = (useTime ? [time, "-f", "%M", "-o", rssFile] : []) + [modc, "verify", path]
    let r = try #require(try runChild(argv))
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("parameters: \(Self.elements)"))
    let peak = useTime
      ? (try String(contentsOfFile: rssFile, encoding: .utf8)).split(separator: "\n").last.flatMap { Int($0) }.map { $0 * 1024 }
      : r.maxRSS
    let bytes = try #require(peak, "no peak RSS from \(useTime ? time : "wait4")")
    print("[external] modc verify (2.4 GB external initializer): peak RSS \(bytes >> 20) MiB (\(useTime ? "GNU time" : "wait4"))")
    #expect(bytes < Self.rssBound, "modc verify peak RSS \(bytes) bytes")
    // A memory limit does not count mapped data: 64 MiB is plenty for this model.
    let limited = try #require(try runChild([modc, "verify", path, "--max-memory", "64M"]))
    #expect(limited.status == 0, "\(limited.stderr)")
  }
}
