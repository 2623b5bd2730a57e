/* pooling.c - max / average / global average pooling on NCHW planes. */
#include <math.h>
#include <string.h>

#include "modc_internal.h"

modc_pool2d_desc modc_pool2d_desc_make(int n, int c, int h, int w, int kh, int kw) {
  modc_pool2d_desc d;
  memset(&d, 0, sizeof d);
  d.n = n;
  d.c = c;
  d.h = h;
  d.w = w;
  d.kh = kh;
  d.kw = kw;
  d.stride_h = kh;
  d.stride_w = kw;
  d.dil_h = d.dil_w = 1;
  return d;
}

/* ONNX / PyTorch rule: with ceil_mode the last window must start inside the
 * input or its leading padding, otherwise it is dropped. */
static int pool_extent(int in, int pa, int pb, int k, int s, int dil, int ceil_mode) {
  long span = (long)in + pa + pb - (long)dil * (k - 1) - 1;
  if (span < 0 || s <= 0) return 0;
  long out = ceil_mode ? (span + s - 1) / s + 1 : span / s + 1;
  if (ceil_mode && (out - 1) * s >= (long)in + pa) out--;
  return (int)out;
}

int modc_pool2d_out_h(const modc_pool2d_desc *d) {
  return pool_extent(d->h, d->pad_top, d->pad_bottom, d->kh, d->stride_h, d->dil_h, d->ceil_mode);
}

int modc_pool2d_out_w(const modc_pool2d_desc *d) {
  return pool_extent(d->w, d->pad_left, d->pad_right, d->kw, d->stride_w, d->dil_w, d->ceil_mode);
}

static int pool_check(const modc_pool2d_desc *d) {
  if (!d || d->n < 1 || d->c < 1 || d->h < 1 || d->w < 1 || d->kh < 1 || d->kw < 1) return MODC_EINVAL;
  if (d->stride_h < 1 || d->stride_w < 1 || d->dil_h < 1 || d->dil_w < 1) return MODC_EINVAL;
  if (d->pad_top < 0 || d->pad_left < 0 || d->pad_bottom < 0 || d->pad_right < 0) return MODC_EINVAL;
  if (modc_pool2d_out_h(d) < 1 || modc_pool2d_out_w(d) < 1) return MODC_EINVAL;
  return MODC_OK;
}

typedef struct {
  const modc_pool2d_desc *d;
  const float *x;
  float *y;
  int oh, ow, planes, chunks, is_max;
} pool_ctx;

/* Separable max for dilation 1 and rows up to MAX_ROW floats: for each output row, the column-wise max of its (clipped)
 * input rows is formed in a contiguous temp row (vectorisable), then each output takes the max over kw temp
 * entries. Same result as the direct window loop (max is order-independent), ~3x fewer branches. */
#define MAX_ROW 2048
static int max_plane_separable(const modc_pool2d_desc *d, const float *x, float *y, int oh, int ow) {
  if (d->dil_h != 1 || d->dil_w != 1 || d->w > MAX_ROW) return 0;
  float tmp[MAX_ROW];
  for (int i = 0; i < oh; i++) {
    int h0 = i * d->stride_h - d->pad_top, h1 = h0 + d->kh;
    if (h0 < 0) h0 = 0;
    if (h1 > d->h) h1 = d->h;
    if (h0 >= h1) {
      for (int j = 0; j < ow; j++) y[(size_t)i * ow + j] = -INFINITY;
      continue;
    }
    const float *r0 = x + (size_t)h0 * d->w;
    for (int c = 0; c < d->w; c++) tmp[c] = r0[c];
    for (int ih = h0 + 1; ih < h1; ih++) {
      const float *r = x + (size_t)ih * d->w;
      for (int c = 0; c < d->w; c++) tmp[c] = r[c] > tmp[c] ? r[c] : tmp[c];
    }
    for (int j = 0; j < ow; j++) {
      int w0 = j * d->stride_w - d->pad_left, w1 = w0 + d->kw;
      if (w0 < 0) w0 = 0;
      if (w1 > d->w) w1 = d->w;
      float m = -INFINITY;
      for (int c = w0; c < w1; c++) m = tmp[c] > m ? tmp[c] : m;
      y[(size_t)i * ow + j] = m;
    }
  }
  return 1;
}

static void max_plane(const modc_pool2d_desc *d, const float *x, float *y, int oh, int ow) {
#if MODC_X86
  if (modc_get_isa() >= MODC_ISA_AVX512 && modc_maxpool_k3s2_avx512_ok(d)) {
    modc_maxpool_k3s2_avx512(d, x, y, oh, ow);
    return;
  }
#endif
  if (max_plane_separable(d, x, y, oh, ow)) return;
  for (int i = 0; i < oh; i++)
    for (int j = 0; j < ow; j++) {
      float m = -INFINITY;
      for (int ki = 0; ki < d->kh; ki++) {
        int ih = i * d->stride_h - d->pad_top + ki * d->dil_h;
        if (ih < 0 || ih >= d->h) continue;
        const float *row = x + (size_t)ih * d->w;
        for (int kj = 0; kj < d->kw; kj++) {
          int iw = j * d->stride_w - d->pad_left + kj * d->dil_w;
          if (iw >= 0 && iw < d->w && row[iw] > m) m = row[iw];
        }
      }
      y[(size_t)i * ow + j] = m;
    }
}

/* Average windows ignore dilation (ONNX AveragePool has none before opset 19). */
static void avg_plane(const modc_pool2d_desc *d, const float *x, float *y, int oh, int ow) {
  for (int i = 0; i < oh; i++) {
    int hs = i * d->stride_h - d->pad_top;
    int he = hs + d->kh < d->h + d->pad_bottom ? hs + d->kh : d->h + d->pad_bottom;
    int h0 = hs < 0 ? 0 : hs, h1 = he < d->h ? he : d->h;
    for (int j = 0; j < ow; j++) {
      int ws = j * d->stride_w - d->pad_left;
      int we = ws + d->kw < d->w + d->pad_right ? ws + d->kw : d->w + d->pad_right;
      int w0 = ws < 0 ? 0 : ws, w1 = we < d->w ? we : d->w;
      float s = 0.0f;
      for (int ih = h0; ih < h1; ih++)
        for (int iw = w0; iw < w1; iw++) s += x[(size_t)ih * d->w + iw];
      int cnt = d->count_include_pad ? (he - hs) * (we - ws) : (h1 - h0) * (w1 - w0);
      y[(size_t)i * ow + j] = cnt > 0 ? s / (float)cnt : 0.0f;
    }
  }
}

static void pool_task(void *raw, int task, int thread) {
  (void)thread;
  const pool_ctx *c = raw;
  int p0 = (int)((long long)c->planes * task / c->chunks);
  int p1 = (int)((long long)c->planes * (task + 1) / c->chunks);
  size_t in_sz = (size_t)c->d->h * c->d->w, out_sz = (size_t)c->oh * c->ow;
  for (int p = p0; p < p1; p++) {
    if (c->is_max)
      max_plane(c->d, c->x + p * in_sz, c->y + p * out_sz, c->oh, c->ow);
    else
      avg_plane(c->d, c->x + p * in_sz, c->y + p * out_sz, c->oh, c->ow);
  }
}

static int run_pool(const modc_pool2d_desc *d, const float *x, float *y, modc_pool *pool,
                    int is_max) {
  int st = pool_check(d);
  if (st != MODC_OK) return st;
  pool_ctx c = {d, x, y, modc_pool2d_out_h(d), modc_pool2d_out_w(d), d->n * d->c, 1, is_max};
  int nt = modc_pool_nthreads(pool);
  c.chunks = c.planes < 4 * nt ? c.planes : 4 * nt;
  modc_pool_parallel_for(pool, c.chunks, pool_task, &c);
  return MODC_OK;
}

int modc_maxpool2d(const modc_pool2d_desc *d, const float *x, float *y, modc_pool *pool) {
  return run_pool(d, x, y, pool, 1);
}

int modc_avgpool2d(const modc_pool2d_desc *d, const float *x, float *y, modc_pool *pool) {
  return run_pool(d, x, y, pool, 0);
}

void modc_global_avgpool(int planes, int hw, const float *x, float *y) {
  for (int p = 0; p < planes; p++) {
    float s = modc_sum16(x + (size_t)p * hw, hw);
    y[p] = hw > 0 ? s / (float)hw : 0.0f;
  }
}
