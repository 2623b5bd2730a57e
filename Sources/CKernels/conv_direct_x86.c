/* conv_direct_x86.c - AVX-512 micro-kernel of the pack-free conv (conv_direct.c).
 *
 * A 16-row packed A panel times a tile of up to 3 zmm of B read in place:
 * per k one offset load, NV unaligned B loads and 8 broadcasts feed 8*NV FMAs
 * per 8-row strip (24 FMAs per 12 loads at NV = 3, FMA-bound with two load
 * ports). Stores compress the real pixels of each vector (vcompressps in a
 * register, then a masked store), which drops the q-domain padding columns;
 * C and the residual are read back with the matching expand. */
#include "modc_internal.h"

#if MODC_X86
#include <immintrin.h>

#define MODC_AVX512_INLINE __attribute__((target("avx512f"), always_inline)) static inline

/* MoD fusion epilogue of one vector (rare: the last conv of a MoD body), out
 * of line so the inlined store of the common path stays small. */
__attribute__((target("avx512f"), noinline)) static void dstore_mod(const modc_dukr_args *g,
                                                                     int r, int v, __m512 acc,
                                                                     int compact) {
  unsigned vm = g->vmask[v];
  __mmask16 sm = (__mmask16)(compact ? (1u << __builtin_popcount(vm)) - 1u : vm);
  float *o = g->out + g->rowoff[r] + g->ystart[v];
  if (g->bias) acc = _mm512_add_ps(acc, _mm512_set1_ps(g->bias[r]));
  acc = _mm512_mul_ps(acc, _mm512_set1_ps(g->scale[r]));
  __m512 res = _mm512_maskz_loadu_ps(sm, o);
  acc = _mm512_add_ps(compact ? _mm512_maskz_expand_ps((__mmask16)vm, res) : res, acc);
  if (g->relu) acc = _mm512_max_ps(acc, _mm512_setzero_ps());
  _mm512_mask_storeu_ps(o, sm, compact ? _mm512_maskz_compress_ps((__mmask16)vm, acc) : acc);
}

MODC_AVX512_INLINE void dstore(const modc_dukr_args *g, int r, int v, __m512 acc,
                               const int compact) {
  unsigned vm = g->vmask[v];
  __mmask16 sm = (__mmask16)(compact ? (1u << __builtin_popcount(vm)) - 1u : vm);
  float *c = g->c + (ptrdiff_t)r * g->ldc + g->ystart[v];
  if (g->flags & MODC_UK_LOAD_C) {
    __m512 old = _mm512_maskz_loadu_ps(sm, c);
    acc = _mm512_add_ps(acc, compact ? _mm512_maskz_expand_ps((__mmask16)vm, old) : old);
  }
  if ((g->flags & MODC_UK_EPILOGUE) && g->rowoff) {
    dstore_mod(g, r, v, acc, compact);
    return;
  }
  if (g->flags & MODC_UK_EPILOGUE) {
    if (g->bias) acc = _mm512_add_ps(acc, _mm512_set1_ps(g->bias[r]));
    if (g->residual) {
      __m512 res = _mm512_maskz_loadu_ps(sm, g->residual + (ptrdiff_t)r * g->ldc + g->ystart[v]);
      acc = _mm512_add_ps(acc, compact ? _mm512_maskz_expand_ps((__mmask16)vm, res) : res);
    }
    if (g->relu) acc = _mm512_max_ps(acc, _mm512_setzero_ps());
  }
  _mm512_mask_storeu_ps(c, sm, compact ? _mm512_maskz_compress_ps((__mmask16)vm, acc) : acc);
}

/* Rows r0..r0+7 against NV (1..3) B vectors; MASKED loads only the lanes
 * inside the q domain (last tile of an image). */
MODC_AVX512_INLINE void drows8(const modc_dukr_args *g, int r0, const int NV, const int MASKED,
                               const int compact) {
  __m512 z = _mm512_setzero_ps();
  __m512 c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z,
         c30 = z, c31 = z, c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z,
         c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
  const __mmask16 m0 = (__mmask16)g->lmask[0], m1 = (__mmask16)g->lmask[1],
                  m2 = (__mmask16)g->lmask[2];
  const float *a = g->a + r0, *b = g->b;
  const ptrdiff_t *off = g->off, ps = g->pf ? g->pfstep : 0;
  const char *pf = g->pf ? g->pf + (r0 / 8) * (ptrdiff_t)g->kc * ps : (const char *)a;
  /* Residual lines are read once per call, in the epilogue; the last npl
   * k-steps each prefetch one of them, so the stores and residual loads do
   * not wait on DRAM / L3 (1x1 64->256 @56 + residual, cold caches, 1 thread:
   * 60 -> 74 GFLOP/s; hot: unchanged). */
  const char *pl[48];
  int npl = 0;
  if ((g->flags & MODC_UK_EPILOGUE) && g->residual && !g->rowoff) {
    int rows = g->mr - r0 < 8 ? g->mr - r0 : 8;
    for (int r = 0; r < rows; r++)
      for (int v = 0; v < NV; v++)
        pl[npl++] = (const char *)(g->residual + (ptrdiff_t)(r0 + r) * g->ldc + g->ystart[v]);
    if (npl > g->kc) npl = g->kc;
  }
#define MODC_DK_STEP()                                                                          \
  do {                                                                                          \
    _mm_prefetch(pf, _MM_HINT_T1);                                                              \
    pf += ps;                                                                                   \
    const float *bk = b + off[k];                                                               \
    __m512 b0 = MASKED ? _mm512_maskz_loadu_ps(m0, bk) : _mm512_loadu_ps(bk);                   \
    __m512 b1 = NV > 1 ? (MASKED ? _mm512_maskz_loadu_ps(m1, bk + 16) : _mm512_loadu_ps(bk + 16)) \
                       : z;                                                                     \
    __m512 b2 = NV > 2 ? (MASKED ? _mm512_maskz_loadu_ps(m2, bk + 32) : _mm512_loadu_ps(bk + 32)) \
                       : z;                                                                     \
    MODC_ROW(0); MODC_ROW(1); MODC_ROW(2); MODC_ROW(3);                                         \
    MODC_ROW(4); MODC_ROW(5); MODC_ROW(6); MODC_ROW(7);                                         \
    a += MODC_GEMM_MR;                                                                          \
  } while (0)
#define MODC_ROW(r)                                          \
  do {                                                       \
    __m512 av = _mm512_set1_ps(a[r]);                        \
    c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0);              \
    if (NV > 1) c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);  \
    if (NV > 2) c##r##2 = _mm512_fmadd_ps(av, b2, c##r##2);  \
  } while (0)
  int k = 0;
  for (; k < g->kc - npl; k++) MODC_DK_STEP();
  for (int i = 0; k < g->kc; k++, i++) {
    _mm_prefetch(pl[i], _MM_HINT_T0);
    MODC_DK_STEP();
  }
#undef MODC_ROW
#undef MODC_DK_STEP
  int rows = g->mr - r0;
#define MODC_STORE_ROW(r)                                   \
  if (r < rows) {                                           \
    dstore(g, r0 + r, 0, c##r##0, compact);                 \
    if (NV > 1) dstore(g, r0 + r, 1, c##r##1, compact);     \
    if (NV > 2) dstore(g, r0 + r, 2, c##r##2, compact);     \
  }
  MODC_STORE_ROW(0) MODC_STORE_ROW(1) MODC_STORE_ROW(2) MODC_STORE_ROW(3)
  MODC_STORE_ROW(4) MODC_STORE_ROW(5) MODC_STORE_ROW(6) MODC_STORE_ROW(7)
#undef MODC_STORE_ROW
}

MODC_AVX512_INLINE void dpanel(const modc_dukr_args *g, const int NV, const int MASKED,
                               const int compact) {
  drows8(g, 0, NV, MASKED, compact);
  if (g->mr > 8) drows8(g, 8, NV, MASKED, compact);
}

__attribute__((target("avx512f"))) void modc_dukr_avx512(const modc_dukr_args *g) {
  int masked = (g->lmask[0] & g->lmask[1] & g->lmask[2]) != 0xFFFFu;
  if (g->nv == 3 && !masked) {
    if (g->compact) dpanel(g, 3, 0, 1);
    else dpanel(g, 3, 0, 0);
    return;
  }
  /* Tails (last tile of an image): masked loads, generic store. */
  switch (g->nv) {
  case 3: dpanel(g, 3, 1, 1); break;
  case 2: dpanel(g, 2, 1, 1); break;
  default: dpanel(g, 1, 1, 1); break;
  }
}
/* ------------------------------------------ phase copy, stride_w == 2
 * One channel of conv_direct.c's phase-split copy. Every 16-wide run of a
 * phase row j0..j0+15 needs input columns 2*j0 - pad_left + 2t + b, so one
 * 32-float window (two masked loads: lanes outside the row read as zero,
 * which is the padding, and never fault) gives both column phases b = 0, 1
 * through an even / odd two-source permute. */
__attribute__((target("avx512f"))) void modc_dcopy_s2_avx512(const modc_conv_desc *d,
                                                              const modc_dgeom *g,
                                                              const float *src, float *dst) {
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  float *pb0 = g->ca[0] >= 0 ? dst + (size_t)g->ca[0] * g->plane : NULL;
  float *pb1 = g->ca[1] >= 0 ? dst + (size_t)g->ca[1] * g->plane : NULL;
  for (int a = 0; a < d->stride_h; a++) {
    if (g->ra[a] < 0) continue;
    size_t poff = (size_t)g->ra[a] * (size_t)g->nca * g->plane;
    for (int i = 0; i < g->hq; i++) {
      size_t roff = poff + (size_t)i * (size_t)g->wq;
      int ih = i * d->stride_h + a - d->pad_top;
      int inside = ih >= 0 && ih < d->h;
      for (int j0 = 0; j0 < g->wq; j0 += 16) {
        __mmask16 sm = (__mmask16)(g->wq - j0 >= 16 ? 0xFFFFu : (1u << (g->wq - j0)) - 1u);
        __m512 v0 = _mm512_setzero_ps(), v1 = v0;
        if (inside) {
          /* Window lane u holds column 2*j0 - pad_left + u; keep 0 <= col < w. */
          int c0 = 2 * j0 - d->pad_left, lo = -c0, hi = d->w - c0;
          if (lo < 0) lo = 0;
          if (lo > 32) lo = 32;
          if (hi > 32) hi = 32;
          unsigned long long wm = hi > lo ? ((1ull << hi) - 1ull) & ~((1ull << lo) - 1ull) : 0ull;
          const float *base = src + (ptrdiff_t)ih * d->w + c0;
          __m512 w0 = _mm512_maskz_loadu_ps((__mmask16)(wm & 0xFFFFu), base);
          __m512 w1 = _mm512_maskz_loadu_ps((__mmask16)((wm >> 16) & 0xFFFFu), base + 16);
          v0 = _mm512_permutex2var_ps(w0, even, w1);
          v1 = _mm512_permutex2var_ps(w0, odd, w1);
        }
        if (pb0) _mm512_mask_storeu_ps(pb0 + roff + j0, sm, v0);
        if (pb1) _mm512_mask_storeu_ps(pb1 + roff + j0, sm, v1);
      }
    }
  }
}

/* --------------------------------------------- pixel-broadcast (small planes)
 * NP pixels x NPAN panels of 16 couts: per k one offset load, NPAN A loads
 * and NP broadcasts feed NP*NPAN FMAs (6 x 4: 24 FMAs per 11 loads). */
MODC_AVX512_INLINE void tk(const modc_tukr_args *g, const int NP, const int NPAN) {
  __m512 z = _mm512_setzero_ps();
  __m512 c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z, c20 = z,
         c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z, c40 = z, c41 = z,
         c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
  const float *a = g->a, *b = g->b;
  const ptrdiff_t as = g->astride, *off = g->off, ps = g->pf ? g->pfstep : 0;
  const char *pf = g->pf ? g->pf : (const char *)a;
  const ptrdiff_t x0 = g->pix[0], x1 = g->pix[1], x2 = g->pix[2], x3 = g->pix[3],
                  x4 = g->pix[4], x5 = g->pix[5];
  for (int k = 0; k < g->kc; k++) {
    _mm_prefetch(pf, _MM_HINT_T1);
    pf += ps;
    const float *bk = b + off[k];
    __m512 a0 = _mm512_loadu_ps(a);
    __m512 a1 = NPAN > 1 ? _mm512_loadu_ps(a + as) : z;
    __m512 a2 = NPAN > 2 ? _mm512_loadu_ps(a + 2 * as) : z;
    __m512 a3 = NPAN > 3 ? _mm512_loadu_ps(a + 3 * as) : z;
#define MODC_PIX(i)                                             \
  if (NP > i) {                                                 \
    __m512 bc = _mm512_set1_ps(bk[x##i]);                       \
    c##i##0 = _mm512_fmadd_ps(a0, bc, c##i##0);                 \
    if (NPAN > 1) c##i##1 = _mm512_fmadd_ps(a1, bc, c##i##1);   \
    if (NPAN > 2) c##i##2 = _mm512_fmadd_ps(a2, bc, c##i##2);   \
    if (NPAN > 3) c##i##3 = _mm512_fmadd_ps(a3, bc, c##i##3);   \
  }
    MODC_PIX(0) MODC_PIX(1) MODC_PIX(2) MODC_PIX(3) MODC_PIX(4) MODC_PIX(5)
#undef MODC_PIX
    a += MODC_GEMM_MR;
  }
#define MODC_ST(i, p)                                                    \
  if (NP > i && NPAN > p) {                                              \
    float *sp = g->s + (ptrdiff_t)i * g->lds + 16 * p;                   \
    __m512 v = c##i##p;                                                  \
    if (g->load) v = _mm512_add_ps(v, _mm512_loadu_ps(sp));              \
    _mm512_storeu_ps(sp, v);                                             \
  }
  MODC_ST(0, 0) MODC_ST(0, 1) MODC_ST(0, 2) MODC_ST(0, 3)
  MODC_ST(1, 0) MODC_ST(1, 1) MODC_ST(1, 2) MODC_ST(1, 3)
  MODC_ST(2, 0) MODC_ST(2, 1) MODC_ST(2, 2) MODC_ST(2, 3)
  MODC_ST(3, 0) MODC_ST(3, 1) MODC_ST(3, 2) MODC_ST(3, 3)
  MODC_ST(4, 0) MODC_ST(4, 1) MODC_ST(4, 2) MODC_ST(4, 3)
  MODC_ST(5, 0) MODC_ST(5, 1) MODC_ST(5, 2) MODC_ST(5, 3)
#undef MODC_ST
}

#define MODC_TK_NP(np)                \
  switch (g->npan) {                  \
  case 4: tk(g, np, 4); break;        \
  case 3: tk(g, np, 3); break;        \
  case 2: tk(g, np, 2); break;        \
  default: tk(g, np, 1); break;       \
  }

__attribute__((target("avx512f"))) void modc_tukr_avx512(const modc_tukr_args *g) {
  switch (g->np) {
  case 6: MODC_TK_NP(6) break;
  case 5: MODC_TK_NP(5) break;
  case 4: MODC_TK_NP(4) break;
  case 3: MODC_TK_NP(3) break;
  case 2: MODC_TK_NP(2) break;
  default: MODC_TK_NP(1) break;
  }
}
#undef MODC_TK_NP

/* y[c*ldy + p] = relu?(S[p*lds + c] + bias[c] + residual[c*ldy + p]) for
 * p < np, c < nc (both <= 16): a 16 x 16 in-register transpose (unpack,
 * shuffle, two 128-bit lane shuffles) instead of 256 strided scalar moves. */
MODC_AVX512_INLINE void transpose16(const float *s, ptrdiff_t lds, int np, int nc, __m512 *r) {
  __mmask16 cm = (__mmask16)(nc >= 16 ? 0xFFFFu : (1u << nc) - 1u);
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i++)
    r[i] = i < np ? _mm512_maskz_loadu_ps(cm, s + (ptrdiff_t)i * lds) : _mm512_setzero_ps();
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  /* u[4j + c], 128-bit lane L: column 4L + c, rows 4j..4j+3. */
  for (int j = 0; j < 4; j++) {
    u[4 * j + 0] = _mm512_shuffle_ps(t[4 * j], t[4 * j + 2], 0x44);
    u[4 * j + 1] = _mm512_shuffle_ps(t[4 * j], t[4 * j + 2], 0xEE);
    u[4 * j + 2] = _mm512_shuffle_ps(t[4 * j + 1], t[4 * j + 3], 0x44);
    u[4 * j + 3] = _mm512_shuffle_ps(t[4 * j + 1], t[4 * j + 3], 0xEE);
  }
  for (int c = 0; c < 4; c++) {
    t[c] = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);
    t[4 + c] = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
    t[8 + c] = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
    t[12 + c] = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
  }
  for (int c = 0; c < 4; c++) {
    r[c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0xDD);
    r[4 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0xDD);
  }
}

/* Stores the transposed S block: row c goes to y + c*ldy (plain: + bias +
 * residual) or to y + rowoff[c] (MoD fusion: y += scale[c] * (S + bias)). */
MODC_AVX512_INLINE void tstore_rows(const float *s, ptrdiff_t lds, int np, int nc,
                                    const float *bias, const float *residual, const float *scale,
                                    const ptrdiff_t *rowoff, float *y, ptrdiff_t ldy, int relu) {
  __mmask16 pm = (__mmask16)(np >= 16 ? 0xFFFFu : (1u << np) - 1u);
  __m512 r[16];
  transpose16(s, lds, np, nc, r);
  for (int c = 0; c < nc; c++) {
    __m512 v = r[c];
    if (bias) v = _mm512_add_ps(v, _mm512_set1_ps(bias[c]));
    float *o = rowoff ? y + rowoff[c] : y + (ptrdiff_t)c * ldy;
    if (rowoff)
      v = _mm512_add_ps(_mm512_maskz_loadu_ps(pm, o), _mm512_mul_ps(v, _mm512_set1_ps(scale[c])));
    else if (residual)
      v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(pm, residual + (ptrdiff_t)c * ldy));
    if (relu) v = _mm512_max_ps(v, _mm512_setzero_ps());
    _mm512_mask_storeu_ps(o, pm, v);
  }
}

__attribute__((target("avx512f"))) void modc_tstore_avx512(const float *s, ptrdiff_t lds, int np,
                                                            int nc, const float *bias,
                                                            const float *residual, float *y,
                                                            ptrdiff_t ldy, int relu) {
  tstore_rows(s, lds, np, nc, bias, residual, NULL, NULL, y, ldy, relu);
}

__attribute__((target("avx512f"))) void modc_tstore_mod_avx512(const float *s, ptrdiff_t lds,
                                                                int np, int nc, const float *bias,
                                                                const float *scale,
                                                                const ptrdiff_t *rowoff, float *y,
                                                                int relu) {
  tstore_rows(s, lds, np, nc, bias, NULL, scale, rowoff, y, 0, relu);
}
#else
typedef int modc_conv_direct_x86_unused; /* keeps the translation unit non-empty */
#endif
