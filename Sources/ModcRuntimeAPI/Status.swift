#if canImport(Glibc)
import Glibc
#endif
import Codegen

/// Status codes of the C ABI (`MODC_OK`, `MODC_E_*` in modc_runtime.h).
enum Status {
  static let ok: Int32 = 0
  static let invalidArgument: Int32 = -1
  static let index: Int32 = -2
  static let io: Int32 = -3
  static let invalidPlan: Int32 = -4
  static let count: Int32 = -5
  static let runtime: Int32 = -6
  static let compile: Int32 = -7
}

/// A failure at the C boundary: the status code to return and the message `modc_last_error` reports.
struct APIError: Error {
  var code: Int32
  var message: String

  init(_ code: Int32, _ message: String) {
    self.code = code
    self.message = message
  }

  static func invalid(_ message: String) -> APIError { APIError(Status.invalidArgument, message) }

  /// Maps any error of the runtime (plan loading, execution) to a status and message.
  static func wrapping(_ error: any Error) -> APIError {
    if let e = error as? APIError { return e }
    if let e = error as? PlanError {
      return APIError(e.kind == .io ? Status.io : Status.invalidPlan, e.description)
    }
    if let e = error as? RuntimeError { return APIError(Status.runtime, e.message) }
    return APIError(Status.runtime, "\(error)")
  }
}

/// Runs `body`, turning a thrown error into its status code and recording its message for this thread.
func withStatus(_ function: String, _ body: () throws(APIError) -> Void) -> Int32 {
  do {
    try body()
    return Status.ok
  } catch {
    LastError.set("\(function): \(error.message)")
    return error.code
  }
}

/// The per-thread message of the last failing call (a pthread key; each thread's copy is freed when it exits).
enum LastError {
  private static let key: pthread_key_t = {
    var k = pthread_key_t()
    _ = pthread_key_create(&k) { free($0) }
    return k
  }()

  /// An empty C string in static storage, returned when no call failed yet on this thread.
  nonisolated(unsafe) private static let empty: UnsafeMutablePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
  }()

  static func set(_ message: String) {
    let old = pthread_getspecific(key)
    // strdup returns NULL only when out of memory; the message is then dropped rather than trapping.
    let copy = strdup(message)
    pthread_setspecific(key, copy)
    free(old)
  }

  static var current: UnsafePointer<CChar> {
    guard let p = pthread_getspecific(key) else { return UnsafePointer(empty) }
    return UnsafePointer(p.assumingMemoryBound(to: CChar.self))
  }
}

/// Writes `value` through an out-pointer argument after checking it is not NULL.
@inline(__always)
func store<T>(_ value: T, to out: UnsafeMutablePointer<T>?, _ name: String) throws(APIError) {
  guard let out else { throw .invalid("\(name) is NULL") }
  out.pointee = value
}
