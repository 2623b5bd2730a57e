/*
 * modc_kernels.h - modc's portable C11 kernel library (public API).
 *
 * The same sources are compiled into the Swift plan runtime (SwiftPM target
 * CKernels) and copied verbatim into projects written by `modc emit-c`.
 *
 * Conventions
 *  - Activations are float32 NCHW, densely packed unless strides are given.
 *  - Kernels never allocate: callers pass workspaces whose size is queried
 *    with the matching *_size() function (sizes are in floats unless noted).
 *  - `modc_pool *pool` may be NULL (run on the calling thread). Results are
 *    bit-identical for any thread count: work is split over output channels
 *    and pixel tiles, never over a reduction.
 *  - Functions returning int return MODC_OK (0) or a negative MODC_E* code.
 */
#ifndef MODC_KERNELS_H
#define MODC_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ status */

/** Status codes returned by kernels that validate their arguments. */
enum modc_status {
  MODC_OK = 0,
  MODC_EINVAL = -1,       /**< inconsistent sizes / descriptor */
  MODC_EUNSUPPORTED = -2, /**< valid but not implemented (e.g. a layout) */
  MODC_ERANGE = -3        /**< an index argument is out of range */
};

/* ------------------------------------------------------------- ISA dispatch */

/** Instruction-set paths. Higher values are faster paths. */
enum modc_isa {
  MODC_ISA_AUTO = -1,  /**< pick the best supported path (default) */
  MODC_ISA_SCALAR = 0, /**< portable C reference path */
  MODC_ISA_AVX2 = 1,   /**< AVX2 + FMA (x86-64 only) */
  MODC_ISA_AVX512 = 2  /**< AVX-512F (x86-64 only) */
};

/** Best ISA path the running CPU supports (cached after the first call). */
int modc_detect_isa(void);
/** Force a path (MODC_ISA_AUTO to return to auto-detection). A request above
 *  what the CPU supports is clamped. Returns the path now in effect. */
int modc_set_isa(int isa);
/** The path kernels use now on the calling thread: the override (or the
 *  detected path), lowered to the thread's cap when one is set. */
int modc_get_isa(void);
/** Cap the kernels' path on the calling thread (and on pool workers while
 *  they run its jobs) at `isa`; MODC_ISA_AUTO removes the cap. A compiled
 *  model sets its target here so that an AVX2 plan runs the AVX2 kernels on
 *  an AVX-512 machine. Returns the previous cap (to restore it). */
int modc_isa_cap_set(int isa);
/** The calling thread's cap (MODC_ISA_AUTO when none). */
int modc_isa_cap_get(void);
/** Human-readable name of an ISA value ("scalar", "avx2", "avx512"). */
const char *modc_isa_name(int isa);

/* -------------------------------------------------------------- thread pool */

/** Persistent pthread worker pool; the calling thread participates. */
typedef struct modc_pool modc_pool;

/** Work item for modc_pool_parallel_for: `task` in [0, n), `thread` in
 *  [0, nthreads) identifies the executing thread (for per-thread workspace). */
typedef void (*modc_task_fn)(void *ctx, int task, int thread);

/** Create a pool with `nthreads` total threads (caller + nthreads-1 workers).
 *  nthreads <= 0 means 1. Returns NULL on allocation / thread failure. */
modc_pool *modc_pool_create(int nthreads);
/** Join the workers and free the pool. NULL is accepted. */
void modc_pool_destroy(modc_pool *pool);
/** Number of threads (1 for a NULL pool). */
int modc_pool_nthreads(const modc_pool *pool);
/** Run fn(ctx, i, thread) for i in [0, n) and return when all are done.
 *  Tasks are handed out dynamically. NULL pool runs sequentially. Not
 *  re-entrant: do not call from inside a task of the same pool. */
void modc_pool_parallel_for(modc_pool *pool, int n, modc_task_fn fn, void *ctx);
/** Prefetch hint: while the following kernel calls on `pool` run, their
 *  micro-kernels pull [addr, addr + bytes) into the cache hierarchy at a rate
 *  tied to their arithmetic (a share per thread), so the weights of the next
 *  layer arrive from DRAM while this one computes. Replaces any earlier region;
 *  bytes = 0 clears it. Purely a hint: results never depend on it. NULL pool:
 *  the calling thread's region. */
void modc_pool_prefetch(modc_pool *pool, const void *addr, size_t bytes);

/* ---------------------------------------------------------- weight storage */

/** Allocate `bytes` (at least 64-byte aligned) for a weights blob, on 2 MiB
 *  transparent huge pages where the OS offers them (Linux, blobs of 2 MiB and
 *  more): fewer TLB misses and unbroken prefetch streams when the weights are
 *  read from DRAM on every run. Contents are uninitialised; NULL when out of
 *  memory. Release with modc_weights_free. */
void *modc_weights_alloc(size_t bytes);
/** Free memory from modc_weights_alloc (NULL is accepted). */
void modc_weights_free(void *p);

/* -------------------------------------------------------------------- GEMM */

/** Rows per packed-A panel (all ISA paths share the packed format). */
#define MODC_GEMM_MR 16
/** Columns per packed-B panel. */
#define MODC_GEMM_NR 16

/** Fused GEMM/conv epilogue: C = relu?(acc (+ C_old) + bias[m] + residual[m,n]). */
typedef struct modc_epilogue {
  const float *bias;     /**< per output row (channel), or NULL */
  const float *residual; /**< same layout as C (row stride ldr), or NULL */
  ptrdiff_t ldr;         /**< residual row stride (GEMM only; conv uses y's) */
  int relu;              /**< apply max(0, .) last */
  int accumulate;        /**< add into the existing contents of C */
} modc_epilogue;

/** Floats needed by modc_pack_a for an M x K matrix. */
size_t modc_pack_a_size(int m, int k);
/** Pack row-major A (M x K, row stride lda) into MR-row panels, zero padded. */
void modc_pack_a(int m, int k, const float *a, ptrdiff_t lda, float *packed);
/** Workspace floats modc_gemm needs for `nthreads` threads. */
size_t modc_gemm_workspace_size(int m, int n, int k, int nthreads);
/** C[M x N] (+)= A·B with A packed by modc_pack_a; B[k][n] is read at
 *  b[k*b_rs + n*b_cs]; C row-major with row stride ldc. ep may be NULL. */
void modc_gemm(int m, int n, int k, const float *packed_a, const float *b, ptrdiff_t b_rs,
               ptrdiff_t b_cs, float *c, ptrdiff_t ldc, const modc_epilogue *ep,
               float *workspace, modc_pool *pool);
/** Plain triple-loop reference GEMM on unpacked row-major A (for tests). */
void modc_gemm_ref(int m, int n, int k, const float *a, ptrdiff_t lda, const float *b,
                   ptrdiff_t b_rs, ptrdiff_t b_cs, float *c, ptrdiff_t ldc,
                   const modc_epilogue *ep);

/* ------------------------------------------------------- fully connected */

/** Workspace floats for modc_fc. */
size_t modc_fc_workspace_size(int batch, int in_features, int out_features, int nthreads);
/** y[batch x out] = x[batch x in] · Wᵀ + b (ONNX Gemm with transB=1).
 *  packed_w = modc_pack_a(out, in, W, in) of W[out x in]; bias may be NULL. */
void modc_fc(int batch, int in_features, int out_features, const float *x,
             const float *packed_w, const float *bias, int relu, float *y,
             float *workspace, modc_pool *pool);

/* ------------------------------------------------------------------ Conv2d */

/** Activation memory layouts. Only NCHW is implemented today; a blocked
 *  NCHW16c layout will be a new value here (descriptor field `layout`). */
enum modc_layout { MODC_LAYOUT_NCHW = 0, MODC_LAYOUT_NCHW16C = 1 };

/** Convolution algorithm (descriptor field `algo`). The packed-weight format
 *  depends on it: weights packed for one algorithm are not valid for another. */
enum modc_conv_algo {
  MODC_CONV_AUTO = 0,     /**< the library's default (today: DIRECT) */
  MODC_CONV_DIRECT = 1,   /**< implicit-im2col GEMM / pack-free direct kernels */
  MODC_CONV_WINOGRAD = 2, /**< F(4x4,3x3); 3x3, stride 1, dilation 1, group 1 only */
  /** F(2x2,3x3) (16 points, 4x4 input tiles; same restrictions as WINOGRAD):
   *  4 times the tiles of F(4x4,3x3) on small planes and U of 16 instead of
   *  36 Cout x Cin matrices, for few-tile layers whose weights stream from
   *  DRAM (ResNet-50's 512@7 at batch 1); always the transposed-GEMM path. */
  MODC_CONV_WINOGRAD_F2 = 3
};

/** Shape and attributes of one 2-D convolution (ONNX Conv semantics). */
typedef struct modc_conv_desc {
  int n, c_in, h, w;             /**< input N, C, H, W */
  int c_out, kh, kw;             /**< weight [c_out, c_in/groups, kh, kw] */
  int stride_h, stride_w;        /**< >= 1 */
  int pad_top, pad_left, pad_bottom, pad_right; /**< >= 0 */
  int dil_h, dil_w;              /**< >= 1 */
  int groups;                    /**< divides c_in and c_out */
  int relu;                      /**< fused ReLU after bias and residual */
  int layout;                    /**< enum modc_layout (x, y and residual) */
  int algo;                      /**< enum modc_conv_algo */
} modc_conv_desc;

/** Fill a descriptor with stride/dilation/groups 1, no pads, NCHW, no relu,
 *  algo MODC_CONV_AUTO. */
modc_conv_desc modc_conv_desc_make(int n, int c_in, int h, int w, int c_out, int kh, int kw);
/** MODC_OK if the descriptor is consistent and supported: MODC_EINVAL for
 *  an algo outside enum modc_conv_algo, MODC_EUNSUPPORTED for WINOGRAD or
 *  WINOGRAD_F2 on a conv that is not 3x3 / stride 1 / dilation 1 / group 1 / pads <= 2. */
int modc_conv2d_check(const modc_conv_desc *d);
/** 1 when WINOGRAD is valid for the descriptor (algo ignored) and expected to
 *  beat DIRECT on this machine (a cost model fitted with tools/kernel_bench). */
int modc_conv2d_winograd_profitable(const modc_conv_desc *d);
/** The Winograd algorithm to use for the descriptor (algo ignored): 2
 *  (MODC_CONV_WINOGRAD) where modc_conv2d_winograd_profitable holds, else 3
 *  (MODC_CONV_WINOGRAD_F2) where F(2x2,3x3) is expected to beat DIRECT
 *  (measured in whole ResNet-50 runs), else 0 (keep the default path). */
int modc_conv2d_winograd_choice(const modc_conv_desc *d);
/** Output height / width (0 if the window never fits). */
int modc_conv2d_out_h(const modc_conv_desc *d);
int modc_conv2d_out_w(const modc_conv_desc *d);
/** Floats needed for the packed weights. */
size_t modc_conv2d_packed_weight_size(const modc_conv_desc *d);
/** Pack weights w[c_out, c_in/groups, kh, kw] (done once per model). */
void modc_conv2d_pack_weights(const modc_conv_desc *d, const float *w, float *packed);
/** Workspace floats modc_conv2d needs for `nthreads` threads (must be at
 *  least modc_pool_nthreads(pool) of the pool later passed in). */
size_t modc_conv2d_workspace_size(const modc_conv_desc *d, int nthreads);
/** y = relu?(conv(x, W) + bias + residual). bias [c_out] and residual (y's
 *  shape) may be NULL. Scalar/AVX2: the im2col view of x is packed tile by
 *  tile into the workspace. AVX-512: no packing; x is read in place (1x1
 *  stride 1) or from a zero-padded stride-phase copy of x in the workspace,
 *  with a pixel-vector kernel for large output planes and a channel-vector
 *  kernel for planes of <= 256 pixels. Packed weights are shared by all paths. */
int modc_conv2d(const modc_conv_desc *d, const float *x, const float *packed_w,
                const float *bias, const float *residual, float *y, float *workspace,
                modc_pool *pool);
/** Direct-loop reference convolution on unpacked weights (for tests). */
int modc_conv2d_ref(const modc_conv_desc *d, const float *x, const float *w,
                    const float *bias, const float *residual, float *y);

/* ----------------------------------------------------------------- Pooling */

/** 2-D pooling window (ONNX MaxPool / AveragePool semantics). */
typedef struct modc_pool2d_desc {
  int n, c, h, w;
  int kh, kw;
  int stride_h, stride_w;
  int pad_top, pad_left, pad_bottom, pad_right;
  int dil_h, dil_w;          /**< max pool only; 1 for average pool */
  int ceil_mode;             /**< round output size up */
  int count_include_pad;     /**< average pool: divide by the full window */
} modc_pool2d_desc;

/** Fill a descriptor with stride = kernel, no pads, dilation 1. */
modc_pool2d_desc modc_pool2d_desc_make(int n, int c, int h, int w, int kh, int kw);
int modc_pool2d_out_h(const modc_pool2d_desc *d);
int modc_pool2d_out_w(const modc_pool2d_desc *d);
/** Max pool; padded positions never win (windows fully in padding give -inf). */
int modc_maxpool2d(const modc_pool2d_desc *d, const float *x, float *y, modc_pool *pool);
/** Average pool; divisor is the window clipped to the padded input when
 *  count_include_pad, else the count of real input elements. */
int modc_avgpool2d(const modc_pool2d_desc *d, const float *x, float *y, modc_pool *pool);
/** y[i] = mean(x[i*hw .. i*hw+hw)) for i < planes (planes = N*C). */
void modc_global_avgpool(int planes, int hw, const float *x, float *y);

/* ------------------------------------------------------------- Elementwise */

/** Binary elementwise operators. */
enum modc_binop { MODC_ADD = 0, MODC_SUB = 1, MODC_MUL = 2, MODC_DIV = 3 };

/** Maximum rank for strided kernels. */
#define MODC_MAX_RANK 8

/** y[i] = a[i] op b[i] for n elements (in place allowed). */
void modc_binary(int op, size_t n, const float *a, const float *b, float *y);
/** Broadcasting binary op: y is dense with `shape`; a and b are read with
 *  element strides (0 on broadcast axes). rank <= MODC_MAX_RANK. */
int modc_binary_strided(int op, int rank, const int64_t *shape, const float *a,
                        const int64_t *a_strides, const float *b, const int64_t *b_strides,
                        float *y);
void modc_relu(size_t n, const float *x, float *y);
void modc_sigmoid(size_t n, const float *x, float *y);
/** Numerically stable softmax over the last axis of [rows x cols]. */
void modc_softmax(int rows, int cols, const float *x, float *y);
/** Per-channel affine y = x*scale[c] + shift[c] on NCHW (inference BN). */
void modc_batchnorm(int n, int c, int hw, const float *x, const float *scale,
                    const float *shift, float *y);
/** scale = gamma/sqrt(var+eps), shift = beta - mean*scale. */
void modc_batchnorm_fold(int c, const float *gamma, const float *beta, const float *mean,
                         const float *var, float eps, float *scale, float *shift);
/** Generic strided copy (slice / concat / pad interior / transpose). Strides
 *  are in elements and may be negative. rank <= MODC_MAX_RANK. */
int modc_copy_nd(int rank, const int64_t *shape, const float *src, const int64_t *src_strides,
                 float *dst, const int64_t *dst_strides);
/** modc_copy_nd with its rows split over `pool` (large copies whose source and
 *  destination do not overlap; otherwise on the calling thread). NULL pool
 *  is accepted. */
int modc_copy_nd_mt(int rank, const int64_t *shape, const float *src, const int64_t *src_strides,
                    float *dst, const int64_t *dst_strides, modc_pool *pool);
void modc_fill(size_t n, float value, float *y);

/* ---------------------------------------------------------- MoD (CNN MoD) */

/** How processed channels return into the full tensor (see mod.md). */
enum modc_mod_fuse_mode {
  MODC_MOD_FIRST_K = 0, /**< add to channels 0..k-1 (the paper's choice) */
  MODC_MOD_SCATTER = 1  /**< add back at the gathered channel positions */
};

/** Scratch floats modc_mod_router needs (any batch). */
size_t modc_mod_router_scratch_size(int c, int hidden);
/** Scratch floats modc_mod_router_mt needs: b * (c + hidden), for any
 *  thread count. */
size_t modc_mod_router_mt_scratch_size(int b, int c, int hidden);
/** Router: s = sigmoid(W2·relu(W1·GAP(x)+b1)+b2) per sample, then top-k
 *  (largest first; ties -> lower index first). x [B,C,HW]; w1 [hidden,C];
 *  w2 [C,hidden]; b1/b2 may be NULL. Writes out_idx/out_scores [B,k].
 *  The pooling, FC1 and FC2 are split over `pool` (samples x channel ranges,
 *  output rows) in one dispatch when large enough (see
 *  modc_mod_router_mt_threads); results are bit-identical for any thread
 *  count and equal modc_mod_router's. */
int modc_mod_router_mt(int b, int c, int hw, const float *x, const float *w1, const float *b1,
                       int hidden, const float *w2, const float *b2, int k, int64_t *out_idx,
                       float *out_scores, float *scratch, modc_pool *pool);
/** Threads modc_mod_router_mt uses with a pool of `nthreads` (1 when the
 *  router is too short to amortise a worker wake-up; 0 for bad sizes). */
int modc_mod_router_mt_threads(int b, int c, int hw, int hidden, int nthreads);
/** modc_mod_router_mt on the calling thread, one sample at a time, with the
 *  smaller scratch of modc_mod_router_scratch_size. */
int modc_mod_router(int b, int c, int hw, const float *x, const float *w1, const float *b1,
                    int hidden, const float *w2, const float *b2, int k, int64_t *out_idx,
                    float *out_scores, float *scratch);
/** out[b, j] = x[b, idx[b*k+j]] for j < k (channels in score order). */
int modc_mod_gather(int b, int c, int hw, const float *x, const int64_t *idx, int k,
                    float *out);
/** Fusion. p [B,k,HW] is the processed block output, scores/idx [B,k].
 *  FIRST_K: y[:, j] = act(x[:, j] + p[:, j]*score[j]) for j < k.
 *  SCATTER: y[:, idx[j]] = act(x[:, idx[j]] + p[:, j]*score[j]).
 *  All other channels are copied unchanged; act is ReLU when relu != 0 and
 *  applies to the updated channels only (it mirrors the residual block's
 *  final ReLU). y may alias x. */
int modc_mod_fuse(int b, int c, int hw, const float *x, const float *p, const float *scores,
                  const int64_t *idx, int k, int mode, int relu, float *y);

/** Channel maps that fold a MoD block's gather and fusion into its body
 *  convs (modc_conv2d_mod; docs/mod.md, "Fast path"). Zero-initialise and
 *  set what applies. */
typedef struct modc_conv_mod {
  /** Gather: when non-NULL, input channel j of sample b is channel
   *  in_idx[b*c_in + j] of x, which has x_channels channels per sample. */
  const int64_t *in_idx;
  int x_channels;
  /** Fusion (fuse != 0): output row j of sample b updates channel
   *  dst = j (MODC_MOD_FIRST_K) or out_idx[b*c_out + j] (MODC_MOD_SCATTER)
   *  of y [n, y_channels, OH, OW]:
   *    y[b,dst] = act(res[b,dst] + scores[b*c_out + j] * (acc + bias[j])),
   *  act = ReLU when d->relu; every other channel of y equals res. res may
   *  be y itself (in place; otherwise it is copied into y first). */
  int fuse, mode, y_channels;
  const int64_t *out_idx;
  const float *scores;
  const float *res;
} modc_conv_mod;

/** Workspace floats modc_conv2d_mod needs (covers any map). */
size_t modc_conv2d_mod_workspace_size(const modc_conv_desc *d, int nthreads);
/** A MoD body conv with the gather and/or fusion of `m` folded in (groups 1;
 *  Winograd gives MODC_EUNSUPPORTED). Without fusion y is [n, c_out, OH, OW].
 *  Indices are range-checked first (MODC_ERANGE, nothing written). Results
 *  equal modc_mod_gather + modc_conv2d + modc_mod_fuse up to the summation
 *  order (identical for a given descriptor and ISA, any thread count). */
int modc_conv2d_mod(const modc_conv_desc *d, const modc_conv_mod *m, const float *x,
                    const float *packed_w, const float *bias, float *y, float *workspace,
                    modc_pool *pool);

/* -------------------------------------------------------- step descriptors */

/* One descriptor per schedule step kind: the plan runtime (Swift) and emitted
 * C both call modc_step_run with the same descriptor, so no kernel call is
 * written twice. Every field is an int64_t (flags 0/1, enums as their value,
 * floats as their IEEE-754 bit pattern), so the Swift side lays a descriptor
 * out as a plain array of Int64; fixed-capacity arrays hold MODC_MAX_RANK
 * entries (zero beyond `rank`). Field names and order equal the Swift step
 * types' (Sources/Codegen/Schedule/); modc_step_fields lists them. `args` of
 * modc_step_run is the step's inputs then its outputs, in the order each
 * struct documents (optional inputs only when their flag is set). */

/** Step kinds; the values are the `.modplan` step tags. */
enum modc_step_kind {
  MODC_STEP_CONV = 1,
  MODC_STEP_FC = 2,
  MODC_STEP_MAXPOOL = 3,
  MODC_STEP_AVGPOOL = 4,
  MODC_STEP_GAP = 5,
  MODC_STEP_BINARY = 6,
  MODC_STEP_RELU = 7,
  MODC_STEP_SIGMOID = 8,
  MODC_STEP_SOFTMAX = 9,
  MODC_STEP_BATCHNORM = 10,
  MODC_STEP_COPY = 11,
  MODC_STEP_FILL = 12,
  MODC_STEP_MOD_ROUTER = 13,
  MODC_STEP_MOD_GATHER = 14,
  MODC_STEP_MOD_FUSE = 15,
  MODC_STEP_TOPK = 16,
  MODC_STEP_GATHER_ELEMENTS = 17,
  MODC_STEP_SCATTER_ELEMENTS = 18,
  MODC_STEP_GATHER = 19,
  MODC_STEP_MOD_CONV = 20
};

/** conv: (x, packedW, bias if hasBias, residual if hasResidual) -> y. */
typedef struct modc_step_conv {
  int64_t n, cIn, h, w, cOut, kh, kw;
  int64_t strideH, strideW, padTop, padLeft, padBottom, padRight, dilH, dilW, groups;
  int64_t relu, hasBias, hasResidual, outH, outW;
  int64_t algo; /**< enum modc_conv_algo */
} modc_step_conv;

/** mod_conv: (x, packedW, bias if conv.hasBias, indices, then residual X and
 *  scores if fuseChannels > 0) -> y. gatherChannels > 0: x is the block input
 *  read through indices; fuseChannels > 0: the folded mod.fuse (fuseScatter,
 *  fuseRelu replace conv.relu). */
typedef struct modc_step_mod_conv {
  modc_step_conv conv;
  int64_t gatherChannels, fuseChannels, fuseScatter, fuseRelu;
} modc_step_mod_conv;

/** fc: (x, packedW, bias if hasBias) -> y. */
typedef struct modc_step_fc {
  int64_t batch, inFeatures, outFeatures, hasBias, relu;
} modc_step_fc;

/** maxpool / avgpool: (x) -> y. */
typedef struct modc_step_pool {
  int64_t n, c, h, w, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, dilH, dilW;
  int64_t ceilMode, countIncludePad, outH, outW;
} modc_step_pool;
typedef modc_step_pool modc_step_maxpool;
typedef modc_step_pool modc_step_avgpool;

/** gap: (x[planes, hw]) -> y[planes]. */
typedef struct modc_step_gap {
  int64_t planes, hw;
} modc_step_gap;

/** binary: (a, b) -> y dense with shape; a, b read with element strides. */
typedef struct modc_step_binary {
  int64_t op; /**< enum modc_binop */
  int64_t rank;
  int64_t shape[MODC_MAX_RANK], aStrides[MODC_MAX_RANK], bStrides[MODC_MAX_RANK];
} modc_step_binary;

/** relu / sigmoid: (x) -> y, count elements. */
typedef struct modc_step_unary {
  int64_t count;
} modc_step_unary;
typedef modc_step_unary modc_step_relu;
typedef modc_step_unary modc_step_sigmoid;

/** softmax: (x[rows, cols]) -> y. */
typedef struct modc_step_softmax {
  int64_t rows, cols;
} modc_step_softmax;

/** batchnorm: (x, scale[c], shift[c]) -> y. */
typedef struct modc_step_batchnorm {
  int64_t n, c, hw;
} modc_step_batchnorm;

/** copy: (src) -> dst, strided, in 4-byte units from the offsets. */
typedef struct modc_step_copy {
  int64_t rank, srcOffset, dstOffset;
  int64_t shape[MODC_MAX_RANK], srcStrides[MODC_MAX_RANK], dstStrides[MODC_MAX_RANK];
} modc_step_copy;

/** fill: () -> y; count 4-byte units from offset set to value (float bits). */
typedef struct modc_step_fill {
  int64_t count, offset, value;
} modc_step_fill;

/** mod_router: (x, w1, b1, w2, b2) -> (indices i64[b, k], scores[b, k]). */
typedef struct modc_step_mod_router {
  int64_t b, c, hw, hidden, k;
} modc_step_mod_router;

/** mod_gather: (x, indices) -> y[b, k, hw]. */
typedef struct modc_step_mod_gather {
  int64_t b, c, hw, k;
} modc_step_mod_gather;

/** mod_fuse: (x, p, scores, indices) -> y (may alias x). */
typedef struct modc_step_mod_fuse {
  int64_t b, c, hw, k, scatter, relu;
} modc_step_mod_fuse;

/** topk: (x) -> (values, indices i64). */
typedef struct modc_step_topk {
  int64_t outer, n, inner, k, largest;
} modc_step_topk;

/** gather_elements: (data, indices i64) -> y. */
typedef struct modc_step_gather_elements {
  int64_t outer, n, inner, m;
} modc_step_gather_elements;

/** scatter_elements: (data, indices i64, updates) -> y (may alias data). */
typedef struct modc_step_scatter_elements {
  int64_t outer, n, inner, m, add;
} modc_step_scatter_elements;

/** gather: (data, indices i64[count]) -> y. */
typedef struct modc_step_gather {
  int64_t outer, n, inner, count;
} modc_step_gather;

/** One descriptor field: its name ("conv.n" inside a nested struct) and its
 *  offset and size in int64_t words. */
typedef struct modc_step_field {
  const char *name;
  int offset, words;
} modc_step_field;

/** Run one step: `desc` points to the kind's struct, `args` to its inputs
 *  then outputs. Returns MODC_OK or the kernel's status (MODC_EINVAL for an
 *  unknown kind). */
int modc_step_run(int kind, const void *desc, void *const *args, float *workspace, modc_pool *pool);
/** Workspace floats the step needs with `nthreads` threads (0 for kinds that
 *  need none or are unknown). */
size_t modc_step_workspace_size(int kind, const void *desc, int nthreads);
/** Bytes of the kind's descriptor struct (0 for an unknown kind). */
size_t modc_step_desc_size(int kind);
/** The kind's fields in declaration order (NULL and *count = 0 for an
 *  unknown kind). */
const modc_step_field *modc_step_fields(int kind, int *count);
/** The kernel descriptor of a conv / mod_conv step (the one place a
 *  modc_conv_desc is built from a step; mod_conv takes the fusion's ReLU). */
modc_conv_desc modc_step_conv_desc(const modc_step_conv *s);
modc_conv_desc modc_step_mod_conv_desc(const modc_step_mod_conv *s);
/** The kernel descriptor of a maxpool / avgpool step. */
modc_pool2d_desc modc_step_pool_desc(const modc_step_pool *s);

#ifdef __cplusplus
}
#endif

/* The index-driven kernels and the peak measurement have headers of their own. */
#include "modc_select.h"
#include "modc_peak.h"
#include "modc_hash.h"

#endif /* MODC_KERNELS_H */
