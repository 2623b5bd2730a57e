/* gemm_x86.c - AVX-512F and AVX2+FMA GEMM micro-kernels.
 *
 * Both consume the shared packed format: an A panel holds MR=16 rows per k
 * (broadcast one at a time), a B panel holds NR=16 columns per k (one zmm or
 * two ymm). AVX-512 covers a 16-row panel as two 8 x 48 strips; AVX2 as
 * 6 + 6 + 4 rows x 16 columns per B panel. Compiled with per-function target attributes, so the file needs
 * no -m flags and is selected at run time (isa.c). */
#include "modc_internal.h"

#if MODC_X86
#include <immintrin.h>

/* ------------------------------------------------------- AVX-512F 8 x 48 */

#define MODC_AVX512 __attribute__((target("avx512f")))
#define MODC_AVX512_INLINE __attribute__((target("avx512f"), always_inline)) static inline

/* MoD fusion epilogue (rare path, out of line to keep the inlined store small). */
__attribute__((target("avx512f"), noinline)) static void avx512_store_mod(const modc_ukr_args *g,
                                                                           int r, int q, __m512 v,
                                                                           __mmask16 mask) {
  float *o = g->out[q] + g->rowoff[q][r];
  if (g->bias) v = _mm512_add_ps(v, _mm512_set1_ps(g->bias[r]));
  v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, o), _mm512_mul_ps(v, _mm512_set1_ps(g->scale[q][r])));
  if (g->relu) v = _mm512_max_ps(v, _mm512_setzero_ps());
  _mm512_mask_storeu_ps(o, mask, v);
}

MODC_AVX512_INLINE void avx512_store(const modc_ukr_args *g, int r, int q, __m512 v) {
  __mmask16 mask = (__mmask16)(g->nr[q] >= 16 ? 0xFFFFu : ((1u << g->nr[q]) - 1u));
  float *c = g->c[q] + r * g->ldc;
  if (g->flags & MODC_UK_LOAD_C) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, c));
  if ((g->flags & MODC_UK_EPILOGUE) && g->rowoff[q]) {
    avx512_store_mod(g, r, q, v, mask);
    return;
  }
  if (g->flags & MODC_UK_EPILOGUE) {
    if (g->bias) v = _mm512_add_ps(v, _mm512_set1_ps(g->bias[r]));
    if (g->residual[q])
      v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, g->residual[q] + r * g->ldr));
    if (g->relu) v = _mm512_max_ps(v, _mm512_setzero_ps());
  }
  _mm512_mask_storeu_ps(c, mask, v);
}

/* Rows r0..r0+7 of the A panel against NP (1..3) B panels: up to 24 zmm
 * accumulators. Per k: NP vector loads of B, 8 broadcasts of A, 8*NP FMAs,
 * so at NP = 3 the loop issues 24 FMAs per 11 loads and stays FMA-bound on
 * cores with two 512-bit FMA pipes. NP is a compile-time constant at every
 * call site, so unused accumulators vanish. */
MODC_AVX512_INLINE void avx512_rows8(const modc_ukr_args *g, int r0, const int NP) {
  __m512 z = _mm512_setzero_ps();
  __m512 c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z,
         c30 = z, c31 = z, c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z,
         c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
  const float *a = g->a + r0, *b = g->b;
  const ptrdiff_t bs = g->bstride, ps = g->pf ? g->pfstep : 0;
  const char *pf = g->pf ? g->pf + (r0 / 8) * (ptrdiff_t)g->kc * ps : (const char *)a;
  for (int k = 0; k < g->kc; k++) {
    _mm_prefetch(pf, _MM_HINT_T1);
    pf += ps;
    __m512 b0 = _mm512_load_ps(b);
    __m512 b1 = NP > 1 ? _mm512_load_ps(b + bs) : z;
    __m512 b2 = NP > 2 ? _mm512_load_ps(b + 2 * bs) : z;
#define MODC_ROW(r)                                          \
  do {                                                       \
    __m512 av = _mm512_set1_ps(a[r]);                        \
    c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0);              \
    if (NP > 1) c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);  \
    if (NP > 2) c##r##2 = _mm512_fmadd_ps(av, b2, c##r##2);  \
  } while (0)
    MODC_ROW(0); MODC_ROW(1); MODC_ROW(2); MODC_ROW(3);
    MODC_ROW(4); MODC_ROW(5); MODC_ROW(6); MODC_ROW(7);
#undef MODC_ROW
    a += MODC_GEMM_MR;
    b += MODC_GEMM_NR;
  }
  int rows = g->mr - r0;
#define MODC_STORE_ROW(r)                                   \
  if (r < rows) {                                           \
    avx512_store(g, r0 + r, 0, c##r##0);                    \
    if (NP > 1) avx512_store(g, r0 + r, 1, c##r##1);        \
    if (NP > 2) avx512_store(g, r0 + r, 2, c##r##2);        \
  }
  MODC_STORE_ROW(0) MODC_STORE_ROW(1) MODC_STORE_ROW(2) MODC_STORE_ROW(3)
  MODC_STORE_ROW(4) MODC_STORE_ROW(5) MODC_STORE_ROW(6) MODC_STORE_ROW(7)
#undef MODC_STORE_ROW
}

MODC_AVX512 void modc_ukr_avx512(const modc_ukr_args *g) {
  switch (g->np) {
  case 3:
    avx512_rows8(g, 0, 3);
    if (g->mr > 8) avx512_rows8(g, 8, 3);
    break;
  case 2:
    avx512_rows8(g, 0, 2);
    if (g->mr > 8) avx512_rows8(g, 8, 2);
    break;
  default:
    avx512_rows8(g, 0, 1);
    if (g->mr > 8) avx512_rows8(g, 8, 1);
    break;
  }
}

/* ------------------------------------------------------ AVX2+FMA 3 x (Rx16) */

#define MODC_AVX2 __attribute__((target("avx2,fma")))

static const int modc_lane_ids[8] = {0, 1, 2, 3, 4, 5, 6, 7};

MODC_AVX2 static inline void avx2_store(const modc_ukr_args *g, int q, int r, __m256 v0,
                                       __m256 v1) {
  float *c = g->c[q] + r * g->ldc;
  const float *res = g->residual[q] ? g->residual[q] + r * g->ldr : NULL;
  int nr = g->nr[q];
  if ((g->flags & MODC_UK_EPILOGUE) && g->rowoff[q]) { /* MoD fusion */
    __m256i ids = _mm256_loadu_si256((const __m256i *)modc_lane_ids);
    __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), ids);
    __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), ids);
    float *o = g->out[q] + g->rowoff[q][r];
    if (g->flags & MODC_UK_LOAD_C) {
      v0 = _mm256_add_ps(v0, _mm256_maskload_ps(c, m0));
      v1 = _mm256_add_ps(v1, _mm256_maskload_ps(c + 8, m1));
    }
    __m256 bb = _mm256_set1_ps(g->bias ? g->bias[r] : 0.0f), sc = _mm256_set1_ps(g->scale[q][r]);
    if (g->bias) {
      v0 = _mm256_add_ps(v0, bb);
      v1 = _mm256_add_ps(v1, bb);
    }
    v0 = _mm256_add_ps(_mm256_maskload_ps(o, m0), _mm256_mul_ps(v0, sc));
    v1 = _mm256_add_ps(_mm256_maskload_ps(o + 8, m1), _mm256_mul_ps(v1, sc));
    if (g->relu) {
      v0 = _mm256_max_ps(v0, _mm256_setzero_ps());
      v1 = _mm256_max_ps(v1, _mm256_setzero_ps());
    }
    _mm256_maskstore_ps(o, m0, v0);
    _mm256_maskstore_ps(o + 8, m1, v1);
    return;
  }
  if (nr >= 16) {
    if (g->flags & MODC_UK_LOAD_C) {
      v0 = _mm256_add_ps(v0, _mm256_loadu_ps(c));
      v1 = _mm256_add_ps(v1, _mm256_loadu_ps(c + 8));
    }
    if (g->flags & MODC_UK_EPILOGUE) {
      if (g->bias) {
        __m256 bb = _mm256_set1_ps(g->bias[r]);
        v0 = _mm256_add_ps(v0, bb);
        v1 = _mm256_add_ps(v1, bb);
      }
      if (res) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(res));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(res + 8));
      }
      if (g->relu) {
        v0 = _mm256_max_ps(v0, _mm256_setzero_ps());
        v1 = _mm256_max_ps(v1, _mm256_setzero_ps());
      }
    }
    _mm256_storeu_ps(c, v0);
    _mm256_storeu_ps(c + 8, v1);
    return;
  }
  /* Partial tile: masked loads/stores. */
  __m256i ids = _mm256_loadu_si256((const __m256i *)modc_lane_ids);
  __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), ids);
  __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), ids);
  if (g->flags & MODC_UK_LOAD_C) {
    v0 = _mm256_add_ps(v0, _mm256_maskload_ps(c, m0));
    v1 = _mm256_add_ps(v1, _mm256_maskload_ps(c + 8, m1));
  }
  if (g->flags & MODC_UK_EPILOGUE) {
    if (g->bias) {
      __m256 bb = _mm256_set1_ps(g->bias[r]);
      v0 = _mm256_add_ps(v0, bb);
      v1 = _mm256_add_ps(v1, bb);
    }
    if (res) {
      v0 = _mm256_add_ps(v0, _mm256_maskload_ps(res, m0));
      v1 = _mm256_add_ps(v1, _mm256_maskload_ps(res + 8, m1));
    }
    if (g->relu) {
      v0 = _mm256_max_ps(v0, _mm256_setzero_ps());
      v1 = _mm256_max_ps(v1, _mm256_setzero_ps());
    }
  }
  _mm256_maskstore_ps(c, m0, v0);
  _mm256_maskstore_ps(c + 8, m1, v1);
}

/* Rows r0..r0+5 (6x16: 12 ymm accumulators + 2 B vectors). */
MODC_AVX2 static void avx2_rows6(const modc_ukr_args *g, int q, int r0) {
  __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00,
         a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
  const float *a = g->a + r0, *b = g->b + q * g->bstride;
  for (int k = 0; k < g->kc; k++) {
    __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#define MODC_FMA2(i)                                   \
  do {                                                 \
    __m256 av = _mm256_broadcast_ss(a + i);            \
    a##i##0 = _mm256_fmadd_ps(av, b0, a##i##0);        \
    a##i##1 = _mm256_fmadd_ps(av, b1, a##i##1);        \
  } while (0)
    MODC_FMA2(0); MODC_FMA2(1); MODC_FMA2(2); MODC_FMA2(3); MODC_FMA2(4); MODC_FMA2(5);
#undef MODC_FMA2
    a += MODC_GEMM_MR;
    b += MODC_GEMM_NR;
  }
  int rows = g->mr - r0;
  if (rows > 0) avx2_store(g, q, r0 + 0, a00, a01);
  if (rows > 1) avx2_store(g, q, r0 + 1, a10, a11);
  if (rows > 2) avx2_store(g, q, r0 + 2, a20, a21);
  if (rows > 3) avx2_store(g, q, r0 + 3, a30, a31);
  if (rows > 4) avx2_store(g, q, r0 + 4, a40, a41);
  if (rows > 5) avx2_store(g, q, r0 + 5, a50, a51);
}

/* Rows 12..15 (4x16). */
MODC_AVX2 static void avx2_rows4(const modc_ukr_args *g, int q, int r0) {
  __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00,
         a30 = a00, a31 = a00;
  const float *a = g->a + r0, *b = g->b + q * g->bstride;
  for (int k = 0; k < g->kc; k++) {
    __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#define MODC_FMA2(i)                                   \
  do {                                                 \
    __m256 av = _mm256_broadcast_ss(a + i);            \
    a##i##0 = _mm256_fmadd_ps(av, b0, a##i##0);        \
    a##i##1 = _mm256_fmadd_ps(av, b1, a##i##1);        \
  } while (0)
    MODC_FMA2(0); MODC_FMA2(1); MODC_FMA2(2); MODC_FMA2(3);
#undef MODC_FMA2
    a += MODC_GEMM_MR;
    b += MODC_GEMM_NR;
  }
  int rows = g->mr - r0;
  if (rows > 0) avx2_store(g, q, r0 + 0, a00, a01);
  if (rows > 1) avx2_store(g, q, r0 + 1, a10, a11);
  if (rows > 2) avx2_store(g, q, r0 + 2, a20, a21);
  if (rows > 3) avx2_store(g, q, r0 + 3, a30, a31);
}

/* The 16-row panel is covered by 6 + 6 + 4 row strips; strips past mr are
 * skipped. The B panel (<= 16 KiB) stays in L1 across the strips. */
MODC_AVX2 void modc_ukr_avx2(const modc_ukr_args *g) {
  for (int q = 0; q < g->np; q++) {
    avx2_rows6(g, q, 0);
    if (g->mr > 6) avx2_rows6(g, q, 6);
    if (g->mr > 12) avx2_rows4(g, q, 12);
  }
}

#else
typedef int modc_gemm_x86_unused; /* keeps the translation unit non-empty */
#endif
