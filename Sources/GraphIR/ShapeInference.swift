/// Sets the type of every value in a graph by running each op's shape inference in node order.
///
/// 1. Graph input types are bound, optionally overridden by `inputShapes` (`--input-shape input=1x3x224x224`);
///    a symbol fixed in one input (`N = 1`) is replaced everywhere in the graph (`bindSymbols`).
/// 2. Constants get their data's type; each node's output types are inferred from its input types and the known
///    values of its inputs (graph constants, plus values the `ConstantEvaluator` folds along the way, so an
///    unfolded Shape → Gather → Unsqueeze → Concat → Reshape chain yields a static shape).
/// 3. Declared types (ONNX value_info, graph outputs) must be compatible with the inferred ones and are refined.
///
/// Unknown dims get fresh symbols named after their value (`<value>_<axis>`). An absent optional input (a value
/// with an empty name that nothing defines) is passed to the op as an empty i64 constant of shape [0].
public struct ShapeInference: Sendable {
  /// Shape overrides for graph inputs, by input name.
  public var inputShapes: [String: [Dim]]
  /// Evaluator used to propagate known values.
  public var evaluator = ConstantEvaluator()

  public init(inputShapes: [String: [Dim]] = [:]) { self.inputShapes = inputShapes }

  /// Infers every value's type in place.
  public func run(on g: inout Graph) throws { try runCollectingValues(on: &g) }

  /// Infers every value's type in place and returns the values the evaluator could compute (node outputs only;
  /// graph constants are not repeated).
  @discardableResult
  public func runCollectingValues(on g: inout Graph) throws -> [ValueID: TensorData] {
    try bindInputs(&g)
    for (v, c) in g.constants where g.contains(v) { g.setType(v, c.type) }
    for v in g.inputs where g.type(of: v) == nil {
      throw GraphError(tensor: g[v].name, "graph input has no type; give it one with --input-shape")
    }
    let defined = Set(g.inputs).union(g.constants.keys).union(g.nodes.flatMap(\.outputs))
    var known: [ValueID: TensorData] = [:]
    for n in g.nodes {
      var types: [TensorType] = []
      var values: [TensorData?] = []
      for v in n.inputs {
        guard g.contains(v) else { throw GraphError(n, "input \(v) is not a value of this graph") }
        if let t = g.type(of: v) {
          types.append(t)
          values.append(known[v] ?? g.constantData(v))
        } else if g[v].name.isEmpty && !defined.contains(v) {
          types.append(TensorType(.i64, [0]))
          values.append(TensorData(shape: [0], int64s: []))
        } else {
          throw GraphError(n, "input '\(g[v].name)' has no type (is it defined before this node?)")
        }
      }
      let declared = n.outputs.map { g.contains($0) ? g.type(of: $0) : nil }
      var inferred: [TensorType]
      do {
        inferred = try n.op.outputTypes(inputs: types, constants: values, declared: declared)
      } catch let e as GraphError {
        // A graph parsed from text has no weight data: when a shape depends on an absent constant (a Reshape
        // target, Unsqueeze axes), the printed output types are the best knowledge there is — keep them.
        let dependsOnAbsent = n.inputs.contains { if case .absent = g.constants[$0] { return true } else { return false } }
        guard dependsOnAbsent, declared.allSatisfy({ $0?.staticShape != nil }) else {
          throw GraphError(node: n.name, op: n.op.onnxOpType, tensor: e.tensor, e.message)
        }
        inferred = declared.compactMap { $0 }
      }
      for (i, o) in n.outputs.enumerated() {
        guard g.contains(o) else { throw GraphError(n, "output \(o) is not a value of this graph") }
        var t = inferred[i]
        t.shape = t.shape.enumerated().map { $0.element.isUnknown ? ShapeInference.freshSymbol(g[o].name, $0.offset) : $0.element }
        if let d = declared[i] {
          guard let merged = ShapeInference.merge(inferred: t, declared: d) else {
            throw GraphError(n, "output '\(g[o].name)' is inferred as \(t), but declared as \(d)")
          }
          t = merged
        }
        inferred[i] = t
        g.setType(o, t)
      }
      if let out = evaluator.evaluate(n.op, inputTypes: types, constants: values, outputCount: n.outputs.count) {
        for (o, d) in zip(n.outputs, out) { known[o] = d }
      }
    }
    for v in g.outputs where !g.contains(v) || g.type(of: v) == nil {
      throw GraphError(tensor: g.contains(v) ? g[v].name : "\(v)", "graph output is never defined")
    }
    return known
  }

  /// Applies `inputShapes` to the graph inputs and binds the symbols they fix across the whole graph.
  private func bindInputs(_ g: inout Graph) throws {
    var bindings: [String: Dim] = [:]
    let byName = Dictionary(g.inputs.map { (g[$0].name, $0) }, uniquingKeysWith: { a, _ in a })
    for (name, dims) in inputShapes.sorted(by: { $0.key < $1.key }) {
      guard let v = byName[name] else {
        let names = g.inputs.map { g[$0].name }.joined(separator: ", ")
        throw GraphError(tensor: name, "--input-shape names no graph input (inputs: \(names))")
      }
      guard let declared = g.type(of: v) else {
        throw GraphError(tensor: name, "graph input has no element type, so --input-shape \(shapeString(dims)) cannot be applied")
      }
      guard declared.rank == dims.count else {
        throw GraphError(tensor: name, "--input-shape \(shapeString(dims)) has rank \(dims.count), but the input is \(declared)")
      }
      for (d, given) in zip(declared.shape, dims) {
        switch d {
        case .fixed(let a):
          if let b = given.value, a != b {
            throw GraphError(tensor: name, "--input-shape \(shapeString(dims)) conflicts with the declared type \(declared)")
          }
        case .symbol(let s):
          if let prev = bindings[s], prev != given {
            throw GraphError(tensor: name, "symbol \(s) is bound to both \(prev) and \(given)")
          }
          bindings[s] = given
        }
      }
      g.setType(v, TensorType(declared.dtype, zip(declared.shape, dims).map { refineDim($1, $0) }))
    }
    ShapeInference.bindSymbols(bindings, in: &g)
  }

  /// Replaces every symbolic dim named in `bindings` in every value type of `g` (so `N = 1` fixed in one input
  /// applies everywhere).
  public static func bindSymbols(_ bindings: [String: Dim], in g: inout Graph) {
    guard !bindings.isEmpty else { return }
    for i in g.values.indices {
      let v = ValueID(i)
      guard var t = g.type(of: v) else { continue }
      var changed = false
      t.shape = t.shape.map { d in
        if case .symbol(let s) = d, let b = bindings[s] {
          changed = true
          return b
        }
        return d
      }
      if changed { g.setType(v, t) }
    }
  }

  /// `declared` refined by `inferred`, or nil if they disagree (element type, rank or a known dim).
  static func merge(inferred: TensorType, declared: TensorType) -> TensorType? {
    if inferred == declared { return inferred }  // the common case (a re-verified graph), without the dim walk
    guard inferred.dtype == declared.dtype, inferred.rank == declared.rank,
      zip(inferred.shape, declared.shape).allSatisfy({ dimsCompatible($0, $1) })
    else { return nil }
    return TensorType(inferred.dtype, zip(inferred.shape, declared.shape).map { i, d in
      if i.value != nil { return i }
      if d.value != nil { return d }
      return ShapeInference.isFresh(i) ? d : i
    })
  }

  /// A fresh symbol for axis `axis` of value `name`: `<name>_<axis>`, made identifier-safe.
  static func freshSymbol(_ name: String, _ axis: Int) -> Dim {
    let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    return .symbol("_\(safe.isEmpty ? "v" : safe)_\(axis)")
  }

  static func isFresh(_ d: Dim) -> Bool {
    if case .symbol(let s) = d { return s.hasPrefix("_") }
    return false
  }

  // MARK: --input-shape

  /// Parses a shape such as `1x3x224x224` or `Nx3x224x224` (comma-separated also accepted) into dims.
  public static func parseShape(_ text: String) throws -> [Dim] {
    let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "x" || $0 == "," })
    guard !text.isEmpty, !parts.isEmpty else { throw GraphError("invalid shape '\(text)': it is empty") }
    return try parts.map { p -> Dim in
      if let v = Int(p) {
        guard v >= 0 else { throw GraphError("invalid shape '\(text)': dim \(v) is negative") }
        return .fixed(v)
      }
      guard let f = p.first, f.isLetter || f == "_", p.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
        throw GraphError("invalid shape '\(text)': '\(p)' is neither a size nor a symbol name")
      }
      return .symbol(String(p))
    }
  }

  /// Parses an `--input-shape` value `name=1x3x224x224` (the name may itself contain `=`; the last one splits).
  public static func parseInputShapeFlag(_ text: String) throws -> (name: String, shape: [Dim]) {
    guard let eq = text.lastIndex(of: "="), eq != text.startIndex else {
      throw GraphError("invalid --input-shape '\(text)': expected NAME=DIMS, e.g. input=1x3x224x224")
    }
    return (String(text[..<eq]), try parseShape(String(text[text.index(after: eq)...])))
  }
}
