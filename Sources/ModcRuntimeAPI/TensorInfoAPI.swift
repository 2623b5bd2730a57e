// The C entry points describing a session's inputs and outputs (see include/modc_runtime.h).

/// Resolves `session` and its input/output `index`, then hands the description to `body`.
private func describe(
  _ function: String, _ session: OpaquePointer?, _ index: Int, output: Bool,
  _ body: (TensorInfo) throws(APIError) -> Void
) -> Int32 {
  withStatus(function) { () throws(APIError) in
    let s = try Handles.resolve(session, .session, as: SessionObject.self)
    try body(try s.info(index, output: output))
  }
}

private func count(_ function: String, _ session: OpaquePointer?, output: Bool, _ out: UnsafeMutablePointer<Int>?)
  -> Int32
{
  withStatus(function) { () throws(APIError) in
    let s = try Handles.resolve(session, .session, as: SessionObject.self)
    try store(output ? s.outputs.count : s.inputs.count, to: out, "out_count")
  }
}

private func index(
  _ function: String, _ session: OpaquePointer?, _ name: UnsafePointer<CChar>?, output: Bool,
  _ out: UnsafeMutablePointer<Int>?
) -> Int32 {
  withStatus(function) { () throws(APIError) in
    let s = try Handles.resolve(session, .session, as: SessionObject.self)
    guard let name else { throw .invalid("name is NULL") }
    guard let out else { throw .invalid("out_index is NULL") }
    let n = String(cString: name)
    let list = output ? s.outputs : s.inputs
    guard let i = list.firstIndex(where: { $0.name == n }) else {
      let known = list.map { "'\($0.name)'" }.joined(separator: ", ")
      throw APIError(Status.index, "the plan has no \(output ? "output" : "input") named '\(n)' (it has \(known))")
    }
    out.pointee = i
  }
}

private func shape(
  _ function: String, _ session: OpaquePointer?, _ i: Int, output: Bool, _ rank: UnsafeMutablePointer<Int>?,
  _ dims: UnsafeMutablePointer<UnsafePointer<Int64>?>?
) -> Int32 {
  describe(function, session, i, output: output) { (t) throws(APIError) in
    guard let rank else { throw .invalid("out_rank is NULL") }
    guard let dims else { throw .invalid("out_dims is NULL") }
    rank.pointee = t.rank
    dims.pointee = UnsafePointer(t.dims)
  }
}

@_cdecl("modc_session_input_count")
public func modc_session_input_count(_ s: OpaquePointer?, _ out: UnsafeMutablePointer<Int>?) -> Int32 {
  count("modc_session_input_count", s, output: false, out)
}

@_cdecl("modc_session_output_count")
public func modc_session_output_count(_ s: OpaquePointer?, _ out: UnsafeMutablePointer<Int>?) -> Int32 {
  count("modc_session_output_count", s, output: true, out)
}

@_cdecl("modc_session_input_name")
public func modc_session_input_name(
  _ s: OpaquePointer?, _ i: Int, _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
  describe("modc_session_input_name", s, i, output: false) { (t) throws(APIError) in
    try store(UnsafePointer(t.cName), to: out, "out_name")
  }
}

@_cdecl("modc_session_output_name")
public func modc_session_output_name(
  _ s: OpaquePointer?, _ i: Int, _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
  describe("modc_session_output_name", s, i, output: true) { (t) throws(APIError) in
    try store(UnsafePointer(t.cName), to: out, "out_name")
  }
}

@_cdecl("modc_session_input_dtype")
public func modc_session_input_dtype(_ s: OpaquePointer?, _ i: Int, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
  describe("modc_session_input_dtype", s, i, output: false) { (t) throws(APIError) in
    try store(t.dtypeCode, to: out, "out_dtype")
  }
}

@_cdecl("modc_session_output_dtype")
public func modc_session_output_dtype(_ s: OpaquePointer?, _ i: Int, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
  describe("modc_session_output_dtype", s, i, output: true) { (t) throws(APIError) in
    try store(t.dtypeCode, to: out, "out_dtype")
  }
}

@_cdecl("modc_session_input_shape")
public func modc_session_input_shape(
  _ s: OpaquePointer?, _ i: Int, _ rank: UnsafeMutablePointer<Int>?,
  _ dims: UnsafeMutablePointer<UnsafePointer<Int64>?>?
) -> Int32 {
  shape("modc_session_input_shape", s, i, output: false, rank, dims)
}

@_cdecl("modc_session_output_shape")
public func modc_session_output_shape(
  _ s: OpaquePointer?, _ i: Int, _ rank: UnsafeMutablePointer<Int>?,
  _ dims: UnsafeMutablePointer<UnsafePointer<Int64>?>?
) -> Int32 {
  shape("modc_session_output_shape", s, i, output: true, rank, dims)
}

@_cdecl("modc_session_input_byte_size")
public func modc_session_input_byte_size(_ s: OpaquePointer?, _ i: Int, _ out: UnsafeMutablePointer<Int>?) -> Int32 {
  describe("modc_session_input_byte_size", s, i, output: false) { (t) throws(APIError) in
    try store(t.byteCount, to: out, "out_bytes")
  }
}

@_cdecl("modc_session_output_byte_size")
public func modc_session_output_byte_size(_ s: OpaquePointer?, _ i: Int, _ out: UnsafeMutablePointer<Int>?) -> Int32
{
  describe("modc_session_output_byte_size", s, i, output: true) { (t) throws(APIError) in
    try store(t.byteCount, to: out, "out_bytes")
  }
}

@_cdecl("modc_session_input_index")
public func modc_session_input_index(
  _ s: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int>?
) -> Int32 {
  index("modc_session_input_index", s, name, output: false, out)
}

@_cdecl("modc_session_output_index")
public func modc_session_output_index(
  _ s: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int>?
) -> Int32 {
  index("modc_session_output_index", s, name, output: true, out)
}
