import Testing

@testable import GraphIR

@Suite struct LayoutShapeTests {
  @Test(arguments: [
    ("0 and -1 with symbol", ReshapeAttrs(), "f32[N,512,1,1]", [0, -1] as [Int64], "f32[N,512]"),
    ("-1 first", ReshapeAttrs(), "f32[2,3,4]", [-1, 4], "f32[6,4]"),
    ("0 copies dims", ReshapeAttrs(), "f32[2,3,4]", [0, 0, 2, 2], "f32[2,3,2,2]"),
    ("allowzero makes empty", ReshapeAttrs(allowZero: true), "f32[0,3]", [3, 0], "f32[3,0]"),
    ("to scalar-ish", ReshapeAttrs(), "f32[1,1]", [1], "f32[1]"),
    ("-1 cancels symbol", ReshapeAttrs(), "f32[N,8,2]", [0, -1, 4], "f32[N,4,4]"),
  ])
  func reshape(_ id: String, _ a: ReshapeAttrs, _ x: String, _ shape: [Int64], _ expected: String) throws {
    #expect(try infer(.reshape(a), [x, "i64[\(shape.count)]"], [nil, i64s(shape)]) == [expected], "\(id)")
  }

  @Test func reshapeErrorsAndUnknownShape() throws {
    #expect(inferFailure(.reshape(ReshapeAttrs()), ["f32[2,3]", "i64[2]"], [nil, i64s([4, 2])])
      == "cannot reshape [2,3] (6 elements) to [4,2] (8 elements)")
    #expect(inferFailure(.reshape(ReshapeAttrs()), ["f32[2,3]", "i64[2]"], [nil, i64s([-1, -1])])
      == "shape [-1,-1] has more than one -1")
    #expect(inferFailure(.reshape(ReshapeAttrs()), ["f32[2,3]", "i64[2]"], [nil, i64s([4, -1])])
      == "cannot reshape [2,3] to [4,-1]: 6 is not divisible by 4")
    // Without a constant shape only the rank is known.
    #expect(try infer(.reshape(ReshapeAttrs()), ["f32[2,3]", "i64[2]"]) == ["f32[?,?]"])
  }

  @Test(arguments: [
    (1, "f32[N,512,1,1]", "f32[N,512]"),
    (0, "f32[2,3,4]", "f32[1,24]"),
    (3, "f32[2,3,4]", "f32[24,1]"),
    (-1, "f32[2,3,4]", "f32[6,4]"),
  ])
  func flatten(_ axis: Int, _ x: String, _ expected: String) throws {
    #expect(try infer(.flatten(FlattenAttrs(axis: axis)), [x]) == [expected])
  }

  @Test func squeezeUnsqueeze() throws {
    #expect(try infer(.squeeze(AxesAttrs(axes: [-1, 2])), ["f32[N,512,1,1]"]) == ["f32[N,512]"])
    #expect(try infer(.squeeze(AxesAttrs()), ["f32[1,3,1,N]"]) == ["f32[3,N]"])
    #expect(try infer(.squeeze(AxesAttrs()), ["f32[1,3,1]", "i64[1]"], [nil, i64s([0])]) == ["f32[3,1]"])
    #expect(inferFailure(.squeeze(AxesAttrs(axes: [1])), ["f32[1,3]"]) == "cannot squeeze axis 1 of [1,3]: its size is 3, not 1")
    #expect(try infer(.unsqueeze(AxesAttrs(axes: [0])), ["i64[]"]) == ["i64[1]"])
    #expect(try infer(.unsqueeze(AxesAttrs(axes: [-1])), ["f32[2,3]"]) == ["f32[2,3,1]"])
    #expect(try infer(.unsqueeze(AxesAttrs()), ["f32[2,3]", "i64[2]"], [nil, i64s([1, -1])]) == ["f32[2,1,3,1]"])
    #expect(inferFailure(.unsqueeze(AxesAttrs(axes: [0, -4])), ["f32[2,3]"]) == "axes [0,-4] contains a repeated axis")
    #expect(inferFailure(.unsqueeze(AxesAttrs()), ["f32[2,3]", "i64[1]"])
      == "output rank unknown: axes are neither an attribute nor a constant input")
  }

  @Test func transposeAndConcat() throws {
    #expect(try infer(.transpose(TransposeAttrs(perm: [0, 2, 3, 1])), ["f32[N,3,4,5]"]) == ["f32[N,4,5,3]"])
    #expect(try infer(.transpose(TransposeAttrs()), ["f32[2,3,4]"]) == ["f32[4,3,2]"])
    #expect(inferFailure(.transpose(TransposeAttrs(perm: [0, 0])), ["f32[2,3]"])
      == "perm [0,0] is not a permutation of the 2 axes of X")
    #expect(try infer(.concat(AxisAttrs(axis: 1)), ["f32[N,4,8,8]", "f32[N,12,8,8]"]) == ["f32[N,16,8,8]"])
    #expect(try infer(.concat(AxisAttrs(axis: -1)), ["i64[1]", "i64[1]", "i64[2]"]) == ["i64[4]"])
    #expect(inferFailure(.concat(AxisAttrs(axis: 1)), ["f32[1,4,8,8]", "f32[1,4,4,8]"])
      == "inputs[1] [1,4,4,8] differs from [1,4,8,8] in dim 2 (only axis 1 may differ)")
  }

  @Test(arguments: [
    ("first k channels", [0], [4], [1], [1], "f32[1,16,8,8]", "f32[1,4,8,8]"),
    ("rest with INT_MAX end", [4], [Int64.max], [1], [1], "f32[1,16,8,8]", "f32[1,12,8,8]"),
    ("negative start", [-3], [Int64.max], [0], [1], "f32[10]", "f32[3]"),
    ("clamped end", [2], [100], [0], [1], "f32[10]", "f32[8]"),
    ("step 3", [1], [10], [0], [3], "f32[10]", "f32[3]"),
    ("reverse INT_MIN end", [-1], [Int64.min], [0], [-1], "f32[10]", "f32[10]"),
    ("reverse step -2", [8], [1], [0], [-2], "f32[10]", "f32[4]"),
    ("empty when start ≥ end", [5], [2], [0], [1], "f32[10]", "f32[0]"),
    ("negative axis", [0], [2], [-1], [1], "f32[4,6]", "f32[4,2]"),
    ("symbolic full slice keeps N", [0], [Int64.max], [0], [1], "f32[N,6]", "f32[N,6]"),
  ])
  func slice(_ id: String, _ s: [Int64], _ e: [Int64], _ a: [Int64], _ st: [Int64], _ x: String, _ expected: String) throws {
    let n = "i64[\(s.count)]"
    #expect(try infer(.slice(SliceAttrs()), [x, n, n, n, n], [nil, i64s(s), i64s(e), i64s(a), i64s(st)]) == [expected], "\(id)")
  }

  @Test func sliceForms() throws {
    #expect(try infer(.slice(SliceAttrs(starts: [1], ends: [3], axes: [1])), ["f32[2,5]"]) == ["f32[2,2]"])
    #expect(try infer(.slice(SliceAttrs()), ["f32[4,6]", "i64[1]", "i64[1]"], [nil, i64s([1]), i64s([-1])]) == ["f32[2,6]"])
    // Absent axes (empty optional) with steps given.
    #expect(try infer(.slice(SliceAttrs()), ["f32[4,6]", "i64[1]", "i64[1]", "i64[0]", "i64[1]"],
      [nil, i64s([0]), i64s([4]), i64s([]), i64s([2])]) == ["f32[2,6]"])
    #expect(inferFailure(.slice(SliceAttrs()), ["f32[4]", "i64[1]", "i64[1]", "i64[1]", "i64[1]"],
      [nil, i64s([0]), i64s([4]), i64s([0]), i64s([0])]) == "steps [0] has 0 at position 0")
    // Unknown bounds on a known axis: only that axis is unknown.
    #expect(try infer(.slice(SliceAttrs()), ["f32[4,6]", "i64[1]", "i64[1]", "i64[1]"], [nil, nil, nil, i64s([1])]) == ["f32[4,?]"])
  }

  @Test func padCastShapeGather() throws {
    #expect(try infer(.pad(PadAttrs(pads: [0, 0, 1, 1, 0, 0, 1, 1])), ["f32[1,3,8,8]"]) == ["f32[1,3,10,10]"])
    #expect(try infer(.pad(PadAttrs()), ["f32[1,3,8,8]", "i64[8]"], [nil, i64s([0, 0, 2, 0, 0, 0, 0, -1])]) == ["f32[1,3,10,7]"])
    #expect(try infer(.pad(PadAttrs()), ["f32[1,3,8,8]", "i64[4]", "f32[]", "i64[2]"],
      [nil, i64s([1, 1, 2, 2]), nil, i64s([-2, -1])]) == ["f32[1,3,11,11]"])
    #expect(inferFailure(.pad(PadAttrs()), ["f32[1,3]", "i64[2]"], [nil, i64s([1, 1])])
      == "pads [1,1] must have 4 entries (begin and end for 2 axes)")
    #expect(try infer(.cast(CastAttrs(to: .i64)), ["f32[N,3]"]) == ["i64[N,3]"])
    #expect(try infer(.shape(ShapeAttrs()), ["f32[N,3,4,5]"]) == ["i64[4]"])
    #expect(try infer(.shape(ShapeAttrs(start: 1, end: -1)), ["f32[N,3,4,5]"]) == ["i64[2]"])
    #expect(try infer(.shape(ShapeAttrs(start: -10, end: 10)), ["f32[N,3]"]) == ["i64[2]"])
    #expect(try infer(.gather(AxisAttrs(axis: 0)), ["i64[4]", "i64[]"], [nil, i64s([0], shape: [])]) == ["i64[]"])
    #expect(try infer(.gather(AxisAttrs(axis: 1)), ["f32[2,16,8]", "i64[3]"]) == ["f32[2,3,8]"])
    #expect(try infer(.gather(AxisAttrs(axis: -1)), ["f32[2,16]", "i64[2,2]"]) == ["f32[2,2,2]"])
    #expect(inferFailure(.gather(AxisAttrs(axis: 0)), ["i64[4]", "i64[]"], [nil, i64s([4], shape: [])])
      == "index 4 is out of range for axis 0 of size 4")
    #expect(try infer(.constantOfShape(ConstantOfShapeAttrs(dtype: .i64, value: 1)), ["i64[2]"], [i64s([3, 4])]) == ["i64[3,4]"])
    #expect(try infer(.constantOfShape(ConstantOfShapeAttrs()), ["i64[2]"]) == ["f32[?,?]"])
  }
}
