import CKernels
import Foundation
import Testing

/// Swift reference of the MoD router (mod.md steps 1–2).
func refRouter(
  b: Int, c: Int, hw: Int, x: [Float], w1: [Float], b1: [Float], hidden: Int, w2: [Float],
  b2: [Float], k: Int
) -> (idx: [Int64], scores: [Float]) {
  var idx = [Int64](), scores = [Float]()
  for n in 0..<b {
    let gap = (0..<c).map { ch in x[(n * c + ch) * hw..<(n * c + ch + 1) * hw].reduce(0, +) / Float(hw) }
    let h = (0..<hidden).map { i in max(0, (0..<c).reduce(b1[i]) { $0 + w1[i * c + $1] * gap[$1] }) }
    let s = (0..<c).map { i in 1 / (1 + exp(-(0..<hidden).reduce(b2[i]) { $0 + w2[i * hidden + $1] * h[$1] })) }
    let order = (0..<c).sorted { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 }.prefix(k)
    idx += order.map(Int64.init)
    scores += order.map { s[$0] }
  }
  return (idx, scores)
}

func runRouter(
  b: Int, c: Int, hw: Int, x: [Float], w1: [Float], b1: [Float], hidden: Int, w2: [Float],
  b2: [Float], k: Int
) -> (idx: [Int64], scores: [Float]) {
  var idx = [Int64](repeating: -1, count: b * k)
  var scores = [Float](repeating: .nan, count: b * k)
  var scratch = [Float](repeating: .nan, count: modc_mod_router_scratch_size(Int32(c), Int32(hidden)))
  let st = x.withPtr { xp in w1.withPtr { w1p in b1.withPtr { b1p in w2.withPtr { w2p in b2.withPtr { b2p in
    idx.withUnsafeMutableBufferPointer { ip in scores.withMutPtr { sp in scratch.withMutPtr { scr in
      modc_mod_router(Int32(b), Int32(c), Int32(hw), xp, w1p, b1p, Int32(hidden), w2p, b2p, Int32(k), ip.baseAddress, sp, scr)
    } } }
  } } } } }
  #expect(st == 0)
  return (idx, scores)
}

extension Kernels {
  @Suite struct MoDTests {
    @Test("router matches the reference (B=3, C=64, hidden 4, k 8)")
    func router() {
      let (b, c, hw, hidden, k) = (3, 64, 49, 4, 8)
      var rng = TestRNG(seed: 31)
      let x = rng.floats(b * c * hw), w1 = rng.floats(hidden * c), b1 = rng.floats(hidden)
      let w2 = rng.floats(c * hidden).map { $0 * 4 }, b2 = rng.floats(c)
      let ref = refRouter(b: b, c: c, hw: hw, x: x, w1: w1, b1: b1, hidden: hidden, w2: w2, b2: b2, k: k)
      let got = runRouter(b: b, c: c, hw: hw, x: x, w1: w1, b1: b1, hidden: hidden, w2: w2, b2: b2, k: k)
      #expect(got.idx == ref.idx)
      #expect(maxRelError(got.scores, ref.scores) < 1e-6)
      // Scores are sorted, largest first, and differ per sample.
      #expect(got.scores[0] >= got.scores[1] && got.scores[k - 2] >= got.scores[k - 1])
      #expect(got.idx[0..<k] != got.idx[k..<2 * k])
    }

    @Test("top-k ties go to the lower channel index first")
    func ties() {
      let (c, hidden) = (6, 1)
      let b2: [Float] = [0.5, 1, 1, 0.2, 1, 1]
      let w2 = [Float](repeating: 0, count: c * hidden)
      let got = runRouter(
        b: 1, c: c, hw: 1, x: [Float](repeating: 1, count: c), w1: [Float](repeating: 0, count: c),
        b1: [0], hidden: hidden, w2: w2, b2: b2, k: 3)
      #expect(got.idx == [1, 2, 4])
      #expect(got.scores.allSatisfy { $0 == 1 / (1 + exp(-1)) })
    }

    @Test("gather picks channels in score order per sample")
    func gather() {
      let (b, c, hw, k) = (2, 5, 3, 2)
      let x = (0..<(b * c * hw)).map(Float.init)
      let idx: [Int64] = [4, 1, 0, 3]
      var out = [Float](repeating: .nan, count: b * k * hw)
      let st = x.withPtr { xp in out.withMutPtr { modc_mod_gather(Int32(b), Int32(c), Int32(hw), xp, idx, Int32(k), $0) } }
      #expect(st == 0)
      #expect(out == [12, 13, 14, 3, 4, 5, 15, 16, 17, 24, 25, 26])
      let bad: [Int64] = [5, 0, 0, 0]
      #expect(x.withPtr { xp in out.withMutPtr { modc_mod_gather(Int32(b), Int32(c), Int32(hw), xp, bad, Int32(k), $0) } } == MODC_ERANGE.rawValue)
    }

    @Test("fuse: first-k and scatter, with and without ReLU, in place")
    func fuse() {
      let (b, c, hw, k) = (2, 4, 2, 2)
      var rng = TestRNG(seed: 33)
      let x = rng.floats(b * c * hw), p = rng.floats(b * k * hw)
      let scores: [Float] = [0.9, 0.6, 0.8, 0.7]
      let idx: [Int64] = [3, 1, 0, 2]
      for mode in [MODC_MOD_FIRST_K, MODC_MOD_SCATTER] {
        for relu in [false, true] {
          var ref = x
          for n in 0..<b {
            for j in 0..<k {
              let ch = mode == MODC_MOD_FIRST_K ? j : Int(idx[n * k + j])
              for i in 0..<hw {
                let v = x[(n * c + ch) * hw + i] + p[(n * k + j) * hw + i] * scores[n * k + j]
                ref[(n * c + ch) * hw + i] = relu ? max(0, v) : v
              }
            }
          }
          var y = [Float](repeating: .nan, count: x.count)
          let st = x.withPtr { xp in p.withPtr { pp in scores.withPtr { sp in y.withMutPtr {
            modc_mod_fuse(Int32(b), Int32(c), Int32(hw), xp, pp, sp, idx, Int32(k), Int32(mode.rawValue), relu ? 1 : 0, $0)
          } } } }
          #expect(st == 0)
          #expect(maxRelError(y, ref) < 1e-6, "mode \(mode.rawValue) relu \(relu)")
          // Untouched channels keep negative values even with ReLU on.
          if relu { #expect(y.contains { $0 < 0 }) }
          var inPlace = x
          _ = p.withPtr { pp in scores.withPtr { sp in inPlace.withUnsafeMutableBufferPointer { buf in
            modc_mod_fuse(Int32(b), Int32(c), Int32(hw), buf.baseAddress, pp, sp, idx, Int32(k), Int32(mode.rawValue), relu ? 1 : 0, buf.baseAddress)
          } } }
          #expect(inPlace == y)
        }
      }
    }
  }
}
