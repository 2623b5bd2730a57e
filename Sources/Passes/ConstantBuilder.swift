import GraphIR

/// Builds derived f32 constants (folded weights, weight slices) for passes.
///
/// When a source constant has no data (a graph parsed from text), the derived constant is `absent` too, with a
/// checksum derived from the sources and the operation, so structural rewrites still work and print stably.
struct DerivedConstant {
  /// The sources' constants, in order.
  var sources: [Constant]

  /// The float data of every source, or nil if any is absent.
  var sourceFloats: [[Float]]? {
    var out: [[Float]] = []
    for s in sources {
      guard let d = s.data else { return nil }
      out.append(d.floats())
    }
    return out
  }

  /// Adds a constant named `name` of shape `shape`, computed by `compute` from the sources' floats when all are
  /// present; otherwise an absent placeholder whose checksum mixes the sources' checksums with `tag`.
  func add(
    to graph: inout Graph, name: String, shape: [Int], tag: String, compute: ([[Float]]) -> [Float]
  ) -> ValueID {
    if let f = sourceFloats {
      return graph.addConstant(name: name, TensorData(shape: shape, floats: compute(f)))
    }
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15
    for s in sources { h = (h ^ s.checksum) &* 0x100_0000_01B3 }
    for b in tag.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    for d in shape { h = (h ^ UInt64(truncatingIfNeeded: d)) &* 0x100_0000_01B3 }
    let t = TensorType(.f32, shape)
    let id = graph.addValue(name: name, type: t)
    graph.constants[id] = .absent(type: t, checksum: h)
    return id
  }
}

extension Graph {
  /// The constant behind `v` if it is an f32 constant with a static shape.
  func floatConstant(_ v: ValueID) -> Constant? {
    guard let c = constants[v], c.type.dtype == .f32 else { return nil }
    return c
  }

  /// For every value read by a node or returned by the graph: the number of uses (as `useCount`), built once.
  func useCounts() -> [ValueID: Int] {
    var uses: [ValueID: Int] = [:]
    for node in nodes { for v in node.inputs { uses[v, default: 0] += 1 } }
    for v in outputs { uses[v, default: 0] += 1 }
    return uses
  }

  /// Producers and use counts, built once, for a local rewrite that replaces a producer (see `RewriteIndex`).
  func rewriteIndex() -> RewriteIndex {
    RewriteIndex(producers: producerIndex(), uses: useCounts())
  }

  /// How many nodes read `v`, plus one if it is a graph output (linear in the graph: use `useCounts()` in loops).
  func useCount(_ v: ValueID) -> Int {
    var n = outputs.filter { $0 == v }.count
    for node in nodes { n += node.inputs.filter { $0 == v }.count }
    return n
  }
}

/// What a local rewrite asks before it folds a producer into its consumer: who computes each value, and whether a
/// value is private to one consumer (read by exactly one node and not a graph output, whose uses count too).
struct RewriteIndex {
  let producers: [ValueID: Int]
  let uses: [ValueID: Int]

  /// Whether `v` feeds exactly one node and nothing else.
  func isPrivate(_ v: ValueID) -> Bool { uses[v] == 1 }
}
