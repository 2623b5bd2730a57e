import GraphIR

/// Writes `NAME.h`: the public API of an emitted model (shape macros, status codes, workspace and run functions, and
/// either the embedded-weights accessor or the weights file loader).
struct HeaderEmitter {
  let schedule: Schedule
  let options: EmitCOptions
  let weightsSize: Int
  let weightsChecksum: UInt64

  func source() -> String {
    let p = options.name
    let u = p.uppercased()
    let input = schedule.buffers[schedule.inputs[0]]
    let output = schedule.buffers[schedule.outputs[0]]
    var w = CWriter()
    w.comment(provenanceText(options, file: "\(p).h", what: "public API of the emitted model"))
    w.line("#ifndef \(u)_H")
    w.line("#define \(u)_H")
    w.line()
    w.line("#include <stddef.h>")
    w.line()
    w.line("#ifdef __cplusplus")
    w.line("extern \"C\" {")
    w.line("#endif")
    w.line()
    w.line("#define \(u)_MODC_VERSION \(cStringLiteral(options.provenance.modcVersion))")
    w.line("#define \(u)_SOURCE_MODEL \(cStringLiteral(options.provenance.sourceModel))")
    w.line("#define \(u)_MOD_SETTINGS \(cStringLiteral(options.provenance.modSettings))")
    w.line()
    shapeMacros("INPUT", input, into: &w)
    shapeMacros("OUTPUT", output, into: &w)
    w.comment("Thread count the generated driver uses unless told otherwise (modc emit-c --threads).")
    w.line("#define \(u)_DEFAULT_THREADS \(max(1, options.threads))")
    w.comment("Bytes of the weights blob (64-byte aligned tensors) and its checksum (modc_hash64 with the seed below).")
    w.line("#define \(u)_WEIGHTS_SIZE ((size_t)\(weightsSize))")
    w.line("#define \(u)_WEIGHTS_CHECKSUM 0x\(String(weightsChecksum, radix: 16, uppercase: true))ull")
    w.line("#define \(u)_WEIGHTS_HASH_SEED 0x\(String(PlanChecksum.seed, radix: 16, uppercase: true))ull")
    w.line("#define \(u)_WEIGHTS_EMBEDDED \(options.weights == .embed ? 1 : 0)")
    w.line()
    w.comment("Status codes: 0 on success; kernels may also return their own negative MODC_E* codes (-1..-3).")
    w.line("#define \(u)_OK 0")
    w.line("#define \(u)_EINVAL (-1)     /* a NULL pointer argument */")
    w.line("#define \(u)_EWORKSPACE (-10) /* workspace smaller than " + "\(p)_workspace_size_threads(threads of pool) */")
    w.line("#define \(u)_EIO (-11)        /* the weights file cannot be read */")
    w.line("#define \(u)_EFORMAT (-12)    /* the weights file has a bad header or size */")
    w.line("#define \(u)_ECHECKSUM (-13)  /* the weights file's checksum does not match this model */")
    w.line("#define \(u)_ENOMEM (-14)     /* no memory for the weights */")
    w.line("#define \(u)_ETARGET (-15)  /* this CPU lacks the instruction set the model was compiled for */")
    w.line()
    w.line("struct modc_pool; /* modc_kernels.h: a persistent worker pool (modc_pool_create / modc_pool_destroy) */")
    w.line()
    w.comment("""
      Bytes of workspace one run needs with a single thread (or with `nthreads` threads: pass a pool of at most that
      many threads). The workspace holds the activation arena and kernel scratch; any alignment is fine (it is
      aligned to 64 bytes inside). One workspace per concurrent run.
      """)
    w.line("size_t \(p)_workspace_size(void);")
    w.line("size_t \(p)_workspace_size_threads(int nthreads);")
    w.line()
    w.comment("""
      Runs the model on `weights` (see below): reads \(u)_INPUT_SIZE floats from `input`, writes \(u)_OUTPUT_SIZE
      floats to `output`. `pool` may be NULL (calling thread only). Reentrant: no global state is written, so
      concurrent calls with distinct workspaces (and distinct pools, or NULL) are safe. Returns \(u)_OK or an error.
      """)
    w.line("int \(p)_run_with(const void *weights, const float *input, float *output, void *workspace, "
      + "size_t workspace_size, struct modc_pool *pool);")
    w.line()
    if options.weights == .embed {
      w.comment("The embedded weights blob (64-byte aligned, read-only).")
      w.line("const void *\(p)_weights(void);")
      w.comment("Single-threaded run on the embedded weights; `workspace` has \(p)_workspace_size() bytes.")
      w.line("int \(p)_run(const float *input, float *output, void *workspace);")
      w.comment("Run on the embedded weights with a worker pool (NULL = calling thread only).")
      w.line("int \(p)_run_threads(const float *input, float *output, void *workspace, size_t workspace_size, "
        + "struct modc_pool *pool);")
    } else {
      w.comment("""
        Reads and verifies a \(p).weights file (size and checksum must match this model) into 64-byte aligned memory;
        *out receives it, to pass to \(p)_run_with and release with \(p)_free_weights. Returns \(u)_OK or an error.
        """)
      w.line("int \(p)_load_weights(const char *path, void **out);")
      w.line("void \(p)_free_weights(void *weights);")
    }
    w.line("/* \"modc <version>, <model>\" */")
    w.line("const char *\(p)_version(void);")
    w.line()
    w.line("#ifdef __cplusplus")
    w.line("}")
    w.line("#endif")
    w.line()
    w.line("#endif /* \(u)_H */")
    return w.text
  }

  /// `PREFIX_INPUT_RANK`, `_SIZE`, `_DIM0…`, `_SHAPE` and, for rank 4 / rank 2, `_N/_C/_H/_W` / `_N/_C`.
  func shapeMacros(_ role: String, _ b: ScheduleBuffer, into w: inout CWriter) {
    let u = options.name.uppercased() + "_" + role
    w.comment("\(role.lowercased()) '\(b.name)': \(b.dtype.rawValue)[\(b.shape.map(String.init).joined(separator: ","))]")
    w.line("#define \(u)_NAME \(cStringLiteral(b.name))")
    w.line("#define \(u)_RANK \(b.shape.count)")
    w.line("#define \(u)_SIZE \(b.elementCount)")
    w.line("#define \(u)_SHAPE \(CLiteral.list(b.shape))")
    for (i, d) in b.shape.enumerated() { w.line("#define \(u)_DIM\(i) \(d)") }
    let letters = b.shape.count == 4 ? ["N", "C", "H", "W"] : b.shape.count == 2 ? ["N", "C"] : []
    for (l, d) in zip(letters, b.shape) { w.line("#define \(u)_\(l) \(d)") }
    w.line()
  }
}
