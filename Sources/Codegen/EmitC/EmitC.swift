import GraphIR

/// Emits a lowered model as a self-contained C11 project (`modc emit-c`).
///
/// 1. Validate the schedule (the same bounds checks a plan passes before it runs) and the API restrictions
///    (one f32 input, one f32 output, a C identifier as name).
/// 2. Write `NAME.h` (API), `NAME.c` (straight-line kernel calls over a planned arena), `NAME_weights.c` (+
///    `NAME.weights` in file mode), `main.c`, `Makefile`, `CMakeLists.txt`, and `kernels/` — the CKernels sources
///    themselves (`KernelLibrary`), byte-identical to what the plan runtime compiles.
///
/// Emission is a pure function of the lowered model and options; `CProject.write(to:force:)` puts it on disk.
public enum EmitC {
  /// Builds every file of the project in memory.
  public static func project(_ model: LoweredModel, options: EmitCOptions) throws(EmitCError) -> CProject {
    let s = model.schedule
    guard isCIdentifier(options.name) else {
      throw EmitCError("name '\(options.name)' is not a C identifier (letters, digits, '_', not starting with a digit, "
        + "at most 40 characters, not a C keyword)")
    }
    guard s.inputs.count == 1, s.outputs.count == 1 else {
      throw EmitCError("emit-c supports models with one input and one output; this one has \(s.inputs.count) "
        + "inputs and \(s.outputs.count) outputs")
    }
    for (role, b) in [("input", s.inputs[0]), ("output", s.outputs[0])] where s.buffers[b].dtype != .f32 {
      throw EmitCError("\(role) '\(s.buffers[b].name)' is \(s.buffers[b].dtype.rawValue); emit-c supports f32 only")
    }
    do {
      try s.verify(weightsSize: model.weights.bytes.count)
    } catch {
      throw EmitCError("\(error)")
    }
    // Embedded weights are C text, about 12 bytes per 32-bit word.
    let weightsText = options.weights == .embed ? model.weights.bytes.count / 4 * 12 : 0
    do { try MemoryBudget.check(weightsText, for: "the weights source \(options.name)_weights.c") } catch {
      throw EmitCError(error.description)
    }
    let weights = WeightsEmitter(blob: model.weights, options: options)
    let checksum = weights.checksum
    let p = options.name
    // Every kernel source ships: step.c's modc_step_run references every kernel family, select.c's included.
    let kernels = try KernelLibrary.files()
    let driver = DriverEmitter(options: options, kernelSources: kernels.map(\.path).filter { $0.hasSuffix(".c") })
    var files = [
      CProjectFile(path: "\(p).h", text: HeaderEmitter(schedule: s, options: options, weightsSize: model.weights.bytes.count,
        weightsChecksum: checksum).source()),
      CProjectFile(path: "\(p).c", text: ModelSourceEmitter(schedule: s, options: options).source()),
      CProjectFile(path: "\(p)_weights.c", bytes: weights.source()),
      CProjectFile(path: "main.c", text: driver.mainSource()),
      CProjectFile(path: "Makefile", text: driver.makefile()),
      CProjectFile(path: "CMakeLists.txt", text: driver.cmakeLists()),
    ]
    if options.weights == .file { files.append(CProjectFile(path: "\(p).weights", chunks: weights.weightsFile(checksum: checksum))) }
    for k in kernels { files.append(CProjectFile(path: "kernels/" + k.path, text: k.contents)) }
    return CProject(name: p, files: files)
  }

}
