/// One dimension of a tensor shape: a known size or a named symbolic size (e.g. the dynamic batch axis `N`).
public enum Dim: Sendable, Hashable, CustomStringConvertible {
  case fixed(Int)
  case symbol(String)

  /// The size if it is known.
  public var value: Int? {
    if case .fixed(let v) = self { return v }
    return nil
  }

  public var description: String {
    switch self {
    case .fixed(let v): return String(v)
    case .symbol(let s): return s
    }
  }
}

/// The static type of an SSA value: element type plus shape (rank always known once inferred).
public struct TensorType: Sendable, Hashable, CustomStringConvertible {
  public var dtype: DType
  public var shape: [Dim]

  public init(_ dtype: DType, _ shape: [Dim]) {
    self.dtype = dtype
    self.shape = shape
  }

  /// Convenience for fully static shapes.
  public init(_ dtype: DType, _ dims: [Int]) {
    self.init(dtype, dims.map { Dim.fixed($0) })
  }

  public var rank: Int { shape.count }

  /// The concrete shape if every dimension is known.
  public var staticShape: [Int]? {
    var out: [Int] = []
    out.reserveCapacity(shape.count)
    for d in shape {
      guard let v = d.value else { return nil }
      out.append(v)
    }
    return out
  }

  /// Number of elements if the shape is static (saturating on overflow to Int.max).
  public var elementCount: Int? {
    guard let s = staticShape else { return nil }
    var n = 1
    for d in s {
      let (m, o) = n.multipliedReportingOverflow(by: d)
      if o { return Int.max }
      n = m
    }
    return n
  }

  /// Size in bytes if the shape is static.
  public var byteCount: Int? {
    guard let n = elementCount else { return nil }
    let (m, o) = n.multipliedReportingOverflow(by: dtype.byteSize)
    return o ? Int.max : m
  }

  /// Textual form used by the IR printer: `f32[1,64,56,56]`, `i64[N,3]`, `f32[]` for scalars.
  public var description: String {
    "\(dtype.rawValue)[\(shape.map(\.description).joined(separator: ","))]"
  }
}
