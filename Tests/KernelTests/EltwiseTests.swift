import CKernels
import Foundation
import Testing

/// Dense row-major strides of a shape, with 0 on size-1 (broadcast) axes.
func broadcastStrides(_ shape: [Int]) -> [Int64] {
  var s = [Int64](repeating: 0, count: shape.count)
  var acc: Int64 = 1
  for i in stride(from: shape.count - 1, through: 0, by: -1) {
    s[i] = shape[i] == 1 ? 0 : acc
    acc *= Int64(shape[i])
  }
  return s
}

extension Kernels {
  @Suite struct EltwiseTests {
    @Test(
      "broadcasting binary ops match a per-element reference",
      arguments: [
        ([2, 3, 4, 5], [2, 3, 4, 5]), ([2, 3, 4, 5], [1, 3, 1, 1]), ([2, 3, 4, 5], [2, 1, 4, 1]),
        ([1, 1, 1, 1], [2, 3, 4, 5]), ([2, 3, 1, 5], [1, 3, 4, 1]),
      ])
    func binaryBroadcast(aShape: [Int], bShape: [Int]) {
      let out = zip(aShape, bShape).map { max($0, $1) }
      var rng = TestRNG(seed: 21)
      let a = rng.floats(aShape.reduce(1, *)), b = rng.floats(bShape.reduce(1, *)).map { $0 + 3 }
      let sa = broadcastStrides(aShape), sb = broadcastStrides(bShape)
      let shape = out.map(Int64.init)
      let ops: [(modc_binop, (Float, Float) -> Float)] = [
        (MODC_ADD, { $0 + $1 }), (MODC_SUB, { $0 - $1 }), (MODC_MUL, { $0 * $1 }), (MODC_DIV, { $0 / $1 }),
      ]
      for (op, f) in ops {
        var y = [Float](repeating: .nan, count: out.reduce(1, *))
        let st = a.withPtr { ap in b.withPtr { bp in y.withMutPtr { modc_binary_strided(Int32(op.rawValue), 4, shape, ap, sa, bp, sb, $0) } } }
        #expect(st == 0)
        var ref = [Float]()
        for flat in 0..<out.reduce(1, *) {
          var rem = flat, ia: Int64 = 0, ib: Int64 = 0
          for axis in stride(from: 3, through: 0, by: -1) {
            let idx = Int64(rem % out[axis])
            rem /= out[axis]
            ia += idx * sa[axis]
            ib += idx * sb[axis]
          }
          ref.append(f(a[Int(ia)], b[Int(ib)]))
        }
        #expect(y == ref, "op \(op.rawValue)")
      }
    }

    @Test("relu, sigmoid, softmax, batch norm, fill")
    func unary() {
      var rng = TestRNG(seed: 22)
      let x = rng.floats(2 * 3 * 10).map { $0 * 6 }
      var y = [Float](repeating: 0, count: x.count)
      x.withPtr { xp in y.withMutPtr { modc_relu(x.count, xp, $0) } }
      #expect(y == x.map { max(0, $0) })
      x.withPtr { xp in y.withMutPtr { modc_sigmoid(x.count, xp, $0) } }
      #expect(maxRelError(y, x.map { 1 / (1 + exp(-$0)) }) < 1e-6)
      x.withPtr { xp in y.withMutPtr { modc_softmax(6, 10, xp, $0) } }
      for r in 0..<6 {
        let row = x[(r * 10)..<(r * 10 + 10)]
        let m = row.max() ?? 0
        let e = row.map { exp(Double($0 - m)) }
        let s = e.reduce(0, +)
        #expect(maxRelError(Array(y[(r * 10)..<(r * 10 + 10)]), e.map { Float($0 / s) }) < 1e-6)
      }
      let gamma: [Float] = [1, 2, 0.5], beta: [Float] = [0, 1, -1], mean: [Float] = [0.1, -0.2, 0.3]
      let variance: [Float] = [1, 4, 0.25]
      var scale = [Float](repeating: 0, count: 3), shift = scale
      gamma.withPtr { g in beta.withPtr { b in mean.withPtr { m in variance.withPtr { v in
        scale.withMutPtr { sc in shift.withMutPtr { modc_batchnorm_fold(3, g, b, m, v, 0, sc, $0) } }
      } } } }
      #expect(scale == [1, 1, 1] && maxRelError(shift, [-0.1, 1.2, -1.3]) < 1e-6)
      x.withPtr { xp in scale.withPtr { sc in shift.withPtr { sh in y.withMutPtr { modc_batchnorm(2, 3, 10, xp, sc, sh, $0) } } } }
      #expect(maxRelError(y, x.indices.map { x[$0] * scale[($0 / 10) % 3] + shift[($0 / 10) % 3] }) < 1e-6)
      y.withMutPtr { modc_fill(5, 2.5, $0) }
      #expect(y.prefix(6) == [2.5, 2.5, 2.5, 2.5, 2.5, y[5]] && y[5] != 2.5)
    }

    @Test("copy_nd: transpose, reversed slice, concat into a channel range")
    func copyND() {
      let x = (0..<24).map(Float.init)  // [2, 3, 4]
      // Transpose to [4, 3, 2]: dst dense, src strides permuted.
      var t = [Float](repeating: .nan, count: 24)
      let st = x.withPtr { xp in t.withMutPtr { modc_copy_nd(3, [4, 3, 2], xp, [1, 4, 12], $0, [6, 2, 1]) } }
      #expect(st == 0)
      #expect(t[0..<6] == [0, 12, 4, 16, 8, 20] && t[23] == 23)
      // Reverse the last axis of row 1 of channel 0 (negative stride).
      var r = [Float](repeating: .nan, count: 4)
      x.withPtr { xp in r.withMutPtr { _ = modc_copy_nd(1, [4], xp.map { $0 + 7 }, [-1], $0, [1]) } }
      #expect(r == [7, 6, 5, 4])
      // Concat [1,2,2] and [1,1,2] along channels into [1,3,2].
      var cat = [Float](repeating: .nan, count: 6)
      let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6]
      a.withPtr { ap in cat.withMutPtr { _ = modc_copy_nd(3, [1, 2, 2], ap, [4, 2, 1], $0, [6, 2, 1]) } }
      b.withPtr { bp in cat.withMutPtr { _ = modc_copy_nd(3, [1, 1, 2], bp, [2, 2, 1], $0.map { $0 + 4 }, [6, 2, 1]) } }
      #expect(cat == [1, 2, 3, 4, 5, 6])
      #expect(modc_copy_nd(9, [1], nil, [1], nil, [1]) == MODC_EINVAL.rawValue)
    }

    @Test("copy_nd: stride-2 slice (vector path on AVX-512) equals the element-wise definition")
    func copyNDStrideTwo() {
      // x[:, :, ::2, ::2] of [1, 3, h, w] for row lengths around the 16-lane vector width.
      for (h, w) in [(2, 2), (5, 7), (6, 31), (4, 32), (3, 33), (8, 56), (2, 97)] {
        let x = (0..<(3 * h * w)).map { Float($0) * 0.5 - 7 }
        let (oh, ow) = ((h + 1) / 2, (w + 1) / 2)
        var y = [Float](repeating: .nan, count: 3 * oh * ow + 1)
        let st = x.withPtr { xp in
          y.withMutPtr { modc_copy_nd(4, [1, 3, Int64(oh), Int64(ow)], xp, [Int64(3 * h * w), Int64(h * w), Int64(2 * w), 2], $0,
            [Int64(3 * oh * ow), Int64(oh * ow), Int64(ow), 1]) }
        }
        #expect(st == 0)
        var want: [Float] = []
        for c in 0..<3 { for i in 0..<oh { for j in 0..<ow { want.append(x[(c * h + 2 * i) * w + 2 * j]) } } }
        #expect(Array(y.prefix(want.count)) == want, "h \(h) w \(w)")
        #expect(y.last!.isNaN, "wrote past the end for h \(h) w \(w)")
      }
    }

    @Test("copy_nd_mt: rows split over a pool give the serial result; overlapping sides stay serial")
    func copyNDThreaded() {
      let pool = Pool(2)
      let (c, h, w) = (64, 56, 56)
      let x = (0..<(c * h * w)).map { Float($0 % 977) - 300 }
      let shape: [Int64] = [1, Int64(c), Int64(h / 2), Int64(w / 2)]
      let ss: [Int64] = [Int64(c * h * w), Int64(h * w), Int64(2 * w), 2]
      let ds: [Int64] = [Int64(c * h * w / 4), Int64(h * w / 4), Int64(w / 2), 1]
      var serial = [Float](repeating: .nan, count: c * h * w / 4)
      var threaded = serial
      x.withPtr { xp in
        _ = serial.withMutPtr { modc_copy_nd(4, shape, xp, ss, $0, ds) }
        _ = threaded.withMutPtr { modc_copy_nd_mt(4, shape, xp, ss, $0, ds, pool.raw) }
      }
      #expect(threaded == serial && !serial.contains { $0.isNaN })
      // Shift a buffer by one element in place (overlapping): must equal memmove.
      var buf = (0..<40000).map(Float.init)
      let st = buf.withMutPtr { p in modc_copy_nd_mt(1, [39999], p.map { $0 + 1 }, [1], p, [1], pool.raw) }
      #expect(st == 0 && buf[0] == 1 && buf[39998] == 39999 && buf[39999] == 39999)
    }
  }
}
