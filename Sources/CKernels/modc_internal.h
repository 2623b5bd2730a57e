/* modc_internal.h - shared declarations between the kernel sources (not API). */
#ifndef MODC_INTERNAL_H
#define MODC_INTERNAL_H

#include "modc_kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MODC_X86 1
#else
#define MODC_X86 0
#endif

/* K is split into nearly equal blocks of at most this depth. */
#define MODC_KC_MAX 256
/* Column panels packed per B block (MODC_NC_PANELS * NR columns). */
#define MODC_NC_PANELS 18
/* Row panels per A block (keeps MC x KC of A within L2). */
#define MODC_MC_PANELS 32

/* ------------------------------------------------ cross-layer prefetch
 * Each thread owns a cursor over its share of the region set with
 * modc_pool_prefetch. A driver hands a micro-kernel call `slots` k-steps'
 * worth of lines (modc_pf_take); the kernel issues one prefetch per k-step at
 * pf, pf + step, ... (step 0: the region is used up, pf is a harmless valid
 * address). MODC_PF_LINES_PER_SLOT sets the pace (lines per k-step). */
typedef struct modc_pf_cursor {
  const char *cur, *end;
  unsigned gen;
} modc_pf_cursor;
extern _Thread_local modc_pf_cursor modc_pf_tls;
#define MODC_PF_LINES_PER_SLOT 0.5

static inline const char *modc_pf_take(int slots, ptrdiff_t *step, const void *fallback) {
  modc_pf_cursor *c = &modc_pf_tls;
  ptrdiff_t left = c->cur ? c->end - c->cur : 0;
  if (left <= 0 || slots <= 0) {
    *step = 0;
    return (const char *)fallback;
  }
  ptrdiff_t want = (ptrdiff_t)(slots * MODC_PF_LINES_PER_SLOT * 64.0);
  if (want > left) want = left;
  const char *p = c->cur;
  c->cur += want;
  *step = want / slots;
  return p;
}

/* Micro-kernel flags. */
#define MODC_UK_LOAD_C 1   /* C += acc instead of C = acc */
#define MODC_UK_EPILOGUE 2 /* add bias / residual, relu (last K block) */

/* B panels a micro-kernel call covers at most (AVX-512: 8 rows x 48 columns). */
#define MODC_UK_MAXP 3

/* One micro-kernel call: for each of np B panels q,
 *   C_q[mr x nr[q]] (+)= Apanel[kc x MR]ᵀ · Bpanel_q[kc x NR]  (+ epilogue). */
typedef struct modc_ukr_args {
  int kc, mr, np, flags, relu;
  const float *a;        /* packed A panel at the current K offset (stride MR) */
  const float *b;        /* first packed B panel (stride NR per k) */
  ptrdiff_t bstride;     /* floats between consecutive B panels */
  float *c[MODC_UK_MAXP];                /* row-major tiles, row stride ldc */
  const float *residual[MODC_UK_MAXP];   /* residual tiles (row stride ldr) or NULL */
  int nr[MODC_UK_MAXP];                  /* valid columns per panel */
  ptrdiff_t ldc, ldr;
  const float *bias;     /* bias[r] for r < mr, or NULL */
  const char *pf;        /* prefetch cursor (modc_pf_take) or NULL */
  ptrdiff_t pfstep;
  /* MoD fusion (set when rowoff[q] != NULL; see modc_conv2d_mod): the
   * epilogue of row r writes out[q][rowoff[q][r] + j] =
   * relu?(out[..] + scale[q][r] * (acc + bias[r])) instead of C, which then
   * only holds partial sums of earlier K blocks. residual[q] is unused. */
  float *out[MODC_UK_MAXP];
  const ptrdiff_t *rowoff[MODC_UK_MAXP];
  const float *scale[MODC_UK_MAXP];
} modc_ukr_args;

typedef void (*modc_ukr_fn)(const modc_ukr_args *args);

void modc_ukr_scalar(const modc_ukr_args *args);
#if MODC_X86
void modc_ukr_avx2(const modc_ukr_args *args);
void modc_ukr_avx512(const modc_ukr_args *args);
#endif
/* Micro-kernel for the ISA currently in effect. */
modc_ukr_fn modc_select_ukr(void);

/* Fills one NR-wide packed B panel: rows k0..k0+kc of column panel `panel`. */
typedef void (*modc_pack_b_fn)(const void *src, int panel, int k0, int kc, float *dst);
/* Offset (elements) of C(row 0, first column of `panel`) from C's base; the
 * residual tile sits at the same offset from the residual base. Sets *nr. */
typedef ptrdiff_t (*modc_c_tile_fn)(const void *src, int panel, int *nr);
/* MoD fusion target of (row 0, first column of `panel`): see modc_ukr_args. */
typedef void (*modc_mod_tile_fn)(const void *src, int panel, float **out, const ptrdiff_t **rowoff,
                                 const float **scale);

/* A GEMM over generic "column panels": every panel is NR columns (or fewer
 * for the last panel of an image) of one contiguous C row segment. */
typedef struct modc_gemm_plan {
  int m, k, npanels;
  const float *packed_a;
  float *c;                    /* C base */
  ptrdiff_t ldc;               /* C row stride */
  const void *src;             /* passed to pack_b / c_tile */
  modc_pack_b_fn pack_b;
  modc_c_tile_fn c_tile;       /* where (row 0, panel) lives, and its width */
  const float *bias;           /* bias[m] or NULL */
  const float *residual;       /* residual base or NULL */
  ptrdiff_t ldr;               /* residual row stride */
  int relu, accumulate;
  modc_mod_tile_fn mod_tile;   /* MoD fusion epilogue, or NULL */
} modc_gemm_plan;

/* Per-thread workspace floats for modc_gemm_run. */
size_t modc_gemm_thread_ws(void);
/* Number of tasks modc_gemm_run splits into for a plan (for callers that
 * run several plans, e.g. one per group, inside one parallel_for). */
void modc_gemm_split(int m, int npanels, int nthreads, int ntasks_outside, int *m_chunks,
                     int *n_chunks);
/* Runs rows [m0,m1) x panels [p0,p1) of a plan on one thread. */
void modc_gemm_run_tile(const modc_gemm_plan *p, int m0, int m1, int p0, int p1, float *ws);
/* Runs a whole plan on the pool. */
void modc_gemm_run(const modc_gemm_plan *p, float *workspace, modc_pool *pool);

/* MoD channel maps of one modc_conv2d_mod call, resolved by conv_mod.c (groups == 1). */
typedef struct modc_cmap {
  const int64_t *in_idx;    /* [n][c_in]: channel of x read as input channel j, or NULL */
  int x_channels;           /* channels per image of x when in_idx != NULL */
  const ptrdiff_t *in_off;  /* [n][kg] absolute B offsets of a mapped pointwise direct conv, or NULL */
  const ptrdiff_t *row_off; /* [n][c_out]: fused destination channel * OH*OW, or NULL (plain output) */
  const float *scores;      /* [n][c_out] row scales of the fusion */
  float *out;               /* fusion destination (y, already holding the residual tensor) */
  size_t out_img;           /* floats per image of out */
} modc_cmap;

/* Input plane `ci` of image `b` (c_in channels dense, or through the map). */
static inline const float *modc_cmap_plane(const modc_cmap *m, const float *x, int c_in, size_t hw,
                                           int b, int ci) {
  if (m && m->in_idx)
    return x + ((size_t)b * (size_t)m->x_channels + (size_t)m->in_idx[(size_t)b * c_in + ci]) * hw;
  return x + ((size_t)b * (size_t)c_in + (size_t)ci) * hw;
}

/* Implicit im2col view of one conv group (conv.c). */
typedef struct conv_src {
  const modc_conv_desc *d;
  const modc_cmap *map;     /* MoD maps or NULL */
  const float *x;
  int g, oh, ow, ohw, ppi, cig, mg;
  int pointwise; /* 1x1, stride 1, no padding: B rows are contiguous planes */
  int simd;      /* use the AVX-512 packer */
} conv_src;

#if MODC_X86
/* AVX-512 im2col panel packer for pointwise convs and stride_w <= 2. */
void modc_pack_conv_avx512(const conv_src *s, int panel, int k0, int kc, float *dst);
#endif

/* ------------------------------------------- pack-free direct conv (AVX-512)
 * conv_direct.c: B (the im2col view) is never packed. x is read in place
 * (pointwise) or from a zero-padded, stride-phase-split copy in which every
 * im2col row is a contiguous run, B[k][q] = base[off[k] + q], over a "q
 * domain" of OH rows of pitch wq >= OW (lanes with ow >= OW are discarded). */

/* Output columns (q positions) per micro-kernel tile: 3 zmm vectors. */
#define MODC_DCONV_TILE 48

/* One direct micro-kernel call: C[mr x tile] (+)= A panel · B tile. */
typedef struct modc_dukr_args {
  int kc, mr, nv, flags, relu, compact;
  const float *a;         /* packed A panel at the current K offset (stride MR) */
  const float *b;         /* B at the tile's first q: lane t of vector v at b[off[k]+16v+t] */
  const ptrdiff_t *off;   /* per-k B offsets from the current K offset on */
  unsigned lmask[3];      /* lanes inside the q domain (safe to load) */
  unsigned vmask[3];      /* lanes that are real output pixels */
  ptrdiff_t ystart[3];    /* C offset of each vector's first real pixel */
  float *c;               /* C at row 0 of the panel (row stride ldc) */
  const float *residual;  /* same offsets as c, or NULL */
  ptrdiff_t ldc;
  const float *bias;      /* bias[r] for r < mr, or NULL */
  const char *pf;         /* prefetch cursor (modc_pf_take) or NULL */
  ptrdiff_t pfstep;
  /* MoD fusion (rowoff != NULL): row r's epilogue goes to out + rowoff[r] +
   * ystart[v] as relu?(out[..] + scale[r] * (acc + bias[r])); c holds only
   * partial sums of earlier K blocks. */
  float *out;
  const ptrdiff_t *rowoff;
  const float *scale;
} modc_dukr_args;

#if MODC_X86
struct modc_dgeom;
/* One channel of the phase-split copy for stride_w == 2 (conv_direct_x86.c). */
void modc_dcopy_s2_avx512(const modc_conv_desc *d, const struct modc_dgeom *g, const float *src,
                          float *dst);
#endif

/* Pixel-broadcast micro-kernel for small output planes (conv_direct_small.c):
 * S[pixel][cout] (+)= sum_k B[k][pixel] * A[cout][k] for np (<= 6) pixels and
 * npan (<= 4) 16-row A panels; one zmm of A per panel and k, lanes = couts. */
typedef struct modc_tukr_args {
  int kc, np, npan, load; /* load: S holds partial sums of earlier K blocks */
  const float *a;         /* first packed A panel at the current K offset */
  ptrdiff_t astride;      /* floats between consecutive A panels */
  const float *b;         /* B base; pixel i of row k at b[off[k] + pix[i]] */
  const ptrdiff_t *off;
  ptrdiff_t pix[6];
  float *s;               /* S at (first pixel, first cout of the panel) */
  ptrdiff_t lds;          /* floats between pixels in S */
  const char *pf;         /* prefetch cursor (modc_pf_take) or NULL */
  ptrdiff_t pfstep;
} modc_tukr_args;

#if MODC_X86
/* AVX-512 max pooling, 3x3 window, stride 2, leading pads <= 1 (pooling_x86.c). */
int modc_maxpool_k3s2_avx512_ok(const modc_pool2d_desc *d);
void modc_maxpool_k3s2_avx512(const modc_pool2d_desc *d, const float *x, float *y, int oh, int ow);
/* d[i] = s[2i], i < n (pooling_x86.c; the strided copy of modc_copy_nd). */
void modc_copy_even_avx512(const float *s, float *d, int64_t n);
void modc_dukr_avx512(const modc_dukr_args *g);
void modc_tukr_avx512(const modc_tukr_args *g);
/* y[c*ldy+p] = relu?(S[p*lds+c] + bias[c] + residual[c*ldy+p]), p < np, c < nc <= 16. */
void modc_tstore_avx512(const float *s, ptrdiff_t lds, int np, int nc, const float *bias,
                        const float *residual, float *y, ptrdiff_t ldy, int relu);
/* MoD fusion store: y[rowoff[c]+p] = relu?(y[..] + scale[c] * (S[p*lds+c] + bias[c])). */
void modc_tstore_mod_avx512(const float *s, ptrdiff_t lds, int np, int nc, const float *bias,
                            const float *scale, const ptrdiff_t *rowoff, float *y, int relu);
#endif

/* q-domain and phase-copy geometry of a direct conv. */
typedef struct modc_dgeom {
  int oh, ow, wq, hq, nq;  /* nq = oh*wq positions per image */
  int copy;                /* 1: B is the phase copy; 0: x itself (pointwise) */
  int nra, nca;            /* used row / column phases */
  int ra[16], ca[16];      /* compact index of each phase (< stride), -1 unused */
  size_t plane, chan, img; /* floats per phase plane / channel / image of B */
  int kg, cig, mg;
  int small;               /* output plane small: pixel-broadcast kernel */
} modc_dgeom;

void modc_dconv_geometry(const modc_conv_desc *d, modc_dgeom *g);
/* Fills the offset table and the phase copy at the start of the (aligned)
 * workspace. Returns B's base; *off gets the table, *rest the first free
 * 64-byte aligned float after them. */
const float *modc_dconv_prepare(const modc_conv_desc *d, const modc_dgeom *g, const float *x,
                                const modc_cmap *map, float *ws, modc_pool *pool,
                                const ptrdiff_t **off, float **rest);
/* Floats the small-plane path needs after the table and copy. */
size_t modc_dconv_small_scratch(const modc_conv_desc *d, const modc_dgeom *g);
void modc_dconv_run_small(const modc_conv_desc *d, const modc_dgeom *g, const float *bsrc,
                          const ptrdiff_t *off, const modc_cmap *map, const float *packed_w,
                          const float *bias, const float *residual, float *y, float *scratch,
                          modc_pool *pool);
/* Splits a (rows x cols) grid of equal work units into mc x nc tasks for
 * `nthreads` threads (`outer` independent copies run in the same parallel_for,
 * e.g. groups), minimising the estimated makespan of dynamic scheduling:
 * ceil(tasks / threads) * largest task, plus a small per-task cost. */
void modc_split_grid(int rows, int cols, int outer, int nthreads, int *mc, int *nc);

/* 1 when modc_conv2d takes the direct path for this descriptor now. */
int modc_dconv_applies(const modc_conv_desc *d);
/* Workspace floats of the direct path. */
size_t modc_dconv_workspace_size(const modc_conv_desc *d, int nthreads);
/* The direct path (descriptor already checked). map may be NULL; with a
 * fusion map, y is the partial-sum scratch (n*c_out*OH*OW floats). */
void modc_dconv_run(const modc_conv_desc *d, const modc_cmap *map, const float *x,
                    const float *packed_w, const float *bias, const float *residual, float *y,
                    float *workspace, modc_pool *pool);
/* The packed-B (implicit im2col) path of conv.c, same conventions. */
void modc_conv_packed_run(const modc_conv_desc *d, const modc_cmap *map, const float *x,
                          const float *packed_w, const float *bias, const float *residual,
                          float *y, float *workspace, modc_pool *pool);

/* ------------------------------------ Winograd F(4x4,3x3) and F(2x2,3x3)
 * winograd.c: per transform point p (36), M_p[cout x tiles] = U_p · V_p with
 * U_p packed like modc_pack_a (Cout x Cin) and V_p in packed-B panels of 16
 * tiles: V[(p*cp + panel)*cin*16 + ci*16 + lane]; M[(p*cout + co)*ldm + tile].
 * F(2x2,3x3) (algo MODC_CONV_WINOGRAD_F2) has 16 points and runs only on
 * the transposed-GEMM path; the geometry carries the tile sizes. */
#define MODC_WG_POINTS 36 /* points of F(4x4,3x3): the most of either */

/* Tiling of one Winograd conv; independent of the thread count. */
typedef struct modc_wgeom {
  int mt, it, pts;      /* output / input tile side (4/6 or 2/4), points it*it */
  int oh, ow, th, tw;   /* output size; tile rows / columns per image */
  int tiles, total;     /* tiles per image, all images */
  int cp, ldm, nchunks; /* 16-tile panels per chunk, ldm = 16*cp, chunks */
  size_t vsize, msize;  /* floats of V and M (per thread, 64-byte multiples) */
} modc_wgeom;

/* 1 if the shape is one the Winograd paths handle (algo ignored). */
int modc_wino_supported(const modc_conv_desc *d);
/* 1 for algo MODC_CONV_WINOGRAD or MODC_CONV_WINOGRAD_F2. */
int modc_wino_algo(const modc_conv_desc *d);
void modc_wino_geometry(const modc_conv_desc *d, modc_wgeom *g);
size_t modc_wino_packed_size(const modc_conv_desc *d);
void modc_wino_pack(const modc_conv_desc *d, const float *w, float *packed);
size_t modc_wino_workspace_size(const modc_conv_desc *d, int nthreads);
void modc_wino_run(const modc_conv_desc *d, const float *x, const float *packed_w,
                   const float *bias, const float *residual, float *y, float *workspace,
                   modc_pool *pool);

/* Input transform of tiles t0..t0+nt (local tile l = t - t0) and channels
 * [c0, c1) into packed V panels with g->ldm tiles per point. */
void modc_wino_input_scalar(const modc_conv_desc *d, const modc_wgeom *g, const float *x,
                            int t0, int nt, int c0, int c1, float *v);
#if MODC_X86
/* AVX-512 transforms (winograd_x86.c): tiles t0..t0+nt of the chunk. */
void modc_wino_input_avx512(const modc_conv_desc *d, const modc_wgeom *g, const float *x,
                            int t0, int nt, int c0, int c1, float *v);
void modc_wino_output_avx512(const modc_conv_desc *d, const modc_wgeom *g, const float *m,
                             int t0, int nt, int co0, int co1, const float *bias,
                             const float *residual, float *y);
#endif

/* Transposed-GEMM path (winograd_small.c), used when V of one image fits in
 * 2 MiB; images are processed in chunks of as many as fit, per chunk:
 *   1. one input transform of the chunk's tiles into a shared V[tile][p][ldv]
 *      (ldv = Cin rounded up to 16; tasks: image x 16-channel blocks);
 *   2. per task (64 output channels x up to 4 tile panels) the 36 GEMMs in
 *      "transposed" form, M_p[tile][co] = sum_k V[tile][p][k] * U_p[co][k]
 *      (U rows as vectors, V values broadcast), into a per-thread M, then the
 *      output transform with output channels as vector lanes.
 * Per M element the reduction is one pass over k = 0..Cin-1, so the tile and
 * channel split (which depends on the thread count) never changes results. */
#define MODC_WS_COUT 64    /* output channels per task (4 U panels) */
#define MODC_WS_PANELS 4   /* tile panels (of 16) per task at most */
#define MODC_WS_GROUP 6    /* tiles per transposed micro-kernel call at most */

/* 1 when modc_wino_run takes the few-tile path (depends on the shape only). */
int modc_wino_small_applies(const modc_conv_desc *d);
size_t modc_wino_small_workspace(const modc_conv_desc *d, int nthreads);
void modc_wino_small_run(const modc_conv_desc *d, const float *x, const float *packed_w,
                         const float *bias, const float *residual, float *y, float *workspace,
                         modc_pool *pool);

/* One transposed micro-kernel call: for tiles t < nt and U panels j < np,
 *   M[t*ldm + 16j + lane] (+)= sum_k v[t*vts + k] * u[j*ustride + k*16 + lane]. */
typedef struct modc_wtk_args {
  int kc, nt, np, load;
  const float *u;     /* first U panel at the current k (16 floats per k) */
  ptrdiff_t ustride;  /* floats between U panels */
  const float *v;     /* V at the first tile and current k */
  ptrdiff_t vts;      /* floats between tiles in V */
  float *m;           /* M at the first tile, first channel of the task */
  ptrdiff_t ldm;      /* floats between tiles in M */
  const char *pf;     /* next layer's weights (modc_pf_take) or NULL */
  ptrdiff_t pfstep;
} modc_wtk_args;

#if MODC_X86
void modc_wino_tk_avx512(const modc_wtk_args *a);
/* Input transform of image b, channels c0..c0+nc (nc <= 16, c0 % 16 == 0)
 * into V[tile][p][ldv] (v: the image's first tile); scratch: (4*th+2)*(4*tw+2)*16 floats, 64-byte aligned. */
void modc_wino_input_t_avx512(const modc_conv_desc *d, const modc_wgeom *g, const float *x,
                              int b, int c0, int nc, float *scratch, float *v, size_t ldv);
/* Output transform of a task's M (point stride mps, tile stride MODC_WS_COUT)
 * for tiles t0..t0+nt and channels co0..co0+nco, channels as vector lanes. */
void modc_wino_output_t_avx512(const modc_conv_desc *d, const modc_wgeom *g, const float *m,
                               ptrdiff_t mps, int t0, int nt, int co0, int nco,
                               const float *bias, const float *residual, float *y);
#endif

/* Aligns a workspace pointer up to 64 bytes. */
float *modc_align64(float *p);

/* Sum of x[0..n) and dot product of a, b with 16 independent partial sums, so the compiler vectorises them
 * without reassociating (-ffast-math is never used); the order is fixed, so results are deterministic. */
static inline float modc_sum16(const float *x, int n) {
  float acc[16] = {0};
  int i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; l++) acc[l] += x[i + l];
  float s = 0.0f;
  for (int l = 0; l < 16; l++) s += acc[l];
  for (; i < n; i++) s += x[i];
  return s;
}

static inline float modc_dot16(const float *a, const float *b, int n) {
  float acc[16] = {0};
  int i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; l++) acc[l] += a[i + l] * b[i + l];
  float s = 0.0f;
  for (int l = 0; l < 16; l++) s += acc[l];
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

/* Splits the NR output pixels p0 .. p0+nr of a packed conv panel into runs that share an output row (of width
 * `ow`): run r starts at panel column j[r], output row oh[r], column ow_[r], and is len[r] pixels long.
 * Returns the number of runs. Shared by the scalar and AVX-512 panel packers. */
static inline int modc_panel_segments(int p0, int nr, int ow, int *oh, int *ow_, int *j, int *len) {
  int n = 0;
  for (int c = 0; c < nr;) {
    int p = p0 + c, row = p / ow, col = p % ow;
    int l = ow - col < nr - c ? ow - col : nr - c;
    oh[n] = row;
    ow_[n] = col;
    j[n] = c;
    len[n] = l;
    n++;
    c += l;
  }
  return n;
}

#endif
