/* dense.c - reference GEMM and the fully connected layer (ONNX Gemm, transB=1). */
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
void modc_fc(int batch, int in_features, int out_features, const float *x,
             const float *packed_w, const float *bias, int relu, float *y,
             float *workspace, modc_pool *pool) {
  if (batch < 1 || out_features < 1) return;
  float *yt = workspace;
  float *ws = workspace + (size_t)batch * (size_t)out_features;
  modc_epilogue ep = {bias, NULL, 0, relu, 0};
  modc_gemm(out_features, batch, in_features, packed_w, x, 1, in_features, yt, batch, &ep, ws,
            pool);
  for (int b = 0; b < batch; b++)
    for (int o = 0; o < out_features; o++)
      y[(size_t)b * out_features + o] = yt[(size_t)o * batch + b];
}
