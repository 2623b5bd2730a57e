/* winograd_x86.c - AVX-512 input / output transforms of the F(4x4,3x3) path.
 *
 * Both work on segments of up to 16 consecutive tiles of one tile row, one
 * tile per lane. Input: each of the 6 input rows of the segment is loaded as
 * 64 (+2) contiguous floats with masked loads (masked lanes read 0, which is
 * the zero padding), de-interleaved with permutes into the 6 column vectors
 * c_j[t] = row[4t + j], transformed, and the 36 results go to the packed V
 * panels with two masked stores (a segment may straddle two 16-tile panels).
 * Output: 36 unaligned loads of M, the Aᵀ·M·A transform, then each output
 * row is re-interleaved into 64 contiguous pixels for the fused epilogue. */
#include "winograd_math.h"

#if MODC_X86
#include <immintrin.h>

#define WG_AVX512 __attribute__((target("avx512f")))
#define WG_INLINE __attribute__((target("avx512f"), always_inline)) static inline

/* Lanes [lo, hi) of a 16-lane mask (clamped). */
WG_INLINE __mmask16 lanes(int lo, int hi) {
  if (lo < 0) lo = 0;
  if (hi > 16) hi = 16;
  if (hi <= lo) return 0;
  return (__mmask16)((((unsigned)1 << hi) - 1u) & ~(((unsigned)1 << lo) - 1u));
}

/* c[j][t] = row[4t + j] (j < 6, t < 16) for the window row[0 .. 66) of which
 * lanes [lo, hi) are inside the image (others read as zero). */
WG_INLINE void load_cols(const float *row, int lo, int hi, __m512 *c) {
  __m512 w0 = _mm512_maskz_loadu_ps(lanes(lo, hi), row);
  __m512 w1 = _mm512_maskz_loadu_ps(lanes(lo - 16, hi - 16), row + 16);
  __m512 w2 = _mm512_maskz_loadu_ps(lanes(lo - 32, hi - 32), row + 32);
  __m512 w3 = _mm512_maskz_loadu_ps(lanes(lo - 48, hi - 48), row + 48);
  __m512 w4 = _mm512_maskz_loadu_ps(lanes(lo - 64, hi - 64) & 3u, row + 64);
  /* a01 = [c0[0..7] | c1[0..7]], b01 = [c2[0..7] | c3[0..7]] from w0,w1; same for w2,w3. */
  const __m512i ia = _mm512_set_epi32(29, 25, 21, 17, 13, 9, 5, 1, 28, 24, 20, 16, 12, 8, 4, 0);
  const __m512i ib = _mm512_set_epi32(31, 27, 23, 19, 15, 11, 7, 3, 30, 26, 22, 18, 14, 10, 6, 2);
  __m512 a01 = _mm512_permutex2var_ps(w0, ia, w1), b01 = _mm512_permutex2var_ps(w0, ib, w1);
  __m512 a23 = _mm512_permutex2var_ps(w2, ia, w3), b23 = _mm512_permutex2var_ps(w2, ib, w3);
  const __m512i lo8 = _mm512_set_epi32(23, 22, 21, 20, 19, 18, 17, 16, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i hi8 = _mm512_set_epi32(31, 30, 29, 28, 27, 26, 25, 24, 15, 14, 13, 12, 11, 10, 9, 8);
  c[0] = _mm512_permutex2var_ps(a01, lo8, a23);
  c[1] = _mm512_permutex2var_ps(a01, hi8, a23);
  c[2] = _mm512_permutex2var_ps(b01, lo8, b23);
  c[3] = _mm512_permutex2var_ps(b01, hi8, b23);
  /* c4[t] = c0[t+1], c5[t] = c1[t+1]; lane 15 takes row[64] / row[65]. */
  __m512i w4i = _mm512_castps_si512(w4);
  c[4] = _mm512_castsi512_ps(_mm512_alignr_epi32(w4i, _mm512_castps_si512(c[0]), 1));
  __m512i w5i = _mm512_alignr_epi32(_mm512_setzero_si512(), w4i, 1);
  c[5] = _mm512_castsi512_ps(_mm512_alignr_epi32(w5i, _mm512_castps_si512(c[1]), 1));
}

/* Writes lanes [0, len) of v to local tiles l .. l+len-1 of a packed V point
 * (panel stride pan floats, lane stride 1, channel offset already applied). */
WG_INLINE void store_tiles(float *vp, size_t pan, int l, int len, __m512 v) {
  int lane = l % 16;
  float *base = vp + (size_t)(l / 16) * pan + lane; /* lane t -> base[t] while lane + t < 16 */
  __mmask16 first = lanes(0, 16 - lane) & lanes(0, len);
  _mm512_mask_storeu_ps(base, first, v);
  if (len > 16 - lane) {
    /* lanes t >= 16 - lane go to the next panel at lane + t - 16. */
    float *next = vp + (size_t)(l / 16 + 1) * pan - (16 - lane);
    _mm512_mask_storeu_ps(next, lanes(16 - lane, len), v);
  }
}

WG_AVX512 void modc_wino_input_avx512(const modc_conv_desc *d, const modc_wgeom *g,
                                      const float *x, int t0, int nt, int c0, int c1, float *v) {
  size_t pstride = (size_t)g->ldm * (size_t)d->c_in, pan = (size_t)16 * (size_t)d->c_in;
  size_t hw = (size_t)d->h * (size_t)d->w;
  for (int t = t0; t < t0 + nt;) {
    int b = t / g->tiles, r = t % g->tiles, tr = r / g->tw, tc = r % g->tw;
    int len = g->tw - tc;
    if (len > 16) len = 16;
    if (len > t0 + nt - t) len = t0 + nt - t;
    int l = t - t0;
    int iw0 = tc * 4 - d->pad_left, ih0 = tr * 4 - d->pad_top;
    /* Window lanes s (input column iw0 + s) that exist and are used. */
    int lo = -iw0 > 0 ? -iw0 : 0, hi = d->w - iw0 < 4 * len + 2 ? d->w - iw0 : 4 * len + 2;
    for (int ci = c0; ci < c1; ci++) {
      const float *plane = x + ((size_t)b * d->c_in + ci) * hw;
      __m512 e[36], o[36];
      for (int a = 0; a < 6; a++) {
        int ih = ih0 + a;
        __m512 c[6];
        if (ih < 0 || ih >= d->h || hi <= lo) {
          for (int j = 0; j < 6; j++) c[j] = _mm512_setzero_ps();
        } else {
          load_cols(plane + (ptrdiff_t)ih * d->w + iw0, lo, hi, c);
        }
        modc_wg_bt6v(c, 1, e + a * 6, 1);
      }
      float *vc = v + (size_t)ci * 16;
      for (int k2 = 0; k2 < 6; k2++) modc_wg_bt6v(e + k2, 6, o + k2, 6);
      for (int p = 0; p < MODC_WG_POINTS; p++) store_tiles(vc + (size_t)p * pstride, pan, l, len, o[p]);
    }
    t += len;
  }
}

WG_AVX512 void modc_wino_output_avx512(const modc_conv_desc *d, const modc_wgeom *g,
                                       const float *m, int t0, int nt, int co0, int co1,
                                       const float *bias, const float *residual, float *y) {
  size_t pstride = (size_t)d->c_out * (size_t)g->ldm, ohw = (size_t)g->oh * (size_t)g->ow;
  const __m512i p01lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i p01hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
  const __m512i q0 = _mm512_set_epi32(23, 22, 7, 6, 21, 20, 5, 4, 19, 18, 3, 2, 17, 16, 1, 0);
  const __m512i q1 = _mm512_set_epi32(31, 30, 15, 14, 29, 28, 13, 12, 27, 26, 11, 10, 25, 24, 9, 8);
  for (int t = t0; t < t0 + nt;) {
    int b = t / g->tiles, r = t % g->tiles, tr = r / g->tw, tc = r % g->tw;
    int len = g->tw - tc;
    if (len > 16) len = 16;
    if (len > t0 + nt - t) len = t0 + nt - t;
    int l = t - t0, oh0 = tr * 4, ow0 = tc * 4;
    int cols = g->ow - ow0 < 4 * len ? g->ow - ow0 : 4 * len; /* valid pixels per row */
    __mmask16 lm = lanes(0, len);
    for (int co = co0; co < co1; co++) {
      __m512 mt[36], f[24], o[16];
      const float *mc = m + (size_t)co * g->ldm + (size_t)l;
      for (int p = 0; p < MODC_WG_POINTS; p++)
        mt[p] = _mm512_maskz_loadu_ps(lm, mc + (size_t)p * pstride);
      for (int c = 0; c < 6; c++) modc_wg_at6v(mt + c, 6, f + c, 6);
      for (int a = 0; a < 4; a++) modc_wg_at6v(f + a * 6, 1, o + a * 4, 1);
      __m512 bv = _mm512_set1_ps(bias ? bias[co] : 0.0f);
      size_t plane = ((size_t)b * d->c_out + co) * ohw;
      for (int a = 0; a < 4 && oh0 + a < g->oh; a++) {
        /* Interleave o[a][0..3] (tile lanes) into pixels 4t + j. */
        __m512 x01l = _mm512_permutex2var_ps(o[a * 4], p01lo, o[a * 4 + 1]);
        __m512 x01h = _mm512_permutex2var_ps(o[a * 4], p01hi, o[a * 4 + 1]);
        __m512 x23l = _mm512_permutex2var_ps(o[a * 4 + 2], p01lo, o[a * 4 + 3]);
        __m512 x23h = _mm512_permutex2var_ps(o[a * 4 + 2], p01hi, o[a * 4 + 3]);
        __m512 px[4];
        px[0] = _mm512_permutex2var_ps(x01l, q0, x23l);
        px[1] = _mm512_permutex2var_ps(x01l, q1, x23l);
        px[2] = _mm512_permutex2var_ps(x01h, q0, x23h);
        px[3] = _mm512_permutex2var_ps(x01h, q1, x23h);
        size_t at = plane + (size_t)(oh0 + a) * g->ow + (size_t)ow0;
        for (int q = 0; q < 4 && 16 * q < cols; q++) {
          __mmask16 mk = lanes(0, cols - 16 * q);
          __m512 val = _mm512_add_ps(px[q], bv);
          if (residual) val = _mm512_add_ps(val, _mm512_maskz_loadu_ps(mk, residual + at + 16 * q));
          if (d->relu) val = _mm512_max_ps(val, _mm512_setzero_ps());
          _mm512_mask_storeu_ps(y + at + 16 * q, mk, val);
        }
      }
    }
    t += len;
  }
}
#else
typedef int modc_winograd_x86_unused; /* keeps the translation unit non-empty */
#endif
