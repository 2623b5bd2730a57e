import CKernels
import Testing

/// Per-task record written by the C callback: (hits, thread id).
private struct Record { var hits: Int32 = 0; var thread: Int32 = -1 }

extension Kernels {
  @Suite struct ThreadPoolTests {
    @Test("parallel_for runs every task exactly once on valid thread ids", arguments: [0, 1, 2, 3])
    func coversTasks(threads: Int) {
      let pool = threads == 0 ? nil : Pool(threads)
      #expect(modc_pool_nthreads(pool?.raw) == Int32(max(threads, 1)))
      for n in [1, 7, 1000] {
        var records = [Record](repeating: Record(), count: n)
        records.withUnsafeMutableBufferPointer { buf in
          modc_pool_parallel_for(pool?.raw, Int32(n), { ctx, task, thread in
            let r = ctx!.assumingMemoryBound(to: Record.self)
            r[Int(task)].hits += 1
            r[Int(task)].thread = thread
          }, buf.baseAddress)
        }
        #expect(records.allSatisfy { $0.hits == 1 }, "\(n) tasks")
        #expect(records.allSatisfy { $0.thread >= 0 && $0.thread < Int32(max(threads, 1)) })
      }
    }
  }
}
