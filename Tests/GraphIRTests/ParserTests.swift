import GraphIR
import Testing

/// One malformed IR snippet and the exact error it must produce.
struct ParseErrorCase: CustomTestStringConvertible, Sendable {
  var label: String
  var body: String
  var message: String
  var testDescription: String { label }
}

@Suite struct ParserTests {
  /// Wraps statement lines in a graph whose first body line is line 2, declaring input %0 : f32[1,4].
  static func wrap(_ body: String) -> String {
    "graph \"g\" {\n  input %0 \"x\" : f32[1,4]\n" + body + "\n}\n"
  }

  static let errorCases: [ParseErrorCase] = [
    .init(label: "unknown op", body: "  %1 = convv(%0)  # \"c\"", message: "3:8: unknown op 'convv'"),
    .init(
      label: "unknown attribute", body: "  %1 = conv(%0) {group=1 grop=2}  # \"c\"",
      message: "3:26: unknown attribute 'grop' for conv"),
    .init(
      label: "attribute on plain op", body: "  %1 = relu(%0) {alpha=1.0}  # \"r\"",
      message: "3:18: unknown attribute 'alpha' for relu"),
    .init(
      label: "wrong attribute type", body: "  %1 = conv(%0) {group=\"two\"}  # \"c\"",
      message: "3:24: attribute 'group' of conv: expected an integer, found a string"),
    .init(
      label: "bad enum value", body: "  %1 = conv(%0) {auto_pad=\"SAME\"}  # \"c\"",
      message: "3:27: attribute 'auto_pad' of conv: invalid value \"SAME\""),
    .init(
      label: "duplicate attribute", body: "  %1 = conv(%0) {group=1 group=2}  # \"c\"",
      message: "3:26: duplicate attribute 'group'"),
    .init(
      label: "missing required attribute", body: "  %1 = concat(%0, %0)  # \"c\"",
      message: "3:8: missing attribute 'axis' for concat"),
    .init(label: "bad type", body: "  %1 = relu(%0) : f33[1,4]  # \"r\"", message: "3:19: unknown element type 'f33'"),
    .init(
      label: "bad cast target", body: "  %1 = cast(%0) {to=float}  # \"c\"",
      message: "3:21: unknown element type 'float'"),
    .init(
      label: "duplicate definition", body: "  %1 = relu(%0)  # \"a\"\n  %1 = relu(%0)  # \"b\"",
      message: "4:3: value %1 is already defined at line 3"),
    .init(
      label: "redefine input", body: "  %0 = relu(%0)  # \"a\"", message: "3:3: value %0 is already defined at line 2"),
    .init(label: "undefined use", body: "  %1 = add(%0, %7)  # \"a\"", message: "3:16: use of undefined value %7"),
    .init(label: "use before def", body: "  %1 = relu(%1)  # \"a\"", message: "3:13: use of undefined value %1"),
    .init(label: "undefined output", body: "  output %3", message: "3:10: use of undefined value %3"),
    .init(
      label: "missing node name", body: "  %1 = relu(%0) : f32[1,4]",
      message: "4:1: expected '#' and the node name, found '}'"),
    .init(
      label: "constant without checksum", body: "  const %1 \"w\" : f32[4]",
      message: "4:1: constant %1 needs a checksum '#…' after its type"),
    .init(
      label: "checksum too long", body: "  const %1 \"w\" : f32[4] #0123456789abcdef0",
      message: "3:25: checksum '#0123456789abcdef0' must be at most 16 hex digits"),
    .init(
      label: "type count mismatch", body: "  %1, %2 = topk(%0) : f32[1,4]  # \"t\"",
      message: "3:23: topk defines 2 values but lists 1 types"),
    .init(label: "unterminated string", body: "  %1 = relu(%0)  # \"r", message: "3:20: unterminated string"),
    .init(label: "stray character", body: "  %1 = relu(%0) @  # \"r\"", message: "3:17: unexpected character '@'"),
    .init(
      label: "bad statement", body: "  [1]",
      message: "3:3: expected a statement (input, const, node, output) or '}', found '['"),
    .init(label: "unknown meta", body: "  meta author \"me\"", message: "3:8: unknown metadata key 'author'"),
    .init(
      label: "opaque untyped value", body: "  %1 = opaque(%0) {attrs={alpha=1.5} op_type=\"Foo\"}  # \"f\"",
      message: "3:33: expected a typed attribute value such as 'i:1' or 'f:0.5', found float 1.5"),
    .init(
      label: "opaque wrong kind", body: "  %1 = opaque(%0) {attrs={n=i:1.5} op_type=\"Foo\"}  # \"f\"",
      message: "3:31: 'i:' value: expected an integer, found float 1.5"),
    .init(
      label: "opaque tensor size", body: "  %1 = opaque(%0) {attrs={t=tensor:f32[2]\"00\"} op_type=\"Foo\"}  # \"f\"",
      message: "3:36: tensor attribute f32[2] needs 8 bytes, found 2 hex digits"),
  ]

  @Test(arguments: errorCases)
  func reportsExactError(_ c: ParseErrorCase) {
    #expect(throws: ParseError.self) { try parseGraph(Self.wrap(c.body)) }
    do {
      _ = try parseGraph(Self.wrap(c.body))
    } catch {
      #expect(error.description == c.message)
    }
  }

  @Test func errorsOutsideTheBody() {
    func message(_ text: String) -> String? {
      do {
        _ = try parseGraph(text)
        return nil
      } catch { return error.description }
    }
    #expect(message("") == "1:1: expected 'graph', found end of input")
    #expect(message("graph \"g\" version 3 {}") == "1:11: unknown graph header clause 'version'")
    #expect(message("graph \"g\" {\n}\nextra") == "3:1: expected end of input, found 'extra'")
    #expect(
      message("graph \"g\" {\n  input %0 \"x\"\n")
        == "3:1: expected a statement (input, const, node, output) or '}', found end of input")
  }

  @Test func handWrittenTextUsesStructDefaults() throws {
    let g = try parseGraph(
      """
      graph "g" opset 13 {
        input %x "x" : f32[1,4,8,8]   // a comment
        const %w "w" : f32[4,4,3,3] #ff
        %y = conv(%x, %w) {kernel_shape=[3,3] pads=[1,1,1,1]} : f32[1,4,8,8]  # "c"
        %i, %s = topk(%y) {axis=1 k=2}  # "t"
        %z = batch_norm(%y, %w, %w, %w, %w) {epsilon=1}  # "bn"
        output %z
      }
      """)
    #expect(g.metadata.defaultOpset == 13)
    guard case .conv(let c) = g.nodes[0].op, case .topK(let t) = g.nodes[1].op, case .batchNorm(let b) = g.nodes[2].op
    else {
      Issue.record("wrong ops: \(g.nodes.map(\.op.mnemonic))")
      return
    }
    #expect(c == ConvAttrs(kernelShape: [3, 3], pads: [1, 1, 1, 1]))
    #expect(t == TopKAttrs(axis: 1, k: 2))
    #expect(b.epsilon == 1)
    #expect(g.constants[g.nodes[0].inputs[1]]?.checksum == 0xff)
    #expect(g.constants[g.nodes[0].inputs[1]]?.data == nil)
    #expect(g[g.nodes[1].outputs[1]].name == "t_output_1")
    #expect(g[g.nodes[1].outputs[0]].type == nil)
  }

  @Test func stringEscapesAndUnicode() throws {
    let g = try parseGraph("graph \"a\\\"b\\\\c\\u{1F600}é\" {\n}")
    #expect(g.name == "a\"b\\c😀é")
    let text = printGraph(Graph(name: "bell\u{7}"))
    #expect(text.hasPrefix("graph \"bell\\u{7}\" {"))
    #expect(try parseGraph(text).name == "bell\u{7}")
  }

  @Test func specialFloatsParse() throws {
    let g = try parseGraph(
      """
      graph "g" {
        input %0 "x" : f32[2]
        %1 = gemm(%0, %0) {alpha=-inf beta=nan}  # "gm"
        %2 = pad(%0) {value=3.4028235e+38}  # "p"
      }
      """)
    guard case .gemm(let a) = g.nodes[0].op, case .pad(let p) = g.nodes[1].op else {
      Issue.record("wrong ops")
      return
    }
    #expect(a.alpha == -.infinity)
    #expect(a.beta.isNaN)
    #expect(p.value == .greatestFiniteMagnitude)
  }
}
