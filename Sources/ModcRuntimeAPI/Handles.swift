/// The memory behind a C handle (`modc_session *`, `modc_context *`): a tag saying what it is and a retained
/// reference to the Swift object. The tag lets every entry point reject NULL, a handle of the other kind and (most)
/// handles already closed, instead of trapping.
struct HandleBox {
  var tag: UInt64
  var object: Unmanaged<AnyObject>
}

/// The kinds of C handle, with their tags (ASCII "modcSESS", "modcCTXT"); a closed handle gets `dead`.
enum HandleKind: UInt64 {
  case session = 0x6D6F_6463_5345_5353
  case context = 0x6D6F_6463_4354_5854

  static let dead: UInt64 = 0xDEAD_DEAD_DEAD_DEAD

  var cName: String { self == .session ? "modc_session" : "modc_context" }
}

enum Handles {
  /// A new handle owning one reference to `object`.
  static func make(_ object: AnyObject, _ kind: HandleKind) -> OpaquePointer {
    let p = UnsafeMutablePointer<HandleBox>.allocate(capacity: 1)
    p.initialize(to: HandleBox(tag: kind.rawValue, object: .passRetained(object)))
    return OpaquePointer(p)
  }

  /// The object behind `handle`, checked to be a live handle of `kind` holding a `T`.
  static func resolve<T: AnyObject>(_ handle: OpaquePointer?, _ kind: HandleKind, as _: T.Type) throws(APIError) -> T {
    let box = try boxPointer(handle, kind)
    guard let object = box.pointee.object.takeUnretainedValue() as? T else {
      throw .invalid("handle is not a \(kind.cName)")
    }
    return object
  }

  /// Releases the handle's reference and frees it; NULL is ignored, anything else invalid is reported.
  static func destroy(_ handle: OpaquePointer?, _ kind: HandleKind) throws(APIError) {
    guard handle != nil else { return }
    let box = try boxPointer(handle, kind)
    let object = box.pointee.object
    box.pointee.tag = HandleKind.dead
    box.deinitialize(count: 1)
    box.deallocate()
    object.release()
  }

  private static func boxPointer(_ handle: OpaquePointer?, _ kind: HandleKind) throws(APIError)
    -> UnsafeMutablePointer<HandleBox>
  {
    guard let handle else { throw .invalid("\(kind.cName) is NULL") }
    guard Int(bitPattern: UnsafeRawPointer(handle)) % MemoryLayout<HandleBox>.alignment == 0 else {
      throw .invalid("pointer is not a \(kind.cName)")
    }
    let box = UnsafeMutablePointer<HandleBox>(handle)
    switch box.pointee.tag {
    case kind.rawValue: return box
    case HandleKind.dead: throw .invalid("\(kind.cName) was already closed")
    default: throw .invalid("pointer is not a \(kind.cName)")
    }
  }
}
