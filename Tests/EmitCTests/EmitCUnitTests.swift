import Codegen
import Foundation
import Testing

@Suite struct KernelLibraryTests {
  /// emit-c copies Sources/CKernels itself: every .c/.h file, byte for byte.
  @Test func kernelLibraryIsTheSourceTree() throws {
    let dir = Env.repo + "/Sources/CKernels"
    var onDisk: [String: String] = [:]
    for sub in ["", "/include"] {
      for f in try FileManager.default.contentsOfDirectory(atPath: dir + sub) where f.hasSuffix(".c") || f.hasSuffix(".h") {
        onDisk[f] = try String(contentsOfFile: dir + sub + "/" + f, encoding: .utf8)
      }
    }
    let copied = Dictionary(try KernelLibrary.files().map { ($0.path, $0.contents) }, uniquingKeysWith: { a, _ in a })
    #expect(Set(copied.keys) == Set(onDisk.keys))
    for (name, text) in onDisk { #expect(copied[name] == text, "\(name) differs") }
  }
}

@Suite struct CWriterTests {
  @Test func blocksIndentAndCommentsAreSafe() {
    var w = CWriter()
    w.comment("a */ b")
    w.block("int f(void)") { w in
      w.block("if (x)") { w in w.line("return 1;") }
      w.line()
      w.line("return 0;")
    }
    #expect(w.text == "/* a * / b */\nint f(void) {\n  if (x) {\n    return 1;\n  }\n\n  return 0;\n}\n")
    var m = CWriter()
    m.comment("one\n\ntwo")
    #expect(m.text == "/*\n * one\n *\n * two\n */\n")
  }
}

@Suite struct CNamesTests {
  @Test(arguments: [
    ("resnet18", true), ("_x1", true), ("m_18", true), ("18m", false), ("a-b", false), ("int", false),
    ("main", false), ("", false), ("ünï", false), (String(repeating: "a", count: 41), false),
  ])
  func cIdentifiers(_ s: String, _ ok: Bool) { #expect(isCIdentifier(s) == ok) }

  @Test func defaultNames() {
    #expect(EmitC.defaultName(forModel: "/x/cifar_resnet20_op17.onnx") == "cifar_resnet20_op17")
    #expect(EmitC.defaultName(forModel: "18-layer.v2.mir") == "m_18_layer_v2")
    #expect(EmitC.defaultName(forModel: "int.onnx") == "model")
  }
}
