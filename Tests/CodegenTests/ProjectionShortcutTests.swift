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

/// Concat placement keeps a copy whenever writing the piece in place could be wrong or impossible.
@Suite struct ConcatPlacementTests {
  /// The channel sum of concat(c_i, …) (a 1×1 conv with unit weights) of a chain of three 1×1 convs c_0, c_1, c_2
  /// on x [n,2,3,3]; `pieces` names which conv output feeds each slot, `outputs` which are graph outputs too.
  static func concatGraph(pieces: [Int], outputs: [Int], batch: Int = 1) -> Graph {
    var g = Graph(name: "concat")
    let x = g.addValue(name: "x", type: TensorType(.f32, [batch, 2, 3, 3]))
    g.inputs = [x]
    let w = g.addConstant(name: "w", TensorData(shape: [2, 2, 1, 1], floats: [1, -1, 0.5, 2]))
    var relus: [ValueID] = []
    for i in 0..<3 {
      let c = g.addValue(name: "c\(i)")
      g.appendNode(name: "conv\(i)", op: .conv(ConvAttrs(kernelShape: [1, 1])), inputs: [relus.last ?? x, w], outputs: [c])
      relus.append(c)
    }
    let y = g.addValue(name: "y")
    g.appendNode(name: "concat", op: .concat(AxisAttrs(axis: 1)), inputs: pieces.map { relus[$0] }, outputs: [y])
    // The concat feeds a conv (a graph output lives in the caller's buffer, and a relu would reuse it in place).
    let z = g.addValue(name: "z")
    let ones = g.addConstant(name: "ones", TensorData(shape: [1, 2 * pieces.count, 1, 1],
      floats: [Float](repeating: 1, count: 2 * pieces.count)))
    g.appendNode(name: "sum", op: .conv(ConvAttrs(kernelShape: [1, 1])), inputs: [y, ones], outputs: [z])
    g.outputs = [z] + outputs.map { relus[$0] }
    return g
  }

  static func copies(_ g: Graph) throws -> Int {
    var graph = g
    try ShapeInference().run(on: &graph)
    let s = try Lowering.lower(graph).schedule
    return s.steps.filter { if case .copy = $0.kind { return true } else { return false } }.count
  }

  @Test func placesPlainPiecesAndCopiesTheRest() throws {
    // c0 is read by conv1 as well: still placed (its readers read the concat's buffer).
    #expect(try Self.copies(Self.concatGraph(pieces: [0, 2], outputs: [])) == 0)
    // A piece that is also a graph output keeps its copy; so does a piece used twice.
    #expect(try Self.copies(Self.concatGraph(pieces: [0, 2], outputs: [2])) == 1)
    #expect(try Self.copies(Self.concatGraph(pieces: [1, 1], outputs: [])) == 2)
    // Batch 2: the pieces are not contiguous blocks of the concat.
    #expect(try Self.copies(Self.concatGraph(pieces: [0, 2], outputs: [], batch: 2)) == 2)
  }

  @Test func placedConcatComputesTheSameValues() throws {
    for pieces in [[0, 2], [2, 0, 1]] {
      var g = Self.concatGraph(pieces: pieces, outputs: [])
      try ShapeInference().run(on: &g)
      let exe = try Executable(Lowering.lower(g))
      let ctx = try ExecutionContext(exe, threads: 2)
      let x = (0..<18).map { Float($0) - 8 }
      var y = [Float](repeating: .nan, count: exe.outputShapes[0].reduce(1, *))
      try x.withUnsafeBytes { i in try y.withUnsafeMutableBytes { o in try ctx.run(inputs: [i.baseAddress!], outputs: [o.baseAddress!]) } }
      // Reference: c_{i+1} = W · c_i per pixel, W = [[1, -1], [0.5, 2]].
      var chain: [[Float]] = []
      var cur = x
      for _ in 0..<3 {
        cur = (0..<18).map { i in
          let (ch, p) = (i / 9, i % 9)
          return ch == 0 ? cur[p] - cur[9 + p] : 0.5 * cur[p] + 2 * cur[9 + p]
        }
        chain.append(cur)
      }
      let want = (0..<9).map { p in pieces.reduce(Float(0)) { $0 + chain[$1][p] + chain[$1][9 + p] } }
      #expect(y == want, "pieces \(pieces)")
    }
  }
}
