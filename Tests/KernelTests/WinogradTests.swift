import CKernels
import Testing

/// The same case with `algo` set to Winograd F(4x4,3x3) or F(2x2,3x3).
private func winograd(_ c: ConvCase, _ algo: modc_conv_algo = MODC_CONV_WINOGRAD) -> modc_conv_desc {
  var d = c.desc
  d.algo = Int32(algo.rawValue)
  return d
}

/// modc_conv2d through a Winograd path (weights packed for it), workspace and output poisoned with NaN.
private func winogradConv(
  _ c: ConvCase, _ data: ConvData, pool: Pool? = nil, algo: modc_conv_algo = MODC_CONV_WINOGRAD
) -> [Float] {
  var d = winograd(c, algo)
  let threads = pool.map { Int(modc_pool_nthreads($0.raw)) } ?? 1
  var packed = [Float](repeating: .nan, count: modc_conv2d_packed_weight_size(&d))
  data.w.withPtr { wp in packed.withMutPtr { modc_conv2d_pack_weights(&d, wp, $0) } }
  var ws = [Float](repeating: .nan, count: modc_conv2d_workspace_size(&d, Int32(threads)))
  var y = [Float](repeating: .nan, count: data.outCount)
  let st = data.x.withPtr { xp in
    packed.withPtr { pp in
      withOptPtr(data.bias) { bp in
        withOptPtr(data.residual) { rp in
          y.withMutPtr { yp in ws.withMutPtr { modc_conv2d(&d, xp, pp, bp, rp, yp, $0, pool?.raw) } }
        }
      }
    }
  }
  #expect(st == 0)
  return y
}

/// Largest |a-b| over max|b|: the error measure of the model-level conformance bound.
private func relToMax(_ a: [Float], _ b: [Float]) -> Float {
  let scale = b.reduce(Float(0)) { max($0, abs($1)) }
  return zip(a, b).reduce(Float(0)) { w, p in
    let e = abs(p.0 - p.1)
    return e.isNaN ? .infinity : max(w, e)
  } / max(scale, .leastNormalMagnitude)
}

extension Kernels {
  /// Winograd F(4x4,3x3) against the double-accumulating direct reference.
  ///
  /// Tolerance: F(4x4,3x3) in float32 amplifies rounding through the ±4/±5/±8 transform coefficients, so the error
  /// grows with Cin; measured max|err|/max|ref| is ≈1e-6 at Cin ≤ 17 and ≈1.4e-5 at Cin = 256 with random weights
  /// (direct conv: ≈1e-7). Cases here use Cin ≤ 70 (one uses 300) and must stay below 2e-5 relative to max|ref|.
  @Suite struct WinogradTests {
    static let cases: [ConvCase] = [
      ConvCase(name: "odd H/W pad 1", cin: 5, h: 13, w: 11, cout: 18, k: 3, pad: 1),
      ConvCase(name: "pad 0, wide row (segments of 16 tiles)", cin: 17, h: 9, w: 71, cout: 33, k: 3),
      ConvCase(name: "batch 3, residual + relu", n: 3, cin: 7, h: 10, w: 9, cout: 20, k: 3, pad: 1, residual: true, relu: true),
      ConvCase(name: "batch 1, no bias, tiny plane", cin: 3, h: 2, w: 3, cout: 4, k: 3, pad: 1, bias: false),
      ConvCase(name: "asymmetric pads 0/1", cin: 9, h: 15, w: 14, cout: 17, k: 3, pad: 0, padEnd: 1),
      ConvCase(
        name: "deep K (2 blocks), Cout 3 panels, several chunks", n: 2, cin: 300, h: 12, w: 13, cout: 40, k: 3, pad: 1,
        residual: true, relu: true),
      ConvCase(name: "ResNet-like 64 @ 20", cin: 64, h: 20, w: 20, cout: 70, k: 3, pad: 1, relu: true),
      // Per-image V of 36 x 1156 tiles x 16 channels > 2 MiB: the chunked path (the others take the transposed one).
      ConvCase(name: "large plane: chunked path", cin: 16, h: 136, w: 136, cout: 20, k: 3, pad: 1, relu: true),
      // Two images per V chunk, so batch 3 runs as two chunks; 2 blocks of 64 output channels, the last of 6.
      ConvCase(
        name: "transposed path: image chunks, Cout 70", n: 3, cin: 48, h: 44, w: 44, cout: 70, k: 3, pad: 1,
        residual: true, relu: true),
      ConvCase(name: "transposed path: 7x7, Cin 40, tiles < 6", cin: 40, h: 7, w: 7, cout: 33, k: 3, pad: 1, bias: false),
      // One tile panel: on 2 threads the output channels split into 16-channel tasks (16 + 8).
      ConvCase(
        name: "transposed path: one panel, Cout 24 in 16-channel tasks", cin: 32, h: 8, w: 8, cout: 24, k: 3, pad: 1,
        residual: true, relu: true),
    ]

    @Test("every ISA path matches the direct reference", arguments: cases)
    func matchesReference(_ c: ConvCase) {
      var d = winograd(c)
      #expect(modc_conv2d_check(&d) == 0)
      let data = ConvData(c)
      let ref = refConv(c, data)
      let tol: Float = c.cin > 100 ? 5e-5 : 2e-5
      for isa in supportedISAs {
        let got = withISA(isa) { winogradConv(c, data) }
        #expect(relToMax(got, ref) < tol, "isa \(isa): \(relToMax(got, ref))")
      }
    }

    @Test("1 and 2 threads give identical bits", arguments: [cases[2], cases[5], cases[6], cases[7], cases[8], cases[9], cases[10]])
    func threadInvariant(_ c: ConvCase) {
      let data = ConvData(c, seed: 3)
      let one = winogradConv(c, data, pool: Pool(1))
      let two = winogradConv(c, data, pool: Pool(2))
      #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
    }

    @Test("unsupported shapes are rejected; auto and direct keep the direct format")
    func checkRejects() {
      let bad: [ConvCase] = [
        ConvCase(name: "stride 2", cin: 4, h: 9, w: 9, cout: 4, k: 3, stride: 2, pad: 1),
        ConvCase(name: "1x1", cin: 4, h: 9, w: 9, cout: 4, k: 1),
        ConvCase(name: "dilation 2", cin: 4, h: 9, w: 9, cout: 4, k: 3, pad: 2, dil: 2),
        ConvCase(name: "groups 2", cin: 4, h: 9, w: 9, cout: 4, k: 3, pad: 1, groups: 2),
        ConvCase(name: "pad 3", cin: 4, h: 9, w: 9, cout: 4, k: 3, pad: 3),
      ]
      for c in bad {
        var d = winograd(c)
        #expect(modc_conv2d_check(&d) == MODC_EUNSUPPORTED.rawValue, "\(c.name)")
        #expect(modc_conv2d_packed_weight_size(&d) == 0, "\(c.name)")
        #expect(modc_conv2d_winograd_profitable(&d) == 0, "\(c.name)")
      }
      var d = Self.cases[0].desc
      d.algo = 4
      #expect(modc_conv2d_check(&d) == MODC_EINVAL.rawValue)
      d.algo = -1
      #expect(modc_conv2d_check(&d) == MODC_EINVAL.rawValue)
      var auto = Self.cases[0].desc, direct = auto, wino = winograd(Self.cases[0])
      direct.algo = Int32(MODC_CONV_DIRECT.rawValue)
      #expect(auto.algo == Int32(MODC_CONV_AUTO.rawValue))
      #expect(modc_conv2d_packed_weight_size(&auto) == modc_conv2d_packed_weight_size(&direct))
      #expect(modc_conv2d_packed_weight_size(&wino) == 36 * modc_pack_a_size(18, 5))
    }

    @Test("the cost model picks Winograd for ResNet-50's 3x3 stride-1 layers, not for narrow, tiny or weight-bound planes")
    func profitability() {
      func desc(_ ch: Int32, _ hw: Int32) -> modc_conv_desc {
        var d = modc_conv_desc_make(1, ch, hw, hw, ch, 3, 3)
        (d.pad_top, d.pad_left, d.pad_bottom, d.pad_right) = (1, 1, 1, 1)
        return d
      }
      var big = desc(64, 56), mid = desc(256, 14), small = desc(512, 7), narrow = desc(16, 32), tiny = desc(256, 5)
      let avx512 = modc_get_isa() >= MODC_ISA_AVX512.rawValue
      #expect(modc_conv2d_winograd_profitable(&big) == (avx512 ? 1 : 0))
      #expect(modc_conv2d_winograd_profitable(&mid) == (avx512 ? 1 : 0))
      // 512@7 at batch 1 has 4 tiles: streaming U (37.7 MB) would dominate; at batch 4 (16 tiles) it pays.
      #expect(modc_conv2d_winograd_profitable(&small) == 0)
      var small4 = small
      small4.n = 4
      #expect(modc_conv2d_winograd_profitable(&small4) == (avx512 ? 1 : 0))
      var cifar = desc(64, 8)  // U 590 KB stays cached
      #expect(modc_conv2d_winograd_profitable(&cifar) == (avx512 ? 1 : 0))
      #expect(modc_conv2d_winograd_profitable(&narrow) == 0)
      #expect(modc_conv2d_winograd_profitable(&tiny) == 0)
    }
  }

  /// Winograd F(2x2,3x3) (algo 3) against the double-accumulating direct reference.
  ///
  /// Its transforms have only ±1 and ½ coefficients, so float32 rounding stays near the direct conv's: measured
  /// max|err|/max|ref| is 1.5e-7 to 3e-7 at Cin <= 64 and ≈1.2e-6 at Cin = 512 (every ISA). The bound, 1e-5, is
  /// 10x under the model-level 1e-4 and about 8x the largest measured error.
  @Suite struct WinogradF2Tests {
    static let cases: [ConvCase] = [
      ConvCase(name: "ResNet-50 layer4 512 @ 7, batch 1", cin: 512, h: 7, w: 7, cout: 512, k: 3, pad: 1, relu: true),
      ConvCase(
        name: "512 @ 7, batch 2, residual + relu", n: 2, cin: 512, h: 7, w: 7, cout: 512, k: 3, pad: 1,
        residual: true, relu: true),
      ConvCase(name: "64 @ 9 (odd plane, 25 tiles)", cin: 64, h: 9, w: 9, cout: 64, k: 3, pad: 1, relu: true),
      ConvCase(name: "5x5, Cout 70 (2 channel blocks)", cin: 40, h: 5, w: 5, cout: 70, k: 3, pad: 1, residual: true),
      ConvCase(name: "3x3 plane, no bias, batch 3", n: 3, cin: 33, h: 3, w: 3, cout: 17, k: 3, pad: 1, bias: false),
      ConvCase(name: "pad 0, odd W (row tail)", cin: 9, h: 11, w: 13, cout: 20, k: 3, relu: true),
      ConvCase(name: "asymmetric pads 0/1", cin: 7, h: 8, w: 11, cout: 5, k: 3, pad: 0, padEnd: 1),
      ConvCase(name: "pads 2", cin: 6, h: 6, w: 7, cout: 9, k: 3, pad: 2, residual: true, relu: true),
      // V of one image, 16 x 2500 tiles x 16 channels, exceeds 2 MiB: F(2,3) still takes the transposed path.
      ConvCase(name: "large plane 16 @ 100", cin: 16, h: 100, w: 100, cout: 20, k: 3, pad: 1, relu: true),
      // Two images per V chunk: batch 5 runs as chunks of whole images.
      ConvCase(
        name: "image chunks, 48 @ 44 batch 5", n: 5, cin: 48, h: 44, w: 44, cout: 24, k: 3, pad: 1, residual: true),
    ]

    @Test("every ISA path matches the direct reference", arguments: cases)
    func matchesReference(_ c: ConvCase) {
      var d = winograd(c, MODC_CONV_WINOGRAD_F2)
      #expect(modc_conv2d_check(&d) == 0)
      let data = ConvData(c)
      let ref = refConv(c, data)
      for isa in supportedISAs {
        let got = withISA(isa) { winogradConv(c, data, algo: MODC_CONV_WINOGRAD_F2) }
        #expect(relToMax(got, ref) < 1e-5, "isa \(isa): \(relToMax(got, ref))")
      }
    }

    @Test("the AVX-512 transforms agree with the scalar ones",
      .enabled(if: supportedISAs.contains(Int32(MODC_ISA_AVX512.rawValue)), "the CPU has no AVX-512"),
      arguments: [cases[1], cases[3], cases[5], cases[7]])
    func avx512MatchesScalar(_ c: ConvCase) throws {
      let avx512 = Int32(MODC_ISA_AVX512.rawValue)
      let data = ConvData(c, seed: 5)
      let scalar = withISA(Int32(MODC_ISA_SCALAR.rawValue)) { winogradConv(c, data, algo: MODC_CONV_WINOGRAD_F2) }
      let vector = withISA(avx512) { winogradConv(c, data, algo: MODC_CONV_WINOGRAD_F2) }
      // Same products and reduction order; only FMA contraction in the transforms may differ.
      #expect(relToMax(vector, scalar) < 1e-6)
    }

    @Test("1 and 2 threads give identical bits", arguments: [cases[0], cases[1], cases[2], cases[4], cases[9]])
    func threadInvariant(_ c: ConvCase) {
      let data = ConvData(c, seed: 3)
      let one = winogradConv(c, data, pool: Pool(1), algo: MODC_CONV_WINOGRAD_F2)
      let two = winogradConv(c, data, pool: Pool(2), algo: MODC_CONV_WINOGRAD_F2)
      #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
    }

    @Test("F(2x2,3x3) packs 16 points, has F(4x4,3x3)'s restrictions, and is rejected by MoD convs")
    func formatAndRestrictions() {
      var d = winograd(Self.cases[3], MODC_CONV_WINOGRAD_F2)
      #expect(modc_conv2d_packed_weight_size(&d) == 16 * modc_pack_a_size(70, 40))
      var stride2 = winograd(ConvCase(name: "s2", cin: 4, h: 9, w: 9, cout: 4, k: 3, stride: 2, pad: 1))
      stride2.algo = Int32(MODC_CONV_WINOGRAD_F2.rawValue)
      #expect(modc_conv2d_check(&stride2) == MODC_EUNSUPPORTED.rawValue)
      #expect(modc_conv2d_packed_weight_size(&stride2) == 0)
      var map = modc_conv_mod()
      #expect(modc_conv2d_mod(&d, &map, nil, nil, nil, nil, nil, nil) == MODC_EUNSUPPORTED.rawValue)
    }

    @Test("the cost model keeps F(4x4,3x3) layers and picks F(2x2,3x3) only for weight-bound few-tile planes")
    func choice() {
      func desc(_ ch: Int32, _ hw: Int32, n: Int32 = 1) -> modc_conv_desc {
        var d = modc_conv_desc_make(n, ch, hw, hw, ch, 3, 3)
        (d.pad_top, d.pad_left, d.pad_bottom, d.pad_right) = (1, 1, 1, 1)
        return d
      }
      let avx512 = modc_get_isa() >= MODC_ISA_AVX512.rawValue
      let (f4, f2) = (Int32(MODC_CONV_WINOGRAD.rawValue), Int32(MODC_CONV_WINOGRAD_F2.rawValue))
      var big = desc(64, 56), mid = desc(256, 14), layer4 = desc(512, 7), layer4b4 = desc(512, 7, n: 4)
      var narrow = desc(16, 32), cifar = desc(64, 8)
      #expect(modc_conv2d_winograd_choice(&big) == (avx512 ? f4 : 0))
      #expect(modc_conv2d_winograd_choice(&mid) == (avx512 ? f4 : 0))
      #expect(modc_conv2d_winograd_choice(&layer4) == (avx512 ? f2 : 0))
      #expect(modc_conv2d_winograd_choice(&layer4b4) == (avx512 ? f4 : 0))
      #expect(modc_conv2d_winograd_choice(&cifar) == (avx512 ? f4 : 0))
      #expect(modc_conv2d_winograd_choice(&narrow) == 0)
    }
  }
}
