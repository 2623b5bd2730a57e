import GraphIR
import Testing

@Suite struct PrinterTests {
  @Test func residualBlockMatchesSnapshot() {
    let text = RoundTripFixtures.residualBlock().text
    #expect(
      text == """
        graph "torch_jit" ir 8 opset 17 producer "pytorch" "2.13" {
          opset "com.microsoft" 1
          meta domain "ai.modc"
          meta model_version 3
          meta doc "line1\\nline2"
          meta property "author" "me"
          meta property "note" "tab\\there"
          input %0 "input" : f32[N,3,"height px",8]
          const %1 "conv1.weight" : f32[3,3,3,3] #43653b07bb776b2e
          const %2 "conv1.bias" : f32[3] #ee099ab1aa6ee632
          %3 = conv(%0, %1, %2) {kernel_shape=[3,3] pads=[1,1,1,1] strides=[1,1]} : f32[N,3,"height px",8]  # "/conv1/Conv"
          %4 "123" = relu(%3) : f32[N,3,"height px",8]  # "/relu/Relu"
          %5 "" = add(%4, %0)  # ""
          output %5
        }

        """)
  }

  @Test func checksumsAreTheWeightHashes() {
    let g = RoundTripFixtures.residualBlock()
    for (id, c) in g.constants {
      #expect(g.text.contains("\"\(g[id].name)\" : \(c.type) #\(IRHex.sixteen(c.checksum))\n"))
    }
  }

  @Test func printingIsDeterministicAcrossConstantInsertionOrder() {
    // Constants live in a dictionary; the printer must order them by id, not by hash order.
    var a = Graph(name: "c")
    var b = Graph(name: "c")
    for k in 0..<20 { a.addConstant(name: "w\(k)", TensorData(shape: [1], floats: [Float(k)])) }
    for k in 0..<20 { b.addConstant(name: "w\(k)", TensorData(shape: [1], floats: [Float(k)])) }
    #expect(a.text == b.text)
    let lines = a.text.split(separator: "\n").filter { $0.contains("const") }
    #expect(lines.first?.contains("\"w0\"") == true)
    #expect(lines.last?.contains("\"w19\"") == true)
  }

  @Test func floatsPrintInShortestRoundTripForm() {
    let g = RoundTripFixtures.singleNodeGraph(.gemm(GemmAttrs(alpha: 0.1, beta: 1e-7)))
    #expect(g.text.contains("{alpha=0.1 beta=1e-07}"))
  }

  @Test func brokenGraphStillPrintsAndFailsToParseWithALineNumber() {
    var g = Graph(name: "broken")
    let dangling = g.addValue(name: "ghost", type: nil)
    let y = g.addValue(name: "y", type: nil)
    g.appendNode(name: "r", op: .relu, inputs: [dangling], outputs: [y])
    g.outputs = [y]
    let text = g.text
    #expect(text.contains("%0 \"y\" = relu(%1)  # \"r\""))
    #expect(throws: ParseError(TextLocation(line: 2, column: 17), "use of undefined value %1")) {
      try parseGraph(text)
    }
  }

  @Test func nodeWithoutOutputsPrintsBareAndParses() throws {
    var g = Graph(name: "sink")
    let x = g.addValue(name: "x", type: TensorType(.f32, [1]))
    g.inputs = [x]
    g.appendNode(name: "s", op: .identity, inputs: [x], outputs: [])
    #expect(g.text.contains("\n  identity(%0)  # \"s\"\n"))
    #expect(try parseGraph(g.text).text == g.text)
  }
}
