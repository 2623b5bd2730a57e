/* conv_direct_small.c - direct conv for small output planes (AVX-512 path).
 *
 * Late ResNet layers have 14x14 or 7x7 outputs: 196 or 49 pixels fill 16-lane
 * pixel vectors badly (49 = 3 x 16 + 1) and padded q rows waste more lanes
 * (a 7-wide row in a 9-wide q row). Here the lanes run over output channels
 * instead: one zmm of the packed weights holds 16 couts for one k, and each
 * real output pixel is a broadcast from B (the same phase copy / x as
 * conv_direct.c, read at off[k] + q). Only real pixels are computed.
 *
 * The micro-kernel accumulates S[pixel][cout] (pixel-major scratch). A task
 * owns units of 4 A panels x groups of 6 pixels; per unit and K block the A
 * block (4 x 16 x kc) stays in L1 while the pixel groups stream B from L1/L2.
 * At the end the task transposes its S block into NCHW y with bias, residual
 * and ReLU. K blocks are fixed for a given K: thread-count invariant. */
#include "modc_internal.h"

/* K block depth: the unit's A block (64 x 512 floats, 128 KiB) stays in L2;
 * 128 cost 2-4% (1 thread) in S round trips on the late ResNet-50 layers
 * (-D overrides it for sweeps). */
#ifndef SM_KC_MAX
#define SM_KC_MAX 512
#endif
#define SM_NP 6       /* pixels per micro-kernel call */
#define SM_UNIT 4     /* A panels per micro-kernel call */

size_t modc_dconv_small_scratch(const modc_conv_desc *d, const modc_dgeom *g) {
  size_t mp = ((size_t)g->mg + MODC_GEMM_MR - 1) / MODC_GEMM_MR;
  return (size_t)d->n * (size_t)g->oh * (size_t)g->ow * (size_t)d->groups * mp * MODC_GEMM_MR +
         16;
}

typedef struct {
  const modc_conv_desc *d;
  const modc_dgeom *g;
  const modc_cmap *map; /* MoD maps or NULL */
  const float *bsrc, *packed_w, *bias, *residual;
  const ptrdiff_t *off;
  float *y, *s;
  size_t wstride;
  int mp, units, ngroups, npix, ohw, mc, pc;
} small_ctx;

static void small_task(void *raw, int task, int thread) {
  (void)thread;
  const small_ctx *c = raw;
  const modc_conv_desc *d = c->d;
  const modc_dgeom *g = c->g;
  int per_group = c->mc * c->pc;
  int grp = task / per_group, t = task % per_group;
  int mi = t % c->mc, pi = t / c->mc;
  int pan0 = (int)((long long)c->units * mi / c->mc) * SM_UNIT;
  int pan1 = (int)((long long)c->units * (mi + 1) / c->mc) * SM_UNIT;
  if (pan1 > c->mp) pan1 = c->mp;
  int px0 = (int)((long long)c->ngroups * pi / c->pc) * SM_NP;
  int px1 = (int)((long long)c->ngroups * (pi + 1) / c->pc) * SM_NP;
  if (px1 > c->npix) px1 = c->npix;
  if (pan0 >= pan1 || px0 >= px1) return;
  ptrdiff_t lds = (ptrdiff_t)c->mp * MODC_GEMM_MR;
  float *s = c->s + (size_t)grp * (size_t)c->npix * (size_t)lds;
  const float *pa = c->packed_w + (size_t)grp * c->wstride;
  int nkb = (g->kg + SM_KC_MAX - 1) / SM_KC_MAX;
  modc_tukr_args a;
  a.astride = (ptrdiff_t)MODC_GEMM_MR * g->kg;
  a.b = c->bsrc + (size_t)grp * (size_t)g->cig * g->chan;
  a.lds = lds;
  /* Mapped pointwise conv: per-image absolute offsets into x, so a call never
   * straddles two images (S rows are per pixel: the split changes no sum). */
  const modc_cmap *map = c->map;
  int per_image_off = map && map->in_off && !g->copy;
  for (int p = pan0; p < pan1; p += SM_UNIT) {
    a.npan = pan1 - p < SM_UNIT ? pan1 - p : SM_UNIT;
    for (int kb = 0; kb < nkb; kb++) {
      int k0 = (int)((long long)g->kg * kb / nkb);
      a.kc = (int)((long long)g->kg * (kb + 1) / nkb) - k0;
      a.load = kb > 0;
      a.a = pa + (size_t)p * MODC_GEMM_MR * (size_t)g->kg + (size_t)k0 * MODC_GEMM_MR;
      a.off = c->off + k0;
      for (int q = px0; q < px1; q += a.np) {
        a.np = px1 - q < SM_NP ? px1 - q : SM_NP;
        if (per_image_off) {
          int img0 = q / c->ohw, left = (img0 + 1) * c->ohw - q;
          if (a.np > left) a.np = left;
          a.off = map->in_off + (size_t)img0 * (size_t)g->kg + (size_t)k0;
        }
        for (int i = 0; i < SM_NP; i++) {
          int pp = q + (i < a.np ? i : 0);
          int img = pp / c->ohw, pl = pp % c->ohw;
          a.pix[i] = (per_image_off ? 0 : (ptrdiff_t)img * (ptrdiff_t)g->img) +
                     (ptrdiff_t)(pl / g->ow) * g->wq + pl % g->ow;
        }
        a.s = s + (ptrdiff_t)q * lds + (ptrdiff_t)p * MODC_GEMM_MR;
        a.pf = modc_pf_take(a.kc, &a.pfstep, NULL);
#if MODC_X86
        modc_tukr_avx512(&a);
#endif
      }
    }
    /* The unit is final: transpose its S block into y, 16 x 16 at a time
     * (pixel chunks never straddle two images). */
    int m0 = p * MODC_GEMM_MR, m1 = (p + a.npan) * MODC_GEMM_MR;
    if (m1 > g->mg) m1 = g->mg;
    for (int pp = px0; pp < px1;) {
      int img = pp / c->ohw, pl = pp % c->ohw;
      int np = px1 - pp < 16 ? px1 - pp : 16;
      if (np > c->ohw - pl) np = c->ohw - pl;
      for (int m = m0; m < m1; m += 16) {
        int co = grp * g->mg + m;
        size_t yi = ((size_t)img * (size_t)d->c_out + (size_t)co) * (size_t)c->ohw + (size_t)pl;
#if MODC_X86
        if (map && map->row_off) {
          size_t r0 = (size_t)img * (size_t)d->c_out + (size_t)co;
          modc_tstore_mod_avx512(s + (ptrdiff_t)pp * lds + m, lds, np, m1 - m < 16 ? m1 - m : 16,
                                 c->bias ? c->bias + co : NULL, map->scores + r0,
                                 map->row_off + r0, map->out + (size_t)img * map->out_img + pl,
                                 d->relu);
          continue;
        }
        modc_tstore_avx512(s + (ptrdiff_t)pp * lds + m, lds, np, m1 - m < 16 ? m1 - m : 16,
                           c->bias ? c->bias + co : NULL, c->residual ? c->residual + yi : NULL,
                           c->y + yi, c->ohw, d->relu);
#endif
      }
      pp += np;
    }
  }
}

void modc_dconv_run_small(const modc_conv_desc *d, const modc_dgeom *g, const float *bsrc,
                          const ptrdiff_t *off, const modc_cmap *map, const float *packed_w,
                          const float *bias, const float *residual, float *y, float *scratch,
                          modc_pool *pool) {
  small_ctx c;
  c.d = d;
  c.map = map;
  c.g = g;
  c.bsrc = bsrc;
  c.off = off;
  c.packed_w = packed_w;
  c.bias = bias;
  c.residual = residual;
  c.y = y;
  c.s = modc_align64(scratch);
  c.wstride = modc_pack_a_size(g->mg, g->kg);
  c.mp = (g->mg + MODC_GEMM_MR - 1) / MODC_GEMM_MR;
  c.units = (c.mp + SM_UNIT - 1) / SM_UNIT;
  c.ohw = g->oh * g->ow;
  c.npix = d->n * c.ohw;
  c.ngroups = (c.npix + SM_NP - 1) / SM_NP;
  modc_split_grid(c.units, c.ngroups, d->groups, modc_pool_nthreads(pool), &c.mc, &c.pc);
  modc_pool_parallel_for(pool, d->groups * c.mc * c.pc, small_task, &c);
}
