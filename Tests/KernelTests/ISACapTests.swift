import CKernels
import Testing

/// The per-thread ISA cap (a compiled model's target): it lowers `modc_get_isa` on the calling thread and on pool
/// workers while they run that thread's jobs, and is restored afterwards.
@Suite struct ISACapTests {
  final class Seen: @unchecked Sendable {
    var isa = [Int32](repeating: -9, count: 64)
  }

  @Test func capAppliesToTheCallerAndToPoolWorkers() throws {
    let detected = modc_detect_isa()
    let auto = Int32(MODC_ISA_AUTO.rawValue)
    let pool = try #require(modc_pool_create(2))
    defer { modc_pool_destroy(pool) }
    for cap in Int32(MODC_ISA_SCALAR.rawValue)...detected {
      let previous = modc_isa_cap_set(cap)
      #expect(previous == auto)
      #expect(modc_get_isa() == cap)
      let seen = Seen()
      withExtendedLifetime(seen) {
        modc_pool_parallel_for(pool, 64, { ctx, task, _ in
          let s = Unmanaged<Seen>.fromOpaque(ctx!).takeUnretainedValue()
          s.isa[Int(task)] = modc_get_isa()
        }, Unmanaged.passUnretained(seen).toOpaque())
      }
      #expect(seen.isa.allSatisfy { $0 == cap }, "cap \(cap): tasks saw \(Set(seen.isa))")
      _ = modc_isa_cap_set(auto)
      #expect(modc_get_isa() == detected)
    }
    // A job published without a cap runs uncapped on the workers again.
    let seen = Seen()
    withExtendedLifetime(seen) {
      modc_pool_parallel_for(pool, 64, { ctx, task, _ in
        Unmanaged<Seen>.fromOpaque(ctx!).takeUnretainedValue().isa[Int(task)] = modc_get_isa()
      }, Unmanaged.passUnretained(seen).toOpaque())
    }
    #expect(seen.isa.allSatisfy { $0 == detected })
  }
}
