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

    /// Back-to-back tiny jobs: the caller returns as soon as the job's tasks are done, so workers regularly arrive
    /// after their job has finished (or while the next one is being published) and must neither run a task twice,
    /// nor skip one, nor run one of a job with the previous job's callback or context.
    @Test("thousands of short jobs: each task of each job runs exactly once, under its own job's context",
      arguments: [2, 3])
    func shortJobs(threads: Int) {
      let pool = Pool(threads)
      var records = [Record](repeating: Record(), count: 16 * 4000)
      records.withUnsafeMutableBufferPointer { buf in
        for job in 0..<4000 {
          let n = 1 + job % 9
          let ctx = buf.baseAddress! + 16 * job
          if job % 2 == 0 {
            modc_pool_parallel_for(pool.raw, Int32(n), { ctx, task, thread in
              let r = ctx!.assumingMemoryBound(to: Record.self)
              r[Int(task)].hits += 1
              r[Int(task)].thread = thread
            }, ctx)
          } else {
            modc_pool_parallel_for(pool.raw, Int32(n), { ctx, task, thread in
              let r = ctx!.assumingMemoryBound(to: Record.self)
              r[Int(task)].hits += 100
              r[Int(task)].thread = thread
            }, ctx)
          }
        }
      }
      var wrong = 0
      for job in 0..<4000 {
        let n = 1 + job % 9
        for t in 0..<16 {
          let want: Int32 = t < n ? (job % 2 == 0 ? 1 : 100) : 0
          if records[16 * job + t].hits != want { wrong += 1 }
        }
      }
      #expect(wrong == 0)
    }
  }
}
