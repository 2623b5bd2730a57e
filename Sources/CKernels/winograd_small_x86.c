/* winograd_small_x86.c - AVX-512 kernels of the few-tile Winograd path.
 *
 * Transposed micro-kernel: up to 6 tiles x 4 U panels (64 output channels)
 * = 24 zmm accumulators; per k it loads the 4 U vectors and broadcasts the
 * 6 V values of its tiles (10 loads per 24 FMAs). U streams once from
 * memory, so the kernel prefetches each panel a few lines ahead.
 * Input transform: 16 input channels are the lanes; the padded plane is
 * transposed once (16x16 in registers) into a [row][col][channel] scratch,
 * so every tile's it x it window (6x6 or 4x4) is aligned loads, whatever
 * the plane width. Output transform: output channels are the 16 lanes; the
 * output tile (4x4, or 2x2 padded with zero columns) of 16 channels is
 * transposed in registers (unpack + shuffle per 128-bit lane) into one
 * 4-pixel row segment per channel, of which the first mt are stored. */
#include "winograd_math.h"

#if MODC_X86
#include <immintrin.h>

#define WS_AVX512 __attribute__((target("avx512f")))
#define WS_INLINE __attribute__((target("avx512f"), always_inline)) static inline

/* Bytes ahead of the current k that each U panel is prefetched. */
#define WS_PREFETCH 512

WS_INLINE void tk_store(float *m, __m512 v, int load) {
  if (load) v = _mm512_add_ps(v, _mm512_loadu_ps(m));
  _mm512_storeu_ps(m, v);
}

/* NT tiles x NP panels; NT and NP are constants at every call site. */
WS_INLINE void tk(const modc_wtk_args *a, const int NT, const int NP) {
  __m512 z = _mm512_setzero_ps();
  __m512 c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z, c20 = z,
         c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z, c40 = z, c41 = z,
         c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
  const float *u = a->u, *v = a->v;
  const ptrdiff_t us = a->ustride, vt = a->vts, ps = a->pf ? a->pfstep : 0;
  const char *pf = a->pf ? a->pf : (const char *)u;
  for (int k = 0; k < a->kc; k++) {
    _mm_prefetch(pf, _MM_HINT_T1);
    pf += ps;
    _mm_prefetch((const char *)u + WS_PREFETCH, _MM_HINT_T0);
    if (NP > 1) _mm_prefetch((const char *)(u + us) + WS_PREFETCH, _MM_HINT_T0);
    if (NP > 2) _mm_prefetch((const char *)(u + 2 * us) + WS_PREFETCH, _MM_HINT_T0);
    if (NP > 3) _mm_prefetch((const char *)(u + 3 * us) + WS_PREFETCH, _MM_HINT_T0);
    __m512 u0 = _mm512_loadu_ps(u);
    __m512 u1 = NP > 1 ? _mm512_loadu_ps(u + us) : z;
    __m512 u2 = NP > 2 ? _mm512_loadu_ps(u + 2 * us) : z;
    __m512 u3 = NP > 3 ? _mm512_loadu_ps(u + 3 * us) : z;
#define WS_ROW(t)                                           \
  if (NT > t) {                                             \
    __m512 vb = _mm512_set1_ps(v[t * vt + k]);              \
    c##t##0 = _mm512_fmadd_ps(vb, u0, c##t##0);             \
    if (NP > 1) c##t##1 = _mm512_fmadd_ps(vb, u1, c##t##1); \
    if (NP > 2) c##t##2 = _mm512_fmadd_ps(vb, u2, c##t##2); \
    if (NP > 3) c##t##3 = _mm512_fmadd_ps(vb, u3, c##t##3); \
  }
    WS_ROW(0) WS_ROW(1) WS_ROW(2) WS_ROW(3) WS_ROW(4) WS_ROW(5)
#undef WS_ROW
    u += 16;
  }
#define WS_STORE(t)                                          \
  if (NT > t) {                                              \
    float *m = a->m + t * a->ldm;                            \
    tk_store(m, c##t##0, a->load);                           \
    if (NP > 1) tk_store(m + 16, c##t##1, a->load);          \
    if (NP > 2) tk_store(m + 32, c##t##2, a->load);          \
    if (NP > 3) tk_store(m + 48, c##t##3, a->load);          \
  }
  WS_STORE(0) WS_STORE(1) WS_STORE(2) WS_STORE(3) WS_STORE(4) WS_STORE(5)
#undef WS_STORE
}

#define WS_NT(NP)                 \
  switch (a->nt) {                \
  case 1: tk(a, 1, NP); break;    \
  case 2: tk(a, 2, NP); break;    \
  case 3: tk(a, 3, NP); break;    \
  case 4: tk(a, 4, NP); break;    \
  case 5: tk(a, 5, NP); break;    \
  default: tk(a, 6, NP); break;   \
  }

WS_AVX512 void modc_wino_tk_avx512(const modc_wtk_args *a) {
  switch (a->np) {
  case 1: WS_NT(1) break;
  case 2: WS_NT(2) break;
  case 3: WS_NT(3) break;
  default: WS_NT(4) break;
  }
}
#undef WS_NT

/* In-register 16x16 transpose: r[i] lane j -> r[j] lane i. */
WS_INLINE void transpose16(__m512 *r) {
  __m512 t[16], s[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  /* s[4g + c], 128-bit lane L: column 4L + c of rows 4g .. 4g+3. */
  for (int g = 0; g < 4; g++) {
    s[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(1, 0, 1, 0));
    s[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(3, 2, 3, 2));
    s[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(1, 0, 1, 0));
    s[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  /* Column 4L + c gathers 128-bit lane L of s[c], s[4+c], s[8+c], s[12+c]. */
  for (int c = 0; c < 4; c++) {
    __m512 x0 = _mm512_shuffle_f32x4(s[c], s[4 + c], _MM_SHUFFLE(1, 0, 1, 0));
    __m512 x1 = _mm512_shuffle_f32x4(s[c], s[4 + c], _MM_SHUFFLE(3, 2, 3, 2));
    __m512 x2 = _mm512_shuffle_f32x4(s[8 + c], s[12 + c], _MM_SHUFFLE(1, 0, 1, 0));
    __m512 x3 = _mm512_shuffle_f32x4(s[8 + c], s[12 + c], _MM_SHUFFLE(3, 2, 3, 2));
    r[c] = _mm512_shuffle_f32x4(x0, x2, _MM_SHUFFLE(2, 0, 2, 0));
    r[4 + c] = _mm512_shuffle_f32x4(x0, x2, _MM_SHUFFLE(3, 1, 3, 1));
    r[8 + c] = _mm512_shuffle_f32x4(x1, x3, _MM_SHUFFLE(2, 0, 2, 0));
    r[12 + c] = _mm512_shuffle_f32x4(x1, x3, _MM_SHUFFLE(3, 1, 3, 1));
  }
}

/* Bᵀ·d·B of one it x it window of 16-channel vectors (row stride sw vectors). */
WS_INLINE void input_tile_v(const float *base, size_t sw, int it, __m512 *o) {
  __m512 e[MODC_WG_POINTS];
  for (int a = 0; a < it; a++) {
    __m512 dd[6];
    for (int c = 0; c < it; c++) dd[c] = _mm512_load_ps(base + ((size_t)a * sw + c) * 16);
    if (it == 6) modc_wg_bt6v(dd, 1, e + a * 6, 1);
    else modc_wg_bt4v(dd, 1, e + a * 4, 1);
  }
  for (int k2 = 0; k2 < it; k2++) {
    if (it == 6) modc_wg_bt6v(e + k2, 6, o + k2, 6);
    else modc_wg_bt4v(e + k2, 4, o + k2, 4);
  }
}

/* Aᵀ·M·A of one tile into o[a*4 + c] (a, c < mt; the rest is zero). */
WS_INLINE void output_tile_v(const __m512 *mv, int it, __m512 *o) {
  __m512 f[24];
  if (it == 6) {
    for (int c = 0; c < 6; c++) modc_wg_at6v(mv + c, 6, f + c, 6);
    for (int a = 0; a < 4; a++) modc_wg_at6v(f + a * 6, 1, o + a * 4, 1);
    return;
  }
  for (int k = 0; k < 16; k++) o[k] = _mm512_setzero_ps();
  for (int c = 0; c < 4; c++) modc_wg_at4v(mv + c, 4, f + c, 4);
  for (int a = 0; a < 2; a++) modc_wg_at4v(f + a * 4, 1, o + a * 4, 1);
}

/* The input transform of every tile of the transposed plane in scratch (IT,
 * the input tile side, is a constant at each call site). */
WS_INLINE void transform_tiles(const modc_wgeom *g, const int IT, const float *scratch, size_t sw,
                               int c0, float *v, size_t ldv) {
  const size_t mt = (size_t)(IT - 2);
  for (int r = 0; r < g->tiles; r++) {
    const float *base = scratch + ((size_t)(r / g->tw) * mt * sw + (size_t)(r % g->tw) * mt) * 16;
    __m512 o[MODC_WG_POINTS];
    input_tile_v(base, sw, IT, o);
    float *vt = v + (size_t)r * (size_t)(IT * IT) * ldv + c0;
    for (int p = 0; p < IT * IT; p++) _mm512_store_ps(vt + p * ldv, o[p]);
  }
}

/* Image b, channels c0 .. c0+nc (nc <= 16): the zero-padded input plane is
 * first transposed into scratch[row][col][16 channels] (rows mt*th+2, columns
 * mt*tw+2), then each tile's pts channel vectors are transformed and stored
 * to V[tile][p][ldv] (v: the image's first tile) at channel c0 (lanes >= nc
 * hold zeros). */
WS_AVX512 void modc_wino_input_t_avx512(const modc_conv_desc *d, const modc_wgeom *g,
                                        const float *x, int b, int c0, int nc, float *scratch,
                                        float *v, size_t ldv) {
  int sh = g->mt * g->th + 2, sw = g->mt * g->tw + 2;
  size_t hw = (size_t)d->h * (size_t)d->w;
  const __m512 zero = _mm512_setzero_ps();
  for (int sr = 0; sr < sh; sr++) {
    float *row = scratch + (size_t)sr * (size_t)sw * 16;
    int ih = sr - d->pad_top;
    if (ih < 0 || ih >= d->h) {
      for (int sc = 0; sc < sw; sc++) _mm512_store_ps(row + (size_t)sc * 16, zero);
      continue;
    }
    for (int sc = 0; sc < d->pad_left; sc++) _mm512_store_ps(row + (size_t)sc * 16, zero);
    for (int sc = d->pad_left + d->w; sc < sw; sc++) _mm512_store_ps(row + (size_t)sc * 16, zero);
    const float *src = x + ((size_t)b * d->c_in + (size_t)c0) * hw + (size_t)ih * d->w;
    for (int iw0 = 0; iw0 < d->w; iw0 += 16) {
      int nw = d->w - iw0 < 16 ? d->w - iw0 : 16;
      __mmask16 mk = (__mmask16)((1u << nw) - 1u);
      __m512 r[16];
      for (int ci = 0; ci < 16; ci++)
        r[ci] = ci < nc ? _mm512_maskz_loadu_ps(mk, src + (size_t)ci * hw + iw0) : zero;
      transpose16(r);
      float *dst = row + (size_t)(d->pad_left + iw0) * 16;
      for (int j = 0; j < nw; j++) _mm512_store_ps(dst + (size_t)j * 16, r[j]);
    }
  }
  if (g->it == 6) transform_tiles(g, 6, scratch, (size_t)sw, c0, v, ldv);
  else transform_tiles(g, 4, scratch, (size_t)sw, c0, v, ldv);
}

/* Writes the first `cols` (1..4) pixels of one channel's row segment, adding
 * the residual and applying ReLU when asked (bias is already in px). */
WS_INLINE void put4(__m128 px, float *y, const float *res, int cols, int relu) {
  if (cols == 4) {
    if (res) px = _mm_add_ps(px, _mm_loadu_ps(res));
    if (relu) px = _mm_max_ps(px, _mm_setzero_ps());
    _mm_storeu_ps(y, px);
    return;
  }
  float tmp[4];
  _mm_storeu_ps(tmp, px);
  for (int j = 0; j < cols; j++) {
    float val = tmp[j] + (res ? res[j] : 0.0f);
    y[j] = relu && val < 0.0f ? 0.0f : val;
  }
}

/* Channel 4k+i of the 16 lanes is 128-bit chunk k of s[i]. */
#define WS_PUT(i, k)                                                                     \
  if (4 * (k) + (i) < nc) {                                                              \
    size_t off = (size_t)(4 * (k) + (i)) * ohw;                                          \
    put4(_mm512_extractf32x4_ps(s[i], k), yrow + off, rrow ? rrow + off : NULL, cols,    \
         late_relu);                                                                     \
  }

/* The output transform (IT, the input tile side, is a constant at each call site). */
WS_INLINE void output_t(const int IT, const modc_conv_desc *d, const modc_wgeom *g,
                        const float *m, ptrdiff_t mps, int t0, int nt, int co0, int nco,
                        const float *bias, const float *residual, float *y) {
  size_t ohw = (size_t)g->oh * (size_t)g->ow;
  int late_relu = d->relu && residual;
  for (int i = 0; i < nt; i++) {
    int t = t0 + i, b = t / g->tiles, r = t % g->tiles;
    const int mt = IT - 2;
    int oh0 = (r / g->tw) * mt, ow0 = (r % g->tw) * mt;
    int rows = g->oh - oh0 < mt ? g->oh - oh0 : mt, cols = g->ow - ow0 < mt ? g->ow - ow0 : mt;
    for (int j = 0; 16 * j < nco; j++) {
      int nc = nco - 16 * j < 16 ? nco - 16 * j : 16;
      const float *mm = m + (ptrdiff_t)i * MODC_WS_COUT + 16 * j;
      __m512 mv[MODC_WG_POINTS], o[16];
      for (int p = 0; p < IT * IT; p++) mv[p] = _mm512_loadu_ps(mm + p * mps);
      output_tile_v(mv, IT, o);
      int co = co0 + 16 * j;
      __m512 bv = bias ? _mm512_maskz_loadu_ps((__mmask16)((1u << nc) - 1u), bias + co)
                       : _mm512_setzero_ps();
      size_t base = ((size_t)b * d->c_out + (size_t)co) * ohw;
      for (int a = 0; a < rows; a++) {
        __m512 q[4];
        for (int c = 0; c < 4; c++) {
          q[c] = _mm512_add_ps(o[a * 4 + c], bv);
          if (d->relu && !residual) q[c] = _mm512_max_ps(q[c], _mm512_setzero_ps());
        }
        __m512 u0 = _mm512_unpacklo_ps(q[0], q[1]), u1 = _mm512_unpackhi_ps(q[0], q[1]);
        __m512 u2 = _mm512_unpacklo_ps(q[2], q[3]), u3 = _mm512_unpackhi_ps(q[2], q[3]);
        __m512 s[4];
        s[0] = _mm512_shuffle_ps(u0, u2, _MM_SHUFFLE(1, 0, 1, 0));
        s[1] = _mm512_shuffle_ps(u0, u2, _MM_SHUFFLE(3, 2, 3, 2));
        s[2] = _mm512_shuffle_ps(u1, u3, _MM_SHUFFLE(1, 0, 1, 0));
        s[3] = _mm512_shuffle_ps(u1, u3, _MM_SHUFFLE(3, 2, 3, 2));
        size_t row = base + (size_t)(oh0 + a) * g->ow + (size_t)ow0;
        float *yrow = y + row;
        const float *rrow = residual ? residual + row : NULL;
        WS_PUT(0, 0) WS_PUT(1, 0) WS_PUT(2, 0) WS_PUT(3, 0)
        WS_PUT(0, 1) WS_PUT(1, 1) WS_PUT(2, 1) WS_PUT(3, 1)
        WS_PUT(0, 2) WS_PUT(1, 2) WS_PUT(2, 2) WS_PUT(3, 2)
        WS_PUT(0, 3) WS_PUT(1, 3) WS_PUT(2, 3) WS_PUT(3, 3)
      }
    }
  }
}
#undef WS_PUT

WS_AVX512 void modc_wino_output_t_avx512(const modc_conv_desc *d, const modc_wgeom *g,
                                         const float *m, ptrdiff_t mps, int t0, int nt,
                                         int co0, int nco, const float *bias,
                                         const float *residual, float *y) {
  if (g->it == 6) output_t(6, d, g, m, mps, t0, nt, co0, nco, bias, residual, y);
  else output_t(4, d, g, m, mps, t0, nt, co0, nco, bias, residual, y);
}
#else
typedef int modc_winograd_small_x86_unused; /* keeps the translation unit non-empty */
#endif
