/* conv.c - 2-D convolution as an implicit-im2col GEMM per group.
 *
 * GEMM view per group g: C[Mg x N*OH*OW] = W_g[Mg x Kg] · im2col(x)_g with
 * Mg = c_out/groups, Kg = (c_in/groups)*kh*kw. Column panels never straddle
 * two images, so each panel is one contiguous run of an output plane. The
 * B panels are packed straight from the NCHW image, one K block at a time. */
#include <string.h>

#include "modc_internal.h"

modc_conv_desc modc_conv_desc_make(int n, int c_in, int h, int w, int c_out, int kh, int kw) {
  modc_conv_desc d;
  memset(&d, 0, sizeof d);
  d.n = n;
  d.c_in = c_in;
  d.h = h;
  d.w = w;
  d.c_out = c_out;
  d.kh = kh;
  d.kw = kw;
  d.stride_h = d.stride_w = 1;
  d.dil_h = d.dil_w = 1;
  d.groups = 1;
  d.layout = MODC_LAYOUT_NCHW;
  return d;
}

static int out_extent(int in, int pa, int pb, int k, int s, int dil) {
  long span = (long)in + pa + pb - (long)dil * (k - 1) - 1;
  if (span < 0 || s <= 0) return 0;
  return (int)(span / s + 1);
}

int modc_conv2d_out_h(const modc_conv_desc *d) {
  return out_extent(d->h, d->pad_top, d->pad_bottom, d->kh, d->stride_h, d->dil_h);
}

int modc_conv2d_out_w(const modc_conv_desc *d) {
  return out_extent(d->w, d->pad_left, d->pad_right, d->kw, d->stride_w, d->dil_w);
}

int modc_conv2d_check(const modc_conv_desc *d) {
  if (!d) return MODC_EINVAL;
  if (d->n < 1 || d->c_in < 1 || d->h < 1 || d->w < 1 || d->c_out < 1 || d->kh < 1 || d->kw < 1)
    return MODC_EINVAL;
  if (d->stride_h < 1 || d->stride_w < 1 || d->dil_h < 1 || d->dil_w < 1 || d->groups < 1)
    return MODC_EINVAL;
  if (d->pad_top < 0 || d->pad_left < 0 || d->pad_bottom < 0 || d->pad_right < 0)
    return MODC_EINVAL;
  if (d->c_in % d->groups != 0 || d->c_out % d->groups != 0) return MODC_EINVAL;
  if (modc_conv2d_out_h(d) < 1 || modc_conv2d_out_w(d) < 1) return MODC_EINVAL;
  if (d->layout != MODC_LAYOUT_NCHW) return MODC_EUNSUPPORTED;
  if (d->algo < MODC_CONV_AUTO || d->algo > MODC_CONV_WINOGRAD_F2) return MODC_EINVAL;
  if (modc_wino_algo(d) && !modc_wino_supported(d)) return MODC_EUNSUPPORTED;
  return MODC_OK;
}

static int is_winograd(const modc_conv_desc *d) { return modc_wino_algo(d); }

static int group_k(const modc_conv_desc *d) { return d->c_in / d->groups * d->kh * d->kw; }

size_t modc_conv2d_packed_weight_size(const modc_conv_desc *d) {
  if (modc_conv2d_check(d) != MODC_OK) return 0;
  if (is_winograd(d)) return modc_wino_packed_size(d);
  return (size_t)d->groups * modc_pack_a_size(d->c_out / d->groups, group_k(d));
}

void modc_conv2d_pack_weights(const modc_conv_desc *d, const float *w, float *packed) {
  if (modc_conv2d_check(d) != MODC_OK) return;
  if (is_winograd(d)) {
    modc_wino_pack(d, w, packed);
    return;
  }
  int mg = d->c_out / d->groups, kg = group_k(d);
  size_t per = modc_pack_a_size(mg, kg);
  for (int g = 0; g < d->groups; g++)
    modc_pack_a(mg, kg, w + (size_t)g * (size_t)mg * (size_t)kg, kg, packed + (size_t)g * per);
}

size_t modc_conv2d_workspace_size(const modc_conv_desc *d, int nthreads) {
  if (nthreads < 1) nthreads = 1;
  if (modc_conv2d_check(d) == MODC_OK && is_winograd(d)) return modc_wino_workspace_size(d, nthreads);
  /* Enough for either path, so the ISA may change after the query. */
  size_t packed = (size_t)nthreads * modc_gemm_thread_ws() + 16;
  size_t direct = modc_dconv_workspace_size(d, nthreads);
  return packed > direct ? packed : direct;
}

/* ---------------------------------------------------- implicit im2col view */

static void pack_b_conv(const void *raw, int panel, int k0, int kc, float *dst) {
  const conv_src *s = raw;
#if MODC_X86
  /* The AVX-512 packer reads dense x; a channel-mapped conv packs here. */
  if (s->simd && !s->map && (s->pointwise || s->d->stride_w <= 2)) {
    modc_pack_conv_avx512(s, panel, k0, kc, dst);
    return;
  }
#endif
  const modc_conv_desc *d = s->d;
  int b = panel / s->ppi, p0 = (panel % s->ppi) * MODC_GEMM_NR;
  int nr = s->ohw - p0 < MODC_GEMM_NR ? s->ohw - p0 : MODC_GEMM_NR;
  size_t hw = (size_t)d->h * (size_t)d->w;
  /* Channel ci of the group: dense, or x's channel in_idx[b][ci] (the MoD
   * gather happens here, while packing; groups == 1 when mapped). */
  int cbase = s->g * s->cig;
  if (s->pointwise) {
    for (int kk = 0; kk < kc; kk++) {
      float *o = dst + (size_t)kk * MODC_GEMM_NR;
      memcpy(o, modc_cmap_plane(s->map, s->x, d->c_in, hw, b, cbase + k0 + kk) + p0,
             (size_t)nr * sizeof(float));
      for (int j = nr; j < MODC_GEMM_NR; j++) o[j] = 0.0f;
    }
    return;
  }
  /* Split the panel into runs that share an output row. */
  int seg_oh[MODC_GEMM_NR], seg_ow[MODC_GEMM_NR], seg_j[MODC_GEMM_NR], seg_len[MODC_GEMM_NR];
  int nseg = modc_panel_segments(p0, nr, s->ow, seg_oh, seg_ow, seg_j, seg_len);
  int khw = d->kh * d->kw;
  int ci = k0 / khw, rem = k0 % khw, ki = rem / d->kw, kj = rem % d->kw;
  for (int kk = 0; kk < kc; kk++) {
    float *o = dst + (size_t)kk * MODC_GEMM_NR;
    const float *plane = modc_cmap_plane(s->map, s->x, d->c_in, hw, b, cbase + ci);
    for (int sgi = 0; sgi < nseg; sgi++) {
      float *os = o + seg_j[sgi];
      int len = seg_len[sgi];
      int ih = seg_oh[sgi] * d->stride_h - d->pad_top + ki * d->dil_h;
      if (ih < 0 || ih >= d->h) {
        for (int t = 0; t < len; t++) os[t] = 0.0f;
        continue;
      }
      const float *row = plane + (size_t)ih * (size_t)d->w;
      int iw0 = seg_ow[sgi] * d->stride_w - d->pad_left + kj * d->dil_w;
      if (d->stride_w == 1) {
        int lo = iw0 < 0 ? -iw0 : 0;
        int hi = d->w - iw0 < len ? d->w - iw0 : len;
        if (lo > len) lo = len;
        if (hi < lo) hi = lo;
        for (int t = 0; t < lo; t++) os[t] = 0.0f;
        if (hi > lo) memcpy(os + lo, row + iw0 + lo, (size_t)(hi - lo) * sizeof(float));
        for (int t = hi; t < len; t++) os[t] = 0.0f;
      } else {
        for (int t = 0; t < len; t++) {
          int iw = iw0 + t * d->stride_w;
          os[t] = (iw >= 0 && iw < d->w) ? row[iw] : 0.0f;
        }
      }
    }
    for (int j = nr; j < MODC_GEMM_NR; j++) o[j] = 0.0f;
    if (++kj == d->kw) {
      kj = 0;
      if (++ki == d->kh) {
        ki = 0;
        ci++;
      }
    }
  }
}

static ptrdiff_t c_tile_conv(const void *raw, int panel, int *nr) {
  const conv_src *s = raw;
  int b = panel / s->ppi, p0 = (panel % s->ppi) * MODC_GEMM_NR;
  *nr = s->ohw - p0 < MODC_GEMM_NR ? s->ohw - p0 : MODC_GEMM_NR;
  return ((ptrdiff_t)b * s->d->c_out + (ptrdiff_t)s->g * s->mg) * s->ohw + p0;
}

/* MoD fusion target of a panel: image b's rows go to out + row_off[b][m] + p0. */
static void mod_tile_conv(const void *raw, int panel, float **out, const ptrdiff_t **rowoff,
                          const float **scale) {
  const conv_src *s = raw;
  int b = panel / s->ppi, p0 = (panel % s->ppi) * MODC_GEMM_NR;
  *out = s->map->out + (size_t)b * s->map->out_img + (size_t)p0;
  *rowoff = s->map->row_off + (size_t)b * (size_t)s->d->c_out;
  *scale = s->map->scores + (size_t)b * (size_t)s->d->c_out;
}

typedef struct {
  const modc_conv_desc *d;
  const modc_cmap *map;
  const float *x, *packed_w, *bias, *residual;
  float *y, *ws;
  int m_chunks, n_chunks, npanels, mg, kg, ohw, ow, ppi;
  size_t wstride;
} conv_ctx;

static void conv_task(void *raw, int task, int thread) {
  const conv_ctx *c = raw;
  int per_group = c->m_chunks * c->n_chunks;
  int g = task / per_group, t = task % per_group;
  int mi = t % c->m_chunks, ni = t / c->m_chunks;
  conv_src s;
  s.d = c->d;
  s.map = c->map;
  s.x = c->x;
  s.g = g;
  s.oh = c->ohw / c->ow;
  s.ow = c->ow;
  s.ohw = c->ohw;
  s.ppi = c->ppi;
  s.cig = c->d->c_in / c->d->groups;
  s.mg = c->mg;
  s.pointwise = c->d->kh == 1 && c->d->kw == 1 && c->d->stride_h == 1 && c->d->stride_w == 1 &&
                c->d->pad_top == 0 && c->d->pad_left == 0 && c->d->pad_bottom == 0 &&
                c->d->pad_right == 0;
  s.simd = modc_get_isa() >= MODC_ISA_AVX512;
  modc_gemm_plan p;
  memset(&p, 0, sizeof p);
  p.m = c->mg;
  p.k = c->kg;
  p.npanels = c->npanels;
  p.packed_a = c->packed_w + (size_t)g * c->wstride;
  p.c = c->y;
  p.ldc = c->ohw;
  p.src = &s;
  p.pack_b = pack_b_conv;
  p.c_tile = c_tile_conv;
  p.bias = c->bias ? c->bias + (size_t)g * (size_t)c->mg : NULL;
  p.residual = c->residual;
  p.ldr = c->ohw;
  p.relu = c->d->relu;
  p.mod_tile = c->map && c->map->row_off ? mod_tile_conv : NULL;
  int mp = (c->mg + MODC_GEMM_MR - 1) / MODC_GEMM_MR;
  int m0 = (int)((long long)mp * mi / c->m_chunks) * MODC_GEMM_MR;
  int m1 = (int)((long long)mp * (mi + 1) / c->m_chunks) * MODC_GEMM_MR;
  if (m1 > c->mg) m1 = c->mg;
  int p0 = (int)((long long)c->npanels * ni / c->n_chunks);
  int p1 = (int)((long long)c->npanels * (ni + 1) / c->n_chunks);
  modc_gemm_run_tile(&p, m0, m1, p0, p1, c->ws + (size_t)thread * modc_gemm_thread_ws());
}

int modc_conv2d(const modc_conv_desc *d, const float *x, const float *packed_w,
                const float *bias, const float *residual, float *y, float *workspace,
                modc_pool *pool) {
  int st = modc_conv2d_check(d);
  if (st != MODC_OK) return st;
  if (is_winograd(d)) {
    modc_wino_run(d, x, packed_w, bias, residual, y, workspace, pool);
    return MODC_OK;
  }
  if (modc_dconv_applies(d)) {
    modc_dconv_run(d, NULL, x, packed_w, bias, residual, y, workspace, pool);
    return MODC_OK;
  }
  modc_conv_packed_run(d, NULL, x, packed_w, bias, residual, y, workspace, pool);
  return MODC_OK;
}

void modc_conv_packed_run(const modc_conv_desc *d, const modc_cmap *map, const float *x,
                          const float *packed_w, const float *bias, const float *residual,
                          float *y, float *workspace, modc_pool *pool) {
  conv_ctx c;
  c.d = d;
  c.map = map;
  c.x = x;
  c.packed_w = packed_w;
  c.bias = bias;
  c.residual = residual;
  c.y = y;
  c.ws = modc_align64(workspace);
  c.mg = d->c_out / d->groups;
  c.kg = group_k(d);
  c.ow = modc_conv2d_out_w(d);
  c.ohw = modc_conv2d_out_h(d) * c.ow;
  c.ppi = (c.ohw + MODC_GEMM_NR - 1) / MODC_GEMM_NR;
  c.npanels = d->n * c.ppi;
  c.wstride = modc_pack_a_size(c.mg, c.kg);
  modc_gemm_split(c.mg, c.npanels, modc_pool_nthreads(pool), d->groups, &c.m_chunks,
                  &c.n_chunks);
  modc_pool_parallel_for(pool, d->groups * c.m_chunks * c.n_chunks, conv_task, &c);
}

int modc_conv2d_ref(const modc_conv_desc *d, const float *x, const float *w,
                    const float *bias, const float *residual, float *y) {
  int st = modc_conv2d_check(d);
  if (st != MODC_OK) return st;
  int oh = modc_conv2d_out_h(d), ow = modc_conv2d_out_w(d);
  int cig = d->c_in / d->groups, mg = d->c_out / d->groups;
  for (int b = 0; b < d->n; b++)
    for (int co = 0; co < d->c_out; co++) {
      int g = co / mg;
      for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++) {
          double acc = 0.0;
          for (int ci = 0; ci < cig; ci++)
            for (int ki = 0; ki < d->kh; ki++) {
              int ih = i * d->stride_h - d->pad_top + ki * d->dil_h;
              if (ih < 0 || ih >= d->h) continue;
              for (int kj = 0; kj < d->kw; kj++) {
                int iw = j * d->stride_w - d->pad_left + kj * d->dil_w;
                if (iw < 0 || iw >= d->w) continue;
                float xv = x[(((size_t)b * d->c_in + (size_t)g * cig + ci) * d->h + ih) * d->w + iw];
                float wv = w[(((size_t)co * cig + ci) * d->kh + ki) * d->kw + kj];
                acc += (double)xv * (double)wv;
              }
            }
          size_t o = (((size_t)b * d->c_out + co) * oh + i) * ow + j;
          float v = (float)acc;
          if (bias) v += bias[co];
          if (residual) v += residual[o];
          if (d->relu && v < 0.0f) v = 0.0f;
          y[o] = v;
        }
    }
  return MODC_OK;
}
