import Codegen

// The C entry points on sessions (see include/modc_runtime.h). Every function validates its arguments and returns
// a status; no Swift error or trap crosses the boundary.

/// The runtime version reported by `modc_version` (matches `modc --version`).
let runtimeVersion = "0.1.0"
/// `MODC_RUNTIME_ABI_VERSION` of this build.
let abiVersion: Int32 = 1

nonisolated(unsafe) private let versionCString: UnsafeMutablePointer<CChar> = {
  let utf8 = Array(runtimeVersion.utf8CString)
  let p = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
  p.initialize(from: utf8, count: utf8.count)
  return p
}()

@_cdecl("modc_version")
public func modc_version() -> UnsafePointer<CChar> { UnsafePointer(versionCString) }

@_cdecl("modc_abi_version")
public func modc_abi_version() -> Int32 { abiVersion }

@_cdecl("modc_last_error")
public func modc_last_error() -> UnsafePointer<CChar> { LastError.current }

@_cdecl("modc_session_open")
public func modc_session_open(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  withStatus("modc_session_open") { () throws(APIError) in
    guard let out else { throw .invalid("out is NULL") }
    out.pointee = nil
    guard let path else { throw .invalid("path is NULL") }
    let p = String(cString: path)
    let exe: Executable
    do {
      exe = try Plan.load(path: p).0
    } catch {
      throw APIError.wrapping(error)
    }
    out.pointee = Handles.make(SessionObject(exe), .session)
  }
}

@_cdecl("modc_session_open_memory")
public func modc_session_open_memory(
  _ data: UnsafeRawPointer?, _ size: Int, _ flags: UInt32, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
  withStatus("modc_session_open_memory") { () throws(APIError) in
    guard let out else { throw .invalid("out is NULL") }
    out.pointee = nil
    guard let data else { throw .invalid("data is NULL") }
    guard size > 0 else { throw .invalid("size must be positive, got \(UInt(bitPattern: size))") }
    let image = UnsafeRawBufferPointer(start: data, count: size)
    if flags == 1 && Int(bitPattern: data) % 64 != 0 {
      throw .invalid("a borrowed plan image (MODC_MEMORY_BORROW) must be 64-byte aligned")
    }
    let exe: Executable
    do {
      switch flags {
      case 0: exe = try Plan.load(bytes: Array(image), name: "<memory>").0
      case 1: exe = try Plan.load(borrowing: image, name: "<memory>").0
      default: throw APIError.invalid("unknown flags \(flags) (use MODC_MEMORY_COPY or MODC_MEMORY_BORROW)")
      }
    } catch {
      throw APIError.wrapping(error)
    }
    out.pointee = Handles.make(SessionObject(exe), .session)
  }
}

@_cdecl("modc_session_close")
public func modc_session_close(_ session: OpaquePointer?) {
  _ = withStatus("modc_session_close") { () throws(APIError) in try Handles.destroy(session, .session) }
}

@_cdecl("modc_session_set_threads")
public func modc_session_set_threads(_ session: OpaquePointer?, _ threads: Int32) -> Int32 {
  withStatus("modc_session_set_threads") { () throws(APIError) in
    let s = try Handles.resolve(session, .session, as: SessionObject.self)
    guard Int(threads) <= SessionObject.maxThreads else {
      throw .invalid("threads must be at most \(SessionObject.maxThreads), got \(threads)")
    }
    s.defaultThreads = max(0, Int(threads))
  }
}

@_cdecl("modc_session_threads")
public func modc_session_threads(_ session: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
  withStatus("modc_session_threads") { () throws(APIError) in
    let s = try Handles.resolve(session, .session, as: SessionObject.self)
    try store(Int32(try s.resolveThreads(0)), to: out, "out_threads")
  }
}

@_cdecl("modc_session_run")
public func modc_session_run(
  _ session: OpaquePointer?, _ inputs: UnsafePointer<UnsafeRawPointer?>?, _ inputCount: Int,
  _ outputs: UnsafePointer<UnsafeMutableRawPointer?>?, _ outputCount: Int
) -> Int32 {
  withStatus("modc_session_run") { () throws(APIError) in
    let s = try Handles.resolve(session, .session, as: SessionObject.self)
    let (ins, outs) = try s.buffers(inputs, inputCount, outputs, outputCount)
    try s.run(ins, outs)
  }
}
