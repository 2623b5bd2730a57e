/* winograd.c - Winograd F(4x4,3x3) and F(2x2,3x3) convolution (3x3, stride 1,
 * dilation 1, group 1): shared geometry, weight packing, dispatch, the cost
 * model and the chunked F(4x4,3x3) path.
 *
 * Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A per 4x4 output tile, with the interpolation
 * points 0, ±1, ±2, ∞ (Lavin & Gray 2016). The weight transform U = G g Gᵀ is
 * done at pack time (in double) and stored as 36 matrices U_p[Cout x Cin] in
 * modc_pack_a's panel format. At run time the tiles are cut into chunks of
 * up to 3 panels of 16 tiles; per chunk and thread:
 *   1. input transform  V_p[Cin x tiles] = Bᵀ d B, written as packed B panels;
 *   2. 36 GEMMs        M_p[Cout x tiles] = U_p · V_p with modc's micro-kernel
 *                      (K blocked exactly like modc_gemm);
 *   3. output transform y = Aᵀ M A + bias + residual, ReLU, cropped to OH x OW.
 * Chunks (and, when there are few, ranges of 16 output channels) are the
 * parallel tasks; every output element sees the same reduction order for any
 * thread count. The AVX-512 transforms (winograd_x86.c) work on 16 tiles of a
 * tile row per vector; the portable ones below go tile by tile.
 * This chunked path runs only for planes whose per-image V exceeds 2 MiB;
 * all others take the transposed-GEMM path of winograd_small.c.
 * F(2x2,3x3) (points 0, ±1, ∞; 16 per tile) always takes that path: it is
 * chosen only for few-tile planes, where the transforms cost little and
 * U = 16 (not 36) Cout x Cin matrices is what streams from memory. */
#include <string.h>

#include "winograd_math.h"

int modc_wino_supported(const modc_conv_desc *d) {
  return d->kh == 3 && d->kw == 3 && d->stride_h == 1 && d->stride_w == 1 && d->dil_h == 1 &&
         d->dil_w == 1 && d->groups == 1 && d->pad_top <= 2 && d->pad_left <= 2 &&
         d->pad_bottom <= 2 && d->pad_right <= 2 && d->layout == MODC_LAYOUT_NCHW;
}

int modc_wino_algo(const modc_conv_desc *d) {
  return d->algo == MODC_CONV_WINOGRAD || d->algo == MODC_CONV_WINOGRAD_F2;
}

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

void modc_wino_geometry(const modc_conv_desc *d, modc_wgeom *g) {
  g->mt = d->algo == MODC_CONV_WINOGRAD_F2 ? 2 : 4;
  g->it = g->mt + 2;
  g->pts = g->it * g->it;
  g->oh = modc_conv2d_out_h(d);
  g->ow = modc_conv2d_out_w(d);
  g->th = (g->oh + g->mt - 1) / g->mt;
  g->tw = (g->ow + g->mt - 1) / g->mt;
  g->tiles = g->th * g->tw;
  g->total = d->n * g->tiles;
  /* Up to 3 panels (one 8x48 micro-kernel call) while V and M stay within
   * ~640 KiB of L2; never more panels than there are tiles. */
  size_t per_panel = (size_t)g->pts * 16 * ((size_t)d->c_in + (size_t)d->c_out);
  int cp = (int)(((size_t)160 * 1024) / per_panel);
  if (cp > 3) cp = 3;
  if (cp < 1) cp = 1;
  int panels = (g->total + 15) / 16;
  if (cp > panels) cp = panels;
  g->cp = cp;
  g->ldm = 16 * cp;
  g->nchunks = (g->total + g->ldm - 1) / g->ldm;
  g->vsize = round16((size_t)g->pts * (size_t)g->ldm * (size_t)d->c_in);
  g->msize = round16((size_t)g->pts * (size_t)d->c_out * (size_t)g->ldm);
}

size_t modc_wino_packed_size(const modc_conv_desc *d) {
  modc_wgeom g;
  modc_wino_geometry(d, &g);
  return (size_t)g.pts * modc_pack_a_size(d->c_out, d->c_in);
}

/* U = G g Gᵀ in double, written straight into the 36 (F(4x4,3x3)) or 16
 * (F(2x2,3x3)) packed A matrices: element (co, ci) of U_p sits at
 * (co/16)*16*cin + ci*16 + co%16. */
void modc_wino_pack(const modc_conv_desc *d, const float *w, float *packed) {
  static const double G4[6][3] = {{0.25, 0, 0},
                                  {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                  {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                  {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                  {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                  {0, 0, 1}};
  static const double G2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  modc_wgeom geo;
  modc_wino_geometry(d, &geo);
  const double(*G)[3] = geo.it == 6 ? G4 : G2;
  int n = geo.it;
  size_t per = modc_pack_a_size(d->c_out, d->c_in);
  memset(packed, 0, (size_t)geo.pts * per * sizeof(float));
  for (int co = 0; co < d->c_out; co++)
    for (int ci = 0; ci < d->c_in; ci++) {
      const float *g = w + ((size_t)co * d->c_in + ci) * 9;
      double t[6][3];
      for (int i = 0; i < n; i++)
        for (int j = 0; j < 3; j++)
          t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
      size_t at = (size_t)(co / 16) * 16 * (size_t)d->c_in + (size_t)ci * 16 + (size_t)(co % 16);
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
          double u = t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2];
          packed[(size_t)(i * n + j) * per + at] = (float)u;
        }
    }
}

size_t modc_wino_workspace_size(const modc_conv_desc *d, int nthreads) {
  if (modc_wino_small_applies(d)) return modc_wino_small_workspace(d, nthreads);
  if (nthreads < 1) nthreads = 1;
  modc_wgeom g;
  modc_wino_geometry(d, &g);
  return (size_t)nthreads * (g.vsize + g.msize) + 16;
}

/* ------------------------------------------------------- portable transforms */

void modc_wino_input_scalar(const modc_conv_desc *d, const modc_wgeom *g, const float *x, int t0,
                            int nt, int c0, int c1, float *v) {
  size_t pstride = (size_t)g->ldm * (size_t)d->c_in;
  for (int i = 0; i < nt; i++) {
    int t = t0 + i, b = t / g->tiles, r = t % g->tiles;
    int ih0 = (r / g->tw) * 4 - d->pad_top, iw0 = (r % g->tw) * 4 - d->pad_left;
    float *vt = v + (size_t)(i / 16) * 16 * (size_t)d->c_in + (size_t)(i % 16);
    for (int ci = c0; ci < c1; ci++) {
      float o[36];
      modc_wg_input_tile(d, g, x + ((size_t)b * d->c_in + ci) * (size_t)d->h * (size_t)d->w, ih0, iw0, o);
      for (int p = 0; p < MODC_WG_POINTS; p++) vt[(size_t)p * pstride + (size_t)ci * 16] = o[p];
    }
  }
}

static void output_scalar(const modc_conv_desc *d, const modc_wgeom *g, const float *m, int t0,
                          int nt, int co0, int co1, const float *bias, const float *residual,
                          float *y) {
  size_t pstride = (size_t)d->c_out * (size_t)g->ldm;
  for (int i = 0; i < nt; i++) {
    int t = t0 + i, b = t / g->tiles, r = t % g->tiles;
    for (int co = co0; co < co1; co++) {
      float mt[36];
      for (int p = 0; p < MODC_WG_POINTS; p++)
        mt[p] = m[(size_t)p * pstride + (size_t)co * g->ldm + (size_t)i];
      modc_wg_store_tile(d, g, mt, b, co, (r / g->tw) * 4, (r % g->tw) * 4, bias, residual, y);
    }
  }
}

/* ------------------------------------------------------------------ driver */

typedef struct {
  const modc_conv_desc *d;
  modc_wgeom g;
  const float *x, *packed_w, *bias, *residual;
  float *y, *ws;
  int parts, mpanels, simd;
} wino_ctx;

static void wino_gemm(const wino_ctx *c, const float *v, float *m, int npan, int co0, int co1) {
  const modc_conv_desc *d = c->d;
  modc_ukr_fn ukr = modc_select_ukr();
  size_t per = modc_pack_a_size(d->c_out, d->c_in);
  size_t vstride = (size_t)c->g.ldm * (size_t)d->c_in, pan = (size_t)16 * (size_t)d->c_in;
  int nkb = (d->c_in + MODC_KC_MAX - 1) / MODC_KC_MAX;
  modc_ukr_args a;
  memset(&a, 0, sizeof a);
  a.bstride = (ptrdiff_t)pan;
  a.ldc = c->g.ldm;
  for (int p = 0; p < MODC_WG_POINTS; p++) {
    const float *up = c->packed_w + (size_t)p * per;
    const float *vp = v + (size_t)p * vstride;
    float *mp = m + (size_t)p * (size_t)d->c_out * (size_t)c->g.ldm;
    for (int kb = 0; kb < nkb; kb++) {
      int k0 = (int)((long long)d->c_in * kb / nkb);
      a.kc = (int)((long long)d->c_in * (kb + 1) / nkb) - k0;
      a.flags = kb > 0 ? MODC_UK_LOAD_C : 0;
      for (int co = co0; co < co1; co += MODC_GEMM_MR) {
        a.mr = d->c_out - co < MODC_GEMM_MR ? d->c_out - co : MODC_GEMM_MR;
        a.a = up + (size_t)co * (size_t)d->c_in + (size_t)k0 * MODC_GEMM_MR;
        for (int j = 0; j < npan; j += MODC_UK_MAXP) {
          a.np = npan - j < MODC_UK_MAXP ? npan - j : MODC_UK_MAXP;
          a.b = vp + (size_t)j * pan + (size_t)k0 * 16;
          for (int q = 0; q < a.np; q++) {
            a.c[q] = mp + (size_t)co * (size_t)c->g.ldm + (size_t)(j + q) * 16;
            a.nr[q] = 16;
          }
          a.pf = modc_pf_take(a.kc * ((a.mr + 7) / 8), &a.pfstep, NULL);
          ukr(&a);
        }
      }
    }
  }
}

static void wino_task(void *raw, int task, int thread) {
  const wino_ctx *c = raw;
  const modc_conv_desc *d = c->d;
  int chunk = task / c->parts, part = task % c->parts;
  float *v = c->ws + (size_t)thread * (c->g.vsize + c->g.msize), *m = v + c->g.vsize;
  int t0 = chunk * c->g.ldm;
  int nt = c->g.total - t0 < c->g.ldm ? c->g.total - t0 : c->g.ldm;
  int npan = (nt + 15) / 16;
  int co0 = (int)((long long)c->mpanels * part / c->parts) * MODC_GEMM_MR;
  int co1 = (int)((long long)c->mpanels * (part + 1) / c->parts) * MODC_GEMM_MR;
  if (co1 > d->c_out) co1 = d->c_out;
  /* Lanes of the last panel past the last tile feed only discarded columns
   * of M; zero them so no NaN from old workspace contents is ever computed. */
  if (nt % 16) {
    size_t pstride = (size_t)c->g.ldm * (size_t)d->c_in;
    float *tail = v + (size_t)(nt / 16) * 16 * (size_t)d->c_in;
    for (int p = 0; p < MODC_WG_POINTS; p++)
      for (int ci = 0; ci < d->c_in; ci++)
        memset(tail + (size_t)p * pstride + (size_t)ci * 16 + nt % 16, 0,
               (size_t)(16 - nt % 16) * sizeof(float));
  }
#if MODC_X86
  if (c->simd) {
    modc_wino_input_avx512(d, &c->g, c->x, t0, nt, 0, d->c_in, v);
    wino_gemm(c, v, m, npan, co0, co1);
    modc_wino_output_avx512(d, &c->g, m, t0, nt, co0, co1, c->bias, c->residual, c->y);
    return;
  }
#endif
  modc_wino_input_scalar(d, &c->g, c->x, t0, nt, 0, d->c_in, v);
  wino_gemm(c, v, m, npan, co0, co1);
  output_scalar(d, &c->g, m, t0, nt, co0, co1, c->bias, c->residual, c->y);
}

void modc_wino_run(const modc_conv_desc *d, const float *x, const float *packed_w,
                   const float *bias, const float *residual, float *y, float *workspace,
                   modc_pool *pool) {
  if (modc_wino_small_applies(d)) {
    modc_wino_small_run(d, x, packed_w, bias, residual, y, workspace, pool);
    return;
  }
  wino_ctx c;
  c.d = d;
  modc_wino_geometry(d, &c.g);
  c.x = x;
  c.packed_w = packed_w;
  c.bias = bias;
  c.residual = residual;
  c.y = y;
  c.ws = modc_align64(workspace);
  c.simd = modc_get_isa() >= MODC_ISA_AVX512;
  c.mpanels = (d->c_out + MODC_GEMM_MR - 1) / MODC_GEMM_MR;
  /* Few chunks: also split the output channels (each part redoes the cheap
   * input transform of its chunk). */
  int nthreads = modc_pool_nthreads(pool), want = 2 * nthreads;
  c.parts = 1;
  if (nthreads > 1 && c.g.nchunks < want) {
    c.parts = (want + c.g.nchunks - 1) / c.g.nchunks;
    if (c.parts > c.mpanels) c.parts = c.mpanels;
  }
  modc_pool_parallel_for(pool, c.g.nchunks * c.parts, wino_task, &c);
}

/* Rule fitted with tools/kernel_bench (AVX-512 EPYC, batch 1, speedup of
 * Winograd over direct at 1 thread, hot caches / all caches flushed):
 * transposed-GEMM path 64@56 2.9x/2.0x, 128@28 3.6x/2.6x, 256@14 2.7x/1.9x,
 * 512@7 1.4x/1.3x, 64@20 3.2x/1.7x, 256@10 2.5x/1.4x, cifar 32@16 2.4x/1.2x,
 * 64@8 3.2x/1.0x, but 16@32 1.4x/0.8x (transforms dominate below 32
 * channels). Its GEMM skips padded tiles, so what decides is the MAC ratio
 * direct / Winograd over whole 4x4 tiles: 7x7 has 3.1, 5x5 only 1.6; take
 * >= 2. The chunked path (planes too large for the transposed path) keeps
 * its old fit: ratio over 16-tile panels >= 2.5 and >= 64 channels.
 * Only the AVX-512 paths have fast kernels. */
int modc_conv2d_winograd_profitable(const modc_conv_desc *d) {
  if (!d) return 0;
  modc_conv_desc w = *d;
  w.algo = MODC_CONV_WINOGRAD;
  if (modc_conv2d_check(&w) != MODC_OK) return 0;
  if (modc_get_isa() < MODC_ISA_AVX512) return 0;
  modc_wgeom g;
  modc_wino_geometry(&w, &g);
  double direct = (double)d->n * g.oh * g.ow * 9.0;
  if (modc_wino_small_applies(&w)) {
    if (d->c_in < 32 || d->c_out < 32) return 0;
    /* U (4x the direct weights) is read once per call and each element
     * feeds `total` MACs; with fewer than 16 tiles (512@7 at batch 1: 4)
     * a model whose weights do not stay cached is bound by streaming U from
     * DRAM (in the whole ResNet-50 at 2 threads 512@7 ran no faster than
     * direct while quadrupling its weight bytes). Small U stays cached. */
    double ubytes = (double)MODC_WG_POINTS * d->c_in * d->c_out * 4.0;
    if (g.total < 16 && ubytes > 1024.0 * 1024.0) return 0;
    return direct >= 2.0 * MODC_WG_POINTS * (double)g.total;
  }
  if (d->c_in < 64 || d->c_out < 64) return 0;
  int last = g.total - (g.nchunks - 1) * g.ldm;
  double padded = (double)(g.nchunks - 1) * g.ldm + (double)((last + 15) / 16 * 16);
  return direct >= 2.5 * MODC_WG_POINTS * padded;
}

/* F(2x2,3x3) exists for the layers the rule above rejects because U of
 * F(4x4,3x3) streams from DRAM with too few tiles to amortise it (ResNet-50's
 * 512@7 at batch 1: 4 tiles, U 37.7 MB). F(2x2,3x3) has 4x the tiles and
 * U of 16 points (1.8x the direct weights) and needs fewer MACs than direct
 * over whole 2x2 tiles (512@7: 67 M against 115.6 M). */
int modc_conv2d_winograd_choice(const modc_conv_desc *d) {
  if (!d) return 0;
  if (modc_conv2d_winograd_profitable(d)) return MODC_CONV_WINOGRAD;
  modc_conv_desc w = *d;
  w.algo = MODC_CONV_WINOGRAD;
  if (modc_conv2d_check(&w) != MODC_OK || modc_get_isa() < MODC_ISA_AVX512) return 0;
  if (d->c_in < 32 || d->c_out < 32 || !modc_wino_small_applies(&w)) return 0;
  modc_wgeom g4, g2;
  modc_wino_geometry(&w, &g4);
  double u4 = (double)MODC_WG_POINTS * d->c_in * d->c_out * 4.0;
  if (g4.total >= 16 || u4 <= 1024.0 * 1024.0) return 0; /* rejected for another reason */
  w.algo = MODC_CONV_WINOGRAD_F2;
  modc_wino_geometry(&w, &g2);
  double direct = (double)d->n * g2.oh * g2.ow * 9.0;
  return direct >= 1.5 * (double)g2.pts * (double)g2.total ? MODC_CONV_WINOGRAD_F2 : 0;
}
