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

/* A copy with extent-1 axes dropped and every axis merged into the next
 * where both sides are contiguous across them, so a block copy is one
 * memmove and a strided slice keeps its long rows. Rows are all axes but
 * the last. */
typedef struct {
  int r;
  int64_t sh[MODC_MAX_RANK], ss[MODC_MAX_RANK], ds[MODC_MAX_RANK];
  int64_t rows;
  const float *src;
  float *dst;
  int tasks;
} copy_plan;

static void copy_plan_make(copy_plan *p, int rank, const int64_t *shape, const float *src,
                           const int64_t *src_strides, float *dst, const int64_t *dst_strides) {
  int r = 0;
  for (int i = 0; i < rank; i++) {
    if (shape[i] == 1) continue;
    if (r > 0 && p->ss[r - 1] == shape[i] * src_strides[i] &&
        p->ds[r - 1] == shape[i] * dst_strides[i]) {
      p->sh[r - 1] *= shape[i];
      p->ss[r - 1] = src_strides[i];
      p->ds[r - 1] = dst_strides[i];
      continue;
    }
    p->sh[r] = shape[i];
    p->ss[r] = src_strides[i];
    p->ds[r] = dst_strides[i];
    r++;
  }
  p->r = r;
  p->rows = 1;
  for (int i = 0; i + 1 < r; i++) p->rows *= p->sh[i];
  p->src = src;
  p->dst = dst;
  p->tasks = 1;
}

/* Rows [r0, r1) of the plan. */
static void copy_rows(const copy_plan *p, int64_t r0, int64_t r1) {
  int r = p->r;
  int64_t idx[MODC_MAX_RANK] = {0}, rem = r0;
  for (int i = r - 2; i >= 0; i--) {
    idx[i] = rem % p->sh[i];
    rem /= p->sh[i];
  }
  for (int64_t row = r0; row < r1; row++) {
    int64_t so = 0, dof = 0;
    for (int i = 0; i < r - 1; i++) {
      so += idx[i] * p->ss[i];
      dof += idx[i] * p->ds[i];
    }
    copy_row(p->src + so, p->ss[r - 1], p->dst + dof, p->ds[r - 1], p->sh[r - 1]);
    for (int k = r - 2; k >= 0 && ++idx[k] == p->sh[k]; k--) idx[k] = 0;
  }
}

static void copy_task(void *ctx, int task, int thread) {
  (void)thread;
  const copy_plan *p = (const copy_plan *)ctx;
  copy_rows(p, p->rows * task / p->tasks, p->rows * (task + 1) / p->tasks);
}

/* Lowest and one-past-highest element a strided side touches. */
static void extent(const copy_plan *p, const int64_t *strides, int64_t *lo, int64_t *hi) {
  *lo = 0;
  *hi = 1;
  for (int i = 0; i < p->r; i++) {
    int64_t span = (p->sh[i] - 1) * strides[i];
    if (span < 0) *lo += span;
    else *hi += span;
  }
}

/* Elements below which a copy stays on the calling thread. */
#define COPY_MT_MIN 32768

int modc_copy_nd_mt(int rank, const int64_t *shape, const float *src, const int64_t *src_strides,
                    float *dst, const int64_t *dst_strides, modc_pool *pool) {
  if (rank < 0 || rank > MODC_MAX_RANK) return MODC_EINVAL;
  for (int i = 0; i < rank; i++)
    if (shape[i] < 0) return MODC_EINVAL;
  for (int i = 0; i < rank; i++)
    if (shape[i] == 0) return MODC_OK;
  copy_plan p;
  copy_plan_make(&p, rank, shape, src, src_strides, dst, dst_strides);
  if (p.r == 0) {
    dst[0] = src[0];
    return MODC_OK;
  }
  int nt = modc_pool_nthreads(pool);
  if (nt > 1 && p.rows >= 2 * nt && p.rows * p.sh[p.r - 1] >= COPY_MT_MIN) {
    /* Rows run in any order across threads: only when the sides are disjoint. */
    int64_t slo, shi, dlo, dhi;
    extent(&p, p.ss, &slo, &shi);
    extent(&p, p.ds, &dlo, &dhi);
    if (dst + dhi <= src + slo || src + shi <= dst + dlo) {
      p.tasks = 2 * nt;
      modc_pool_parallel_for(pool, p.tasks, copy_task, &p);
      return MODC_OK;
    }
  }
  copy_rows(&p, 0, p.rows);
  return MODC_OK;
}

int modc_copy_nd(int rank, const int64_t *shape, const float *src, const int64_t *src_strides,
                 float *dst, const int64_t *dst_strides) {
  return modc_copy_nd_mt(rank, shape, src, src_strides, dst, dst_strides, NULL);
}

void modc_fill(size_t n, float value, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = value;
}
