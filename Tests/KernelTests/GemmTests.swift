import CKernels
import Testing

/// Runs the packed GEMM for the current ISA.
func runGemm(
  m: Int, n: Int, k: Int, a: [Float], b: [Float], bTransposed: Bool = false,
  bias: [Float]? = nil, residual: [Float]? = nil, relu: Bool = false, initialC: [Float]? = nil,
  pool: Pool? = nil
) -> [Float] {
  var packed = [Float](repeating: .nan, count: modc_pack_a_size(Int32(m), Int32(k)))
  a.withPtr { ap in packed.withMutPtr { modc_pack_a(Int32(m), Int32(k), ap, k, $0) } }
  let threads = pool == nil ? 1 : Int(modc_pool_nthreads(pool?.raw))
  var ws = [Float](repeating: 0, count: modc_gemm_workspace_size(Int32(m), Int32(n), Int32(k), Int32(threads)))
  var c = initialC ?? [Float](repeating: .nan, count: m * n)
  let (rs, cs) = bTransposed ? (1, k) : (n, 1)
  withOptPtr(bias) { bp in
    withOptPtr(residual) { rp in
      var ep = modc_epilogue(bias: bp, residual: rp, ldr: n, relu: relu ? 1 : 0, accumulate: initialC == nil ? 0 : 1)
      packed.withPtr { pa in
        b.withPtr { bptr in
          c.withMutPtr { cp in
            ws.withMutPtr { wp in
              modc_gemm(Int32(m), Int32(n), Int32(k), pa, bptr, rs, cs, cp, n, &ep, wp, pool?.raw)
            }
          }
        }
      }
    }
  }
  return c
}

func refGemm(
  m: Int, n: Int, k: Int, a: [Float], b: [Float], bTransposed: Bool = false,
  bias: [Float]? = nil, residual: [Float]? = nil, relu: Bool = false, initialC: [Float]? = nil
) -> [Float] {
  var c = initialC ?? [Float](repeating: 0, count: m * n)
  let (rs, cs) = bTransposed ? (1, k) : (n, 1)
  withOptPtr(bias) { bp in
    withOptPtr(residual) { rp in
      var ep = modc_epilogue(bias: bp, residual: rp, ldr: n, relu: relu ? 1 : 0, accumulate: initialC == nil ? 0 : 1)
      a.withPtr { ap in b.withPtr { bptr in c.withMutPtr { modc_gemm_ref(Int32(m), Int32(n), Int32(k), ap, k, bptr, rs, cs, $0, n, &ep) } } }
    }
  }
  return c
}

extension Kernels {
  @Suite struct GemmTests {
    struct Shape: CustomTestStringConvertible, Sendable {
      let m, n, k: Int
      var testDescription: String { "\(m)x\(n)x\(k)" }
    }

    static let shapes: [Shape] = [
      .init(m: 1, n: 1, k: 1), .init(m: 5, n: 7, k: 3), .init(m: 16, n: 16, k: 16),
      .init(m: 17, n: 33, k: 19), .init(m: 31, n: 49, k: 300), .init(m: 64, n: 200, k: 513),
      .init(m: 9, n: 300, k: 37), .init(m: 40, n: 3, k: 600),
    ]

    @Test("every ISA path matches the reference", arguments: shapes)
    func matchesReference(_ s: Shape) {
      var rng = TestRNG(seed: UInt64(s.m * 1000 + s.n * 10 + s.k))
      let a = rng.floats(s.m * s.k), b = rng.floats(s.k * s.n)
      let ref = refGemm(m: s.m, n: s.n, k: s.k, a: a, b: b)
      for isa in supportedISAs {
        let got = withISA(isa) { runGemm(m: s.m, n: s.n, k: s.k, a: a, b: b) }
        #expect(maxRelError(got, ref) < 1e-5, "isa \(isa)")
      }
    }

    @Test("bias + residual + relu epilogue, accumulate, transposed B")
    func epilogue() {
      let (m, n, k) = (37, 45, 271)
      var rng = TestRNG(seed: 7)
      let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(m)
      let res = rng.floats(m * n), c0 = rng.floats(m * n)
      let ref = refGemm(m: m, n: n, k: k, a: a, b: b, bias: bias, residual: res, relu: true)
      let refAcc = refGemm(m: m, n: n, k: k, a: a, b: b, bias: bias, initialC: c0)
      #expect(ref.contains { $0 == 0 } && ref.contains { $0 > 0 })
      for isa in supportedISAs {
        withISA(isa) {
          let got = runGemm(m: m, n: n, k: k, a: a, b: b, bias: bias, residual: res, relu: true)
          #expect(maxRelError(got, ref) < 1e-5, "isa \(isa)")
          let acc = runGemm(m: m, n: n, k: k, a: a, b: b, bias: bias, initialC: c0)
          #expect(maxRelError(acc, refAcc) < 1e-5, "isa \(isa) accumulate")
          // B given as its transpose (row stride 1, column stride k).
          var bt = [Float](repeating: 0, count: k * n)
          for i in 0..<k { for j in 0..<n { bt[j * k + i] = b[i * n + j] } }
          let tr = runGemm(m: m, n: n, k: k, a: a, b: bt, bTransposed: true, bias: bias, residual: res, relu: true)
          #expect(maxRelError(tr, ref) < 1e-5, "isa \(isa) transposed")
        }
      }
    }

    @Test("1 and 2 threads give identical results")
    func threadInvariance() {
      let (m, n, k) = (70, 150, 700)
      var rng = TestRNG(seed: 11)
      let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(m)
      let pool2 = Pool(2)
      for isa in supportedISAs {
        withISA(isa) {
          let one = runGemm(m: m, n: n, k: k, a: a, b: b, bias: bias)
          let two = runGemm(m: m, n: n, k: k, a: a, b: b, bias: bias, pool: pool2)
          #expect(one == two, "isa \(isa)")
        }
      }
    }

    @Test("fully connected y = x·Wᵀ + b", arguments: [1, 3, 20])
    func fullyConnected(batch: Int) {
      let (inF, outF) = (67, 41)
      var rng = TestRNG(seed: UInt64(batch))
      let x = rng.floats(batch * inF), w = rng.floats(outF * inF), bias = rng.floats(outF)
      var ref = [Float](repeating: 0, count: batch * outF)
      for b in 0..<batch {
        for o in 0..<outF {
          var s: Double = 0
          for i in 0..<inF { s += Double(x[b * inF + i]) * Double(w[o * inF + i]) }
          ref[b * outF + o] = max(0, Float(s) + bias[o])
        }
      }
      var packed = [Float](repeating: 0, count: modc_pack_a_size(Int32(outF), Int32(inF)))
      w.withPtr { wp in packed.withMutPtr { modc_pack_a(Int32(outF), Int32(inF), wp, inF, $0) } }
      for isa in supportedISAs {
        withISA(isa) {
          var ws = [Float](repeating: 0, count: modc_fc_workspace_size(Int32(batch), Int32(inF), Int32(outF), 1))
          var y = [Float](repeating: .nan, count: batch * outF)
          x.withPtr { xp in packed.withPtr { pp in bias.withPtr { bp in y.withMutPtr { yp in ws.withMutPtr { wsp in
            modc_fc(Int32(batch), Int32(inF), Int32(outF), xp, pp, bp, 1, yp, wsp, nil)
          } } } } }
          #expect(maxRelError(y, ref) < 1e-5, "isa \(isa)")
        }
      }
    }

    @Test("ISA override clamps and reports")
    func isaOverride() {
      let best = modc_detect_isa()
      #expect(modc_set_isa(Int32(MODC_ISA_SCALAR.rawValue)) == 0)
      #expect(modc_get_isa() == 0)
      #expect(modc_set_isa(99) == best)
      #expect(modc_set_isa(Int32(MODC_ISA_AUTO.rawValue)) == best)
      #expect(String(cString: modc_isa_name(0)) == "scalar")
    }
  }
}
