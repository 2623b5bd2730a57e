/// Evaluates one op whose inputs are all known, for the small integer/float tensors of shape computations
/// (Shape → Gather → Unsqueeze → Concat → Reshape chains, ConstantOfShape/Equal/Where chains, …).
///
/// Returns nil when it cannot or should not evaluate: an op it does not implement (conv, pooling, …), an unknown
/// input, a non-static output type, more than `maxElements` elements, or an error (division by zero, bad index).
/// `shape` needs only a static input type, not the input's value.
public struct ConstantEvaluator: Sendable {
  /// Largest tensor (in elements, inputs and outputs) the evaluator will touch.
  public var maxElements: Int

  public init(maxElements: Int = 1 << 20) { self.maxElements = maxElements }

  /// Evaluates `node` in `graph`, looking input values up in `known` (then in the graph's constants).
  public func evaluate(_ node: Node, in graph: Graph, known: [ValueID: TensorData] = [:]) -> [TensorData]? {
    var types: [TensorType] = []
    var values: [TensorData?] = []
    for v in node.inputs {
      guard graph.contains(v), let t = graph.type(of: v) else { return nil }
      types.append(t)
      values.append(known[v] ?? graph.constantData(v))
    }
    return evaluate(node.op, inputTypes: types, constants: values, outputCount: node.outputs.count)
  }

  /// Evaluates `op` on inputs of `inputTypes` whose values are `constants` (nil = unknown).
  public func evaluate(
    _ op: Op, inputTypes: [TensorType], constants: [TensorData?], outputCount: Int = 1
  ) -> [TensorData]? {
    guard inputTypes.count == constants.count else { return nil }
    // Only `shape` works without every input's value: skip the (costly) type inference for everything else.
    if case .shape = op {} else if constants.contains(where: { $0 == nil }) { return nil }
    // Only values are capped: `shape` of a large activation is still a small result.
    if constants.contains(where: { ($0?.elementCount ?? 0) > maxElements }) { return nil }
    let declared = [TensorType?](repeating: nil, count: outputCount)
    guard let outTypes = try? op.outputTypes(inputs: inputTypes, constants: constants, declared: declared),
      let outShapes = Optional(outTypes.compactMap(\.staticShape)), outShapes.count == outTypes.count,
      outTypes.allSatisfy({ ($0.elementCount ?? Int.max) <= maxElements })
    else { return nil }
    let outType = outTypes[0]
    let outShape = outShapes[0]

    // `shape` reads only the input type.
    if case .shape(let a) = op {
      guard let s = inputTypes[0].staticShape else { return nil }
      return [TensorData(shape: [a.axisRange(rank: s.count).count], int64s: a.axisRange(rank: s.count).map { Int64(s[$0]) })]
    }
    if case .constantOfShape(let a) = op {
      let n = outType.elementCount ?? 0
      return [TensorData(dtype: a.dtype, shape: outShape, doubles: Array(repeating: a.value, count: n))]
    }
    // Every other op needs every (present) input's value.
    let inputs = constants.compactMap { $0 }
    guard inputs.count == constants.count, let x = inputs.first else { return nil }
    let sx = SmallTensor(x)

    switch op {
    case .identity, .reshape, .flatten, .squeeze, .unsqueeze:
      return [sx.reshaped(outShape).data]
    case .dropout:
      let mask = TensorData(dtype: .bool, shape: outShape, int64s: Array(repeating: 1, count: x.elementCount))
      return Array([sx.reshaped(outShape).data, mask].prefix(outputCount))
    case .cast(let a):
      return [sx.cast(to: a.to).data]
    case .transpose(let a):
      let perm = a.perm ?? Array((0..<x.shape.count).reversed())
      return [sx.pick(SmallTensor.transposeIndices(x.shape, perm), shape: outShape).data]
    case .gather(let a):
      guard let axis = try? normalizeAxis(a.axis, rank: x.shape.count) else { return nil }
      return sx.gather(axis: axis, indices: inputs[1].int64s(), outShape: outShape).map { [$0.data] }
    case .concat(let a):
      guard let axis = try? normalizeAxis(a.axis, rank: x.shape.count) else { return nil }
      return [SmallTensor.concat(inputs.map(SmallTensor.init), axis: axis, outShape: outShape).data]
    case .slice(let a):
      guard let spec = try? a.resolved(inputs: inputTypes, constants: constants) else { return nil }
      return [sx.slice(spec, outShape: outShape).data]
    case .expand:
      return [sx.pick(SmallTensor.broadcastIndices(x.shape, outShape), shape: outShape).data]
    case .equal:
      return SmallTensor.binary(sx, SmallTensor(inputs[1]), outShape, outType.dtype, .equal).map { [$0.data] }
    case .add: return SmallTensor.binary(sx, SmallTensor(inputs[1]), outShape, outType.dtype, .add).map { [$0.data] }
    case .sub: return SmallTensor.binary(sx, SmallTensor(inputs[1]), outShape, outType.dtype, .sub).map { [$0.data] }
    case .mul: return SmallTensor.binary(sx, SmallTensor(inputs[1]), outShape, outType.dtype, .mul).map { [$0.data] }
    case .div: return SmallTensor.binary(sx, SmallTensor(inputs[1]), outShape, outType.dtype, .div).map { [$0.data] }
    case .where:
      return [SmallTensor.select(sx, SmallTensor(inputs[1]), SmallTensor(inputs[2]), outShape).data]
    case .conv, .batchNorm, .relu, .sigmoid, .sum, .maxPool, .averagePool, .globalAveragePool, .globalMaxPool,
      .reduceMean, .gemm, .matMul, .softmax, .pad, .shape, .constantOfShape, .topK, .gatherElements,
      .scatterElements, .scatterND, .modRouter, .modGather, .modFuse, .opaque:
      return nil
    }
  }
}
