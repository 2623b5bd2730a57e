// Dispatch from `Op` to the per-op shape inference, arity and attribute checks: one line per case.

extension Op {
  /// Output types of this op for `inputs` (with `constants[i]` the known value of input i, if any).
  ///
  /// `declared` holds the node's current output types (count = number of outputs); only `opaque` uses them.
  /// Throws `GraphError`s without node context (`ShapeInference` and `Verifier` add it). The result has exactly
  /// `declared.count` entries; unknown dims are `Dim.unknown`.
  public func outputTypes(
    inputs: [TensorType], constants: [TensorData?], declared: [TensorType?]
  ) throws -> [TensorType] {
    let all: [TensorType]
    let c = constants
    switch self {
    case .conv(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .batchNorm(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .relu, .sigmoid, .identity: all = try Elementwise.unaryOutputTypes(inputs: inputs, constants: c)
    case .add, .sub, .mul, .div: all = try Elementwise.binaryOutputTypes(inputs: inputs, constants: c)
    case .sum: all = try Elementwise.sumOutputTypes(inputs: inputs, constants: c)
    case .equal: all = try Elementwise.equalOutputTypes(inputs: inputs, constants: c)
    case .where: all = try Elementwise.whereOutputTypes(inputs: inputs, constants: c)
    case .expand: all = try Elementwise.expandOutputTypes(inputs: inputs, constants: c)
    case .maxPool(let a), .averagePool(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .globalAveragePool, .globalMaxPool: all = try GlobalPool.outputTypes(inputs: inputs, constants: c)
    case .reduceMean(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .gemm(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .matMul: all = try MatMul.outputTypes(inputs: inputs, constants: c)
    case .softmax(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .flatten(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .reshape(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .squeeze(let a): all = try Squeeze.outputTypes(a, inputs: inputs, constants: c)
    case .unsqueeze(let a): all = try Unsqueeze.outputTypes(a, inputs: inputs, constants: c)
    case .transpose(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .concat(let a): all = try a.concatOutputTypes(inputs: inputs, constants: c)
    case .slice(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .pad(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .cast(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .shape(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .gather(let a): all = try a.gatherOutputTypes(inputs: inputs, constants: c)
    case .constantOfShape(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .dropout: all = try Dropout.outputTypes(inputs: inputs, constants: c)
    case .topK(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .gatherElements(let a): all = try a.gatherElementsOutputTypes(inputs: inputs, constants: c)
    case .scatterElements(let a): all = try a.scatterElementsOutputTypes(inputs: inputs, constants: c)
    case .scatterND(let a): all = try a.scatterNDOutputTypes(inputs: inputs, constants: c)
    case .modRouter(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .modGather(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .modFuse(let a): all = try a.outputTypes(inputs: inputs, constants: c)
    case .opaque(let a): all = try a.outputTypes(declared: declared)
    }
    guard outputArity.contains(declared.count), declared.count <= all.count else {
      throw GraphError("has \(declared.count) outputs, but \(mnemonic) produces \(outputArityText)")
    }
    return Array(all.prefix(declared.count))
  }

  /// The allowed number of inputs (ONNX arity; `conv` with `fusedResidual` takes exactly 4).
  public var inputArity: ClosedRange<Int> {
    switch self {
    case .conv(let a): return a.fusedResidual ? 4...4 : 2...3
    case .batchNorm: return 5...5
    case .relu, .sigmoid, .identity, .globalAveragePool, .globalMaxPool, .softmax, .flatten, .transpose, .cast,
      .shape, .constantOfShape, .maxPool, .averagePool:
      return 1...1
    case .add, .sub, .mul, .div, .equal, .expand, .matMul, .reshape, .gather, .gatherElements, .modGather:
      return 2...2
    case .sum, .concat: return 1...Int.max
    case .where, .scatterElements, .scatterND: return 3...3
    case .reduceMean(let a): return a.axes == nil ? 1...2 : 1...1
    case .gemm: return 2...3
    case .squeeze(let a), .unsqueeze(let a): return a.axes == nil ? 1...2 : 1...1
    case .slice(let a): return a.starts == nil ? 3...5 : 1...1
    case .pad(let a): return a.pads == nil ? 2...4 : 1...1
    case .dropout: return 1...3
    case .topK(let a): return a.k == nil ? 2...2 : 1...1
    case .modRouter: return 5...5
    case .modFuse: return 4...4
    case .opaque: return 0...Int.max
    }
  }

  /// The allowed number of outputs.
  public var outputArity: ClosedRange<Int> {
    switch self {
    case .maxPool, .dropout: return 1...2
    case .topK, .modRouter: return 2...2
    case .opaque: return 0...Int.max
    default: return 1...1
    }
  }

  private var outputArityText: String {
    let r = outputArity
    return r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound)–\(r.upperBound)"
  }

  /// Attribute range problems that need no types (strides ≥ 1, pads ≥ 0, group ≥ 1, epsilon > 0, k ≥ 1, …).
  public var attributeProblems: [String] {
    switch self {
    case .conv(let a): return a.attributeProblems
    case .batchNorm(let a): return a.attributeProblems
    case .maxPool(let a), .averagePool(let a): return a.attributeProblems
    case .modRouter(let a): return a.attributeProblems
    case .topK(let a): return (a.k ?? 1) >= 1 ? [] : ["k must be ≥ 1, but is \(a.k ?? 0)"]
    case .transpose(let a):
      guard let p = a.perm else { return [] }
      return Set(p) == Set(0..<p.count) ? [] : ["perm \(listString(p)) is not a permutation"]
    case .relu, .sigmoid, .add, .sub, .mul, .div, .sum, .equal, .where, .expand, .globalAveragePool, .globalMaxPool,
      .reduceMean, .gemm, .matMul, .softmax, .flatten, .reshape, .squeeze, .unsqueeze, .concat, .slice, .pad, .cast,
      .shape, .gather, .constantOfShape, .identity, .dropout, .gatherElements, .scatterElements, .scatterND,
      .modGather, .modFuse, .opaque:
      return []
    }
  }
}
