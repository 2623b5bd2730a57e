import CONNXProto
import CProtobufC
import GraphIR

/// Turns one unpacked `TensorProto` into `TensorData`, validating shape and payload size before allocating.
struct TensorDecoder {
  let options: ONNXLoadOptions
  /// Resolves `data_location = EXTERNAL` tensors; nil when the model has no directory (bytes loaded in memory).
  let external: ExternalDataResolver?

  /// Decodes `t`; `fallbackName` names unnamed tensors (Constant values, attributes) in errors.
  func decode(_ t: UnsafePointer<Onnx__TensorProto>, fallbackName: String) throws(ONNXReadError) -> TensorData {
    let p = t.pointee
    let name = p.name.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? fallbackName
    func bad(_ r: String) -> ONNXReadError { ONNXReadError(.badTensor(tensor: name, reason: r)) }

    let code = p.has_data_type != 0 ? p.data_type : 0
    guard let dtype = DType(onnxCode: code), dtype != .string else {
      throw bad("unsupported data type \(code) (\(dataTypeName(code)))")
    }
    let shape = try checkedShape(p.dims, p.n_dims, name: name)
    let count = shape.reduce(1, *)
    let typeText = TensorType(dtype, shape).description
    let (needed, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
    guard !overflow else { throw bad("\(typeText) is too large") }
    if p.segment != nil { throw bad("segmented tensors are not supported") }

    if p.has_data_location != 0 && p.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL {
      guard let external, options.allowExternalData else {
        throw ONNXReadError(.externalData(tensor: name, reason: "external data is not available for in-memory models"))
      }
      var entries: [String: String] = [:]
      for i in 0..<p.n_external_data {
        guard let e = p.external_data[i] else { continue }
        let k = e.pointee.key.map { String(cString: $0) } ?? ""
        entries[k] = e.pointee.value.map { String(cString: $0) } ?? ""
      }
      let storage = try external.storage(for: name, entries: entries, expectedBytes: needed, typeText: typeText)
      return TensorData(dtype: dtype, shape: shape, storage: storage)
    }

    if p.has_raw_data != 0 {
      let raw = p.raw_data
      guard raw.len == needed else {
        throw bad("raw_data has \(raw.len) bytes, expected \(needed) for \(typeText)")
      }
      let src = UnsafeRawBufferPointer(start: raw.data, count: raw.len)
      return TensorData(dtype: dtype, shape: shape, storage: TensorStorage(copying: src))
    }
    return try decodeTyped(p, dtype: dtype, shape: shape, count: count, typeText: typeText, bad: bad)
  }

  /// Validates dims: non-negative, element count within `options.maxElementCount`.
  func checkedShape(_ dims: UnsafeMutablePointer<Int64>?, _ n: Int, name: String) throws(ONNXReadError) -> [Int] {
    var shape: [Int] = []
    shape.reserveCapacity(n)
    var count = 1
    for i in 0..<n {
      let d = dims?[i] ?? 0
      guard d >= 0 else { throw ONNXReadError(.badTensor(tensor: name, reason: "negative dimension \(d) at axis \(i)")) }
      let (m, o) = count.multipliedReportingOverflow(by: Int(d))
      guard !o, m <= options.maxElementCount else {
        throw ONNXReadError(.badTensor(tensor: name, reason: "dims \(dimsText(dims, n)) give more than \(options.maxElementCount) elements"))
      }
      count = m
      shape.append(Int(d))
    }
    return shape
  }

  private func dimsText(_ dims: UnsafeMutablePointer<Int64>?, _ n: Int) -> String {
    "[" + (0..<n).map { String(dims?[$0] ?? 0) }.joined(separator: ",") + "]"
  }

  /// Decodes the typed `*_data` fields (float_data, int32_data, int64_data, double_data, uint64_data).
  private func decodeTyped(
    _ p: Onnx__TensorProto, dtype: DType, shape: [Int], count: Int, typeText: String,
    bad: (String) -> ONNXReadError
  ) throws(ONNXReadError) -> TensorData {
    func make<S, D>(_ n: Int, _ src: UnsafeMutablePointer<S>?, _ field: String, _ f: (S) -> D)
      throws(ONNXReadError) -> TensorData
    {
      guard n == count else { throw bad("\(field) has \(n) elements, expected \(count) for \(typeText)") }
      let s = TensorStorage(count: count * MemoryLayout<D>.stride) { out in
        guard let src else { return }
        let dst = out.bindMemory(to: D.self)
        for i in 0..<n { dst[i] = f(src[i]) }
      }
      return TensorData(dtype: dtype, shape: shape, storage: s)
    }
    let i32 = p.int32_data
    let n32 = p.n_int32_data
    switch dtype {
    case .f32: return try make(p.n_float_data, p.float_data, "float_data") { $0 }
    case .f64: return try make(p.n_double_data, p.double_data, "double_data") { $0 }
    case .i64: return try make(p.n_int64_data, p.int64_data, "int64_data") { $0 }
    case .u64: return try make(p.n_uint64_data, p.uint64_data, "uint64_data") { $0 }
    case .u32: return try make(p.n_uint64_data, p.uint64_data, "uint64_data") { UInt32(truncatingIfNeeded: $0) }
    case .i32: return try make(n32, i32, "int32_data") { $0 }
    case .i16: return try make(n32, i32, "int32_data") { Int16(truncatingIfNeeded: $0) }
    case .u16, .f16, .bf16: return try make(n32, i32, "int32_data") { UInt16(truncatingIfNeeded: $0) }
    case .i8: return try make(n32, i32, "int32_data") { Int8(truncatingIfNeeded: $0) }
    case .u8, .bool: return try make(n32, i32, "int32_data") { UInt8(truncatingIfNeeded: $0) }
    case .string: throw bad("string tensors are not supported")
    }
  }
}

/// The ONNX name of a `TensorProto.DataType` code, for messages.
func dataTypeName(_ code: Int32) -> String {
  let names = [
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL", "FLOAT16",
    "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ",
    "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2",
  ]
  return code >= 0 && Int(code) < names.count ? names[Int(code)] : "unknown"
}
