/// Shape inference for the attribute-less elementwise ops: unary (relu, sigmoid), binary arithmetic with numpy
/// broadcasting (add, sub, mul, div), variadic `sum`, `equal`, `where` and `expand`.
public enum Elementwise {
  /// `relu`/`sigmoid`/`identity`: one input, output of the same type.
  public static func unaryOutputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 1...1)
    return [inputs[0]]
  }

  /// `add`/`sub`/`mul`/`div`: same element type, numpy-broadcast shape.
  public static func binaryOutputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 2...2)
    try requireSameDType(inputs[0], "A", inputs[1], "B")
    return [TensorType(inputs[0].dtype, try broadcastShapes(inputs[0].shape, inputs[1].shape))]
  }

  /// `sum(x0, x1, …)`: one or more inputs of one element type, broadcast together.
  public static func sumOutputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    guard !inputs.isEmpty else { throw inferError("expects at least 1 input, but has 0") }
    var shape = inputs[0].shape
    for (i, t) in inputs.enumerated().dropFirst() {
      try requireSameDType(inputs[0], "data_0", t, "data_\(i)")
      shape = try broadcastShapes(shape, t.shape)
    }
    return [TensorType(inputs[0].dtype, shape)]
  }

  /// `equal(A, B) -> bool`, broadcast.
  public static func equalOutputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 2...2)
    try requireSameDType(inputs[0], "A", inputs[1], "B")
    return [TensorType(.bool, try broadcastShapes(inputs[0].shape, inputs[1].shape))]
  }

  /// `where(cond: bool, X, Y)`: X's element type, the three shapes broadcast together.
  public static func whereOutputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 3...3)
    guard inputs[0].dtype == .bool else { throw inferError("condition must be a bool tensor, but has type \(inputs[0])") }
    try requireSameDType(inputs[1], "X", inputs[2], "Y")
    let s = try broadcastShapes(try broadcastShapes(inputs[0].shape, inputs[1].shape), inputs[2].shape)
    return [TensorType(inputs[1].dtype, s)]
  }

  /// `expand(X, shape)`: X broadcast with the 1-D i64 `shape` (bidirectionally, as ONNX specifies).
  public static func expandOutputTypes(inputs: [TensorType], constants: [TensorData?]) throws -> [TensorType] {
    try requireInputs(inputs, 2...2)
    let s = inputs[1]
    guard s.rank == 1, s.dtype == .i64 else { throw inferError("shape must be a 1-D i64 tensor, but has type \(s)") }
    if let values = constantInts(constants, 1) {
      if let bad = values.first(where: { $0 < 0 }) {
        throw inferError("shape \(listString(values)) has negative entry \(bad)")
      }
      return [TensorType(inputs[0].dtype, try broadcastShapes(inputs[0].shape, values.map { Dim.fixed($0) }))]
    }
    guard let n = s.shape[0].value else {
      throw inferError("output rank unknown: shape is not a constant and has type \(s)")
    }
    let target = try unknownDims(rank: n)
    return [TensorType(inputs[0].dtype, try broadcastShapes(inputs[0].shape, target))]
  }
}
