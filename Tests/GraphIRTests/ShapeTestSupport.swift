import Testing

@testable import GraphIR

/// Parses a type written as the printer does, e.g. `f32[1,N,3]`, `i64[]` (test tables only).
func ty(_ s: String) -> TensorType {
  guard let open = s.firstIndex(of: "["), let dt = DType(rawValue: String(s[..<open])) else {
    Issue.record("bad type literal \(s)")
    return TensorType(.f32, [Int]())
  }
  let body = s[s.index(after: open)..<(s.index(before: s.endIndex))]
  let dims: [Dim] = body.isEmpty ? [] : body.split(separator: ",").map { Int($0).map(Dim.fixed) ?? .symbol(String($0)) }
  return TensorType(dt, dims)
}

/// An i64 constant.
func i64s(_ v: [Int64], shape: [Int]? = nil) -> TensorData { TensorData(shape: shape ?? [v.count], int64s: v) }

/// Runs `op`'s inference on input types written as strings; constants padded with nil.
func infer(_ op: Op, _ inputs: [String], _ constants: [TensorData?] = [], outputs: Int = 1) throws -> [String] {
  var c = constants
  while c.count < inputs.count { c.append(nil) }
  let out = try op.outputTypes(inputs: inputs.map(ty), constants: c, declared: Array(repeating: nil, count: outputs))
  return out.map(\.description)
}

/// The message of the error `op`'s inference throws, or nil if it succeeds.
func inferFailure(_ op: Op, _ inputs: [String], _ constants: [TensorData?] = [], outputs: Int = 1) -> String? {
  do {
    _ = try infer(op, inputs, constants, outputs: outputs)
    return nil
  } catch let e as GraphError {
    return e.message
  } catch {
    return "\(error)"
  }
}
