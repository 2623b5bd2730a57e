/* mod.c - CNN Mixture-of-Depths kernels: router (GAP, FC, FC, sigmoid, top-k),
 * gather of the selected channels, and fusion back into the full tensor. */
#include <math.h>
#include <string.h>

#include "modc_internal.h"

size_t modc_mod_router_scratch_size(int c, int hidden) {
  if (c < 1 || hidden < 1) return 0;
  return 2 * (size_t)c + (size_t)hidden;
}

/* True when (sa, ia) ranks before (sb, ib): larger score first, then lower
 * index (onnxruntime TopK order). NaN ranks last. */
static int ranks_before(float sa, int ia, float sb, int ib) {
  if (sa > sb) return 1;
  if (sa < sb) return 0;
  if (sa == sb) return ia < ib;
  if (isnan(sb) && !isnan(sa)) return 1;
  if (isnan(sa) && !isnan(sb)) return 0;
  return ia < ib;
}

int modc_mod_router(int b, int c, int hw, const float *x, const float *w1, const float *b1,
                    int hidden, const float *w2, const float *b2, int k, int64_t *out_idx,
                    float *out_scores, float *scratch) {
  if (b < 1 || c < 1 || hw < 1 || hidden < 1 || k < 1 || k > c) return MODC_EINVAL;
  float *gap = scratch, *h = scratch + c, *s = scratch + c + hidden;
  for (int n = 0; n < b; n++) {
    modc_global_avgpool(c, hw, x + (size_t)n * c * hw, gap);
    for (int i = 0; i < hidden; i++) {
      float acc = (b1 ? b1[i] : 0.0f) + modc_dot16(w1 + (size_t)i * c, gap, c);
      h[i] = acc > 0.0f ? acc : 0.0f;
    }
    for (int i = 0; i < c; i++) {
      float acc = (b2 ? b2[i] : 0.0f) + modc_dot16(w2 + (size_t)i * hidden, h, hidden);
      s[i] = 1.0f / (1.0f + expf(-acc));
    }
    /* Top-k by insertion into a sorted prefix of length <= k. */
    int64_t *oi = out_idx + (size_t)n * k;
    float *os = out_scores + (size_t)n * k;
    int len = 0;
    for (int i = 0; i < c; i++) {
      if (len == k && !ranks_before(s[i], i, os[k - 1], (int)oi[k - 1])) continue;
      int pos = len < k ? len : k - 1;
      while (pos > 0 && ranks_before(s[i], i, os[pos - 1], (int)oi[pos - 1])) {
        os[pos] = os[pos - 1];
        oi[pos] = oi[pos - 1];
        pos--;
      }
      os[pos] = s[i];
      oi[pos] = i;
      if (len < k) len++;
    }
  }
  return MODC_OK;
}

int modc_mod_gather(int b, int c, int hw, const float *x, const int64_t *idx, int k,
                    float *out) {
  if (b < 1 || c < 1 || hw < 1 || k < 1) return MODC_EINVAL;
  for (size_t i = 0; i < (size_t)b * k; i++)
    if (idx[i] < 0 || idx[i] >= c) return MODC_ERANGE;
  for (int n = 0; n < b; n++)
    for (int j = 0; j < k; j++)
      memcpy(out + ((size_t)n * k + j) * hw, x + ((size_t)n * c + (size_t)idx[(size_t)n * k + j]) * hw,
             (size_t)hw * sizeof(float));
  return MODC_OK;
}

static void fuse_plane(int hw, const float *x, const float *p, float score, int relu, float *y) {
  if (relu) {
    for (int i = 0; i < hw; i++) {
      float v = x[i] + p[i] * score;
      y[i] = v > 0.0f ? v : 0.0f;
    }
  } else {
    for (int i = 0; i < hw; i++) y[i] = x[i] + p[i] * score;
  }
}

int modc_mod_fuse(int b, int c, int hw, const float *x, const float *p, const float *scores,
                  const int64_t *idx, int k, int mode, int relu, float *y) {
  if (b < 1 || c < 1 || hw < 1 || k < 1 || k > c) return MODC_EINVAL;
  if (mode != MODC_MOD_FIRST_K && mode != MODC_MOD_SCATTER) return MODC_EINVAL;
  if (mode == MODC_MOD_SCATTER)
    for (size_t i = 0; i < (size_t)b * k; i++)
      if (idx[i] < 0 || idx[i] >= c) return MODC_ERANGE;
  size_t plane = (size_t)hw;
  for (int n = 0; n < b; n++) {
    const float *xn = x + (size_t)n * c * plane;
    float *yn = y + (size_t)n * c * plane;
    if (yn != xn) memcpy(yn, xn, (size_t)c * plane * sizeof(float));
    for (int j = 0; j < k; j++) {
      size_t ch = mode == MODC_MOD_FIRST_K ? (size_t)j : (size_t)idx[(size_t)n * k + j];
      fuse_plane(hw, xn + ch * plane, p + ((size_t)n * k + j) * plane, scores[(size_t)n * k + j],
                 relu, yn + ch * plane);
    }
  }
  return MODC_OK;
}
