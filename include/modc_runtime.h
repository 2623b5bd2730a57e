/*
 * modc_runtime.h — the C ABI of libmodc_runtime: load a compiled `.modplan` and run it.
 *
 * Objects
 *   modc_session  An opened, fully validated plan (immutable). Safe to share between threads: every query and
 *                 modc_session_run may be called from any number of threads at once.
 *   modc_context  Per-caller run state (activation arena, kernel workspace, worker-thread pool). A context is
 *                 NOT thread-safe: use one per thread (or serialise). Any number of contexts may run the same
 *                 session concurrently. A context keeps its session alive; close them in any order.
 *
 *   modc_session_run() is the simple path: it borrows an idle context from a pool inside the session (creating
 *   one when all are busy), so it can be called from several threads at once without managing contexts.
 *
 * Errors
 *   Every function that can fail returns an int status: MODC_OK (0) or a negative MODC_E_* code. No function
 *   aborts the process on bad arguments (NULL pointers, wrong indices, wrong counts, wrong handle types are all
 *   reported). After a failure, modc_last_error() returns a message describing it. The message is stored
 *   per thread (thread-local): it is the message of the last failing call made *on the calling thread*, valid
 *   until that thread's next failing call; successful calls do not clear it.
 *
 * Buffers
 *   modc_context_run / modc_session_run read inputs from and write outputs to the caller's buffers directly
 *   (zero copy). Each buffer must hold the tensor in C (row-major) order, exactly modc_*_byte_size bytes, and be
 *   aligned to its element size. Input buffers must not overlap output buffers.
 *
 * Strings and shape arrays returned by queries belong to the session and stay valid until it is closed.
 */
#ifndef MODC_RUNTIME_H
#define MODC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bumped on any incompatible change of this header. */
#define MODC_RUNTIME_ABI_VERSION 1

/* Status codes. */
#define MODC_OK 0
#define MODC_E_INVALID_ARGUMENT (-1) /* NULL pointer, bad size, bad flag, wrong handle type */
#define MODC_E_INDEX (-2)            /* input/output index out of range */
#define MODC_E_IO (-3)               /* the plan file cannot be opened or read */
#define MODC_E_INVALID_PLAN (-4)     /* not a plan, corrupt, truncated, or a newer format */
#define MODC_E_COUNT (-5)            /* wrong number of input or output buffers */
#define MODC_E_RUNTIME (-6)          /* a kernel failed, or thread/memory resources are exhausted */
#define MODC_E_COMPILE (-7)          /* modc_compile: the model cannot be read or compiled (message names it) */

/* Element types: the ONNX TensorProto.DataType codes. */
typedef enum modc_dtype {
  MODC_DTYPE_UNDEFINED = 0,
  MODC_DTYPE_FLOAT32 = 1,
  MODC_DTYPE_UINT8 = 2,
  MODC_DTYPE_INT8 = 3,
  MODC_DTYPE_UINT16 = 4,
  MODC_DTYPE_INT16 = 5,
  MODC_DTYPE_INT32 = 6,
  MODC_DTYPE_INT64 = 7,
  MODC_DTYPE_BOOL = 9,
  MODC_DTYPE_FLOAT16 = 10,
  MODC_DTYPE_FLOAT64 = 11,
  MODC_DTYPE_UINT32 = 12,
  MODC_DTYPE_UINT64 = 13,
  MODC_DTYPE_BFLOAT16 = 16
} modc_dtype;

/* Flags of modc_session_open_memory. */
#define MODC_MEMORY_COPY 0u   /* the image is copied; the caller may free it as soon as the call returns */
#define MODC_MEMORY_BORROW 1u /* no copy: the caller keeps the image alive and unchanged until the session and
                                 every context made from it are closed; the image must be 64-byte aligned */

typedef struct modc_session modc_session;
typedef struct modc_context modc_context;

/** The library version, e.g. "0.1.0" (static storage). */
const char *modc_version(void);
/** MODC_RUNTIME_ABI_VERSION of the library actually loaded. */
int modc_abi_version(void);
/** The message of the last failing call on this thread ("" if none). Valid until this thread's next failure. */
const char *modc_last_error(void);

/** Opens, maps (no copy of the weights) and validates the plan at `path`. On success *out is a new session. */
int modc_session_open(const char *path, modc_session **out);
/** Opens a plan image of `size` bytes at `data`; `flags` is MODC_MEMORY_COPY or MODC_MEMORY_BORROW. */
int modc_session_open_memory(const void *data, size_t size, unsigned flags, modc_session **out);
/** Releases the caller's reference; the plan is freed once no context uses it. NULL is ignored. */
void modc_session_close(modc_session *session);

/** Default worker-thread count of modc_session_run and of contexts created with threads <= 0.
 *  threads <= 0 means all online CPUs (the initial default). Idle pooled contexts with another count are
 *  dropped. */
int modc_session_set_threads(modc_session *session, int threads);
int modc_session_threads(const modc_session *session, int *out_threads);

int modc_session_input_count(const modc_session *session, size_t *out_count);
int modc_session_output_count(const modc_session *session, size_t *out_count);
/** Name of input/output `index`; *out_name is a NUL-terminated UTF-8 string owned by the session. */
int modc_session_input_name(const modc_session *session, size_t index, const char **out_name);
int modc_session_output_name(const modc_session *session, size_t index, const char **out_name);
int modc_session_input_dtype(const modc_session *session, size_t index, modc_dtype *out_dtype);
int modc_session_output_dtype(const modc_session *session, size_t index, modc_dtype *out_dtype);
/** Rank and dimensions (static, all >= 0); *out_dims points to *out_rank int64 values owned by the session. */
int modc_session_input_shape(const modc_session *session, size_t index, size_t *out_rank, const int64_t **out_dims);
int modc_session_output_shape(const modc_session *session, size_t index, size_t *out_rank, const int64_t **out_dims);
/** Bytes of the buffer that input/output `index` needs (elements × element size). */
int modc_session_input_byte_size(const modc_session *session, size_t index, size_t *out_bytes);
int modc_session_output_byte_size(const modc_session *session, size_t index, size_t *out_bytes);
/** Index of the input/output called `name`, or MODC_E_INDEX. */
int modc_session_input_index(const modc_session *session, const char *name, size_t *out_index);
int modc_session_output_index(const modc_session *session, const char *name, size_t *out_index);

/** Runs the plan once with a pooled context (thread-safe). `inputs[i]` / `outputs[i]` are the buffers of input /
 *  output i, in the session's order; the counts must equal modc_session_input_count / output_count. */
int modc_session_run(modc_session *session, const void *const *inputs, size_t input_count, void *const *outputs,
                     size_t output_count);

/** Creates a context for `session` with `threads` worker threads (<= 0: the session's default). */
int modc_context_create(modc_session *session, int threads, modc_context **out);
/** Changes the context's worker-thread count (recreates its pool; <= 0: the session's default). */
int modc_context_set_threads(modc_context *context, int threads);
int modc_context_threads(const modc_context *context, int *out_threads);
/** Runs the plan with this context; same buffer rules as modc_session_run. Not thread-safe per context. */
int modc_context_run(modc_context *context, const void *const *inputs, size_t input_count, void *const *outputs,
                     size_t output_count);
/** Frees the context. NULL is ignored. */
void modc_context_destroy(modc_context *context);

/* ---- Compiling (ONNX or modc text IR → .modplan), in-process ------------------------------------------------ */

/** Options of modc_compile; the same settings as `modc convert`'s flags. Initialise with
 *  modc_compile_options_init (which sets struct_size, so the struct can grow compatibly), then change fields.
 *  String fields may be NULL for their default. */
typedef struct modc_compile_options {
  size_t struct_size;         /* sizeof(modc_compile_options) of the caller's header */
  int mod_every;              /* > 0: MoD into blocks N-1, 2N-1, … of every stage (--mod-every) */
  int capacity;               /* MoD capacity c (--capacity); 0: 64 (a MoD request if non-zero) */
  const char *mod_blocks;     /* "layer2.1,layer3.3": MoD into exactly these blocks (--blocks) */
  const char *fusion;         /* "first-k" (NULL) or "scatter" (--fusion) */
  const char *router_weights; /* router parameters .npz (--router-weights); NULL: seeded routers */
  uint64_t seed;              /* router initialiser seed (--seed) */
  int force;                  /* MoD flags on a MoD model: add MoD to the remaining eligible blocks (--force) */
  int no_recognize_mod;       /* keep exported CNN-MoD patterns as generic ops (--no-recognize-mod) */
  int batch;                  /* > 0: bind dimension 0 of every input (--batch) */
  const char *input_shapes;   /* "input=1x3x224x224;other=…" (--input-shape, ';'-separated) */
  const char *target;         /* "native" (NULL), "avx512", "avx2" or "generic" (--target) */
  const char *conv_algo;      /* "auto" (NULL), "direct", "winograd" or "winograd2" (--conv-algo) */
  const char *precision;      /* "fp32" (NULL) (--precision) */
} modc_compile_options;

/** Fills *options with the defaults (no MoD, native target, automatic conv algorithms, FP32). */
void modc_compile_options_init(modc_compile_options *options);
/** Compiles the model at `model_path` (ONNX, or modc's textual IR) with `options` (NULL: defaults) and writes the
 *  plan to `plan_path` atomically. MODC_E_INVALID_ARGUMENT for bad options, MODC_E_COMPILE when the model cannot
 *  be read or compiled; modc_last_error() names the file and node. */
int modc_compile(const char *model_path, const modc_compile_options *options, const char *plan_path);

#ifdef __cplusplus
}
#endif

#endif /* MODC_RUNTIME_H */
