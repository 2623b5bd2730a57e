import Codegen

// The C entry points on run contexts (see include/modc_runtime.h).

@_cdecl("modc_context_create")
public func modc_context_create(
  _ session: OpaquePointer?, _ threads: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
  withStatus("modc_context_create") { () throws(APIError) in
    guard let out else { throw .invalid("out is NULL") }
    out.pointee = nil
    let s = try Handles.resolve(session, .session, as: SessionObject.self)
    let context = try s.makeContext(threads: try s.resolveThreads(threads))
    out.pointee = Handles.make(ContextObject(s, context), .context)
  }
}

@_cdecl("modc_context_set_threads")
public func modc_context_set_threads(_ context: OpaquePointer?, _ threads: Int32) -> Int32 {
  withStatus("modc_context_set_threads") { () throws(APIError) in
    let c = try Handles.resolve(context, .context, as: ContextObject.self)
    let n = try c.session.resolveThreads(threads)
    if n != c.context.threads { c.context = try c.session.makeContext(threads: n) }
  }
}

@_cdecl("modc_context_threads")
public func modc_context_threads(_ context: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
  withStatus("modc_context_threads") { () throws(APIError) in
    let c = try Handles.resolve(context, .context, as: ContextObject.self)
    try store(Int32(c.context.threads), to: out, "out_threads")
  }
}

@_cdecl("modc_context_run")
public func modc_context_run(
  _ context: OpaquePointer?, _ inputs: UnsafePointer<UnsafeRawPointer?>?, _ inputCount: Int,
  _ outputs: UnsafePointer<UnsafeMutableRawPointer?>?, _ outputCount: Int
) -> Int32 {
  withStatus("modc_context_run") { () throws(APIError) in
    let c = try Handles.resolve(context, .context, as: ContextObject.self)
    let (ins, outs) = try c.session.buffers(inputs, inputCount, outputs, outputCount)
    do {
      try c.context.run(inputs: ins, outputs: outs)
    } catch {
      throw APIError.wrapping(error)
    }
  }
}

@_cdecl("modc_context_destroy")
public func modc_context_destroy(_ context: OpaquePointer?) {
  _ = withStatus("modc_context_destroy") { () throws(APIError) in try Handles.destroy(context, .context) }
}
