/* dense.c - reference GEMM and the fully connected layer (ONNX Gemm, transB=1). */
#include <string.h>

#include "modc_internal.h"

void modc_gemm_ref(int m, int n, int k, const float *a, ptrdiff_t lda, const float *b,
                   ptrdiff_t b_rs, ptrdiff_t b_cs, float *c, ptrdiff_t ldc,
                   const modc_epilogue *ep) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      double acc = 0.0;
      for (int kk = 0; kk < k; kk++) acc += (double)a[i * lda + kk] * (double)b[kk * b_rs + j * b_cs];
      float v = (float)acc;
      if (ep && ep->accumulate) v += c[i * ldc + j];
      if (ep && ep->bias) v += ep->bias[i];
      if (ep && ep->residual) v += ep->residual[i * ep->ldr + j];
      if (ep && ep->relu && v < 0.0f) v = 0.0f;
      c[i * ldc + j] = v;
    }
}

size_t modc_fc_workspace_size(int batch, int in_features, int out_features, int nthreads) {
  if (batch < 1 || out_features < 1) return 0;
  return modc_gemm_workspace_size(out_features, batch, in_features, nthreads) +
         (size_t)batch * (size_t)out_features;
}

/* Computed as Yᵀ[out x batch] = W · Xᵀ into the workspace (so W is the
 * pre-packed A operand), then transposed into y. */
/* Small batches: a matrix-vector product straight over the packed panels (16 output rows per panel, k-major), so
 * the weights are streamed once and no B packing or padding to NR columns happens. Panels are split over threads;
 * each output's sum runs over k in order, so results do not depend on the thread count. */
#define FC_GEMV_MAX_BATCH 4
typedef struct {
  int batch, in_features, out_features, relu;
  const float *x, *packed_w, *bias;
  float *y;
  int panels, chunks;
} fc_gemv_ctx;

static void fc_gemv_task(void *raw, int task, int thread) {
  (void)thread;
  const fc_gemv_ctx *c = raw;
  int p0 = (int)((long long)c->panels * task / c->chunks), p1 = (int)((long long)c->panels * (task + 1) / c->chunks);
  for (int p = p0; p < p1; p++) {
    const float *a = c->packed_w + (size_t)p * MODC_GEMM_MR * (size_t)c->in_features;
    float acc[FC_GEMV_MAX_BATCH][MODC_GEMM_MR];
    memset(acc, 0, sizeof acc);
    for (int k = 0; k < c->in_features; k++) {
      const float *col = a + (size_t)k * MODC_GEMM_MR;
      for (int b = 0; b < c->batch; b++) {
        float xv = c->x[(size_t)b * c->in_features + k];
        for (int r = 0; r < MODC_GEMM_MR; r++) acc[b][r] += col[r] * xv;
      }
    }
    int rows = c->out_features - p * MODC_GEMM_MR < MODC_GEMM_MR ? c->out_features - p * MODC_GEMM_MR : MODC_GEMM_MR;
    for (int b = 0; b < c->batch; b++)
      for (int r = 0; r < rows; r++) {
        int o = p * MODC_GEMM_MR + r;
        float v = acc[b][r] + (c->bias ? c->bias[o] : 0.0f);
        if (c->relu && v < 0.0f) v = 0.0f;
        c->y[(size_t)b * c->out_features + o] = v;
      }
  }
}

void modc_fc(int batch, int in_features, int out_features, const float *x,
             const float *packed_w, const float *bias, int relu, float *y,
             float *workspace, modc_pool *pool) {
  if (batch < 1 || out_features < 1) return;
  if (batch <= FC_GEMV_MAX_BATCH) {
    fc_gemv_ctx c = {batch, in_features, out_features, relu, x, packed_w, bias, y,
                     (out_features + MODC_GEMM_MR - 1) / MODC_GEMM_MR, 1};
    int nt = modc_pool_nthreads(pool);
    c.chunks = c.panels < 4 * nt ? c.panels : 4 * nt;
    modc_pool_parallel_for(pool, c.chunks, fc_gemv_task, &c);
    return;
  }
  float *yt = workspace;
  float *ws = workspace + (size_t)batch * (size_t)out_features;
  modc_epilogue ep = {bias, NULL, 0, relu, 0};
  modc_gemm(out_features, batch, in_features, packed_w, x, 1, in_features, yt, batch, &ep, ws,
            pool);
  for (int b = 0; b < batch; b++)
    for (int o = 0; o < out_features; o++)
      y[(size_t)b * out_features + o] = yt[(size_t)o * batch + b];
}
