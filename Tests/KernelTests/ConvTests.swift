import CKernels
import Testing

/// One convolution configuration of the test table.
struct ConvCase: CustomTestStringConvertible, Sendable {
  var name: String
  var n = 1, cin = 3, h = 9, w = 9, cout = 5, k = 3, kw: Int? = nil
  var stride = 1, pad = 0, padEnd: Int? = nil, dil = 1, groups = 1
  var bias = true, residual = false, relu = false
  var testDescription: String { name }

  var desc: modc_conv_desc {
    var d = modc_conv_desc_make(Int32(n), Int32(cin), Int32(h), Int32(w), Int32(cout), Int32(k), Int32(kw ?? k))
    d.stride_h = Int32(stride)
    d.stride_w = Int32(stride)
    d.pad_top = Int32(pad)
    d.pad_left = Int32(pad)
    d.pad_bottom = Int32(padEnd ?? pad)
    d.pad_right = Int32(padEnd ?? pad)
    d.dil_h = Int32(dil)
    d.dil_w = Int32(dil)
    d.groups = Int32(groups)
    d.relu = relu ? 1 : 0
    return d
  }
}

/// Input, weights, bias and residual for a case.
struct ConvData {
  let x, w: [Float]
  let bias, residual: [Float]?
  let outCount: Int

  init(_ c: ConvCase, seed: UInt64 = 1) {
    var d = c.desc
    let oh = Int(modc_conv2d_out_h(&d)), ow = Int(modc_conv2d_out_w(&d))
    outCount = c.n * c.cout * oh * ow
    var rng = TestRNG(seed: seed)
    x = rng.floats(c.n * c.cin * c.h * c.w)
    w = rng.floats(c.cout * (c.cin / c.groups) * c.k * (c.kw ?? c.k))
    bias = c.bias ? rng.floats(c.cout) : nil
    residual = c.residual ? rng.floats(outCount) : nil
  }
}

func refConv(_ c: ConvCase, _ data: ConvData) -> [Float] {
  var d = c.desc
  var y = [Float](repeating: .nan, count: data.outCount)
  let st = data.x.withPtr { xp in
    data.w.withPtr { wp in
      withOptPtr(data.bias) { bp in
        withOptPtr(data.residual) { rp in y.withMutPtr { modc_conv2d_ref(&d, xp, wp, bp, rp, $0) } }
      }
    }
  }
  #expect(st == 0)
  return y
}

func fastConv(_ c: ConvCase, _ data: ConvData, pool: Pool? = nil) -> [Float] {
  var d = c.desc
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

extension Kernels {
  @Suite struct ConvTests {
    static let cases: [ConvCase] = [
      ConvCase(name: "1x1 pointwise", cin: 19, h: 7, w: 9, cout: 21, k: 1),
      ConvCase(name: "1x1 stride 2", cin: 8, h: 11, w: 10, cout: 17, k: 1, stride: 2),
      ConvCase(name: "3x3 pad 1", cin: 5, h: 13, w: 11, cout: 18, k: 3, pad: 1),
      ConvCase(name: "3x3 stride 2 pad 1", cin: 6, h: 15, w: 14, cout: 33, k: 3, stride: 2, pad: 1),
      ConvCase(name: "3x3 dilation 2 pad 2", cin: 4, h: 12, w: 13, cout: 9, k: 3, pad: 2, dil: 2),
      ConvCase(name: "7x7 stride 2 pad 3", cin: 3, h: 23, w: 21, cout: 16, k: 7, stride: 2, pad: 3),
      ConvCase(name: "asymmetric pads, 1x3 kernel", cin: 3, h: 6, w: 17, cout: 7, k: 1, kw: 3, pad: 0, padEnd: 2),
      ConvCase(name: "groups 2", cin: 6, h: 8, w: 8, cout: 10, k: 3, pad: 1, groups: 2),
      ConvCase(name: "groups 32 (ResNeXt)", cin: 64, h: 6, w: 7, cout: 64, k: 3, pad: 1, groups: 32),
      ConvCase(name: "depthwise", cin: 12, h: 9, w: 10, cout: 12, k: 3, stride: 2, pad: 1, groups: 12),
      ConvCase(name: "depthwise multiplier 2", cin: 5, h: 7, w: 7, cout: 10, k: 3, pad: 1, groups: 5),
      ConvCase(name: "batch 3, residual + relu", n: 3, cin: 7, h: 10, w: 9, cout: 20, k: 3, pad: 1, residual: true, relu: true),
      ConvCase(name: "batch 3, 1x1 no bias", n: 3, cin: 16, h: 5, w: 5, cout: 40, k: 1, bias: false),
      ConvCase(name: "deep K (several K blocks on both kernels)", cin: 150, h: 6, w: 6, cout: 24, k: 3, pad: 1, residual: true, relu: true),
      ConvCase(name: "1x1 output pixel", cin: 4, h: 3, w: 3, cout: 3, k: 3),
      // Direct-path geometry: dilation phases under stride, strides above 2,
      // several 48-wide tiles with dropped padding lanes across K blocks.
      ConvCase(name: "3x3 stride 2 dilation 2 pad 2", cin: 5, h: 17, w: 19, cout: 12, k: 3, stride: 2, pad: 2, dil: 2),
      ConvCase(name: "5x5 stride 3 pad 2, wide", cin: 5, h: 20, w: 37, cout: 35, k: 5, stride: 3, pad: 2),
      ConvCase(
        name: "deep K, wide, residual (compacted tiles)", cin: 64, h: 12, w: 30, cout: 40, k: 3, pad: 1,
        residual: true, relu: true),
      ConvCase(name: "1x1 stride 2, 7x7 output, many rows", cin: 40, h: 14, w: 14, cout: 70, k: 1, stride: 2),
      ConvCase(name: "stride 17 (packed fallback)", cin: 3, h: 40, w: 40, cout: 5, k: 1, stride: 17),
      // Vector stride-2 phase copy: one 32-column window feeds both column
      // phases; its lane masks must clip the left pad, the row end and odd widths.
      ConvCase(name: "3x3 stride 2, pads 0/1 (SAME), odd width", cin: 4, h: 13, w: 35, cout: 9, k: 3, stride: 2, padEnd: 1),
      ConvCase(
        name: "5x5 stride 2 pad 2, batch 2, wide rows, residual", n: 2, cin: 3, h: 9, w: 70, cout: 20, k: 5, stride: 2,
        pad: 2, residual: true, relu: true),
    ]

    @Test("every ISA path matches the direct reference", arguments: cases)
    func matchesReference(_ c: ConvCase) {
      let data = ConvData(c)
      let ref = refConv(c, data)
      if c.relu { #expect(ref.contains { $0 == 0 } && ref.contains { $0 > 0 }) }
      for isa in supportedISAs {
        let got = withISA(isa) { fastConv(c, data) }
        #expect(maxRelError(got, ref) < 1e-5, "isa \(isa)")
      }
    }

    /// The AVX-512 path has two kernels: pixel vectors for large output planes
    /// and cout vectors for planes of at most 256 pixels. Most table cases are
    /// small, so each is also run with its input scaled up past that limit.
    @Test("scaled-up geometry (large-plane direct kernel) matches the reference", arguments: cases)
    func largePlane(_ c: ConvCase) {
      var big = c
      big.h = c.h * 4 + 9
      big.w = c.w * 4 + 7
      var d = big.desc
      let pixels = Int(modc_conv2d_out_h(&d)) * Int(modc_conv2d_out_w(&d))
      #expect(pixels > 256 || c.stride > 16, "\(pixels) output pixels")
      let data = ConvData(big, seed: 3)
      let ref = refConv(big, data)
      for isa in supportedISAs {
        let got = withISA(isa) { fastConv(big, data) }
        #expect(maxRelError(got, ref) < 2e-5, "isa \(isa)")
      }
    }

    @Test("1 and 2 threads give identical results", arguments: [cases[3], cases[8], cases[11], cases[13], cases[17], cases[18], cases[21]])
    func threadInvariance(_ c: ConvCase) {
      let data = ConvData(c, seed: 5)
      let pool = Pool(2)
      for isa in supportedISAs {
        withISA(isa) {
          let one = fastConv(c, data)
          let two = fastConv(c, data, pool: pool)
          #expect(one == two, "isa \(isa)")
        }
      }
    }

    @Test("ResNet-sized layer (3x3 64->64 at 56x56) on 2 threads")
    func resnetLayer() {
      let c = ConvCase(name: "resnet", cin: 64, h: 56, w: 56, cout: 64, k: 3, pad: 1, residual: true, relu: true)
      let data = ConvData(c, seed: 9)
      let ref = refConv(c, data)
      let pool = Pool(2)
      let got = fastConv(c, data, pool: pool)
      // K = 576 float32 products in [-1, 1] against a float64 reference:
      // rounding alone reaches ~1e-5, so allow 3e-5 here.
      #expect(maxRelError(got, ref) < 3e-5)
    }

    @Test("invalid descriptors are rejected")
    func rejectsInvalid() {
      var d = ConvCase(name: "bad groups", cin: 6, cout: 4, groups: 4).desc
      #expect(modc_conv2d_check(&d) == MODC_EINVAL.rawValue)
      d = ConvCase(name: "window too large", h: 2, w: 2, k: 3).desc
      #expect(modc_conv2d_check(&d) == MODC_EINVAL.rawValue)
      d = ConvCase(name: "blocked layout").desc
      d.layout = Int32(MODC_LAYOUT_NCHW16C.rawValue)
      #expect(modc_conv2d_check(&d) == MODC_EUNSUPPORTED.rawValue)
      #expect(modc_conv2d_packed_weight_size(&d) == 0)
    }
  }
}
