import Foundation
import GraphIR
import TestSupport
import Testing

@Suite struct DotTests {
  static let dotPath = "/usr/bin/dot"

  /// Runs `dot -Tsvg` on `text`; returns the exit status and stderr, or nil when graphviz is not installed.
  func runDot(_ text: String) throws -> (status: Int32, stderr: String, svg: String)? {
    guard FileManager.default.isExecutableFile(atPath: DotTests.dotPath) else { return nil }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: DotTests.dotPath)
    p.arguments = ["-Tsvg"]
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    p.standardInput = input
    p.standardOutput = output
    p.standardError = errors
    try p.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    let svg = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: err, as: UTF8.self), String(decoding: svg, as: UTF8.self))
  }

  @Test func residualBlockHasLabelledNodesAndEdges() {
    let text = graphDOT(RoundTripFixtures.residualBlock())
    #expect(text.hasPrefix("digraph \"torch_jit\" {\n"))
    #expect(text.contains("in0 [label=\"input\\nf32[N,3,\\\"height px\\\",8]\", shape=invhouse"))
    #expect(text.contains("n0 [label=\"/conv1/Conv\\nconv\", shape=box"))
    #expect(text.contains("out0 [label=\"\\n?\", shape=house"))
    #expect(text.contains("in0 -> n0 [label=\"f32[N,3,\\\"height px\\\",8]\"];"))
    #expect(text.contains("n2 -> out0 [label=\"?\"];"))
    #expect(!text.contains("conv1.weight"))
    #expect(graphDOT(RoundTripFixtures.residualBlock(), includeConstants: true).contains("conv1.weight"))
  }

  @Test func multiOutputEdgesNameTheirPort() {
    let text = graphDOT(RoundTripFixtures.singleNodeGraph(.topK(TopKAttrs())))
    #expect(text.contains("n0 -> out0 [label=\"0: f32[N,4,8,8]\"];"))
    #expect(text.contains("n0 -> out1 [label=\"1: ?\"];"))
  }

  @Test(.requires(FileManager.default.isExecutableFile(atPath: DotTests.dotPath), "Graphviz dot (/usr/bin/dot)"))
  func dotAcceptsEveryOpAndHostileNames() throws {
    var g = RoundTripFixtures.residualBlock()
    g.name = "we\"ird \\ name\n{}"
    g.nodes[0].name = "a\"b\\c\nd -> e; }"
    var graphs = [g]
    graphs += RoundTripFixtures.allOps.map { RoundTripFixtures.singleNodeGraph($0.op) }
    for graph in graphs {
      for withConstants in [false, true] {
        let text = graphDOT(graph, includeConstants: withConstants)
        let result = try #require(try runDot(text))
        #expect(result.status == 0, "dot rejected \(graph.name): \(result.stderr)\n\(text)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        #expect(result.svg.contains("<svg"))
      }
    }
  }
}
