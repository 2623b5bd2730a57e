/* eltwise.c - elementwise, activation, softmax, batch-norm, strided copy, fill. */
#include <math.h>
#include <string.h>

#include "modc_internal.h"

static inline float apply(int op, float a, float b) {
  switch (op) {
  case MODC_SUB: return a - b;
  case MODC_MUL: return a * b;
  case MODC_DIV: return a / b;
  default: return a + b;
  }
}

void modc_binary(int op, size_t n, const float *a, const float *b, float *y) {
  switch (op) {
  case MODC_SUB: for (size_t i = 0; i < n; i++) y[i] = a[i] - b[i]; break;
  case MODC_MUL: for (size_t i = 0; i < n; i++) y[i] = a[i] * b[i]; break;
  case MODC_DIV: for (size_t i = 0; i < n; i++) y[i] = a[i] / b[i]; break;
  default: for (size_t i = 0; i < n; i++) y[i] = a[i] + b[i]; break;
  }
}

/* Innermost row of a strided binary op, with the common stride patterns
 * (dense/dense, dense/broadcast scalar) split out so they vectorize. */
static void binary_row(int op, int64_t n, const float *a, int64_t as, const float *b, int64_t bs,
                       float *y) {
  if (as == 1 && bs == 1) {
    modc_binary(op, (size_t)n, a, b, y);
  } else if (as == 1 && bs == 0) {
    float bv = *b;
    for (int64_t i = 0; i < n; i++) y[i] = apply(op, a[i], bv);
  } else if (as == 0 && bs == 1) {
    float av = *a;
    for (int64_t i = 0; i < n; i++) y[i] = apply(op, av, b[i]);
  } else {
    for (int64_t i = 0; i < n; i++) y[i] = apply(op, a[i * as], b[i * bs]);
  }
}

int modc_binary_strided(int op, int rank, const int64_t *shape, const float *a,
                        const int64_t *a_strides, const float *b, const int64_t *b_strides,
                        float *y) {
  if (rank < 0 || rank > MODC_MAX_RANK) return MODC_EINVAL;
  if (op < MODC_ADD || op > MODC_DIV) return MODC_EINVAL;
  for (int i = 0; i < rank; i++)
    if (shape[i] < 0) return MODC_EINVAL;
  for (int i = 0; i < rank; i++)
    if (shape[i] == 0) return MODC_OK;
  if (rank == 0) {
    y[0] = apply(op, a[0], b[0]);
    return MODC_OK;
  }
  int64_t idx[MODC_MAX_RANK] = {0};
  int64_t inner = shape[rank - 1];
  for (;;) {
    int64_t ao = 0, bo = 0, yo = 0, ys = 1;
    for (int i = rank - 1; i >= 0; i--) {
      ao += idx[i] * a_strides[i];
      bo += idx[i] * b_strides[i];
      yo += idx[i] * ys;
      ys *= shape[i];
    }
    binary_row(op, inner, a + ao, a_strides[rank - 1], b + bo, b_strides[rank - 1], y + yo);
    int d = rank - 2;
    while (d >= 0 && ++idx[d] == shape[d]) idx[d--] = 0;
    if (d < 0) return MODC_OK;
  }
}

void modc_relu(size_t n, const float *x, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void modc_sigmoid(size_t n, const float *x, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

void modc_softmax(int rows, int cols, const float *x, float *y) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols;
    float *yr = y + (size_t)r * cols;
    float m = -INFINITY;
    for (int j = 0; j < cols; j++) m = xr[j] > m ? xr[j] : m;
    float s = 0.0f;
    for (int j = 0; j < cols; j++) {
      yr[j] = expf(xr[j] - m);
      s += yr[j];
    }
    float inv = 1.0f / s;
    for (int j = 0; j < cols; j++) yr[j] *= inv;
  }
}

void modc_batchnorm(int n, int c, int hw, const float *x, const float *scale,
                    const float *shift, float *y) {
  for (int b = 0; b < n; b++)
    for (int ch = 0; ch < c; ch++) {
      size_t o = ((size_t)b * c + ch) * hw;
      float s = scale[ch], t = shift[ch];
      for (int i = 0; i < hw; i++) y[o + i] = x[o + i] * s + t;
    }
}

void modc_batchnorm_fold(int c, const float *gamma, const float *beta, const float *mean,
                         const float *var, float eps, float *scale, float *shift) {
  for (int i = 0; i < c; i++) {
    float s = gamma[i] / sqrtf(var[i] + eps);
    scale[i] = s;
    shift[i] = beta[i] - mean[i] * s;
  }
}

/* Inner loop of modc_copy_nd: n floats, source stride ss, destination stride ds. */
static void copy_row(const float *s, int64_t ss, float *d, int64_t ds, int64_t n) {
  if (ss == 1 && ds == 1) {
    memmove(d, s, (size_t)n * sizeof(float));
    return;
  }
#if MODC_X86
  /* Every second element (a strided slice: ResNet's merged projection shortcut). */
  if (ss == 2 && ds == 1 && modc_get_isa() >= MODC_ISA_AVX512 && (d + n <= s || s + 2 * n <= d)) {
    modc_copy_even_avx512(s, d, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; i++) d[i * ds] = s[i * ss];
}

int modc_copy_nd(int rank, const int64_t *shape, const float *src, const int64_t *src_strides,
                 float *dst, const int64_t *dst_strides) {
  if (rank < 0 || rank > MODC_MAX_RANK) return MODC_EINVAL;
  for (int i = 0; i < rank; i++)
    if (shape[i] < 0) return MODC_EINVAL;
  for (int i = 0; i < rank; i++)
    if (shape[i] == 0) return MODC_OK;
  /* Drop extent-1 axes and merge an axis into the next when both sides are
   * contiguous across them, so a block copy is one memmove and a strided
   * slice keeps its long rows. */
  int64_t sh[MODC_MAX_RANK], ss[MODC_MAX_RANK], ds[MODC_MAX_RANK];
  int r = 0;
  for (int i = 0; i < rank; i++) {
    if (shape[i] == 1) continue;
    if (r > 0 && ss[r - 1] == shape[i] * src_strides[i] && ds[r - 1] == shape[i] * dst_strides[i]) {
      sh[r - 1] *= shape[i];
      ss[r - 1] = src_strides[i];
      ds[r - 1] = dst_strides[i];
      continue;
    }
    sh[r] = shape[i];
    ss[r] = src_strides[i];
    ds[r] = dst_strides[i];
    r++;
  }
  if (r == 0) {
    dst[0] = src[0];
    return MODC_OK;
  }
  int64_t idx[MODC_MAX_RANK] = {0};
  for (;;) {
    int64_t so = 0, dof = 0;
    for (int i = 0; i < r - 1; i++) {
      so += idx[i] * ss[i];
      dof += idx[i] * ds[i];
    }
    copy_row(src + so, ss[r - 1], dst + dof, ds[r - 1], sh[r - 1]);
    int k = r - 2;
    while (k >= 0 && ++idx[k] == sh[k]) idx[k--] = 0;
    if (k < 0) return MODC_OK;
  }
}

void modc_fill(size_t n, float value, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = value;
}
