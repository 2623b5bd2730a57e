import GraphIR

/// The metadata section: ordered string key/value pairs (producer, model, command line, opset, …).
///
/// Encoded as u32 count, then (string key, string value) pairs; keys are unique.
public struct PlanMetadata: Sendable, Equatable {
  /// The pairs, in insertion order.
  public private(set) var entries: [(key: String, value: String)] = []

  public init(_ pairs: KeyValuePairs<String, String> = [:]) {
    for (k, v) in pairs { self[k] = v }
  }

  /// The value for `key`; setting replaces in place or appends.
  public subscript(key: String) -> String? {
    get { entries.first { $0.key == key }?.value }
    set {
      if let i = entries.firstIndex(where: { $0.key == key }) {
        if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
      } else if let newValue {
        entries.append((key, newValue))
      }
    }
  }

  public static func == (a: PlanMetadata, b: PlanMetadata) -> Bool {
    a.entries.elementsEqual(b.entries) { $0.key == $1.key && $0.value == $1.value }
  }

  /// The section bytes.
  public func serialized() -> [UInt8] {
    var w = ByteWriter()
    w.u32(UInt32(entries.count))
    for (k, v) in entries {
      w.string(k)
      w.string(v)
    }
    return w.bytes
  }

  /// Decodes a metadata section; duplicate keys are an error.
  public static func decode(_ r: inout ByteReader) throws(ByteReadError) -> PlanMetadata {
    let n = Int(try r.u32())
    var m = PlanMetadata()
    for _ in 0..<n {
      let at = r.offset
      let k = try r.string()
      let v = try r.string()
      guard m[k] == nil else { throw ByteReadError(offset: at, "duplicate metadata key '\(k)'") }
      m[k] = v
    }
    return m
  }
}

extension MemoryPlan {
  /// The memory-plan section bytes: alignment, region sizes, then per buffer (id, region, offset, size, first and
  /// last use, in-place source or -1).
  public func serialized() -> [UInt8] {
    var w = ByteWriter()
    w.u32(UInt32(MemoryPlanner.alignment))
    w.count64(arenaSize)
    w.count64(inputsSize)
    w.count64(outputsSize)
    w.u32(UInt32(placements.count))
    for p in placements {
      w.i64(Int64(p.id))
      w.u8(p.region.rawValue)
      w.count64(p.offset)
      w.count64(p.size)
      w.i64(Int64(p.firstUse))
      w.i64(Int64(p.lastUse))
      w.i64(Int64(p.inPlaceOf ?? -1))
    }
    return w.bytes
  }

  /// Decodes and verifies a memory-plan section: a plan whose live buffers overlap is rejected.
  public static func decode(_ r: inout ByteReader) throws(ByteReadError) -> MemoryPlan {
    let start = r.offset
    guard try r.u32() == UInt32(MemoryPlanner.alignment) else {
      throw ByteReadError(offset: start, "memory plan alignment differs from \(MemoryPlanner.alignment)")
    }
    let arena = try r.count64()
    let inputs = try r.count64()
    let outputs = try r.count64()
    let n = Int(try r.u32())
    var list: [BufferPlacement] = []
    for _ in 0..<n {
      let at = r.offset
      let id = Int(try r.i64())
      guard let region = PlannerRegion(rawValue: try r.u8()) else { throw ByteReadError(offset: at, "bad region") }
      let offset = try r.count64()
      let size = try r.count64()
      let first = Int(try r.i64())
      let last = Int(try r.i64())
      let src = Int(try r.i64())
      list.append(
        BufferPlacement(
          id: id, region: region, offset: offset, size: size, firstUse: first, lastUse: last,
          inPlaceOf: src < 0 ? nil : src))
    }
    let plan = MemoryPlan(placements: list, arenaSize: arena, inputsSize: inputs, outputsSize: outputs)
    do { try plan.verify() } catch { throw ByteReadError(offset: start, error.message) }
    return plan
  }
}

/// Constant tensors packed into one blob, each starting on a 64-byte boundary, plus their index.
///
/// The index section holds u32 count, then per tensor: name, dtype (text IR name), rank u32, dims u64…,
/// offset u64, size u64.
public struct WeightsBlob: Sendable {
  /// One tensor's place in the blob.
  public struct Entry: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var offset: Int
    public var size: Int
  }

  public private(set) var bytes: [UInt8] = []
  public private(set) var entries: [Entry] = []

  public init() {}

  /// Appends `tensor` and returns its offset in the blob (a multiple of 64).
  @discardableResult
  public mutating func append(name: String, _ tensor: TensorData) -> Int {
    append(name: name, dtype: tensor.dtype, shape: tensor.shape, bytes: tensor.bytes)
  }

  /// Appends raw tensor bytes and returns their offset (a multiple of 64).
  @discardableResult
  public mutating func append(name: String, dtype: DType, shape: [Int], bytes raw: UnsafeRawBufferPointer) -> Int {
    let offset = alignUp(bytes.count, to: PlanLayout.alignment)
    bytes += [UInt8](repeating: 0, count: offset - bytes.count)
    bytes += raw
    entries.append(Entry(name: name, dtype: dtype, shape: shape, offset: offset, size: raw.count))
    return offset
  }

  /// The index section bytes.
  public func serializedIndex() -> [UInt8] {
    var w = ByteWriter()
    w.u32(UInt32(entries.count))
    for e in entries {
      w.string(e.name)
      w.string(e.dtype.rawValue)
      w.u32(UInt32(e.shape.count))
      for d in e.shape { w.count64(d) }
      w.count64(e.offset)
      w.count64(e.size)
    }
    return w.bytes
  }

  /// Decodes an index section and checks each entry against the blob size (alignment, bounds, byte count).
  public static func decodeIndex(_ r: inout ByteReader, blobSize: Int) throws(ByteReadError) -> [Entry] {
    let n = Int(try r.u32())
    var out: [Entry] = []
    for _ in 0..<n {
      let at = r.offset
      let name = try r.string()
      let dtypeName = try r.string()
      guard let dtype = DType(rawValue: dtypeName), dtype.byteSize > 0 else {
        throw ByteReadError(offset: at, "weight '\(name)' has unknown dtype '\(dtypeName)'")
      }
      let rank = Int(try r.u32())
      guard rank <= 16 else { throw ByteReadError(offset: at, "weight '\(name)' has rank \(rank)") }
      var shape: [Int] = []
      var count = 1
      for _ in 0..<rank {
        let d = try r.count64()
        let (m, o) = count.multipliedReportingOverflow(by: d)
        guard !o else { throw ByteReadError(offset: at, "weight '\(name)' shape overflows") }
        count = m
        shape.append(d)
      }
      let offset = try r.count64()
      let size = try r.count64()
      guard offset % PlanLayout.alignment == 0, offset <= blobSize, size <= blobSize - offset,
        count.multipliedReportingOverflow(by: dtype.byteSize) == (size, false)
      else { throw ByteReadError(offset: at, "weight '\(name)' [\(offset), +\(size)) does not fit its shape or blob") }
      out.append(Entry(name: name, dtype: dtype, shape: shape, offset: offset, size: size))
    }
    return out
  }
}

extension PlanFile {
  /// The metadata section.
  public func metadata() throws(PlanError) -> PlanMetadata {
    try decode(.metadata) { (r: inout ByteReader) throws(ByteReadError) in try PlanMetadata.decode(&r) }
  }

  /// The memory plan section, verified (no overlapping live buffers).
  public func memoryPlan() throws(PlanError) -> MemoryPlan {
    try decode(.memoryPlan) { (r: inout ByteReader) throws(ByteReadError) in try MemoryPlan.decode(&r) }
  }

  /// The weight index; every entry is checked against the weights section.
  public func weightIndex() throws(PlanError) -> [WeightsBlob.Entry] {
    let blobSize = try section(.weights).count
    return try decode(.weightIndex) { (r: inout ByteReader) throws(ByteReadError) in
      try WeightsBlob.decodeIndex(&r, blobSize: blobSize)
    }
  }

  /// The bytes of one weight, pointing into the mapped file (no copy).
  public func weightBytes(_ entry: WeightsBlob.Entry) throws(PlanError) -> UnsafeRawBufferPointer {
    let blob = try section(.weights)
    guard entry.offset <= blob.count, entry.size <= blob.count - entry.offset else {
      throw PlanError(path: path, .malformed, "weight '\(entry.name)' is outside the weights section")
    }
    return UnsafeRawBufferPointer(rebasing: blob[entry.offset..<(entry.offset + entry.size)])
  }
}
