import CKernels
import Testing

/// One MoD body-conv configuration: x has `c` channels, the conv runs k → k.
struct MoDConvCase: CustomTestStringConvertible, Sendable {
  var name: String
  var n = 3, c = 24, k = 6, h = 9, w = 9, kernel = 3
  var testDescription: String { name }

  var desc: modc_conv_desc {
    var d = modc_conv_desc_make(Int32(n), Int32(k), Int32(h), Int32(w), Int32(k), Int32(kernel), Int32(kernel))
    let p = Int32(kernel / 2)
    (d.pad_top, d.pad_left, d.pad_bottom, d.pad_right) = (p, p, p, p)
    return d
  }
}

/// Data of a case: X, per-sample distinct indices (different for every sample), scores, weights, bias.
struct MoDConvData {
  var x, w, bias, scores: [Float]
  var idx: [Int64]

  init(_ c: MoDConvCase, seed: UInt64 = 7) {
    var rng = TestRNG(seed: seed)
    x = rng.floats(c.n * c.c * c.h * c.w)
    w = rng.floats(c.k * c.k * c.kernel * c.kernel)
    bias = rng.floats(c.k)
    scores = rng.floats(c.n * c.k).map { 0.5 + 0.5 * $0 }
    idx = []
    for _ in 0..<c.n {
      var perm = Array(0..<c.c)
      for i in stride(from: c.c - 1, to: 0, by: -1) { perm.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
      idx += perm.prefix(c.k).map(Int64.init)
    }
  }
}

extension Array where Element == Int64 {
  func withI64<R>(_ body: (UnsafePointer<Int64>?) throws -> R) rethrows -> R {
    try withUnsafeBufferPointer { try body($0.baseAddress) }
  }
}

/// Packs the case's weights for the direct algorithm.
func packMoD(_ c: MoDConvCase, _ data: MoDConvData) -> [Float] {
  var d = c.desc
  var packed = [Float](repeating: .nan, count: modc_conv2d_packed_weight_size(&d))
  data.w.withPtr { wp in packed.withMutPtr { modc_conv2d_pack_weights(&d, wp, $0) } }
  return packed
}

/// The unfused reference: mod_gather (if `gather`), conv (bias, no ReLU), mod_fuse (if `fuse`).
func unfusedMoD(_ c: MoDConvCase, _ data: MoDConvData, gather: Bool, fuse: Int32?, relu: Bool) -> [Float] {
  let hw = c.h * c.w
  var input: [Float]
  if gather {
    input = [Float](repeating: .nan, count: c.n * c.k * hw)
    let st = data.x.withPtr { xp in data.idx.withI64 { ip in input.withMutPtr {
      modc_mod_gather(Int32(c.n), Int32(c.c), Int32(hw), xp, ip, Int32(c.k), $0)
    } } }
    #expect(st == 0)
  } else {
    input = Array(data.x.prefix(c.n * c.k * hw))
  }
  var d = c.desc
  let packed = packMoD(c, data)
  var ws = [Float](repeating: .nan, count: modc_conv2d_workspace_size(&d, 1))
  var p = [Float](repeating: .nan, count: c.n * c.k * hw)
  let cst = input.withPtr { xp in packed.withPtr { pp in data.bias.withPtr { bp in p.withMutPtr { yp in ws.withMutPtr {
    modc_conv2d(&d, xp, pp, bp, nil, yp, $0, nil)
  } } } } }
  #expect(cst == 0)
  guard let mode = fuse else { return p }
  var y = data.x
  let st = data.x.withPtr { xp in p.withPtr { pp in data.scores.withPtr { sp in data.idx.withI64 { ip in y.withMutPtr {
    modc_mod_fuse(Int32(c.n), Int32(c.c), Int32(hw), xp, pp, sp, ip, Int32(c.k), mode, relu ? 1 : 0, $0)
  } } } } }
  #expect(st == 0)
  return y
}

/// The fused conv: reads X through the indices when `gather`, fuses into a copy of X (in place) when `fuse`.
func fusedMoD(
  _ c: MoDConvCase, _ data: MoDConvData, gather: Bool, fuse: Int32?, relu: Bool, threads: Int = 1,
  inPlace: Bool = true, status: Int32 = 0
) -> [Float] {
  var d = c.desc
  d.relu = relu ? 1 : 0
  let packed = packMoD(c, data)
  let pool = threads > 1 ? Pool(threads) : nil
  var ws = [Float](repeating: .nan, count: modc_conv2d_mod_workspace_size(&d, Int32(threads)))
  let hw = c.h * c.w
  let input = gather ? data.x : Array(data.x.prefix(c.n * c.k * hw))
  var y = fuse != nil ? (inPlace ? data.x : [Float](repeating: .nan, count: data.x.count))
    : [Float](repeating: .nan, count: c.n * c.k * hw)
  let st = input.withPtr { xp in packed.withPtr { pp in data.bias.withPtr { bp in data.scores.withPtr { sp in
    data.idx.withI64 { ip in data.x.withPtr { resp in y.withMutPtr { yp in ws.withMutPtr { wsp in
      var m = modc_conv_mod()
      if gather { m.in_idx = ip; m.x_channels = Int32(c.c) }
      if let mode = fuse {
        m.fuse = 1
        m.mode = mode
        m.y_channels = Int32(c.c)
        m.out_idx = ip
        m.scores = sp
        m.res = inPlace ? UnsafePointer(yp) : resp
      }
      return modc_conv2d_mod(&d, &m, xp, pp, bp, yp, wsp, pool?.raw)
    } } } }
  } } } }
  #expect(st == status)
  return y
}

let firstK = Int32(MODC_MOD_FIRST_K.rawValue)
let scatterMode = Int32(MODC_MOD_SCATTER.rawValue)

let modConvCases: [MoDConvCase] = [
  MoDConvCase(name: "3x3, 9x9 (small plane)"),
  MoDConvCase(name: "1x1, 9x9 (small plane, x read in place)", kernel: 1),
  MoDConvCase(name: "3x3, 20x20 (large plane)", h: 20, w: 20),
  MoDConvCase(name: "1x1, 20x17 (large plane, x read in place)", h: 20, w: 17, kernel: 1),
  MoDConvCase(name: "3x3, k=40, split K (large plane)", c: 64, k: 40, h: 18, w: 18),
  MoDConvCase(name: "3x3, k=40, split K (small plane)", c: 64, k: 40, h: 7, w: 7),
  MoDConvCase(name: "1x1, k=19 of 19 channels, batch 1", n: 1, c: 19, k: 19, h: 5, w: 5, kernel: 1),
]

extension Kernels {
  @Suite struct MoDConvTests {
    @Test("gather in the conv's packing equals mod_gather + conv (every ISA)", arguments: modConvCases)
    func gather(_ c: MoDConvCase) {
      let data = MoDConvData(c)
      for isa in supportedISAs {
        withISA(isa) {
          let ref = unfusedMoD(c, data, gather: true, fuse: nil, relu: false)
          let got = fusedMoD(c, data, gather: true, fuse: nil, relu: false)
          #expect(got == ref, "ISA \(isa): max rel error \(maxRelError(got, ref))")
        }
      }
    }

    @Test("fusion in the epilogue equals conv + mod_fuse (both modes, ReLU on/off, every ISA)", arguments: modConvCases)
    func fuse(_ c: MoDConvCase) {
      let data = MoDConvData(c, seed: 11)
      for isa in supportedISAs {
        withISA(isa) {
          for mode in [firstK, scatterMode] {
            for relu in [false, true] {
              let ref = unfusedMoD(c, data, gather: false, fuse: mode, relu: relu)
              let got = fusedMoD(c, data, gather: false, fuse: mode, relu: relu)
              #expect(got == ref, "ISA \(isa) mode \(mode) relu \(relu): max rel error \(maxRelError(got, ref))")
            }
          }
        }
      }
    }

    @Test("gather and fusion in one conv, out of place, 1 and 2 threads identical", arguments: modConvCases)
    func both(_ c: MoDConvCase) {
      let data = MoDConvData(c, seed: 5)
      for mode in [firstK, scatterMode] {
        // Reference: gather, conv, fuse into X.
        let p = unfusedMoD(c, data, gather: true, fuse: nil, relu: false)
        var ref = data.x
        let hw = c.h * c.w
        _ = data.x.withPtr { xp in p.withPtr { pp in data.scores.withPtr { sp in data.idx.withI64 { ip in ref.withMutPtr {
          modc_mod_fuse(Int32(c.n), Int32(c.c), Int32(hw), xp, pp, sp, ip, Int32(c.k), mode, 1, $0)
        } } } } }
        let one = fusedMoD(c, data, gather: true, fuse: mode, relu: true, threads: 1, inPlace: false)
        let two = fusedMoD(c, data, gather: true, fuse: mode, relu: true, threads: 2, inPlace: false)
        #expect(one == ref, "mode \(mode): max rel error \(maxRelError(one, ref))")
        #expect(one == two)
      }
    }

    @Test("samples of a batch route different channels; the scatter touches only theirs")
    func perSampleChannels() {
      let c = MoDConvCase(name: "", n: 3, c: 16, k: 2, h: 6, w: 6)
      let data = MoDConvData(c, seed: 3)
      #expect(Set(data.idx[0..<2]) != Set(data.idx[2..<4]) || Set(data.idx[2..<4]) != Set(data.idx[4..<6]))
      let got = fusedMoD(c, data, gather: true, fuse: scatterMode, relu: false)
      let hw = c.h * c.w
      for b in 0..<c.n {
        let routed = Set(data.idx[(b * c.k)..<((b + 1) * c.k)].map(Int.init))
        for ch in 0..<c.c {
          let r = ((b * c.c + ch) * hw)..<((b * c.c + ch + 1) * hw)
          if routed.contains(ch) { #expect(got[r] != data.x[r], "sample \(b) channel \(ch) not updated") }
          else { #expect(got[r] == data.x[r], "sample \(b) channel \(ch) changed") }
        }
      }
    }

    @Test("out-of-range indices fail with MODC_ERANGE before writing anything")
    func badIndex() {
      let c = MoDConvCase(name: "", n: 2, c: 8, k: 3, h: 5, w: 5, kernel: 1)
      for (field, value) in [(1, Int64(8)), (4, Int64(-1))] {
        var data = MoDConvData(c)
        data.idx[field] = value
        let erange = Int32(MODC_ERANGE.rawValue)
        let g = fusedMoD(c, data, gather: true, fuse: nil, relu: false, status: erange)
        #expect(g.allSatisfy { $0.isNaN })
        let f = fusedMoD(c, data, gather: false, fuse: scatterMode, relu: false, status: erange)
        #expect(f == data.x)
      }
      // Winograd has no channel map.
      var d = c.desc
      d.kh = 3; d.kw = 3; d.pad_top = 1; d.pad_left = 1; d.pad_bottom = 1; d.pad_right = 1
      d.algo = Int32(MODC_CONV_WINOGRAD.rawValue)
      var m = modc_conv_mod()
      #expect(modc_conv2d_mod(&d, &m, nil, nil, nil, nil, nil, nil) == Int32(MODC_EUNSUPPORTED.rawValue))
    }
  }
}
