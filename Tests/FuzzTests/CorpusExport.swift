import Foundation
import Testing

/// Writes the seeds of every format to `$FUZZ_CORPUS_DIR/<format>/` for the libFuzzer targets (tools/fuzz.sh runs
/// this); without the variable the test only checks that every format has seeds.
@Suite struct CorpusExport {
  static var corpora: [(format: String, seeds: [[UInt8]])] {
    [
      ("onnx", ONNXSeeds.all.map(\.bytes)), ("text", Seeds.text), ("plan", [Seeds.plan, Seeds.minimalPlan, CompiledPlanSeed.bytes]),
      ("npy", Seeds.npy), ("npz", Seeds.npz),
    ]
  }

  @Test func writeCorpus() throws {
    let dir = ProcessInfo.processInfo.environment["FUZZ_CORPUS_DIR"]
    for (format, seeds) in CorpusExport.corpora {
      #expect(!seeds.isEmpty, "\(format) has no seeds")
      guard let dir else { continue }
      let sub = dir + "/" + format
      try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
      for (i, s) in seeds.enumerated() where s.count <= 2 << 20 {
        #expect(FileManager.default.createFile(atPath: "\(sub)/seed-\(i)", contents: Data(s)))
      }
    }
  }
}
