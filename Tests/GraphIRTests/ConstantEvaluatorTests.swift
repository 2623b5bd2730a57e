import Testing

@testable import GraphIR

@Suite struct ConstantEvaluatorTests {
  let ev = ConstantEvaluator()

  func eval(_ op: Op, _ types: [String], _ values: [TensorData?], outputs: Int = 1) -> [TensorData]? {
    ev.evaluate(op, inputTypes: types.map(ty), constants: values, outputCount: outputs)
  }

  @Test func shapeNeedsOnlyAStaticType() throws {
    let r = try #require(eval(.shape(ShapeAttrs()), ["f32[1,512,7,7]"], [nil]))
    #expect(r[0].int64s() == [1, 512, 7, 7])
    #expect(r[0].shape == [4])
    #expect(try #require(eval(.shape(ShapeAttrs(start: 2)), ["f32[1,512,7,7]"], [nil]))[0].int64s() == [7, 7])
    #expect(eval(.shape(ShapeAttrs()), ["f32[N,512]"], [nil]) == nil)
  }

  @Test func gatherUnsqueezeConcat() throws {
    let s = i64s([2, 512, 1, 1])
    let g = try #require(eval(.gather(AxisAttrs(axis: 0)), ["i64[4]", "i64[]"], [s, i64s([0], shape: [])]))[0]
    #expect(g.shape == [] && g.int64s() == [2])
    let u = try #require(eval(.unsqueeze(AxesAttrs(axes: [0])), ["i64[]"], [g]))[0]
    #expect(u.shape == [1] && u.int64s() == [2])
    let c = try #require(eval(.concat(AxisAttrs(axis: 0)), ["i64[1]", "i64[1]"], [u, i64s([-1])]))[0]
    #expect(c.int64s() == [2, -1])
    let g2 = try #require(eval(.gather(AxisAttrs(axis: 1)), ["i64[2,3]", "i64[2]"], [i64s([1, 2, 3, 4, 5, 6], shape: [2, 3]), i64s([2, -3])]))[0]
    #expect(g2.shape == [2, 2] && g2.int64s() == [3, 1, 6, 4])
    #expect(eval(.gather(AxisAttrs(axis: 0)), ["i64[4]", "i64[]"], [s, nil]) == nil)
  }

  @Test func sliceTransposeReshape() throws {
    let x = i64s([0, 1, 2, 3, 4, 5], shape: [2, 3])
    let sl = try #require(eval(.slice(SliceAttrs()), ["i64[2,3]", "i64[1]", "i64[1]", "i64[1]", "i64[1]"],
      [x, i64s([-1]), i64s([Int64.min]), i64s([1]), i64s([-2])]))[0]
    #expect(sl.shape == [2, 2] && sl.int64s() == [2, 0, 5, 3])
    let t = try #require(eval(.transpose(TransposeAttrs()), ["i64[2,3]"], [x]))[0]
    #expect(t.shape == [3, 2] && t.int64s() == [0, 3, 1, 4, 2, 5])
    let r = try #require(eval(.reshape(ReshapeAttrs()), ["i64[2,3]", "i64[1]"], [x, i64s([-1])]))[0]
    #expect(r.shape == [6] && r.int64s() == [0, 1, 2, 3, 4, 5])
    let f = try #require(eval(.flatten(FlattenAttrs(axis: 0)), ["i64[2,3]"], [x]))[0]
    #expect(f.shape == [1, 6])
    let sq = try #require(eval(.squeeze(AxesAttrs(axes: [0])), ["i64[1,2]"], [i64s([7, 8], shape: [1, 2])]))[0]
    #expect(sq.shape == [2] && sq.int64s() == [7, 8])
  }

  @Test func arithmeticCastAndCompare() throws {
    let a = i64s([7, -7, 9]), b = i64s([2])
    #expect(try #require(eval(.add, ["i64[3]", "i64[1]"], [a, b]))[0].int64s() == [9, -5, 11])
    #expect(try #require(eval(.sub, ["i64[3]", "i64[1]"], [a, b]))[0].int64s() == [5, -9, 7])
    #expect(try #require(eval(.mul, ["i64[3]", "i64[1]"], [a, b]))[0].int64s() == [14, -14, 18])
    #expect(try #require(eval(.div, ["i64[3]", "i64[1]"], [a, b]))[0].int64s() == [3, -3, 4])
    #expect(eval(.div, ["i64[3]", "i64[1]"], [a, i64s([0])]) == nil)
    let f = TensorData(shape: [2], floats: [1.5, -3])
    #expect(try #require(eval(.mul, ["f32[2]", "f32[2]"], [f, f]))[0].floats() == [2.25, 9])
    #expect(try #require(eval(.div, ["f32[2]", "f32[2]"], [f, TensorData(shape: [2], floats: [0.5, 2])]))[0].floats() == [3, -1.5])
    let c = try #require(eval(.cast(CastAttrs(to: .i64)), ["f32[2]"], [f]))[0]
    #expect(c.dtype == .i64 && c.int64s() == [1, -3])
    let cb = try #require(eval(.cast(CastAttrs(to: .bool)), ["i64[3]"], [i64s([0, 2, -1])]))[0]
    #expect(cb.dtype == .bool && cb.int64s() == [0, 1, 1])
    let e = try #require(eval(.equal, ["i64[3]", "i64[]"], [i64s([1, -1, 1]), i64s([-1], shape: [])]))[0]
    #expect(e.dtype == .bool && e.int64s() == [0, 1, 0])
  }

  /// The legacy exporter's Expand shape chain: ConstantOfShape → Mul → Equal → Where.
  @Test func constantOfShapeEqualWhereExpand() throws {
    let ones = try #require(eval(.constantOfShape(ConstantOfShapeAttrs(dtype: .i64, value: 1)), ["i64[1]"], [i64s([4])]))[0]
    #expect(ones.int64s() == [1, 1, 1, 1])
    let neg = try #require(eval(.mul, ["i64[4]", "i64[]"], [ones, i64s([-1], shape: [])]))[0]
    let target = i64s([1, 4, 8, 8])
    let eq = try #require(eval(.equal, ["i64[4]", "i64[4]"], [target, neg]))[0]
    #expect(eq.int64s() == [0, 0, 0, 0])
    let w = try #require(eval(.where, ["bool[4]", "i64[4]", "i64[4]"], [eq, ones, target]))[0]
    #expect(w.int64s() == [1, 4, 8, 8])
    let x = i64s([3, 1], shape: [1, 2, 1, 1])
    let ex = try #require(eval(.expand, ["i64[1,2,1,1]", "i64[4]"], [x, i64s([1, 2, 2, 1])]))[0]
    #expect(ex.shape == [1, 2, 2, 1] && ex.int64s() == [3, 3, 1, 1])
  }

  @Test func declinesWhatItShouldNotEvaluate() {
    let w = TensorData(shape: [1, 1, 1, 1], floats: [1])
    #expect(eval(.conv(ConvAttrs()), ["f32[1,1,1,1]", "f32[1,1,1,1]"], [w, w]) == nil)
    #expect(eval(.add, ["f32[1]", "f32[1]"], [TensorData(shape: [1], floats: [1]), nil]) == nil)
    let small = ConstantEvaluator(maxElements: 3)
    #expect(small.evaluate(.identity, inputTypes: [ty("i64[4]")], constants: [i64s([1, 2, 3, 4])]) == nil)
    #expect(small.evaluate(.identity, inputTypes: [ty("i64[3]")], constants: [i64s([1, 2, 3])])?[0].int64s() == [1, 2, 3])
  }
}
