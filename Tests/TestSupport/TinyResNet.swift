import GraphIR

/// A small ResNet as a fixture: a 3×3 stem conv, two BasicBlocks of 8 channels on 8×8 (the second a MoD candidate
/// under `InsertMoD(placement: .every(2))`), global pooling, flatten and a 4-way classifier, with deterministic
/// pseudo-random weights. Not yet shape-inferred or optimised.
public enum TinyResNet {
  public static func graph(name: String = "tiny_resnet") -> Graph {
    var g = Graph(name: name)
    var seed: UInt64 = 1
    func weights(_ shape: [Int]) -> TensorData {
      TensorData(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: seed >> 11) % 1000) / 5000
      })
    }
    let c = 8
    let x = g.addValue(name: "input", type: TensorType(.f32, [1, 3, 8, 8]))
    g.inputs = [x]
    func conv(_ input: ValueID, _ cin: Int, _ name: String) -> ValueID {
      let w = g.addConstant(name: "\(name).w", weights([c, cin, 3, 3]))
      let b = g.addConstant(name: "\(name).b", weights([c]))
      let y = g.addValue(name: "\(name).y")
      g.appendNode(name: name, op: .conv(ConvAttrs(pads: [1, 1, 1, 1])), inputs: [input, w, b], outputs: [y])
      return y
    }
    func relu(_ v: ValueID, _ name: String) -> ValueID {
      let y = g.addValue(name: "\(name).y")
      g.appendNode(name: name, op: .relu, inputs: [v], outputs: [y])
      return y
    }
    var h = relu(conv(x, 3, "stem"), "stem_relu")
    for b in 0..<2 {
      let a = relu(conv(h, c, "b\(b).conv1"), "b\(b).relu1")
      let s = g.addValue(name: "b\(b).sum")
      g.appendNode(name: "b\(b).add", op: .add, inputs: [conv(a, c, "b\(b).conv2"), h], outputs: [s])
      h = relu(s, "b\(b).relu2")
    }
    let p = g.addValue(name: "pooled")
    g.appendNode(name: "gap", op: .globalAveragePool, inputs: [h], outputs: [p])
    let f = g.addValue(name: "flat")
    g.appendNode(name: "flatten", op: .flatten(FlattenAttrs()), inputs: [p], outputs: [f])
    let y = g.addValue(name: "logits")
    g.appendNode(name: "fc", op: .gemm(GemmAttrs(transB: true)),
      inputs: [f, g.addConstant(name: "fc.w", weights([4, c])), g.addConstant(name: "fc.b", weights([4]))], outputs: [y])
    g.outputs = [y]
    return g
  }
}
