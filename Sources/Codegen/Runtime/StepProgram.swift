import CKernels

/// The schedule as the kernel library runs it, built once per `Executable`: every step's C descriptor
/// (`StepDescriptor.cWords`, laid out as `modc_step_<kind>`) and the buffers of its arguments (inputs then outputs).
/// A run only resolves the buffers' addresses and calls `modc_step_run` per step — the same entry point emitted C
/// calls with the same descriptors.
struct StepProgram: Sendable {
  /// `enum modc_step_kind` of each step.
  let kinds: [Int32]
  /// All descriptors, back to back; step i's starts at `descriptorStart[i]`.
  let descriptors: [Int64]
  let descriptorStart: [Int]
  /// All argument buffers, back to back; step i's are `arguments[argumentStart[i]..<argumentStart[i + 1]]`.
  let arguments: [Int]
  let argumentStart: [Int]
  /// The most arguments of any step (the size of a run's argument vector).
  let maxArguments: Int

  init(_ schedule: Schedule) {
    var kinds: [Int32] = []
    var descriptors: [Int64] = []
    var descriptorStart: [Int] = []
    var arguments: [Int] = []
    var argumentStart: [Int] = [0]
    for s in schedule.steps {
      let d = s.kind.descriptor
      kinds.append(Int32(type(of: d).tag))
      descriptorStart.append(descriptors.count)
      descriptors += d.cWords
      arguments += s.inputs + s.outputs
      argumentStart.append(arguments.count)
    }
    self.kinds = kinds
    self.descriptors = descriptors
    self.descriptorStart = descriptorStart
    self.arguments = arguments
    self.argumentStart = argumentStart
    maxArguments = zip(argumentStart.dropFirst(), argumentStart).map { $0 - $1 }.max() ?? 0
  }

  /// Floats of kernel workspace the steps need with `threads` threads (the largest of any step).
  func workspaceFloats(threads: Int) -> Int {
    descriptors.withUnsafeBufferPointer { all in
      guard let base = all.baseAddress else { return 0 }
      return kinds.indices.reduce(0) { m, i in
        max(m, Int(modc_step_workspace_size(kinds[i], base + descriptorStart[i], Int32(clamping: threads))))
      }
    }
  }
}

extension ExecutionContext {
  /// Runs the steps in order with the buffers of this run; throws on the first kernel error.
  func runSteps(inputs: [UnsafeRawPointer], outputs: [UnsafeMutableRawPointer]) throws(RuntimeError) {
    let program = executable.program
    let steps = executable.schedule.steps
    try program.descriptors.withUnsafeBufferPointer { (all) throws(RuntimeError) in
      guard let base = all.baseAddress else { return }
      for i in steps.indices {
        let t0 = profiling ? clockSeconds() : 0
        if i < executable.prefetch.count, let r = executable.prefetch[i], let w = executable.weights {
          modc_pool_prefetch(pool, r.bytes > 0 ? w + r.offset : nil, r.bytes)
        }
        let first = program.argumentStart[i]
        for a in first..<program.argumentStart[i + 1] {
          argumentVector[a - first] = address(program.arguments[a], inputs, outputs)
        }
        let status = modc_step_run(program.kinds[i], base + program.descriptorStart[i], argumentVector, workspace, pool)
        if status != 0 { throw RuntimeError("step \(i) (\(steps[i].node)) failed with kernel status \(status)") }
        if profiling { stepSeconds[i] = clockSeconds() - t0 }
      }
    }
  }
}
