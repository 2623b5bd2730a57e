/// Checks the structural and type invariants of a graph and reports every problem at once.
///
/// Checks: valid value ids; every value defined once (SSA); every input defined before use (node order is
/// topological) and no cycles (the cycle's nodes are named); graph outputs defined; input/output arity per op;
/// attribute ranges; and, where input types are set, that each node's output types agree with shape inference
/// (which also checks group/channel, rank, axis and k ≤ C rules). Problems are sorted by node order, graph-level
/// ones first.
public struct Verifier: Sendable {
  public init() {}

  /// Throws `GraphErrors` listing every problem, or returns if the graph is valid.
  public static func verify(_ g: Graph) throws {
    let p = problems(g)
    if !p.isEmpty { throw GraphErrors(p) }
  }

  /// Every problem in `g`, sorted by node order (graph-level problems first).
  public static func problems(_ g: Graph) -> [GraphError] {
    var found: [(order: Int, error: GraphError)] = []
    func report(_ i: Int, _ e: GraphError) { found.append((i, e)) }
    func name(_ v: ValueID) -> String { g.contains(v) ? g[v].name : "\(v)" }

    // Ids and single definition.
    var definer: [ValueID: String] = [:]
    func define(_ v: ValueID, _ by: String, _ order: Int, _ n: Node?) {
      guard g.contains(v) else {
        report(order, n.map { GraphError($0, "output \(v) is not a value of this graph") } ?? GraphError("\(by) \(v) is not a value of this graph"))
        return
      }
      if let prev = definer[v] {
        let msg = "value '\(name(v))' is defined more than once (by \(prev) and \(by))"
        report(order, n.map { GraphError($0, msg) } ?? GraphError(tensor: name(v), msg))
      } else {
        definer[v] = by
      }
    }
    for v in g.inputs { define(v, "graph input", -1, nil) }
    for v in g.constants.keys.sorted() { define(v, "constant", -1, nil) }
    for (i, n) in g.nodes.enumerated() { for o in n.outputs { define(o, "node '\(n.name)'", i, n) } }
    for v in g.outputs where !g.contains(v) || definer[v] == nil {
      report(-1, GraphError(tensor: name(v), "graph output is never defined"))
    }

    // Cycles, then use-before-definition outside cycles.
    let producer = g.producerIndex()
    let cycles = findCycles(g, producer)
    let inCycle = Set(cycles.flatMap { $0 })
    for c in cycles {
      // A simple cycle closes back on its first node; a larger component is listed in data-flow order.
      let closes = c.count == 1 || g.nodes[c[0]].inputs.contains { producer[$0] == c[c.count - 1] }
      let names = (closes ? c + [c[0]] : c).map { "'\(g.nodes[$0].name)'" }.joined(separator: " -> ")
      report(c.min() ?? 0, GraphError(node: g.nodes[c[0]].name, op: g.nodes[c[0]].op.onnxOpType, "nodes form a cycle: \(names)"))
    }
    var available = Set(g.inputs).union(g.constants.keys)
    for (i, n) in g.nodes.enumerated() {
      for v in n.inputs where !available.contains(v) {
        if !g.contains(v) {
          report(i, GraphError(n, "input \(v) is not a value of this graph"))
        } else if let p = producer[v] {
          if !inCycle.contains(i) {
            report(i, GraphError(n, "input '\(name(v))' is used before node '\(g.nodes[p].name)' defines it (nodes are not in topological order)"))
          }
        } else if !g[v].name.isEmpty {
          report(i, GraphError(n, "input '\(name(v))' is not defined by any node, graph input or constant"))
        }
      }
      available.formUnion(n.outputs)
    }

    // Arity, attributes, types.
    var known: [ValueID: TensorData] = [:]
    let evaluator = ConstantEvaluator()
    for (i, n) in g.nodes.enumerated() {
      let ins = n.op.inputArity, outs = n.op.outputArity
      guard ins.contains(n.inputs.count) else {
        report(i, GraphError(n, "has \(n.inputs.count) inputs, but \(n.op.mnemonic) takes \(rangeText(ins))"))
        continue
      }
      guard outs.contains(n.outputs.count) else {
        report(i, GraphError(n, "has \(n.outputs.count) outputs, but \(n.op.mnemonic) produces \(rangeText(outs))"))
        continue
      }
      for p in n.op.attributeProblems { report(i, GraphError(n, p)) }
      if case .opaque = n.op { continue }
      guard n.inputs.allSatisfy(g.contains), n.outputs.allSatisfy(g.contains) else { continue }
      var types: [TensorType] = []
      var values: [TensorData?] = []
      for v in n.inputs {
        if let t = g.type(of: v) {
          types.append(t)
          values.append(known[v] ?? g.constantData(v))
        } else if g[v].name.isEmpty && definer[v] == nil {
          types.append(TensorType(.i64, [0]))
          values.append(TensorData(shape: [0], int64s: []))
        } else {
          break
        }
      }
      guard types.count == n.inputs.count else { continue }
      let declared = n.outputs.map { g.type(of: $0) }
      do {
        let inferred = try n.op.outputTypes(inputs: types, constants: values, declared: declared)
        for (o, (t, d)) in zip(n.outputs, zip(inferred, declared)) {
          if let d, ShapeInference.merge(inferred: t, declared: d) == nil {
            report(i, GraphError(n, "output '\(name(o))' has type \(d), but shape inference gives \(t)"))
          }
        }
      } catch let e as GraphError {
        // Shapes that depend on absent weights (a graph parsed from text) keep their declared types.
        let dependsOnAbsent = n.inputs.contains { if case .absent = g.constants[$0] { return true } else { return false } }
        if !(dependsOnAbsent && declared.allSatisfy({ $0?.staticShape != nil })) {
          report(i, GraphError(node: n.name, op: n.op.onnxOpType, tensor: e.tensor, e.message))
        }
      } catch {
        report(i, GraphError(n, "\(error)"))
      }
      if let out = evaluator.evaluate(n.op, inputTypes: types, constants: values, outputCount: n.outputs.count) {
        for (o, d) in zip(n.outputs, out) { known[o] = d }
      }
    }
    // Attribute checks and inference may find the same problem; report it once.
    var seen: Set<String> = []
    return found.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }
      .map(\.element.error).filter { seen.insert($0.description).inserted }
  }

  /// Every unsupported (opaque) op type with the names of its nodes, in order of first appearance.
  public static func unsupportedOps(_ g: Graph) -> [(opType: String, nodes: [String])] {
    var order: [String] = []
    var nodes: [String: [String]] = [:]
    for n in g.nodes {
      guard case .opaque(let a) = n.op else { continue }
      let key = a.domain.isEmpty ? a.opType : "\(a.domain).\(a.opType)"
      if nodes[key] == nil { order.append(key) }
      nodes[key, default: []].append(n.name)
    }
    return order.map { ($0, nodes[$0] ?? []) }
  }

  /// Instance form of `unsupportedOps(_:)`.
  public func unsupportedOps(_ g: Graph) -> [(opType: String, nodes: [String])] { Verifier.unsupportedOps(g) }

  /// One error listing every unsupported op with its node count and names, or nil if there are none.
  public static func unsupportedOpsError(_ g: Graph) -> GraphError? {
    let ops = unsupportedOps(g)
    guard !ops.isEmpty else { return nil }
    let list = ops.map { "\($0.opType) ×\($0.nodes.count) (\($0.nodes.map { "'\($0)'" }.joined(separator: ", ")))" }
    return GraphError("unsupported ops: " + list.joined(separator: "; "))
  }

  private static func rangeText(_ r: ClosedRange<Int>) -> String {
    if r.lowerBound == r.upperBound { return "\(r.lowerBound)" }
    return r.upperBound == Int.max ? "≥ \(r.lowerBound)" : "\(r.lowerBound)–\(r.upperBound)"
  }

  /// Strongly connected components with more than one node (or a self-loop), each as node indices in cycle order
  /// starting from its first node (Tarjan's algorithm, iterative).
  static func findCycles(_ g: Graph, _ producer: [ValueID: Int]) -> [[Int]] {
    let n = g.nodes.count
    var deps = Array(repeating: [Int](), count: n)  // deps[j]: nodes j reads from
    for (j, node) in g.nodes.enumerated() { for v in node.inputs { if let p = producer[v] { deps[j].append(p) } } }
    var index = Array(repeating: -1, count: n), low = Array(repeating: 0, count: n)
    var onStack = Array(repeating: false, count: n)
    var stack: [Int] = []
    var counter = 0
    var result: [[Int]] = []
    for root in 0..<n where index[root] < 0 {
      var work: [(v: Int, next: Int)] = [(root, 0)]
      index[root] = counter; low[root] = counter; counter += 1
      stack.append(root); onStack[root] = true
      while let top = work.last {
        let v = top.v
        if top.next < deps[v].count {
          work[work.count - 1].next += 1
          let w = deps[v][top.next]
          if index[w] < 0 {
            index[w] = counter; low[w] = counter; counter += 1
            stack.append(w); onStack[w] = true
            work.append((w, 0))
          } else if onStack[w] {
            low[v] = min(low[v], index[w])
          }
          continue
        }
        work.removeLast()
        if let parent = work.last { low[parent.v] = min(low[parent.v], low[v]) }
        if low[v] == index[v] {
          var comp: [Int] = []
          while let w = stack.popLast() {
            onStack[w] = false
            comp.append(w)
            if w == v { break }
          }
          if comp.count > 1 || deps[v].contains(v) { result.append(cycleOrder(comp, deps)) }
        }
      }
    }
    return result.sorted { ($0.min() ?? 0) < ($1.min() ?? 0) }
  }

  /// Orders a strongly connected component along data flow, starting at its first node.
  private static func cycleOrder(_ comp: [Int], _ deps: [[Int]]) -> [Int] {
    let members = Set(comp)
    guard let start = comp.min() else { return comp }
    // Walk consumers: from node a go to a member that reads a's output.
    var order = [start]
    var seen: Set<Int> = [start]
    var cur = start
    while true {
      guard let next = comp.sorted().first(where: { members.contains($0) && deps[$0].contains(cur) && !seen.contains($0) }) else { break }
      order.append(next)
      seen.insert(next)
      cur = next
    }
    return order
  }
}
