import CKernels
import Testing

func runPool(_ d: modc_pool2d_desc, _ x: [Float], max: Bool, pool: Pool? = nil) -> [Float] {
  var d = d
  let n = Int(d.n * d.c * modc_pool2d_out_h(&d) * modc_pool2d_out_w(&d))
  var y = [Float](repeating: .nan, count: n)
  let st = x.withPtr { xp in
    y.withMutPtr { max ? modc_maxpool2d(&d, xp, $0, pool?.raw) : modc_avgpool2d(&d, xp, $0, pool?.raw) }
  }
  #expect(st == 0)
  return y
}

/// Straightforward max pool with dilation (floor mode) for random checks.
func refMaxPool(_ d: modc_pool2d_desc, _ x: [Float], oh: Int, ow: Int) -> [Float] {
  let (h, w) = (Int(d.h), Int(d.w))
  var y = [Float]()
  for p in 0..<Int(d.n * d.c) {
    for i in 0..<oh {
      for j in 0..<ow {
        var m = -Float.infinity
        for ki in 0..<Int(d.kh) {
          for kj in 0..<Int(d.kw) {
            let ih = i * Int(d.stride_h) - Int(d.pad_top) + ki * Int(d.dil_h)
            let iw = j * Int(d.stride_w) - Int(d.pad_left) + kj * Int(d.dil_w)
            if ih >= 0, ih < h, iw >= 0, iw < w { m = max(m, x[p * h * w + ih * w + iw]) }
          }
        }
        y.append(m)
      }
    }
  }
  return y
}

extension Kernels {
  @Suite struct PoolTests {
    /// Expected values from torch.nn.functional (PyTorch semantics = ONNX's).
    @Test("average pool 3x3/2 pad 1 ceil_mode, both count_include_pad settings")
    func avgPoolCeil() {
      var d = modc_pool2d_desc_make(1, 1, 6, 6, 3, 3)
      d.stride_h = 2; d.stride_w = 2
      d.pad_top = 1; d.pad_left = 1; d.pad_bottom = 1; d.pad_right = 1
      d.ceil_mode = 1
      #expect(modc_pool2d_out_h(&d) == 4 && modc_pool2d_out_w(&d) == 4)
      let x = (0..<36).map(Float.init)
      d.count_include_pad = 1
      let incl: [Float] = [1.5555556, 3.3333333, 4.6666665, 2.6666667, 8.333333, 14, 16, 8.5,
                           16.333334, 26, 28, 14.5, 10.166667, 16, 17, 8.75]
      #expect(maxRelError(runPool(d, x, max: false), incl) < 1e-6)
      d.count_include_pad = 0
      let excl: [Float] = [3.5, 5, 7, 8, 12.5, 14, 16, 17, 24.5, 26, 28, 29, 30.5, 32, 34, 35]
      #expect(maxRelError(runPool(d, x, max: false), excl) < 1e-6)
    }

    @Test("max pool 2x2/2 ceil_mode keeps the partial last window")
    func maxPoolCeil() {
      var d = modc_pool2d_desc_make(1, 1, 5, 5, 2, 2)
      d.ceil_mode = 1
      let y = runPool(d, (0..<25).map(Float.init), max: true)
      #expect(y == [6, 8, 9, 16, 18, 19, 21, 23, 24])
      d.ceil_mode = 0
      #expect(runPool(d, (0..<25).map(Float.init), max: true) == [6, 8, 16, 18])
    }

    @Test("ceil_mode drops a window that would start in the trailing padding")
    func ceilDropsWindow() {
      var d = modc_pool2d_desc_make(1, 1, 4, 4, 2, 2)
      d.pad_bottom = 1; d.pad_right = 1; d.ceil_mode = 1
      // span = 4 + 1 - 2 = 3 -> ceil(3/2)+1 = 3, and window 2 starts at 4 >= 4 + 0.
      #expect(modc_pool2d_out_h(&d) == 2)
    }

    @Test("max pool 3x3/2 pad 1 (ResNet stem) and dilation 2, batch 3, 1 vs 2 threads")
    func maxPoolRandom() {
      var rng = TestRNG(seed: 3)
      for dil in [1, 2] {
        var d = modc_pool2d_desc_make(3, 5, 13, 12, 3, 3)
        d.stride_h = 2; d.stride_w = 2
        d.pad_top = 1; d.pad_left = 1; d.pad_bottom = 1; d.pad_right = 1
        d.dil_h = Int32(dil); d.dil_w = Int32(dil)
        let x = rng.floats(3 * 5 * 13 * 12)
        let oh = Int(modc_pool2d_out_h(&d)), ow = Int(modc_pool2d_out_w(&d))
        let ref = refMaxPool(d, x, oh: oh, ow: ow)
        #expect(runPool(d, x, max: true) == ref, "dilation \(dil)")
        let pool = Pool(2)
        #expect(runPool(d, x, max: true, pool: pool) == ref, "dilation \(dil), 2 threads")
      }
    }

    @Test("AVX-512 3x3/2 max pool equals the portable path (pads 0/1, odd and even widths, wide rows, ceil mode)",
      .enabled(if: modc_detect_isa() >= Int32(MODC_ISA_AVX512.rawValue), "the CPU has no AVX-512"))
    func maxPoolSIMD() {
      var rng = TestRNG(seed: 9)
      for (h, w) in [(7, 7), (12, 13), (112, 112), (5, 40), (3, 2001)] {
        for pads in [(0, 0), (1, 1), (1, 0), (0, 1)] {
          for ceil in [0, 1] {
            var d = modc_pool2d_desc_make(2, 3, Int32(h), Int32(w), 3, 3)
            d.stride_h = 2; d.stride_w = 2
            d.pad_top = Int32(pads.0); d.pad_left = Int32(pads.1)
            d.pad_bottom = Int32(pads.0); d.pad_right = Int32(pads.1); d.ceil_mode = Int32(ceil)
            guard modc_pool2d_out_h(&d) > 0, modc_pool2d_out_w(&d) > 0 else { continue }
            let x = rng.floats(2 * 3 * h * w)
            let oh = Int(modc_pool2d_out_h(&d)), ow = Int(modc_pool2d_out_w(&d))
            let ref = refMaxPool(d, x, oh: oh, ow: ow)
            let scalar = withISA(Int32(MODC_ISA_SCALAR.rawValue)) { runPool(d, x, max: true) }
            let simd = withISA(Int32(MODC_ISA_AVX512.rawValue)) { runPool(d, x, max: true, pool: Pool(2)) }
            #expect(scalar == ref, "\(h)x\(w) pads \(pads) ceil \(ceil)")
            #expect(simd == ref, "\(h)x\(w) pads \(pads) ceil \(ceil)")
          }
        }
      }
    }

    @Test("global average pool")
    func globalAvg() {
      var rng = TestRNG(seed: 4)
      let x = rng.floats(6 * 49)
      var y = [Float](repeating: 0, count: 6)
      x.withPtr { xp in y.withMutPtr { modc_global_avgpool(6, 49, xp, $0) } }
      let ref = (0..<6).map { p in x[(p * 49)..<(p * 49 + 49)].reduce(0, +) / 49 }
      #expect(maxRelError(y, ref) < 1e-6)
    }
  }
}
