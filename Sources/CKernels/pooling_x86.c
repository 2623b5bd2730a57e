/* pooling_x86.c - AVX-512 max pooling for the ResNet stem shape (3x3 window,
 * stride 2, dilation 1, leading pads <= 1): per output row the clipped input
 * rows are max-reduced into a padded temp row (16 lanes at a time), then each
 * output takes max(u[2j], u[2j+1], u[2j+2]) with even/odd lanes split by
 * permutes. Max is taken in the same order and with the same NaN rule
 * (a > b ? a : b) as the portable separable path in pooling.c. The same
 * even-lane permute gives modc_copy_nd its stride-2 row copy. */
#include <math.h>

#include "modc_internal.h"

#if MODC_X86
#include <immintrin.h>

#define MP_ROW 2048

int modc_maxpool_k3s2_avx512_ok(const modc_pool2d_desc *d) {
  return d->kh == 3 && d->kw == 3 && d->stride_h == 2 && d->stride_w == 2 && d->dil_h == 1 &&
         d->dil_w == 1 && d->pad_top <= 1 && d->pad_left <= 1 && d->w <= MP_ROW;
}

__attribute__((target("avx512f"))) void modc_maxpool_k3s2_avx512(const modc_pool2d_desc *d,
                                                                  const float *x, float *y,
                                                                  int oh, int ow) {
  /* tpad[1 + c] = column max of input column c; -inf outside [0, w). */
  float tpad[MP_ROW + 80] __attribute__((aligned(64)));
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  for (int c = 0; c < MP_ROW + 80; c += 16) _mm512_store_ps(tpad + c, ninf);
  const float *u = tpad + 1 - d->pad_left; /* y[j] = max(u[2j], u[2j+1], u[2j+2]) */
  const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i od = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  for (int i = 0; i < oh; i++) {
    int h0 = i * 2 - d->pad_top, h1 = h0 + 3;
    if (h0 < 0) h0 = 0;
    if (h1 > d->h) h1 = d->h;
    for (int c = 0; c < d->w; c += 16) {
      __mmask16 m = c + 16 <= d->w ? (__mmask16)0xFFFF : (__mmask16)((1u << (d->w - c)) - 1u);
      __m512 t = ninf;
      for (int ih = h0; ih < h1; ih++) {
        __m512 r = _mm512_mask_loadu_ps(ninf, m, x + (size_t)ih * d->w + c);
        t = _mm512_max_ps(r, t);
      }
      _mm512_mask_storeu_ps(tpad + 1 + c, m, t);
    }
    for (int j = 0; j < ow; j += 16) {
      const float *p = u + 2 * j;
      __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
      __m512 a2 = _mm512_loadu_ps(p + 2), b2 = _mm512_loadu_ps(p + 18);
      __m512 e = _mm512_permutex2var_ps(a, ev, b), o = _mm512_permutex2var_ps(a, od, b);
      __m512 e2 = _mm512_permutex2var_ps(a2, ev, b2);
      __m512 v = _mm512_max_ps(e, ninf);
      v = _mm512_max_ps(o, v);
      v = _mm512_max_ps(e2, v);
      __mmask16 m = j + 16 <= ow ? (__mmask16)0xFFFF : (__mmask16)((1u << (ow - j)) - 1u);
      _mm512_mask_storeu_ps(y + (size_t)i * ow + j, m, v);
    }
  }
}
/* d[i] = s[2i] for i < n (the source holds 2n - 1 floats): two loads and an
 * even-lane permute per 16 outputs, masked at the tail. */
__attribute__((target("avx512f"))) void modc_copy_even_avx512(const float *s, float *d, int64_t n) {
  const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float *p = s + 2 * i;
    __m512 lo = _mm512_loadu_ps(p);
    __m512 hi = _mm512_maskz_loadu_ps((__mmask16)0x7FFFu, p + 16);
    _mm512_storeu_ps(d + i, _mm512_permutex2var_ps(lo, ev, hi));
  }
  if (i < n) {
    int64_t need = 2 * (n - i) - 1; /* floats readable from s + 2i */
    const float *p = s + 2 * i;
    __mmask16 ml = (__mmask16)(need >= 16 ? 0xFFFFu : (1u << need) - 1u);
    __mmask16 mh = (__mmask16)(need > 16 ? (1u << (need - 16)) - 1u : 0u);
    __m512 v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(ml, p), ev, _mm512_maskz_loadu_ps(mh, p + 16));
    _mm512_mask_storeu_ps(d + i, (__mmask16)((1u << (n - i)) - 1u), v);
  }
}
#else
typedef int modc_pooling_x86_unused; /* keeps the translation unit non-empty */
#endif
