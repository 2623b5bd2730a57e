@testable import Codegen
import GraphIR
import Passes
import Testing

/// `FuseProjectionShortcut` + concat placement: the merged conv computes what the two convs and the add did, and at
/// batch 1 the concat costs no copy (its pieces are written in place).
@Suite struct ProjectionShortcutTests {
  /// A 1×1 stem conv, then a bottleneck with a projection shortcut: x [n,8,6,6] → 1×1 (4) → 3×3/s (4) → 1×1 (16),
  /// shortcut 1×1/s (16).
  static func bottleneck(batch: Int, stride: Int) -> Graph {
    var g = Graph(name: "bottleneck")
    let input = g.addValue(name: "input", type: TensorType(.f32, [batch, 8, 6, 6]))
    g.inputs = [input]
    var seed: UInt32 = 7
    func weights(_ name: String, _ shape: [Int]) -> ValueID {
      let n = shape.reduce(1, *)
      let f = (0..<n).map { _ -> Float in
        seed = seed &* 1_664_525 &+ 1_013_904_223
        return Float(Int(seed >> 9) % 2001 - 1000) / 4000
      }
      return g.addConstant(name: name, TensorData(shape: shape, floats: f))
    }
    func conv(_ name: String, _ input: ValueID, _ cout: Int, _ cin: Int, k: Int, s: Int, relu: Bool) -> ValueID {
      let attrs = ConvAttrs(kernelShape: [k, k], strides: [s, s], pads: [k / 2, k / 2, k / 2, k / 2], dilations: [1, 1])
      var out = g.addValue(name: name)
      g.appendNode(name: name, op: .conv(attrs), inputs: [input, weights("\(name).w", [cout, cin, k, k]),
        weights("\(name).b", [cout])], outputs: [out])
      if relu {
        let r = g.addValue(name: "\(name).relu")
        g.appendNode(name: "\(name).relu", op: .relu, inputs: [out], outputs: [r])
        out = r
      }
      return out
    }
    let x = conv("stem", input, 8, 8, k: 1, s: 1, relu: true)
    let a = conv("conv1", x, 4, 8, k: 1, s: 1, relu: true)
    let b = conv("conv2", a, 4, 4, k: 3, s: stride, relu: true)
    let c = conv("conv3", b, 16, 4, k: 1, s: 1, relu: false)
    let d = conv("downsample", x, 16, 8, k: 1, s: stride, relu: false)
    let sum = g.addValue(name: "add")
    g.appendNode(name: "add", op: .add, inputs: [c, d], outputs: [sum])
    let y = g.addValue(name: "y")
    g.appendNode(name: "relu", op: .relu, inputs: [sum], outputs: [y])
    g.outputs = [y]
    return g
  }

  static func compile(_ graph: Graph, fuse: Bool) throws -> (Graph, LoweredModel) {
    var g = graph
    try ShapeInference().run(on: &g)
    var ctx = PassContext()
    let passes: [any Pass] = fuse ? [FuseProjectionShortcut(), FuseConvEpilogue()] : [FuseConvEpilogue()]
    try Pipeline(passes, verifyEach: true) { try Verifier.verify($0) }.run(on: &g, context: &ctx)
    return (g, try Lowering.lower(g))
  }

  static func run(_ model: LoweredModel, _ x: [Float], threads: Int) throws -> [Float] {
    let exe = try Executable(model)
    let ctx = try ExecutionContext(exe, threads: threads)
    var out = [Float](repeating: .nan, count: exe.outputShapes[0].reduce(1, *))
    try x.withUnsafeBytes { i in
      try out.withUnsafeMutableBytes { o in try ctx.run(inputs: [i.baseAddress!], outputs: [o.baseAddress!]) }
    }
    return out
  }

  @Test(arguments: [(1, 2), (1, 1), (2, 2), (3, 1)])
  func mergedConvMatchesTwoConvs(batch: Int, stride: Int) throws {
    let graph = Self.bottleneck(batch: batch, stride: stride)
    let (fusedGraph, fused) = try Self.compile(graph, fuse: true)
    let (_, plain) = try Self.compile(graph, fuse: false)
    // One merged conv remains of conv3, downsample, add and relu.
    let convs = fusedGraph.nodes.filter { if case .conv = $0.op { return true } else { return false } }
    #expect(convs.map(\.name) == ["stem", "conv1", "conv2", "conv3+shortcut"])
    let x = (0..<(batch * 8 * 36)).map { Float(($0 * 37) % 101) / 50 - 1 }
    let ref = try Self.run(plain, x, threads: 1)
    for threads in [1, 2] {
      let y = try Self.run(fused, x, threads: threads)
      let err = zip(y, ref).map { abs($0 - $1) }.max() ?? .infinity
      #expect(err <= 1e-5 * (ref.map(abs).max() ?? 1), "batch \(batch) stride \(stride) threads \(threads): \(err)")
    }
  }

  @Test func batchOneConcatIsWrittenInPlace() throws {
    for stride in [1, 2] {
      let (_, m) = try Self.compile(Self.bottleneck(batch: 1, stride: stride), fuse: true)
      let s = m.schedule
      let copies = s.steps.filter { if case .copy = $0.kind { return true } else { return false } }
      // Only the strided slice remains; the concat's pieces are views of its buffer.
      #expect(copies.count == (stride > 1 ? 1 : 0))
      guard let merged = s.steps.first(where: { $0.node == "conv3+shortcut" }) else {
        Issue.record("no merged conv step")
        continue
      }
      let cat = s.buffers[merged.inputs[0]]
      guard case .arena(let base) = cat.location else {
        Issue.record("concat not in the arena")
        continue
      }
      let pieces = s.buffers.filter { $0.name == "conv2.relu" || $0.name == (stride > 1 ? "conv3+shortcut.strided" : "stem.relu") }
      let offsets = pieces.compactMap { b -> Int? in if case .arena(let o) = b.location { return o - base } else { return nil } }
      let hBytes = 4 * (stride > 1 ? 3 * 3 : 6 * 6) * 4
      #expect(offsets.sorted() == [0, hBytes], "piece offsets \(offsets)")
    }
  }
}
