/* winograd_small.c - the few-tile Winograd path (batch 1 at 14x14, 7x7, ...),
 * for F(4x4,3x3) (36 points, 6x6 input tiles) and F(2x2,3x3) (16 points, 4x4
 * input tiles); the tile sizes come from modc_wgeom, so both share this code.
 *
 * With few tiles the chunked path of winograd.c has too little work per
 * chunk: the output channels get split into parts that each redo the input
 * transform, and its 8x48 micro-kernel runs on a single 16-tile panel (9
 * loads per 8 FMAs). Here, when V for all tiles fits in L2:
 *   1. the input is transformed once into a shared V[tile][p][channel]
 *      (parallel over images x 16-channel blocks, channels as vector lanes);
 *   2. tasks of 64 output channels x up to 4 tile panels run the 36 GEMMs in
 *      transposed form, M_p[tile][co] = V_p[:, tile]ᵀ · U_pᵀ: the packed U
 *      rows (16 output channels per k) are the vectors, V values are
 *      broadcast, 6 tiles x 4 panels = 24 accumulators, 10 loads per 24 FMAs;
 *      every U element is read by one task only, so weights stream once;
 *   3. the same task applies the output transform to its M with the output
 *      channels as vector lanes (all 16 lanes busy for any plane size).
 * Each M element is one k = 0..Cin-1 pass of one accumulator, so results do
 * not depend on how tiles and channels are split over threads. */
#include <string.h>

#include "winograd_math.h"

/* V of one chunk of images must fit in this many floats (2 MiB, one L2). */
#ifndef WS_VMAX
#define WS_VMAX ((size_t)524288)
#endif

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

/* Floats between tiles in V: Cin rounded up to whole vectors. */
static size_t small_ldv(const modc_conv_desc *d) { return round16((size_t)d->c_in); }

/* Floats of V per image. */
static size_t small_vimg(const modc_conv_desc *d, const modc_wgeom *g) {
  return (size_t)g->pts * (size_t)g->tiles * small_ldv(d);
}

/* Chunks of *ipc whole images (as many as keep V within WS_VMAX): ldm and
 * cp = ldm/16 cover the tiles of a full chunk; vsize: V of one chunk;
 * msize: the per-thread area (a task's M, or the input scratch). */
static void small_geometry(const modc_conv_desc *d, modc_wgeom *g, int *ipc) {
  modc_wino_geometry(d, g);
  size_t per = small_vimg(d, g);
  int k = per ? (int)(WS_VMAX / per) : 1;
  if (k < 1) k = 1;
  if (k > d->n) k = d->n;
  *ipc = k;
  g->ldm = (int)round16((size_t)k * (size_t)g->tiles);
  g->cp = g->ldm / 16;
  g->nchunks = (d->n + k - 1) / k;
  g->vsize = round16((size_t)k * per);
  int pan = g->cp < MODC_WS_PANELS ? g->cp : MODC_WS_PANELS;
  size_t m = (size_t)g->pts * 16 * (size_t)pan * MODC_WS_COUT;
  size_t scratch = (size_t)(g->mt * g->th + 2) * (size_t)(g->mt * g->tw + 2) * 16;
  g->msize = m > scratch ? m : scratch;
}

int modc_wino_small_applies(const modc_conv_desc *d) {
  modc_wgeom g;
  modc_wino_geometry(d, &g);
  /* F(2x2,3x3) has no chunked path: larger planes just get a larger V. */
  return g.total > 0 && (g.pts < MODC_WG_POINTS || small_vimg(d, &g) <= WS_VMAX);
}

size_t modc_wino_small_workspace(const modc_conv_desc *d, int nthreads) {
  if (nthreads < 1) nthreads = 1;
  modc_wgeom g;
  int ipc;
  small_geometry(d, &g, &ipc);
  return g.vsize + (size_t)nthreads * g.msize + 16;
}

/* ------------------------------------------------------- portable kernels */

static void tk_scalar(const modc_wtk_args *a) {
  for (int t = 0; t < a->nt; t++)
    for (int j = 0; j < a->np; j++)
      for (int l = 0; l < 16; l++) {
        const float *u = a->u + (ptrdiff_t)j * a->ustride + l, *v = a->v + (ptrdiff_t)t * a->vts;
        float acc = 0.0f;
        for (int k = 0; k < a->kc; k++) acc += v[k] * u[(size_t)k * 16];
        float *m = a->m + (ptrdiff_t)t * a->ldm + 16 * j + l;
        *m = a->load ? *m + acc : acc;
      }
}

/* Image b, channels [c0, c1) of every tile into V[tile][p][ldv] (v: the image's first tile). */
static void input_t_scalar(const modc_conv_desc *d, const modc_wgeom *g, const float *x, int b,
                           int c0, int c1, float *v, size_t ldv) {
  for (int r = 0; r < g->tiles; r++) {
    int ih0 = (r / g->tw) * g->mt - d->pad_top, iw0 = (r % g->tw) * g->mt - d->pad_left;
    float *vt = v + (size_t)r * (size_t)g->pts * ldv;
    for (int ci = c0; ci < c1; ci++) {
      float o[MODC_WG_POINTS];
      modc_wg_input_tile(d, g, x + ((size_t)b * d->c_in + ci) * (size_t)d->h * (size_t)d->w, ih0, iw0, o);
      for (int p = 0; p < g->pts; p++) vt[(size_t)p * ldv + (size_t)ci] = o[p];
    }
  }
}

static void output_t_scalar(const modc_conv_desc *d, const modc_wgeom *g, const float *m,
                            ptrdiff_t mps, int t0, int nt, int co0, int nco, const float *bias,
                            const float *residual, float *y) {
  for (int i = 0; i < nt; i++) {
    int t = t0 + i, b = t / g->tiles, r = t % g->tiles;
    for (int c = 0; c < nco; c++) {
      float mt[MODC_WG_POINTS];
      for (int p = 0; p < g->pts; p++) mt[p] = m[p * mps + (ptrdiff_t)i * MODC_WS_COUT + c];
      modc_wg_store_tile(d, g, mt, b, co0 + c, (r / g->tw) * g->mt, (r % g->tw) * g->mt, bias,
                         residual, y);
    }
  }
}

/* ------------------------------------------------------------------ driver */

typedef struct {
  const modc_conv_desc *d;
  modc_wgeom g;
  const float *x, *packed_w, *bias, *residual;
  float *y, *v, *m;
  int simd, prange, cob; /* cob: output channels per task (MODC_WS_COUT, or 16/32 for tiny convs) */
  int b0, nb, cp;         /* the current chunk: images b0 .. b0+nb, cp tile panels */
} small_ctx;

/* Phase 1: chunk image task / cblocks, channels [16*cb, 16*cb+16) into V. */
static void input_task(void *raw, int task, int thread) {
  const small_ctx *c = raw;
  const modc_conv_desc *d = c->d;
  int cblocks = (d->c_in + 15) / 16, bl = task / cblocks, c0 = (task % cblocks) * 16;
  int nc = d->c_in - c0 < 16 ? d->c_in - c0 : 16, b = c->b0 + bl;
  size_t ldv = small_ldv(d);
  float *v = c->v + (size_t)bl * small_vimg(d, &c->g);
#if MODC_X86
  if (c->simd) {
    modc_wino_input_t_avx512(d, &c->g, c->x, b, c0, nc, c->m + (size_t)thread * c->g.msize, v,
                             ldv);
    return;
  }
#endif
  (void)thread;
  input_t_scalar(d, &c->g, c->x, b, c0, c0 + nc, v, ldv);
}

/* Phase 2: output channels [co0, co0+64) x tile panels [p0, p1). */
static void gemm_task(void *raw, int task, int thread) {
  const small_ctx *c = raw;
  const modc_conv_desc *d = c->d;
  int cb = task / c->prange, pr = task % c->prange;
  int p0 = (int)((long long)c->cp * pr / c->prange);
  int p1 = (int)((long long)c->cp * (pr + 1) / c->prange);
  int co0 = cb * c->cob;
  int nco = d->c_out - co0 < c->cob ? d->c_out - co0 : c->cob;
  int ntc = c->nb * c->g.tiles; /* tiles of the chunk; local tile l is global b0*tiles + l */
  int t0 = p0 * 16, t1 = p1 * 16 < ntc ? p1 * 16 : ntc;
  float *m = c->m + (size_t)thread * c->g.msize;
  ptrdiff_t mps = (ptrdiff_t)(p1 - p0) * 16 * MODC_WS_COUT;
  size_t per = modc_pack_a_size(d->c_out, d->c_in);
  size_t ldv = small_ldv(d), vts = (size_t)c->g.pts * ldv, pan = (size_t)16 * (size_t)d->c_in;
  modc_wtk_args a;
  a.kc = d->c_in;
  a.np = (nco + 15) / 16;
  a.load = 0;
  a.ustride = (ptrdiff_t)pan;
  a.ldm = MODC_WS_COUT;
  a.vts = (ptrdiff_t)vts;
  for (int p = 0; p < c->g.pts; p++) {
    a.u = c->packed_w + (size_t)p * per + (size_t)co0 * (size_t)d->c_in;
    for (int q = p0; q < p1; q++) {
      const float *vq = c->v + (size_t)p * ldv + (size_t)q * 16 * vts;
      int nv = t1 - q * 16 < 16 ? t1 - q * 16 : 16;
      int ng = (nv + MODC_WS_GROUP - 1) / MODC_WS_GROUP;
      for (int gi = 0; gi < ng; gi++) {
        int ta = nv * gi / ng, tb = nv * (gi + 1) / ng;
        a.nt = tb - ta;
        a.v = vq + (size_t)ta * vts;
        a.m = m + p * mps + ((ptrdiff_t)(q - p0) * 16 + ta) * MODC_WS_COUT;
        a.pf = modc_pf_take(a.kc, &a.pfstep, NULL);
#if MODC_X86
        if (c->simd) {
          modc_wino_tk_avx512(&a);
          continue;
        }
#endif
        tk_scalar(&a);
      }
    }
  }
#if MODC_X86
  if (c->simd) {
    modc_wino_output_t_avx512(d, &c->g, m, mps, c->b0 * c->g.tiles + t0, t1 - t0, co0, nco,
                              c->bias, c->residual, c->y);
    return;
  }
#endif
  output_t_scalar(d, &c->g, m, mps, c->b0 * c->g.tiles + t0, t1 - t0, co0, nco, c->bias,
                  c->residual, c->y);
}

void modc_wino_small_run(const modc_conv_desc *d, const float *x, const float *packed_w,
                         const float *bias, const float *residual, float *y, float *workspace,
                         modc_pool *pool) {
  small_ctx c;
  int ipc;
  c.d = d;
  small_geometry(d, &c.g, &ipc);
  c.x = x;
  c.packed_w = packed_w;
  c.bias = bias;
  c.residual = residual;
  c.y = y;
  c.v = modc_align64(workspace);
  c.m = c.v + c.g.vsize;
  c.simd = modc_get_isa() >= MODC_ISA_AVX512;
  int nthreads = modc_pool_nthreads(pool);
  for (c.b0 = 0; c.b0 < d->n; c.b0 += ipc) {
    c.nb = d->n - c.b0 < ipc ? d->n - c.b0 : ipc;
    c.cp = (c.nb * c.g.tiles + 15) / 16;
    modc_pool_parallel_for(pool, c.nb * ((d->c_in + 15) / 16), input_task, &c);
    /* Tile panel ranges: at most MODC_WS_PANELS panels each, and enough
     * tasks for every thread when there are few 64-channel blocks. A conv
     * with fewer tiles than that (CIFAR ResNet's 32@16 and 64@8 at batch 1:
     * one panel) splits its output channels finer instead, so both threads
     * get work (CIFAR ResNet-20, 2 threads: 0.52 -> 0.46 ms). */
    c.cob = MODC_WS_COUT;
    while (nthreads > 1 && c.cob > 16 && ((d->c_out + c.cob - 1) / c.cob) * c.cp < nthreads)
      c.cob /= 2;
    int cblocks = (d->c_out + c.cob - 1) / c.cob;
    int need = (c.cp + MODC_WS_PANELS - 1) / MODC_WS_PANELS;
    int want = (2 * nthreads + cblocks - 1) / cblocks;
    if (nthreads == 1) want = 1;
    if (want > c.cp) want = c.cp;
    c.prange = need > want ? need : want;
    modc_pool_parallel_for(pool, cblocks * c.prange, gemm_task, &c);
  }
}
