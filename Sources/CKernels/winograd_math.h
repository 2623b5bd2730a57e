/* winograd_math.h - the Winograd transforms shared by both paths
 * (winograd.c / winograd_small.c and their AVX-512 files): Bᵀ and Aᵀ of
 * F(4x4,3x3) on 6 values and of F(2x2,3x3) on 4 values (scalar and 16
 * lanes), the 2-D input transform of one tile and the scalar fused epilogue
 * of one output tile, for either tile size (modc_wgeom mt / it).
 * Internal; included only by the Winograd sources. */
#ifndef MODC_WINOGRAD_MATH_H
#define MODC_WINOGRAD_MATH_H

#include "modc_internal.h"

/* Bᵀ applied to 6 values (one row or column of a 6x6 input tile). */
static inline void modc_wg_bt6(const float *d, ptrdiff_t s, float *o, ptrdiff_t os) {
  float d0 = d[0], d1 = d[s], d2 = d[2 * s], d3 = d[3 * s], d4 = d[4 * s], d5 = d[5 * s];
  o[0] = 4.0f * d0 - 5.0f * d2 + d4;
  o[os] = (d3 + d4) - 4.0f * (d1 + d2);
  o[2 * os] = (d4 - d3) + 4.0f * (d1 - d2);
  o[3 * os] = (d4 - d2) + 2.0f * (d3 - d1);
  o[4 * os] = (d4 - d2) - 2.0f * (d3 - d1);
  o[5 * os] = 4.0f * d1 - 5.0f * d3 + d5;
}

/* Aᵀ applied to 6 values: 4 outputs. */
static inline void modc_wg_at6(const float *m, ptrdiff_t s, float *o, ptrdiff_t os) {
  float m0 = m[0], m1 = m[s], m2 = m[2 * s], m3 = m[3 * s], m4 = m[4 * s], m5 = m[5 * s];
  float a = m1 + m2, b = m1 - m2, c = m3 + m4, e = m3 - m4;
  o[0] = m0 + a + c;
  o[os] = b + 2.0f * e;
  o[2 * os] = a + 4.0f * c;
  o[3 * os] = b + 8.0f * e + m5;
}

/* F(2x2,3x3), points 0, 1, -1, ∞: Bᵀ on 4 values. */
static inline void modc_wg_bt4(const float *d, ptrdiff_t s, float *o, ptrdiff_t os) {
  float d0 = d[0], d1 = d[s], d2 = d[2 * s], d3 = d[3 * s];
  o[0] = d0 - d2;
  o[os] = d1 + d2;
  o[2 * os] = d2 - d1;
  o[3 * os] = d1 - d3;
}

/* F(2x2,3x3): Aᵀ on 4 values, 2 outputs. */
static inline void modc_wg_at4(const float *m, ptrdiff_t s, float *o, ptrdiff_t os) {
  float m1 = m[s], m2 = m[2 * s];
  o[0] = m[0] + m1 + m2;
  o[os] = m1 - m2 - m[3 * s];
}

/* Bᵀ / Aᵀ of the F(it-2 x it-2, 3x3) variant (it = 6 or 4). */
static inline void modc_wg_bt(int it, const float *d, ptrdiff_t s, float *o, ptrdiff_t os) {
  if (it == 6) modc_wg_bt6(d, s, o, os);
  else modc_wg_bt4(d, s, o, os);
}
static inline void modc_wg_at(int it, const float *m, ptrdiff_t s, float *o, ptrdiff_t os) {
  if (it == 6) modc_wg_at6(m, s, o, os);
  else modc_wg_at4(m, s, o, os);
}

/* o[p] (p < g->pts) = Bᵀ·d·B for the it x it input window at (ih0, iw0) of
 * one channel plane (outside the plane reads as zero: the conv's padding). */
static inline void modc_wg_input_tile(const modc_conv_desc *d, const modc_wgeom *g,
                                      const float *plane, int ih0, int iw0, float *o) {
  float tile[36], e[36];
  int n = g->it;
  for (int a = 0; a < n; a++)
    for (int c = 0; c < n; c++) {
      int ih = ih0 + a, iw = iw0 + c;
      tile[a * n + c] =
          (ih >= 0 && ih < d->h && iw >= 0 && iw < d->w) ? plane[(size_t)ih * d->w + iw] : 0.0f;
    }
  for (int a = 0; a < n; a++) modc_wg_bt(n, tile + a * n, 1, e + a * n, 1); /* rows: e[a][k2] */
  for (int c = 0; c < n; c++) modc_wg_bt(n, e + c, n, o + c, n);            /* columns: o[k1][k2] */
}

/* y = Aᵀ·M·A for one tile of output channel co of image b (mt: its g->pts
 * points) at (oh0, ow0), + bias + residual, ReLU, cropped to the output plane. */
static inline void modc_wg_store_tile(const modc_conv_desc *d, const modc_wgeom *g,
                                      const float *mt, int b, int co, int oh0, int ow0,
                                      const float *bias, const float *residual, float *y) {
  float f[24], o[16];
  int n = g->it, m = g->mt;
  for (int c = 0; c < n; c++) modc_wg_at(n, mt + c, n, f + c, n); /* columns: f[a][k2] */
  for (int a = 0; a < m; a++) modc_wg_at(n, f + a * n, 1, o + a * m, 1);
  size_t ohw = (size_t)g->oh * (size_t)g->ow, plane = ((size_t)b * d->c_out + co) * ohw;
  for (int a = 0; a < m && oh0 + a < g->oh; a++)
    for (int c = 0; c < m && ow0 + c < g->ow; c++) {
      size_t at = plane + (size_t)(oh0 + a) * g->ow + (size_t)(ow0 + c);
      float val = o[a * m + c];
      if (bias) val += bias[co];
      if (residual) val += residual[at];
      if (d->relu && val < 0.0f) val = 0.0f;
      y[at] = val;
    }
}

#if MODC_X86
#include <immintrin.h>

#define MODC_WG_INLINE __attribute__((target("avx512f"), always_inline)) static inline

/* Bᵀ on 16 lanes. */
MODC_WG_INLINE void modc_wg_bt6v(const __m512 *d, ptrdiff_t s, __m512 *o, ptrdiff_t os) {
  __m512 d0 = d[0], d1 = d[s], d2 = d[2 * s], d3 = d[3 * s], d4 = d[4 * s], d5 = d[5 * s];
  const __m512 four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f),
               two = _mm512_set1_ps(2.0f);
  o[0] = _mm512_fnmadd_ps(five, d2, _mm512_fmadd_ps(four, d0, d4));
  o[os] = _mm512_fnmadd_ps(four, _mm512_add_ps(d1, d2), _mm512_add_ps(d3, d4));
  o[2 * os] = _mm512_fmadd_ps(four, _mm512_sub_ps(d1, d2), _mm512_sub_ps(d4, d3));
  __m512 a = _mm512_sub_ps(d4, d2), b = _mm512_sub_ps(d3, d1);
  o[3 * os] = _mm512_fmadd_ps(two, b, a);
  o[4 * os] = _mm512_fnmadd_ps(two, b, a);
  o[5 * os] = _mm512_fnmadd_ps(five, d3, _mm512_fmadd_ps(four, d1, d5));
}

/* Aᵀ on 16 lanes. */
MODC_WG_INLINE void modc_wg_at6v(const __m512 *m, ptrdiff_t s, __m512 *o, ptrdiff_t os) {
  __m512 m0 = m[0], m1 = m[s], m2 = m[2 * s], m3 = m[3 * s], m4 = m[4 * s], m5 = m[5 * s];
  __m512 a = _mm512_add_ps(m1, m2), b = _mm512_sub_ps(m1, m2);
  __m512 c = _mm512_add_ps(m3, m4), e = _mm512_sub_ps(m3, m4);
  o[0] = _mm512_add_ps(_mm512_add_ps(m0, a), c);
  o[os] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), e, b);
  o[2 * os] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), c, a);
  o[3 * os] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), e, b), m5);
}

/* F(2x2,3x3) Bᵀ on 16 lanes. */
MODC_WG_INLINE void modc_wg_bt4v(const __m512 *d, ptrdiff_t s, __m512 *o, ptrdiff_t os) {
  __m512 d1 = d[s], d2 = d[2 * s];
  o[0] = _mm512_sub_ps(d[0], d2);
  o[os] = _mm512_add_ps(d1, d2);
  o[2 * os] = _mm512_sub_ps(d2, d1);
  o[3 * os] = _mm512_sub_ps(d1, d[3 * s]);
}

/* F(2x2,3x3) Aᵀ on 16 lanes. */
MODC_WG_INLINE void modc_wg_at4v(const __m512 *m, ptrdiff_t s, __m512 *o, ptrdiff_t os) {
  __m512 m1 = m[s], m2 = m[2 * s];
  o[0] = _mm512_add_ps(_mm512_add_ps(m[0], m1), m2);
  o[os] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m[3 * s]);
}
#endif

#endif
