import GraphIR
import Testing

@Suite struct RoundTripTests {
  @Test func tableCoversEveryOpCase() {
    let covered = Set(RoundTripFixtures.allOps.map { RoundTripFixtures.caseIndex($0.op) })
    #expect(covered == Set(0..<RoundTripFixtures.caseCount))
  }

  @Test(arguments: RoundTripFixtures.allOps.map(\.label))
  func printParsePrintIsIdentity(label: String) throws {
    let op = try #require(RoundTripFixtures.allOps.first { $0.label == label }).op
    let g = RoundTripFixtures.singleNodeGraph(op)
    let text = printGraph(g)
    let parsed = try parseGraph(text)
    #expect(printGraph(parsed) == text)
    #expect(parsed.nodes.count == 1)
    #expect(parsed.nodes.first?.op.mnemonic == op.mnemonic)
    #expect(parsed.nodes.first?.op.onnxOpType == op.onnxOpType)
  }

  @Test func attributeStructsSurviveExactly() throws {
    for (label, op) in RoundTripFixtures.allOps {
      let parsed = try parseGraph(printGraph(RoundTripFixtures.singleNodeGraph(op)))
      let back = try #require(parsed.nodes.first?.op)
      switch (op, back) {
      case (.conv(let a), .conv(let b)): #expect(a == b, "\(label)")
      case (.batchNorm(let a), .batchNorm(let b)): #expect(a.epsilon.bitPattern == b.epsilon.bitPattern, "\(label)")
      case (.maxPool(let a), .maxPool(let b)), (.averagePool(let a), .averagePool(let b)): #expect(a == b, "\(label)")
      case (.reduceMean(let a), .reduceMean(let b)): #expect(a == b, "\(label)")
      case (.gemm(let a), .gemm(let b)): #expect(a == b, "\(label)")
      case (.squeeze(let a), .squeeze(let b)), (.unsqueeze(let a), .unsqueeze(let b)): #expect(a == b, "\(label)")
      case (.transpose(let a), .transpose(let b)): #expect(a == b, "\(label)")
      case (.slice(let a), .slice(let b)): #expect(a == b, "\(label)")
      case (.pad(let a), .pad(let b)):
        #expect(a.mode == b.mode && a.pads == b.pads && a.value.bitPattern == b.value.bitPattern, "\(label)")
      case (.shape(let a), .shape(let b)): #expect(a == b, "\(label)")
      case (.constantOfShape(let a), .constantOfShape(let b)): #expect(a == b, "\(label)")
      case (.topK(let a), .topK(let b)): #expect(a == b, "\(label)")
      case (.modFuse(let a), .modFuse(let b)): #expect(a == b, "\(label)")
      case (.modRouter(let a), .modRouter(let b)): #expect(a == b, "\(label)")
      case (.opaque(let a), .opaque(let b)):
        #expect(a.opType == b.opType && a.domain == b.domain, "\(label)")
        #expect(a.attributes.map(\.name) == b.attributes.map(\.name), "\(label)")
      default: #expect(op.mnemonic == back.mnemonic, "\(label)")
      }
    }
  }

  @Test func opaqueTensorAttributeKeepsItsBytes() throws {
    let g = RoundTripFixtures.singleNodeGraph(.opaque(RoundTripFixtures.opaqueWithEveryKind))
    let parsed = try parseGraph(printGraph(g))
    guard case .opaque(let a) = try #require(parsed.nodes.first?.op),
      case .tensor(let t)? = a.attributes.first(where: { $0.name == "t" })?.value
    else {
      Issue.record("tensor attribute lost")
      return
    }
    #expect(t.type == TensorType(.f32, [2]))
    #expect(t.floats() == [1, 2])
  }

  @Test func residualBlockRoundTripsWithMetadataAndNames() throws {
    let g = RoundTripFixtures.residualBlock()
    let text = printGraph(g)
    let parsed = try parseGraph(text)
    #expect(printGraph(parsed) == text)
    #expect(parsed.name == "torch_jit")
    #expect(parsed.metadata.irVersion == 8)
    #expect(parsed.metadata.opsets == ["": 17, "com.microsoft": 1])
    #expect(parsed.metadata.producerName == "pytorch" && parsed.metadata.producerVersion == "2.13")
    #expect(parsed.metadata.docString == "line1\nline2")
    #expect(parsed.metadata.modelVersion == 3 && parsed.metadata.domain == "ai.modc")
    #expect(parsed.metadata.properties.map(\.key) == ["author", "note"])
    #expect(parsed.metadata.properties.last?.value == "tab\there")
    #expect(parsed.values.map(\.name) == g.values.map(\.name))
    #expect(parsed.values.map(\.type) == g.values.map(\.type))
    #expect(parsed.nodes.map(\.name) == ["/conv1/Conv", "/relu/Relu", ""])
  }

  @Test func parsedConstantsAreAbsentWithTheOriginalChecksum() throws {
    let g = RoundTripFixtures.residualBlock()
    let parsed = try parseGraph(printGraph(g))
    #expect(parsed.constants.count == 2)
    for (id, c) in g.constants {
      let name = g[id].name
      let pid = try #require(parsed.values.first { $0.name == name }?.id)
      guard case .absent(let type, let checksum)? = parsed.constants[pid] else {
        Issue.record("constant \(name) should be absent")
        continue
      }
      #expect(type == c.type)
      #expect(checksum == c.checksum)
    }
  }

  @Test func inputThatIsAlsoAConstantStaysBoth() throws {
    var g = Graph(name: "old_onnx")
    let w = g.addConstant(name: "w", TensorData(shape: [2], floats: [1, 2]))
    g.inputs = [w]
    let y = g.addValue(name: "y", type: TensorType(.f32, [2]))
    g.appendNode(name: "r", op: .relu, inputs: [w], outputs: [y])
    g.outputs = [y]
    let text = printGraph(g)
    let parsed = try parseGraph(text)
    #expect(parsed.inputs.count == 1 && parsed.constants.count == 1)
    #expect(printGraph(parsed) == text)
  }

  @Test func parseIsStableUnderRenumbering() throws {
    // Hand-written text with sparse and named ids prints densely and then round-trips.
    let text = """
      graph "g" {
        input %in "x" : f32[1,2]
        %a = relu(%in)  # "r"
        %9 = sigmoid(%a) : f32[1,2]  # "s"
        output %9
      }
      """
    let g = try parseGraph(text)
    let printed = printGraph(g)
    #expect(printed.contains("%1 = relu(%0)  # \"r\""))
    #expect(printed.contains("%2 = sigmoid(%1) : f32[1,2]  # \"s\""))
    #expect(printGraph(try parseGraph(printed)) == printed)
  }

  @Test(arguments: ["", "a//b", "# \"x\"", "%0", "tab\tnew\nline", "ünï😀", "back\\slash", "{}[]=,:?"])
  func hostileNamesRoundTrip(name: String) throws {
    var g = Graph(name: name)
    let x = g.addValue(name: name, type: TensorType(.f32, [.symbol(name), .fixed(7)]))
    g.inputs = [x]
    let y = g.addValue(name: name + "_output_0", type: nil)
    g.appendNode(name: name, op: .modGather(MoDGatherAttrs(block: name)), inputs: [x, x], outputs: [y])
    g.outputs = [y]
    let text = printGraph(g)
    let parsed = try parseGraph(text)
    #expect(printGraph(parsed) == text)
    #expect(parsed.name == name && parsed.nodes.first?.name == name)
    #expect(parsed.values.map(\.name) == [name, name + "_output_0"])
    #expect(parsed.values.first?.type == TensorType(.f32, [.symbol(name), .fixed(7)]))
  }
}
