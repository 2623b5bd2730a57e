import GraphIR

/// Writes `NAME.c`: the schedule as straight-line kernel calls with constant shapes and arena offsets.
///
/// Layout of the file: provenance header, includes, one `static const modc_step_<kind>` descriptor per step (built
/// from the step type's named fields), the workspace size functions, then `NAME_run_with`, which binds every buffer
/// to its place (caller tensor, arena offset or weights offset — the memory plan, visible as constants) and calls
/// `modc_step_run` once per step. Nothing is allocated and
/// nothing global is written, so concurrent calls with distinct workspaces are safe.
struct ModelSourceEmitter {
  let schedule: Schedule
  let options: EmitCOptions
  var prefix: String { options.name }
  var upper: String { options.name.uppercased() }

  /// Arena bytes rounded up to 64, so the kernel scratch that follows it is aligned.
  var arenaBytes: Int { (schedule.arenaSize + 63) / 64 * 64 }

  func source() -> String {
    var w = CWriter()
    w.comment(provenanceText(options, file: "\(prefix).c", what: "the model: schedule, memory plan and entry points"))
    w.line("#include \"\(prefix).h\"")
    w.line()
    w.line("#include <math.h>")
    w.line("#include <stdint.h>")
    w.line()
    w.line("#include \"modc_kernels.h\"")
    w.line()
    w.comment("Returns a failing kernel's status from the enclosing function.")
    w.line("#define MODC_CHECK(call) do { int status_ = (call); if (status_ != 0) return status_; } while (0)")
    w.line()
    w.comment("Bytes of the intermediate arena (liveness-planned; the sum of all intermediates is "
      + "\(schedule.intermediateBytes)).")
    w.line("#define ARENA_BYTES ((size_t)\(arenaBytes))")
    w.line()
    let steps = StepEmitter(schedule: schedule)
    steps.emitDescriptors(into: &w)
    emitWorkspaceSize(steps, into: &w)
    emitRun(steps, into: &w)
    emitEntryPoints(into: &w)
    return w.text
  }

  // MARK: Workspace

  /// `NAME_workspace_size_threads`: arena + the largest kernel scratch any step needs with `nthreads` threads.
  func emitWorkspaceSize(_ steps: StepEmitter, into w: inout CWriter) {
    let table = steps.emitWorkspaceTable(into: &w)
    w.block("size_t \(prefix)_workspace_size_threads(int nthreads)") { w in
      w.line("size_t scratch = 16;")
      w.line("if (nthreads < 1) nthreads = 1;")
      if table {
        w.block("for (size_t i = 0; i < sizeof workspace_steps / sizeof workspace_steps[0]; i++)") { w in
          w.line("size_t s = modc_step_workspace_size(workspace_steps[i].kind, workspace_steps[i].desc, nthreads);")
          w.line("if (s > scratch) scratch = s;")
        }
      }
      w.line("return 63 + ARENA_BYTES + scratch * sizeof(float);")
    }
    w.line()
    w.block("size_t \(prefix)_workspace_size(void)") { w in w.line("return \(prefix)_workspace_size_threads(1);") }
    w.line()
  }

  // MARK: Run

  func emitRun(_ steps: StepEmitter, into w: inout CWriter) {
    let variables = bufferVariables(steps)
    let target = schedule.target?.isa ?? .generic
    w.comment("The model's steps; NAME_run_with runs them with the kernels capped at the compiled target (\(target)).")
    w.block("static int run_steps(const void *weights, const float *input, float *output, void *workspace, "
      + "size_t workspace_size, struct modc_pool *pool)") { w in
      w.line("unsigned char *arena;")
      w.line("float *scratch;")
      w.line("const unsigned char *wb = (const unsigned char *)weights;")
      w.line("if (!input || !output || !workspace || (!weights && \(upper)_WEIGHTS_SIZE > 0)) return \(upper)_EINVAL;")
      w.line("if (workspace_size < \(prefix)_workspace_size_threads(modc_pool_nthreads(pool))) return \(upper)_EWORKSPACE;")
      w.line("arena = (unsigned char *)(((uintptr_t)workspace + 63u) & ~(uintptr_t)63u);")
      w.line("scratch = (float *)(arena + ARENA_BYTES);")
      w.line("(void)wb;")
      w.line("(void)scratch;")
      w.line()
      emitBindings(variables, into: &w)
      let hints = schedule.prefetchHints()
      for (i, s) in schedule.steps.enumerated() {
        w.line()
        w.comment(stepComment(s, index: i))
        if let r = hints[i] {
          // The next layer's weights stream in while this step computes (a hint; see modc_pool_prefetch).
          w.line(r.bytes > 0 ? "modc_pool_prefetch(pool, wb + \(r.offset), \(r.bytes));" : "modc_pool_prefetch(pool, NULL, 0);")
        }
        steps.emitCall(s, index: i, variables: variables, into: &w)
      }
      w.line("return \(upper)_OK;")
    }
    w.line()
    w.block("int \(prefix)_run_with(const void *weights, const float *input, float *output, void *workspace, "
      + "size_t workspace_size, struct modc_pool *pool)") { w in
      w.line("int status, previous;")
      w.line("if (modc_detect_isa() < \(target.cName)) return \(upper)_ETARGET;")
      w.line("previous = modc_isa_cap_set(\(target.cName));")
      w.line("status = run_steps(weights, input, output, workspace, workspace_size, pool);")
      w.line("modc_isa_cap_set(previous);")
      w.line("return status;")
    }
  }

  /// `NAME_version` and, with embedded weights, the `NAME_run` / `NAME_run_threads` conveniences.
  func emitEntryPoints(into w: inout CWriter) {
    w.line()
    let version = "modc \(options.provenance.modcVersion), \(options.provenance.sourceModel)"
    w.block("const char *\(prefix)_version(void)") { w in w.line("return \(cStringLiteral(version));") }
    guard options.weights == .embed else { return }
    w.line()
    w.block("int \(prefix)_run(const float *input, float *output, void *workspace)") { w in
      w.line("return \(prefix)_run_with(\(prefix)_weights(), input, output, workspace, \(prefix)_workspace_size(), NULL);")
    }
    w.line()
    w.block("int \(prefix)_run_threads(const float *input, float *output, void *workspace, size_t workspace_size, "
      + "struct modc_pool *pool)") { w in
      w.line("return \(prefix)_run_with(\(prefix)_weights(), input, output, workspace, workspace_size, pool);")
    }
  }

  /// The memory plan as pointer bindings: one line per buffer a step touches, in buffer order.
  func emitBindings(_ variables: [Int: String], into w: inout CWriter) {
    w.comment("Buffers: caller tensors, arena offsets (the memory plan) and weights offsets.")
    for (b, buf) in schedule.buffers.enumerated() {
      guard let v = variables[b] else { continue }
      let type = buf.dtype == .i64 ? "int64_t" : "float"
      let desc = " /* \(buf.dtype.rawValue)\(CLiteral.list(buf.shape).replacing("{", with: "[").replacing("}", with: "]"))"
        + " \(cCommentSafe(buf.name)) */"
      switch buf.location {
      case .input: w.line("const \(type) *\(v) = input;" + desc)
      case .output: w.line("\(type) *\(v) = output;" + desc)
      case .arena(let off): w.line("\(type) *\(v) = (\(type) *)(arena + \(off));" + desc)
      case .weight(let off): w.line("const \(type) *\(v) = (const \(type) *)(wb + \(off));" + desc)
      }
    }
  }

  /// C variables for the buffers steps reference: `x_` caller input, `y_` caller output, `t_` arena, `w_` weights.
  func bufferVariables(_ steps: StepEmitter) -> [Int: String] {
    var used = Set<Int>()
    for s in schedule.steps { used.formUnion(s.inputs); used.formUnion(s.outputs) }
    var ids = CIdentifiers(prefix: "", reserved: Set(["arena", "scratch", "wb", "weights", "input", "output", "workspace",
      "workspace_size", "pool", "status_", "workspace_steps"] + steps.descriptorNames))
    var out: [Int: String] = [:]
    for (b, buf) in schedule.buffers.enumerated() where used.contains(b) {
      let p: String
      switch buf.location {
      case .input: p = "x_"
      case .output: p = "y_"
      case .arena: p = "t_"
      case .weight: p = "w_"
      }
      out[b] = ids.make(p + buf.name)
    }
    return out
  }

  func stepComment(_ s: Step, index: Int) -> String {
    let ins = s.inputs.map { shapeText(schedule.buffers[$0]) }
    let outs = s.outputs.map { shapeText(schedule.buffers[$0]) }
    return "[\(index)] \(s.kind.opName) \"\(s.node)\": \(ins.joined(separator: ", ")) -> \(outs.joined(separator: ", "))"
  }

  func shapeText(_ b: ScheduleBuffer) -> String {
    b.dtype.rawValue + "[" + b.shape.map(String.init).joined(separator: ",") + "]"
  }
}

/// The provenance comment that opens every generated file.
func provenanceText(_ o: EmitCOptions, file: String, what: String) -> String {
  let p = o.provenance
  return """
    \(file) - \(what).
    Generated by modc \(p.modcVersion); do not edit (re-run modc emit-c instead).
      command:      \(p.commandLine)
      source model: \(p.sourceModel) (hash \(p.sourceHash))
      MoD:          \(p.modSettings)
      weights:      \(o.weights.rawValue)
    """
}
