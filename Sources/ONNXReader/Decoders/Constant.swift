import GraphIR

/// Decodes the payload of a `Constant` node (value, value_float(s), value_int(s)); it becomes a graph constant.
func decodeConstant(_ a: inout NodeAttributes) throws(ONNXReadError) -> TensorData {
  let present = ["value", "value_float", "value_floats", "value_int", "value_ints", "value_string", "value_strings",
                 "sparse_value"].filter { a.has($0) }
  guard present.count == 1 else {
    throw a.error(present.first ?? "value", "Constant needs exactly one value attribute, got \(present.count)")
  }
  switch present[0] {
  case "value":
    guard let t = try a.tensor("value") else { throw a.error("value", "missing") }
    return t
  case "value_float":
    guard let f = try a.float("value_float") else { throw a.error("value_float", "missing") }
    return TensorData(shape: [], floats: [f])
  case "value_floats":
    guard let fs = try a.floats("value_floats") else { throw a.error("value_floats", "missing") }
    return TensorData(shape: [fs.count], floats: fs)
  case "value_int":
    guard let i = try a.int("value_int") else { throw a.error("value_int", "missing") }
    return TensorData(shape: [], int64s: [Int64(i)])
  case "value_ints":
    guard let xs = try a.ints("value_ints") else { throw a.error("value_ints", "missing") }
    return TensorData(shape: [xs.count], int64s: xs.map { Int64($0) })
  default:
    throw a.error(present[0], "string and sparse constants are not supported")
  }
}
