/* conv_x86.c - AVX-512 implicit-im2col packing of one NR=16 column panel.
 *
 * Each K row of a panel is built in one zmm: every run of columns sharing an
 * output row becomes one or two masked loads (masked-off lanes read as zero
 * and never fault, which also gives the zero padding), stride 2 picks the
 * even lanes of a 32-float window with one permute, and the row is written
 * with a single aligned store. Same results as the scalar packer in conv.c. */
#include "modc_internal.h"

#if MODC_X86
#include <immintrin.h>

__attribute__((target("avx512f"))) void modc_pack_conv_avx512(const conv_src *s, int panel,
                                                               int k0, int kc, float *dst) {
  const modc_conv_desc *d = s->d;
  int b = panel / s->ppi, p0 = (panel % s->ppi) * MODC_GEMM_NR;
  int nr = s->ohw - p0 < MODC_GEMM_NR ? s->ohw - p0 : MODC_GEMM_NR;
  size_t hw = (size_t)d->h * (size_t)d->w;
  const float *img = s->x + ((size_t)b * (size_t)d->c_in + (size_t)s->g * (size_t)s->cig) * hw;
  if (s->pointwise) {
    __mmask16 m = (__mmask16)((1u << nr) - 1u);
    const float *src = img + (size_t)k0 * hw + p0;
    for (int kk = 0; kk < kc; kk++, src += hw)
      _mm512_store_ps(dst + (size_t)kk * MODC_GEMM_NR, _mm512_maskz_loadu_ps(m, src));
    return;
  }
  int seg_oh[MODC_GEMM_NR], seg_ow[MODC_GEMM_NR], seg_j[MODC_GEMM_NR], seg_len[MODC_GEMM_NR];
  int nseg = modc_panel_segments(p0, nr, s->ow, seg_oh, seg_ow, seg_j, seg_len);
  const int sw = d->stride_w;
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  int khw = d->kh * d->kw;
  int ci = k0 / khw, rem = k0 % khw, ki = rem / d->kw, kj = rem % d->kw;
  for (int kk = 0; kk < kc; kk++) {
    const float *plane = img + (size_t)ci * hw;
    __m512 v = _mm512_setzero_ps();
    for (int sg = 0; sg < nseg; sg++) {
      int ih = seg_oh[sg] * d->stride_h - d->pad_top + ki * d->dil_h;
      if (ih < 0 || ih >= d->h) continue;
      int j0 = seg_j[sg];
      int iw0 = seg_ow[sg] * sw - d->pad_left + kj * d->dil_w; /* input col of lane j0 */
      /* Lanes t in [j0, j0+len) read iw = iw0 + (t - j0)*sw; keep 0 <= iw < w. */
      int lo = j0, hi = j0 + seg_len[sg];
      if (iw0 < 0) {
        int skip = (-iw0 + sw - 1) / sw;
        lo = j0 + skip;
      }
      int last_ok = (d->w - 1 - iw0);
      if (last_ok < 0) continue;
      if (j0 + last_ok / sw + 1 < hi) hi = j0 + last_ok / sw + 1;
      if (lo >= hi) continue;
      unsigned lanes = ((1u << hi) - 1u) & ~((1u << lo) - 1u);
      /* base[t*sw] is the element for lane t. */
      const float *base = plane + (ptrdiff_t)ih * d->w + iw0 - (ptrdiff_t)j0 * sw;
      if (sw == 1) {
        v = _mm512_mask_loadu_ps(v, (__mmask16)lanes, base);
      } else {
        /* Window lane 2t holds lane t's value; split over two vectors. */
        unsigned m_lo = 0, m_hi = 0;
        for (int t = lo; t < hi; t++) {
          if (t < 8) m_lo |= 1u << (2 * t);
          else m_hi |= 1u << (2 * t - 16);
        }
        __m512 w0 = _mm512_maskz_loadu_ps((__mmask16)m_lo, base);
        __m512 w1 = _mm512_maskz_loadu_ps((__mmask16)m_hi, base + 16);
        __m512 picked = _mm512_permutex2var_ps(w0, even, w1);
        v = _mm512_mask_mov_ps(v, (__mmask16)lanes, picked);
      }
    }
    _mm512_store_ps(dst + (size_t)kk * MODC_GEMM_NR, v);
    if (++kj == d->kw) {
      kj = 0;
      if (++ki == d->kh) {
        ki = 0;
        ci++;
      }
    }
  }
}
#else
typedef int modc_conv_x86_unused; /* keeps the translation unit non-empty */
#endif
