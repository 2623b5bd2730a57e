// Building constant tensors of any numeric element type (used by the constant evaluator and tests).

extension TensorData {
  /// A tensor of `dtype` from integer values (converted per element; bool stores `v != 0`; floats convert).
  public init(dtype: DType, shape: [Int], int64s values: [Int64]) {
    if dtype.isFloat {
      self.init(dtype: dtype, shape: shape, doubles: values.map { Double($0) })
      return
    }
    precondition(shape.reduce(1, *) == values.count, "shape/element count mismatch")
    let storage = TensorStorage(zeroedCount: values.count * dtype.byteSize)
    let p = UnsafeMutableRawPointer(mutating: storage.bytes.baseAddress)
    if let p {
      for (i, v) in values.enumerated() {
        switch dtype {
        case .i64, .u64: p.storeBytes(of: v, toByteOffset: i * 8, as: Int64.self)
        case .i32, .u32: p.storeBytes(of: Int32(truncatingIfNeeded: v), toByteOffset: i * 4, as: Int32.self)
        case .i16, .u16: p.storeBytes(of: Int16(truncatingIfNeeded: v), toByteOffset: i * 2, as: Int16.self)
        case .i8, .u8: p.storeBytes(of: Int8(truncatingIfNeeded: v), toByteOffset: i, as: Int8.self)
        case .bool: p.storeBytes(of: UInt8(v != 0 ? 1 : 0), toByteOffset: i, as: UInt8.self)
        default: break
        }
      }
    }
    self.init(dtype: dtype, shape: shape, storage: storage)
  }

  /// A tensor of `dtype` from floating-point values (integers truncate toward zero, bool stores `v != 0`).
  public init(dtype: DType, shape: [Int], doubles values: [Double]) {
    guard dtype.isFloat else {
      self.init(dtype: dtype, shape: shape, int64s: values.map { TensorData.truncate($0, toBool: dtype == .bool) })
      return
    }
    precondition(shape.reduce(1, *) == values.count, "shape/element count mismatch")
    let storage = TensorStorage(zeroedCount: values.count * dtype.byteSize)
    let p = UnsafeMutableRawPointer(mutating: storage.bytes.baseAddress)
    if let p {
      for (i, v) in values.enumerated() {
        switch dtype {
        case .f32: p.storeBytes(of: Float(v), toByteOffset: i * 4, as: Float.self)
        case .f64: p.storeBytes(of: v, toByteOffset: i * 8, as: Double.self)
        case .f16: p.storeBytes(of: Float16(Float(v)).bitPattern, toByteOffset: i * 2, as: UInt16.self)
        case .bf16: p.storeBytes(of: UInt16(Float(v).bitPattern >> 16), toByteOffset: i * 2, as: UInt16.self)
        default: break
        }
      }
    }
    self.init(dtype: dtype, shape: shape, storage: storage)
  }

  /// Elements as Double (exact for f64, which `floats()` would round).
  public func doubles() -> [Double] {
    if dtype == .f64 { return Array(bytes.bindMemory(to: Double.self).prefix(elementCount)) }
    return floats().map { Double($0) }
  }

  private static func truncate(_ v: Double, toBool: Bool) -> Int64 {
    if toBool { return v != 0 ? 1 : 0 }
    guard v.isFinite else { return 0 }
    return Int64(max(min(v.rounded(.towardZero), 9.2e18), -9.2e18))
  }
}
