import CKernels
import Foundation
import Testing

/// `modc_sum16`'s order in Swift: 16 lane sums, added lane by lane, then the tail.
private func sum16(_ x: ArraySlice<Float>) -> Float {
  var acc = [Float](repeating: 0, count: 16)
  let base = x.startIndex, n = x.count
  var i = 0
  while i + 16 <= n {
    for l in 0..<16 { acc[l] += x[base + i + l] }
    i += 16
  }
  var s: Float = 0
  for l in 0..<16 { s += acc[l] }
  while i < n {
    s += x[base + i]
    i += 1
  }
  return s
}

/// `modc_dot16`'s order in Swift (separate multiply and add, as the C code without FMA contraction).
private func dot16(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
  precondition(a.count == b.count)
  var acc = [Float](repeating: 0, count: 16)
  let ab = a.startIndex, bb = b.startIndex, n = a.count
  var i = 0
  while i + 16 <= n {
    for l in 0..<16 {
      let p = a[ab + i + l] * b[bb + i + l]
      acc[l] += p
    }
    i += 16
  }
  var s: Float = 0
  for l in 0..<16 { s += acc[l] }
  while i < n {
    let p = a[ab + i] * b[bb + i]
    s += p
    i += 1
  }
  return s
}

/// The router with the kernel's exact summation order, and top-k by a full sort in the documented order
/// (larger score first, ties and NaNs: lower index first, NaN last).
private func exactRouter(_ p: RouterProblem) -> (idx: [Int64], scores: [Float]) {
  let (b, c, hw, hidden, k) = (p.b, p.c, p.hw, p.hidden, p.k)
  var idx = [Int64](), scores = [Float]()
  for n in 0..<b {
    let gap = (0..<c).map { ch in sum16(p.x[(n * c + ch) * hw..<(n * c + ch + 1) * hw]) / Float(hw) }
    let h = (0..<hidden).map { i -> Float in
      let acc = p.b1[i] + dot16(p.w1[i * c..<(i + 1) * c], gap[...])
      return acc > 0 ? acc : 0
    }
    let s = (0..<c).map { i -> Float in
      let acc = p.b2[i] + dot16(p.w2[i * hidden..<(i + 1) * hidden], h[...])
      return 1 / (1 + expf(-acc))
    }
    let order = (0..<c).sorted { i, j in
      switch (s[i].isNaN, s[j].isNaN) {
      case (false, true): return true
      case (true, false): return false
      case (true, true): return i < j
      case (false, false): return s[i] != s[j] ? s[i] > s[j] : i < j
      }
    }.prefix(k)
    idx += order.map(Int64.init)
    scores += order.map { s[$0] }
  }
  return (idx, scores)
}

/// One router call's inputs.
private struct RouterProblem: CustomStringConvertible {
  var b, c, hw, hidden, k: Int
  var x, w1, b1, w2, b2: [Float]
  var description: String { "B=\(b) C=\(c) HW=\(hw) hidden=\(hidden) k=\(k)" }

  init(b: Int, c: Int, hw: Int, k: Int, seed: UInt64) {
    self.b = b
    self.c = c
    self.hw = hw
    self.k = k
    hidden = max(1, c / 16)
    var rng = TestRNG(seed: seed)
    x = rng.floats(b * c * hw)
    w1 = rng.floats(hidden * c).map { $0 * 3 }
    b1 = rng.floats(hidden).map { $0 * 0.1 }
    w2 = rng.floats(c * hidden).map { $0 * 3 }
    b2 = rng.floats(c)
  }
}

/// Output of one call plus whether the scratch guard beyond the documented size stayed untouched.
private struct RouterRun {
  var status: Int32
  var idx: [Int64]
  var scores: [Float]
  var guardIntact: Bool
  var bits: [UInt32] { scores.map(\.bitPattern) }
}

private let guardFloats = 64
private let sentinel = Float(bitPattern: 0x7FC0_1234)

/// Runs `modc_mod_router_mt` with `threads` threads (0: NULL pool), or the 1-thread `modc_mod_router` when
/// `legacy`, with scratch of exactly the documented size followed by a sentinel guard.
private func run(_ p: RouterProblem, threads: Int, legacy: Bool = false) -> RouterRun {
  let need = legacy
    ? modc_mod_router_scratch_size(Int32(p.c), Int32(p.hidden))
    : modc_mod_router_mt_scratch_size(Int32(p.b), Int32(p.c), Int32(p.hidden))
  var scratch = [Float](repeating: sentinel, count: need + guardFloats)
  var idx = [Int64](repeating: -1, count: p.b * p.k)
  var scores = [Float](repeating: .nan, count: p.b * p.k)
  let pool = threads > 0 ? Pool(threads) : nil
  let st = p.x.withPtr { xp in p.w1.withPtr { w1p in p.b1.withPtr { b1p in p.w2.withPtr { w2p in p.b2.withPtr { b2p in
    idx.withUnsafeMutableBufferPointer { ip in scores.withMutPtr { sp in scratch.withMutPtr { scr in
      legacy
        ? modc_mod_router(
          Int32(p.b), Int32(p.c), Int32(p.hw), xp, w1p, b1p, Int32(p.hidden), w2p, b2p, Int32(p.k), ip.baseAddress, sp,
          scr)
        : modc_mod_router_mt(
          Int32(p.b), Int32(p.c), Int32(p.hw), xp, w1p, b1p, Int32(p.hidden), w2p, b2p, Int32(p.k), ip.baseAddress, sp,
          scr, pool?.raw)
    } } }
  } } } } }
  let intact = scratch[need...].allSatisfy { $0.bitPattern == sentinel.bitPattern }
  return RouterRun(status: st, idx: idx, scores: scores, guardIntact: intact)
}

extension Kernels {
  @Suite struct MoDRouterMTTests {
    /// (B, C, HW): small routers (which run on one thread) and larger ones that the pool splits.
    static let shapes: [(Int, Int, Int)] = [
      (1, 64, 400), (3, 64, 400), (1, 256, 196), (3, 256, 49), (1, 2048, 49), (3, 2048, 49),
      (3, 64, 12544), (1, 256, 8192), (3, 256, 3136), (3, 2048, 196),
    ]

    @Test("the pool is used only for routers long enough to pay for a split")
    func threadChoice() {
      #expect(modc_mod_router_mt_threads(1, 16, 1024, 1, 2) == 1)  // CIFAR ResNet-20 stage 1 at batch 1
      #expect(modc_mod_router_mt_threads(1, 64, 64, 4, 2) == 1)  // CIFAR stage 3
      #expect(modc_mod_router_mt_threads(1, 256, 3136, 16, 2) == 2)  // ResNet-50 layer1 at batch 1
      #expect(modc_mod_router_mt_threads(1, 2048, 49, 128, 2) == 2)  // layer4 at batch 1
      #expect(modc_mod_router_mt_threads(8, 256, 3136, 16, 2) == 2)  // layer1 at batch 8
      #expect(modc_mod_router_mt_threads(8, 2048, 49, 128, 4) == 4)
      #expect(modc_mod_router_mt_threads(8, 2048, 49, 128, 0) == 1)
      #expect(modc_mod_router_mt_threads(0, 2048, 49, 128, 2) == 0)
      let split = Self.shapes.filter { modc_mod_router_mt_threads(Int32($0.0), Int32($0.1), Int32($0.2), Int32(max(1, $0.1 / 16)), 2) == 2 }
      #expect(split.count == 6, "the bit-identity table must cover both paths")
    }

    @Test("router_mt equals the 1-thread router and the exact reference bit for bit", arguments: shapes)
    func bitIdentical(shape: (Int, Int, Int)) {
      let (b, c, hw) = shape
      let split = modc_mod_router_mt_threads(Int32(b), Int32(c), Int32(hw), Int32(max(1, c / 16)), 2) > 1
      // The large split shapes only need a few k (the reference is slow in debug builds).
      for k in (split ? [4, c] : Set([1, 4, c]).sorted()) {
        let p = RouterProblem(b: b, c: c, hw: hw, k: k, seed: UInt64(c * 31 + b * 7 + k))
        let ref = exactRouter(p)
        let legacy = run(p, threads: 0, legacy: true)
        #expect(legacy.status == 0 && legacy.guardIntact, "\(p)")
        #expect(legacy.idx == ref.idx, "\(p)")
        #expect(legacy.bits == ref.scores.map(\.bitPattern), "\(p)")
        for threads in [0, 1, 2, 3] {
          let got = run(p, threads: threads)
          #expect(got.status == 0, "\(p) threads \(threads)")
          #expect(got.guardIntact, "\(p) threads \(threads): wrote past the scratch size")
          #expect(got.idx == legacy.idx, "\(p) threads \(threads)")
          #expect(got.bits == legacy.bits, "\(p) threads \(threads)")
        }
        // Samples are routed independently: a batch equals its samples run one by one.
        if b > 1 {
          var one = p
          one.b = 1
          one.x = Array(p.x[(b - 1) * c * hw..<b * c * hw])
          let last = run(one, threads: 2)
          #expect(last.idx == Array(legacy.idx[(b - 1) * k..<b * k]), "\(p)")
        }
      }
    }

    @Test("ties and NaN scores: lower index first, NaN last, for every k and thread count")
    func tiesAndNaN() {
      // hw = 1 and zero weights: the scores are sigmoid(b2), three distinct values plus NaNs.
      let (b, c) = (2, 256)
      var p = RouterProblem(b: b, c: c, hw: 1, k: 1, seed: 5)
      p.w1 = [Float](repeating: 0, count: p.hidden * c)
      p.w2 = [Float](repeating: 0, count: c * p.hidden)
      p.b2 = (0..<c).map { i in i % 7 == 3 ? .nan : Float(i % 3) }
      for k in [1, 5, 85, 86, 200, c] {
        p.k = k
        let ref = exactRouter(p)
        // Channels 2, 5, 8, … (score sigmoid(2)) come first, in index order.
        #expect(ref.idx.prefix(3) == [2, 5, 8] || k < 3)
        for threads in [0, 2] {
          let got = run(p, threads: threads)
          #expect(got.status == 0)
          #expect(got.idx == ref.idx, "k \(k) threads \(threads)")
          #expect(got.bits == ref.scores.map(\.bitPattern), "k \(k) threads \(threads)")
        }
      }
      // With k = C the NaN channels are last, in index order.
      let all = run(p, threads: 2)
      let nanChannels = (0..<c).filter { $0 % 7 == 3 }.map(Int64.init)
      #expect(Array(all.idx[(c - nanChannels.count)..<c]) == nanChannels)
    }

    @Test("invalid arguments are rejected before anything is written")
    func invalid() {
      var p = RouterProblem(b: 1, c: 64, hw: 4, k: 1, seed: 9)
      p.k = 65
      #expect(run(p, threads: 2).status == MODC_EINVAL.rawValue)
      p.k = 0
      #expect(run(p, threads: 2).status == MODC_EINVAL.rawValue)
      #expect(modc_mod_router_mt_scratch_size(3, 256, 16) == 3 * (256 + 16))
      #expect(modc_mod_router_mt_scratch_size(0, 256, 16) == 0)
    }
  }
}
