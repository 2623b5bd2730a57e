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

MODC_AVX512_INLINE void dstore(const modc_dukr_args *g, int r, int v, __m512 acc,
                               const int compact) {
  unsigned vm = g->vmask[v];
  __mmask16 sm = (__mmask16)(compact ? (1u << __builtin_popcount(vm)) - 1u : vm);
  float *c = g->c + (ptrdiff_t)r * g->ldc + g->ystart[v];
  if (g->flags & MODC_UK_LOAD_C) {
    __m512 old = _mm512_maskz_loadu_ps(sm, c);
    acc = _mm512_add_ps(acc, compact ? _mm512_maskz_expand_ps((__mmask16)vm, old) : old);
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
  const ptrdiff_t *off = g->off;
  for (int k = 0; k < g->kc; k++) {
    const float *bk = b + off[k];
    __m512 b0 = MASKED ? _mm512_maskz_loadu_ps(m0, bk) : _mm512_loadu_ps(bk);
    __m512 b1 = NV > 1 ? (MASKED ? _mm512_maskz_loadu_ps(m1, bk + 16) : _mm512_loadu_ps(bk + 16)) : z;
    __m512 b2 = NV > 2 ? (MASKED ? _mm512_maskz_loadu_ps(m2, bk + 32) : _mm512_loadu_ps(bk + 32)) : z;
#define MODC_ROW(r)                                          \
  do {                                                       \
    __m512 av = _mm512_set1_ps(a[r]);                        \
    c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0);              \
    if (NV > 1) c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);  \
    if (NV > 2) c##r##2 = _mm512_fmadd_ps(av, b2, c##r##2);  \
  } while (0)
    MODC_ROW(0); MODC_ROW(1); MODC_ROW(2); MODC_ROW(3);
    MODC_ROW(4); MODC_ROW(5); MODC_ROW(6); MODC_ROW(7);
#undef MODC_ROW
    a += MODC_GEMM_MR;
  }
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
#else
typedef int modc_conv_direct_x86_unused; /* keeps the translation unit non-empty */
#endif
