import Foundation
import GraphIR
import Testing

@Suite struct JSONTests {
  /// Parses `text` with Foundation and returns the top-level object.
  func parse(_ text: String) throws -> [String: Any] {
    let obj = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(obj as? [String: Any])
  }

  @Test func residualBlockIsValidJSONWithTheDocumentedShape() throws {
    let g = RoundTripFixtures.residualBlock()
    let doc = try parse(graphJSON(g))
    #expect(Set(doc.keys) == ["name", "metadata", "inputs", "constants", "nodes", "outputs"])
    #expect(doc["name"] as? String == "torch_jit")
    let meta = try #require(doc["metadata"] as? [String: Any])
    #expect(meta["ir_version"] as? Int == 8)
    #expect((meta["opsets"] as? [String: Int]) == ["": 17, "com.microsoft": 1])
    #expect(meta["doc_string"] as? String == "line1\nline2")
    let inputs = try #require(doc["inputs"] as? [[String: Any]])
    #expect(inputs.count == 1)
    #expect(inputs[0]["name"] as? String == "input")
    let type = try #require(inputs[0]["type"] as? [String: Any])
    #expect(type["dtype"] as? String == "f32")
    #expect((type["shape"] as? [Any])?.count == 4)
    #expect((type["shape"] as? [Any])?[2] as? String == "height px")
    let consts = try #require(doc["constants"] as? [[String: Any]])
    #expect(consts.map { $0["name"] as? String } == ["conv1.weight", "conv1.bias"])
    let sum = try #require(g.constants.first { g[$0.key].name == "conv1.bias" }?.value.checksum)
    #expect(consts[1]["checksum"] as? String == IRHex.sixteen(sum))
    let nodes = try #require(doc["nodes"] as? [[String: Any]])
    #expect(nodes.map { $0["op"] as? String } == ["conv", "relu", "add"])
    #expect(nodes.map { $0["onnx_op"] as? String } == ["Conv", "Relu", "Add"])
    #expect(nodes[0]["inputs"] as? [Int] == [0, 1, 2])
    let attrs = try #require(nodes[0]["attributes"] as? [String: Any])
    #expect(attrs["kernel_shape"] as? [Int] == [3, 3])
    // Attributes equal to their default (group=1, auto_pad=NOTSET) are left out, as in the text form.
    #expect(attrs["group"] == nil)
    #expect(attrs["auto_pad"] == nil)
    let outs = try #require(nodes[2]["outputs"] as? [[String: Any]])
    #expect(outs[0]["id"] as? Int == 5)
    #expect(outs[0]["type"] is NSNull)
    let graphOuts = try #require(doc["outputs"] as? [[String: Any]])
    #expect(graphOuts.map { $0["id"] as? Int } == [5])
  }

  @Test(arguments: RoundTripFixtures.allOps.map(\.label))
  func everyOpGivesValidJSON(label: String) throws {
    let op = try #require(RoundTripFixtures.allOps.first { $0.label == label }).op
    let text = graphJSON(RoundTripFixtures.singleNodeGraph(op))
    let doc = try parse(text)
    let node = try #require((doc["nodes"] as? [[String: Any]])?.first)
    #expect(node["op"] as? String == op.mnemonic)
    #expect(node["attributes"] is [String: Any])
  }

  @Test func opaqueAttributesAreTypedAndNonFiniteFloatsAreStrings() throws {
    let op = Op.opaque(RoundTripFixtures.opaqueWithEveryKind)
    let doc = try parse(graphJSON(RoundTripFixtures.singleNodeGraph(op)))
    let node = try #require((doc["nodes"] as? [[String: Any]])?.first)
    let attrs = try #require((node["attributes"] as? [String: Any])?["attrs"] as? [String: [String: Any]])
    #expect(attrs["n"]?["kind"] as? String == "int")
    #expect(attrs["n"]?["value"] as? Int == -3)
    #expect(attrs["floats"]?["value"] as? [AnyHashable] == [1.0 as Double, "inf", "-inf"] as [AnyHashable])
    #expect((attrs["t"]?["value"] as? [String: Any])?["checksum"] is String)
    #expect(attrs["mode"]?["value"] as? String == "a \"b\"")
  }

  @Test func namesWithQuotesAndControlCharactersAreEscaped() throws {
    var g = Graph(name: "q\"uo\\te\u{1}\t")
    let x = g.addValue(name: "in\nput", type: TensorType(.f32, [1]))
    g.inputs = [x]
    g.outputs = [x]
    let text = graphJSON(g)
    #expect(text.contains(#""q\"uo\\te\u0001\t""#))
    let doc = try parse(text)
    #expect(doc["name"] as? String == "q\"uo\\te\u{1}\t")
    #expect((doc["inputs"] as? [[String: Any]])?.first?["name"] as? String == "in\nput")
  }

  @Test func smallGraphMatchesSnapshotExactly() {
    var g = Graph(name: "tiny")
    let x = g.addValue(name: "x", type: TensorType(.f32, [.symbol("N"), .fixed(2)]))
    g.inputs = [x]
    let y = g.addValue(name: "y", type: nil)
    g.appendNode(name: "r", op: .softmax(SoftmaxAttrs(axis: 1)), inputs: [x], outputs: [y])
    g.outputs = [y]
    #expect(
      graphJSON(g) == """
        {
          "constants": [],
          "inputs": [
            {
              "id": 0,
              "name": "x",
              "type": {
                "dtype": "f32",
                "shape": ["N", 2]
              }
            }
          ],
          "metadata": {
            "doc_string": "",
            "domain": "",
            "ir_version": 0,
            "model_version": 0,
            "opsets": {},
            "producer_name": "",
            "producer_version": "",
            "properties": []
          },
          "name": "tiny",
          "nodes": [
            {
              "attributes": {
                "axis": 1,
                "coerce_2d": false
              },
              "id": 0,
              "inputs": [0],
              "name": "r",
              "onnx_op": "Softmax",
              "op": "softmax",
              "outputs": [
                {
                  "id": 1,
                  "name": "y",
                  "type": null
                }
              ]
            }
          ],
          "outputs": [
            {
              "id": 1,
              "name": "y",
              "type": null
            }
          ]
        }

        """)
  }
}

/// The checksum spelling shared by the text and JSON dumps (16 lowercase hex digits).
enum IRHex {
  static func sixteen(_ v: UInt64) -> String {
    let h = String(v, radix: 16)
    return String(repeating: "0", count: 16 - h.count) + h
  }
}
