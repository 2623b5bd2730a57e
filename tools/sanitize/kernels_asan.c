/* Sanitizer driver for the CKernels library: runs every kernel family on odd sizes with exactly sized heap
 * buffers (so AddressSanitizer sees any read or write past them) and compares each fast path (AVX2, AVX-512,
 * threaded) with the scalar reference. Built by tools/sanitize/run.sh with
 *   cc -fsanitize=address,undefined -fno-sanitize-recover=all
 * Prints one line per check group and "kernels_asan: OK" at the end; exits non-zero on any mismatch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modc_kernels.h"

static int failures = 0;
static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;

static float frand(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((rng_state >> 40) & 0xFFFFFF) / (float)0x1000000 * 2.0f - 1.0f;
}

/* Exactly n floats (n may be 0: one byte is allocated so the pointer is valid but unreadable). */
static float *falloc(size_t n) {
  float *p = malloc(n ? n * sizeof(float) : 1);
  if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
  for (size_t i = 0; i < n; i++) p[i] = frand();
  return p;
}

static void expect_close(const char *what, const float *got, const float *want, size_t n, float tol) {
  float maxref = 1e-6f, maxerr = 0;
  for (size_t i = 0; i < n; i++) {
    if (fabsf(want[i]) > maxref) maxref = fabsf(want[i]);
    float e = fabsf(got[i] - want[i]);
    if (!(e <= maxerr)) maxerr = isnan(e) ? INFINITY : e;
  }
  if (!(maxerr / maxref <= tol)) {
    fprintf(stderr, "FAIL %s: relative error %g\n", what, (double)(maxerr / maxref));
    failures++;
  }
}

static void expect_ok(const char *what, int status) {
  if (status != MODC_OK) {
    fprintf(stderr, "FAIL %s: status %d\n", what, status);
    failures++;
  }
}

/* ISA paths this CPU has, scalar first. */
static int isas[3], n_isas = 0;
static void detect_isas(void) {
  int best = modc_detect_isa();
  for (int i = MODC_ISA_SCALAR; i <= best; i++) isas[n_isas++] = i;
}

/* ------------------------------------------------------------------ conv */

static void conv_case(const char *name, int n, int cin, int h, int w, int cout, int k, int stride, int pad,
                      int groups, int with_bias, int with_res, int relu) {
  modc_conv_desc d = modc_conv_desc_make(n, cin, h, w, cout, k, k);
  d.stride_h = d.stride_w = stride;
  d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = pad;
  d.groups = groups;
  d.relu = relu;
  expect_ok(name, modc_conv2d_check(&d));
  int oh = modc_conv2d_out_h(&d), ow = modc_conv2d_out_w(&d);
  size_t xs = (size_t)n * cin * h * w, ys = (size_t)n * cout * oh * ow;
  size_t ws = (size_t)cout * (cin / groups) * k * k;
  float *x = falloc(xs), *wt = falloc(ws), *bias = with_bias ? falloc(cout) : NULL;
  float *res = with_res ? falloc(ys) : NULL, *ref = falloc(ys);
  expect_ok(name, modc_conv2d_ref(&d, x, wt, bias, res, ref));
  float *packed = falloc(modc_conv2d_packed_weight_size(&d));
  modc_conv2d_pack_weights(&d, wt, packed);
  for (int threads = 1; threads <= 3; threads += 2) {
    modc_pool *pool = threads > 1 ? modc_pool_create(threads) : NULL;
    for (int i = 0; i < n_isas; i++) {
      modc_set_isa(isas[i]);
      float *y = falloc(ys);
      float *work = falloc(modc_conv2d_workspace_size(&d, threads));
      char what[160];
      snprintf(what, sizeof what, "conv %s isa=%s threads=%d", name, modc_isa_name(isas[i]), threads);
      expect_ok(what, modc_conv2d(&d, x, packed, bias, res, y, work, pool));
      expect_close(what, y, ref, ys, 1e-4f);
      free(y);
      free(work);
    }
    if (pool) modc_pool_destroy(pool);
  }
  modc_set_isa(MODC_ISA_AUTO);
  free(x); free(wt); free(bias); free(res); free(ref); free(packed);
}

/* ------------------------------------------------------------ gemm / fc */

static void gemm_case(int m, int n, int k, int relu) {
  float *a = falloc((size_t)m * k), *b = falloc((size_t)k * n), *bias = falloc(m), *res = falloc((size_t)m * n);
  float *ref = falloc((size_t)m * n), *packed = falloc(modc_pack_a_size(m, k));
  modc_epilogue ep = {bias, res, n, relu, 0};
  modc_gemm_ref(m, n, k, a, k, b, n, 1, ref, n, &ep);
  modc_pack_a(m, k, a, k, packed);
  for (int threads = 1; threads <= 3; threads += 2) {
    modc_pool *pool = threads > 1 ? modc_pool_create(threads) : NULL;
    for (int i = 0; i < n_isas; i++) {
      modc_set_isa(isas[i]);
      float *c = falloc((size_t)m * n), *work = falloc(modc_gemm_workspace_size(m, n, k, threads));
      char what[128];
      snprintf(what, sizeof what, "gemm %dx%dx%d isa=%s threads=%d", m, n, k, modc_isa_name(isas[i]), threads);
      modc_gemm(m, n, k, packed, b, n, 1, c, n, &ep, work, pool);
      expect_close(what, c, ref, (size_t)m * n, 1e-4f);
      free(c); free(work);
    }
    if (pool) modc_pool_destroy(pool);
  }
  modc_set_isa(MODC_ISA_AUTO);
  free(a); free(b); free(bias); free(res); free(ref); free(packed);
}

static void fc_case(int batch, int in, int out) {
  float *x = falloc((size_t)batch * in), *w = falloc((size_t)out * in), *bias = falloc(out);
  float *ref = falloc((size_t)batch * out), *packed = falloc(modc_pack_a_size(out, in));
  for (int bi = 0; bi < batch; bi++)
    for (int o = 0; o < out; o++) {
      double s = bias[o];
      for (int i = 0; i < in; i++) s += (double)x[bi * in + i] * w[o * in + i];
      ref[bi * out + o] = (float)s;
    }
  modc_pack_a(out, in, w, in, packed);
  for (int i = 0; i < n_isas; i++) {
    modc_set_isa(isas[i]);
    float *y = falloc((size_t)batch * out), *work = falloc(modc_fc_workspace_size(batch, in, out, 1));
    char what[96];
    snprintf(what, sizeof what, "fc %dx%d->%d isa=%s", batch, in, out, modc_isa_name(isas[i]));
    modc_fc(batch, in, out, x, packed, bias, 0, y, work, NULL);
    expect_close(what, y, ref, (size_t)batch * out, 1e-4f);
    free(y); free(work);
  }
  modc_set_isa(MODC_ISA_AUTO);
  free(x); free(w); free(bias); free(ref); free(packed);
}

/* ----------------------------------------------------------------- pools */

static void pool_case(int n, int c, int h, int w, int k, int stride, int pad, int ceil_mode) {
  modc_pool2d_desc d = modc_pool2d_desc_make(n, c, h, w, k, k);
  d.stride_h = d.stride_w = stride;
  d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = pad;
  d.ceil_mode = ceil_mode;
  int oh = modc_pool2d_out_h(&d), ow = modc_pool2d_out_w(&d);
  size_t xs = (size_t)n * c * h * w, ys = (size_t)n * c * oh * ow;
  float *x = falloc(xs), *ref = falloc(ys);
  /* Max pool reference: padded positions never win. */
  for (int p = 0; p < n * c; p++)
    for (int i = 0; i < oh; i++)
      for (int j = 0; j < ow; j++) {
        float m = -INFINITY;
        for (int u = 0; u < k; u++)
          for (int v = 0; v < k; v++) {
            int yy = i * stride - pad + u, xx = j * stride - pad + v;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w && x[(size_t)p * h * w + yy * w + xx] > m)
              m = x[(size_t)p * h * w + yy * w + xx];
          }
        ref[(size_t)p * oh * ow + i * ow + j] = m;
      }
  float *avg_scalar = NULL;
  for (int i = 0; i < n_isas; i++) {
    modc_set_isa(isas[i]);
    float *y = falloc(ys), *a = falloc(ys);
    char what[128];
    snprintf(what, sizeof what, "maxpool k=%d s=%d p=%d ceil=%d isa=%s", k, stride, pad, ceil_mode,
             modc_isa_name(isas[i]));
    expect_ok(what, modc_maxpool2d(&d, x, y, NULL));
    expect_close(what, y, ref, ys, 0);
    snprintf(what, sizeof what, "avgpool k=%d s=%d p=%d ceil=%d isa=%s", k, stride, pad, ceil_mode,
             modc_isa_name(isas[i]));
    expect_ok(what, modc_avgpool2d(&d, x, a, NULL));
    if (avg_scalar) expect_close(what, a, avg_scalar, ys, 1e-5f);
    else avg_scalar = a, a = NULL;
    free(y); free(a);
  }
  modc_set_isa(MODC_ISA_AUTO);
  float *g = falloc((size_t)n * c), *gref = falloc((size_t)n * c);
  for (int p = 0; p < n * c; p++) {
    double s = 0;
    for (int i = 0; i < h * w; i++) s += x[(size_t)p * h * w + i];
    gref[p] = (float)(s / (h * w));
  }
  modc_global_avgpool(n * c, h * w, x, g);
  expect_close("global_avgpool", g, gref, (size_t)n * c, 1e-5f);
  free(x); free(ref); free(avg_scalar); free(g); free(gref);
}

/* ------------------------------------------------------------------- MoD */

static void mod_case(int b, int c, int hw, int hidden, int k) {
  float *x = falloc((size_t)b * c * hw), *w1 = falloc((size_t)hidden * c), *b1 = falloc(hidden);
  float *w2 = falloc((size_t)c * hidden), *b2 = falloc(c), *scores = falloc((size_t)b * k);
  float *scratch = falloc(modc_mod_router_scratch_size(c, hidden));
  int64_t *idx = malloc((size_t)b * k * sizeof(int64_t));
  expect_ok("mod_router", modc_mod_router(b, c, hw, x, w1, b1, hidden, w2, b2, k, idx, scores, scratch));
  for (int s = 0; s < b; s++)
    for (int j = 0; j < k; j++) {
      int64_t v = idx[s * k + j];
      if (v < 0 || v >= c || (j > 0 && scores[s * k + j] > scores[s * k + j - 1])) {
        fprintf(stderr, "FAIL mod_router: bad index %lld or unsorted scores\n", (long long)v);
        failures++;
      }
    }
  float *g = falloc((size_t)b * k * hw), *p = falloc((size_t)b * k * hw);
  expect_ok("mod_gather", modc_mod_gather(b, c, hw, x, idx, k, g));
  for (int s = 0; s < b; s++)
    for (int j = 0; j < k; j++)
      expect_close("mod_gather", g + ((size_t)s * k + j) * hw, x + ((size_t)s * c + idx[s * k + j]) * hw, hw, 0);
  for (int mode = MODC_MOD_FIRST_K; mode <= MODC_MOD_SCATTER; mode++) {
    float *y = falloc((size_t)b * c * hw), *ref = malloc((size_t)b * c * hw * sizeof(float));
    memcpy(ref, x, (size_t)b * c * hw * sizeof(float));
    for (int s = 0; s < b; s++)
      for (int j = 0; j < k; j++) {
        int64_t ch = mode == MODC_MOD_FIRST_K ? j : idx[s * k + j];
        for (int i = 0; i < hw; i++) {
          float v = x[((size_t)s * c + ch) * hw + i] + p[((size_t)s * k + j) * hw + i] * scores[s * k + j];
          ref[((size_t)s * c + ch) * hw + i] = v > 0 ? v : 0;
        }
      }
    expect_ok("mod_fuse", modc_mod_fuse(b, c, hw, x, p, scores, idx, k, mode, 1, y));
    expect_close(mode == MODC_MOD_FIRST_K ? "mod_fuse first-k" : "mod_fuse scatter", y, ref, (size_t)b * c * hw, 1e-6f);
    free(y); free(ref);
  }
  free(x); free(w1); free(b1); free(w2); free(b2); free(scores); free(scratch); free(idx); free(g); free(p);
}

/* ---------------------------------------------------------------- select */

static void select_case(int outer, int n, int inner, int k) {
  float *x = falloc((size_t)outer * n * inner), *vals = falloc((size_t)outer * k * inner);
  int64_t *ti = malloc((size_t)outer * k * inner * sizeof(int64_t));
  expect_ok("topk", modc_topk(outer, n, inner, k, 1, x, vals, ti));
  for (int o = 0; o < outer; o++)
    for (int j = 0; j < k; j++)
      for (int i = 0; i < inner; i++) {
        size_t at = ((size_t)o * k + j) * inner + i;
        if (ti[at] < 0 || ti[at] >= n || vals[at] != x[((size_t)o * n + ti[at]) * inner + i]) {
          fprintf(stderr, "FAIL topk: value/index mismatch\n");
          failures++;
        }
      }
  int count = k;
  int64_t *gi = malloc((size_t)count * sizeof(int64_t));
  for (int j = 0; j < count; j++) gi[j] = (j * 7) % n;
  float *gy = falloc((size_t)outer * count * inner);
  expect_ok("gather", modc_gather(outer, n, inner, count, x, gi, gy));
  float *ge = falloc((size_t)outer * k * inner);
  expect_ok("gather_elements", modc_gather_elements(outer, n, inner, k, x, ti, ge));
  expect_close("gather_elements", ge, vals, (size_t)outer * k * inner, 0);
  float *sy = falloc((size_t)outer * n * inner);
  expect_ok("scatter_elements", modc_scatter_elements(outer, n, inner, k, x, ti, vals, 1, sy));
  /* scatter_nd over [outer, n] with slices of `inner` floats: k index pairs. */
  int64_t dims[2] = {outer, n};
  int64_t *ni = malloc((size_t)2 * k * sizeof(int64_t));
  for (int j = 0; j < k; j++) { ni[2 * j] = j % outer; ni[2 * j + 1] = (j * 3) % n; }
  float *up = falloc((size_t)k * inner), *ny = falloc((size_t)outer * n * inner);
  expect_ok("scatter_nd", modc_scatter_nd(2, dims, (size_t)outer * n * inner, inner, k, x, ni, up, 0, ny));
  free(x); free(vals); free(ti); free(gi); free(gy); free(ge); free(sy); free(ni); free(up); free(ny);
}

int main(void) {
  detect_isas();
  printf("kernels_asan: ISA paths:");
  for (int i = 0; i < n_isas; i++) printf(" %s", modc_isa_name(isas[i]));
  printf("\n");
  conv_case("1x1", 2, 13, 7, 9, 11, 1, 1, 0, 1, 1, 1, 1);
  conv_case("1x1 s2", 1, 16, 9, 9, 24, 1, 2, 0, 1, 1, 0, 0);
  conv_case("3x3 p1", 2, 5, 11, 13, 7, 3, 1, 1, 1, 1, 1, 1);
  conv_case("3x3 s2 p1", 1, 17, 15, 15, 19, 3, 2, 1, 1, 0, 0, 1);
  conv_case("7x7 s2 p3", 1, 3, 23, 21, 9, 7, 2, 3, 1, 1, 0, 1);
  conv_case("3x3 grouped g2", 1, 6, 9, 7, 10, 3, 1, 1, 2, 1, 1, 0);
  conv_case("3x3 depthwise", 2, 8, 10, 10, 8, 3, 1, 1, 8, 1, 0, 1);
  conv_case("3x3 large plane", 1, 4, 33, 35, 6, 3, 1, 1, 1, 1, 1, 1);
  printf("kernels_asan: conv done (%d failures)\n", failures);
  gemm_case(1, 1, 1, 0);
  gemm_case(7, 13, 5, 1);
  gemm_case(33, 17, 65, 0);
  gemm_case(64, 100, 31, 1);
  fc_case(1, 37, 11);
  fc_case(3, 64, 10);
  printf("kernels_asan: gemm/fc done (%d failures)\n", failures);
  pool_case(1, 3, 11, 13, 3, 2, 1, 0);
  pool_case(2, 5, 9, 9, 3, 2, 1, 1);
  pool_case(1, 2, 7, 5, 2, 1, 0, 0);
  printf("kernels_asan: pools done (%d failures)\n", failures);
  mod_case(1, 16, 49, 4, 4);
  mod_case(3, 10, 9, 2, 3);
  mod_case(2, 7, 1, 1, 7);
  printf("kernels_asan: MoD done (%d failures)\n", failures);
  select_case(1, 10, 1, 3);
  select_case(3, 9, 5, 4);
  select_case(2, 1, 7, 1);
  printf("kernels_asan: select done (%d failures)\n", failures);
  if (failures) {
    printf("kernels_asan: %d FAILURES\n", failures);
    return 1;
  }
  printf("kernels_asan: OK\n");
  return 0;
}
