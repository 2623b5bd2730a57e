import GraphIR

/// Builders for very large synthetic graphs on tiny tensors: the scale tests run every load-free stage on them.
enum SyntheticGraphs {
  /// Channels and spatial size of every activation (f32[1, C, S, S]).
  static let channels = 4
  static let spatial = 4

  /// A chain of `blocks` residual blocks `conv → batch_norm → relu → conv → add(·, x) → relu` (6 nodes each), all
  /// sharing one set of weight constants, so the graph has `6 · blocks` nodes and a handful of constants.
  static func residualChain(blocks: Int) -> Graph {
    var g = Graph(name: "residual_chain")
    let c = channels, s = spatial
    let x0 = g.addValue(name: "input", type: TensorType(.f32, [1, c, s, s]))
    g.inputs = [x0]
    let w = g.addConstant(name: "w", TensorData(shape: [c, c, 3, 3], floats: ramp(c * c * 9, scale: 0.01)))
    let b = g.addConstant(name: "b", TensorData(shape: [c], floats: ramp(c, scale: 0.1)))
    let gamma = g.addConstant(name: "gamma", TensorData(shape: [c], floats: [Float](repeating: 1, count: c)))
    let beta = g.addConstant(name: "beta", TensorData(shape: [c], floats: [Float](repeating: 0, count: c)))
    let mean = g.addConstant(name: "mean", TensorData(shape: [c], floats: ramp(c, scale: 0.01)))
    let variance = g.addConstant(name: "var", TensorData(shape: [c], floats: [Float](repeating: 1, count: c)))
    let conv = Op.conv(ConvAttrs(kernelShape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1]))
    var x = x0
    for i in 0..<blocks {
      let p = "layer.\(i)"
      let a = g.addValue(name: "\(p).conv1")
      g.appendNode(name: "\(p).conv1", op: conv, inputs: [x, w, b], outputs: [a])
      let bn = g.addValue(name: "\(p).bn1")
      g.appendNode(name: "\(p).bn1", op: .batchNorm(BatchNormAttrs()), inputs: [a, gamma, beta, mean, variance],
        outputs: [bn])
      let r = g.addValue(name: "\(p).relu1")
      g.appendNode(name: "\(p).relu1", op: .relu, inputs: [bn], outputs: [r])
      let c2 = g.addValue(name: "\(p).conv2")
      g.appendNode(name: "\(p).conv2", op: conv, inputs: [r, w, b], outputs: [c2])
      let sum = g.addValue(name: "\(p).add")
      g.appendNode(name: "\(p).add", op: .add, inputs: [c2, x], outputs: [sum])
      let y = g.addValue(name: "\(p).relu2")
      g.appendNode(name: "\(p).relu2", op: .relu, inputs: [sum], outputs: [y])
      x = y
    }
    g.outputs = [x]
    return g
  }

  /// `count` nodes in one chain, alternating `identity`, `dropout`, and a `reshape` pair ([1, C·S·S] and back),
  /// ending in a relu so the chain has real work at the end.
  static func shapeChain(count: Int) -> Graph {
    var g = Graph(name: "shape_chain")
    let c = channels, s = spatial
    let x0 = g.addValue(name: "input", type: TensorType(.f32, [1, c, s, s]))
    g.inputs = [x0]
    let flat = g.addConstant(name: "flat_shape", TensorData(shape: [2], int64s: [1, Int64(c * s * s)]))
    let full = g.addConstant(name: "full_shape", TensorData(shape: [4], int64s: [1, Int64(c), Int64(s), Int64(s)]))
    var x = x0
    var flattened = false
    for i in 0..<(count - 1) {
      let y = g.addValue(name: "v\(i)")
      switch i % 4 {
      case 0: g.appendNode(name: "id\(i)", op: .identity, inputs: [x], outputs: [y])
      case 1: g.appendNode(name: "drop\(i)", op: .dropout, inputs: [x], outputs: [y])
      default:
        g.appendNode(name: "reshape\(i)", op: .reshape(ReshapeAttrs()), inputs: [x, flattened ? full : flat],
          outputs: [y])
        flattened.toggle()
      }
      x = y
    }
    if flattened {
      // Keep the output 4-D whatever the count.
      let y = g.addValue(name: "unflat")
      g.appendNode(name: "unflat", op: .reshape(ReshapeAttrs()), inputs: [x, full], outputs: [y])
      x = y
    }
    let out = g.addValue(name: "output")
    g.appendNode(name: "final_relu", op: .relu, inputs: [x], outputs: [out])
    g.outputs = [out]
    return g
  }

  private static func ramp(_ n: Int, scale: Float) -> [Float] {
    (0..<n).map { Float(($0 % 7) - 3) * scale }
  }
}
