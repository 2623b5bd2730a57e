/* kernel_bench.c - GEMM/conv micro-benchmark for modc's kernel library.
 *
 * Prints GFLOP/s (2 flops per MAC) for ResNet-50 layer shapes on 1 and 2
 * threads, the whole ResNet-50 conv stack time, and the clock-bound FMA peak
 * measured with a tight register-only FMA loop. Build: make -C tools run.
 * Usage: kernel_bench [isa [layer-substring [mode[,mode...]]]]
 *   isa: scalar|avx2|avx512|auto (default auto); the substring keeps only
 *   matching layers (e.g. "3x3 64"), handy under perf; modes:
 *     wino  skip the ResNet-50 table, print only the Winograd-vs-direct
 *           comparison, which has hot (repeated calls) and cold (caches
 *           flushed by reading a 64 MB buffer before each timed call, as when
 *           a model streams its weights from DRAM) columns;
 *     cold  time the ResNet-50 table cold as well (weights and input from
 *           DRAM): adds 1T/2T cold wall GFLOP/s columns;
 *     1t    skip the 2-thread runs of the table (quick 1-thread CPU numbers);
 *     nowino  skip the Winograd comparison;
 *     res   pass a residual tensor to every conv of the table (the
 *           bottleneck-output epilogue: C = relu(acc + bias + residual));
 *     mod   skip both tables; time the convs of the MoD ResNet-50 (MoD in
 *           every 2nd block, c = 64) that are not MoD-reduced, as modc runs
 *           them (merged projection shortcuts, residual epilogues, the
 *           Winograd choice), hot and in isolation, and print their sum:
 *           a floor for the whole model's conv time at 1 and 2 threads. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modc_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Process CPU seconds: unlike wall time it excludes time other processes hold
 * the cores, so it stays meaningful on a loaded machine. */
static double cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *alloc_f(size_t n) {
  size_t bytes = ((n * sizeof(float)) + 63) / 64 * 64;
  float *p = aligned_alloc(64, bytes ? bytes : 64);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  return p;
}

static void fill_rand(float *p, size_t n, unsigned *state) {
  for (size_t i = 0; i < n; i++) {
    *state = *state * 1664525u + 1013904223u;
    p[i] = (float)((*state >> 8) & 0xFFFF) / 65536.0f - 0.5f;
  }
}

/* ------------------------------------------------------------ FMA peak */

#define PEAK_ITERS 20000000L

#if defined(__x86_64__)
__attribute__((target("avx512f"), noinline)) static float fma_loop_avx512(long iters) {
  __m512 a0 = _mm512_set1_ps(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
         a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < iters; i++) {
    a0 = _mm512_fmadd_ps(a0, m, c); a1 = _mm512_fmadd_ps(a1, m, c);
    a2 = _mm512_fmadd_ps(a2, m, c); a3 = _mm512_fmadd_ps(a3, m, c);
    a4 = _mm512_fmadd_ps(a4, m, c); a5 = _mm512_fmadd_ps(a5, m, c);
    a6 = _mm512_fmadd_ps(a6, m, c); a7 = _mm512_fmadd_ps(a7, m, c);
    a8 = _mm512_fmadd_ps(a8, m, c); a9 = _mm512_fmadd_ps(a9, m, c);
    a10 = _mm512_fmadd_ps(a10, m, c); a11 = _mm512_fmadd_ps(a11, m, c);
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5));
    __asm__ volatile("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
  return _mm512_reduce_add_ps(s);
}
#endif

typedef struct {
  volatile float sink;
} peak_ctx;

static void peak_task(void *raw, int task, int thread) {
  (void)task;
  (void)thread;
  peak_ctx *c = raw;
#if defined(__x86_64__)
  c->sink = fma_loop_avx512(PEAK_ITERS);
#else
  c->sink = 0.0f;
#endif
}

/* Per-core peak GFLOP/s from process CPU time (12 chains x 16 lanes x 2
 * flops per iteration): the clock the conv timings are compared against. */
static double measure_peak(modc_pool *pool) {
  peak_ctx c;
  double best = 0.0;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = cpu_s();
    modc_pool_parallel_for(pool, 1, peak_task, &c);
    double t = cpu_s() - t0;
    double gf = PEAK_ITERS * 12.0 * 16.0 * 2.0 / t * 1e-9;
    if (gf > best) best = gf;
  }
  return best;
}

/* --------------------------------------------------------------- layers */

typedef struct {
  const char *name;
  int cin, cout, hw, k, stride, count; /* count: occurrences in ResNet-50 */
} layer;

/* torchvision ResNet-50 v1.5 (stride on the 3x3), batch 1, 224x224. */
static const layer resnet50[] = {
    {"conv1 7x7 3->64 s2 @224", 3, 64, 224, 7, 2, 1},
    {"1x1 64->64 @56", 64, 64, 56, 1, 1, 1},
    {"3x3 64->64 @56", 64, 64, 56, 3, 1, 3},
    {"1x1 64->256 @56", 64, 256, 56, 1, 1, 4},
    {"1x1 256->64 @56", 256, 64, 56, 1, 1, 2},
    {"1x1 256->128 @56", 256, 128, 56, 1, 1, 1},
    {"3x3 128 s2 @56", 128, 128, 56, 3, 2, 1},
    {"1x1 128->512 @28", 128, 512, 28, 1, 1, 4},
    {"1x1 256->512 s2 @56", 256, 512, 56, 1, 2, 1},
    {"1x1 512->128 @28", 512, 128, 28, 1, 1, 3},
    {"3x3 128->128 @28", 128, 128, 28, 3, 1, 3},
    {"1x1 512->256 @28", 512, 256, 28, 1, 1, 1},
    {"3x3 256 s2 @28", 256, 256, 28, 3, 2, 1},
    {"1x1 256->1024 @14", 256, 1024, 14, 1, 1, 6},
    {"1x1 512->1024 s2 @28", 512, 1024, 28, 1, 2, 1},
    {"1x1 1024->256 @14", 1024, 256, 14, 1, 1, 5},
    {"3x3 256->256 @14", 256, 256, 14, 3, 1, 5},
    {"1x1 1024->512 @14", 1024, 512, 14, 1, 1, 1},
    {"3x3 512 s2 @14", 512, 512, 14, 3, 2, 1},
    {"1x1 512->2048 @7", 512, 2048, 7, 1, 1, 3},
    {"1x1 1024->2048 s2 @14", 1024, 2048, 14, 1, 2, 1},
    {"1x1 2048->512 @7", 2048, 512, 7, 1, 1, 2},
    {"3x3 512->512 @7", 512, 512, 7, 3, 1, 2},
};

/* The plain (not MoD-reduced) convs of ResNet-50 with MoD in blocks 1, 3,
 * 5 of every stage, as modc's codegen pipeline leaves them: a projection
 * block's conv3 and downsample are one 1x1 conv over concat(h, x[::s, ::s])
 * (FuseProjectionShortcut), an identity block's conv3 adds the residual. */
typedef struct {
  layer l;
  int residual;
} mod_layer;

static const mod_layer mod_resnet50[] = {
    {{"stem 7x7 3->64 s2 @224", 3, 64, 224, 7, 2, 1}, 0},
    {{"1x1 64->64 @56", 64, 64, 56, 1, 1, 1}, 0},
    {{"3x3 64->64 @56", 64, 64, 56, 3, 1, 2}, 0},
    {{"1x1 (64+64)->256 @56", 128, 256, 56, 1, 1, 1}, 0},
    {{"1x1 256->64 @56", 256, 64, 56, 1, 1, 1}, 0},
    {{"1x1 64->256 @56 +res", 64, 256, 56, 1, 1, 1}, 1},
    {{"1x1 256->128 @56", 256, 128, 56, 1, 1, 1}, 0},
    {{"3x3 128 s2 @56", 128, 128, 56, 3, 2, 1}, 0},
    {{"1x1 (128+256)->512 @28", 384, 512, 28, 1, 1, 1}, 0},
    {{"1x1 512->128 @28", 512, 128, 28, 1, 1, 1}, 0},
    {{"3x3 128->128 @28", 128, 128, 28, 3, 1, 1}, 0},
    {{"1x1 128->512 @28 +res", 128, 512, 28, 1, 1, 1}, 1},
    {{"1x1 512->256 @28", 512, 256, 28, 1, 1, 1}, 0},
    {{"3x3 256 s2 @28", 256, 256, 28, 3, 2, 1}, 0},
    {{"1x1 (256+512)->1024 @14", 768, 1024, 14, 1, 1, 1}, 0},
    {{"1x1 1024->256 @14", 1024, 256, 14, 1, 1, 2}, 0},
    {{"3x3 256->256 @14", 256, 256, 14, 3, 1, 2}, 0},
    {{"1x1 256->1024 @14 +res", 256, 1024, 14, 1, 1, 2}, 1},
    {{"1x1 1024->512 @14", 1024, 512, 14, 1, 1, 1}, 0},
    {{"3x3 512 s2 @14", 512, 512, 14, 3, 2, 1}, 0},
    {{"1x1 (512+1024)->2048 @7", 1536, 2048, 7, 1, 1, 1}, 0},
    {{"1x1 2048->512 @7", 2048, 512, 7, 1, 1, 1}, 0},
    {{"3x3 512->512 @7", 512, 512, 7, 3, 1, 1}, 0},
    {{"1x1 512->2048 @7 +res", 512, 2048, 7, 1, 1, 1}, 1},
};

/* Other 3x3 stride-1 shapes of the fixtures (CIFAR ResNet-20, small planes),
 * for the Winograd comparison only. */
static const layer extra3x3[] = {
    {"cifar 3x3 16 @32", 16, 16, 32, 3, 1, 0}, {"cifar 3x3 32 @16", 32, 32, 16, 3, 1, 0},
    {"cifar 3x3 64 @8", 64, 64, 8, 3, 1, 0},   {"3x3 256->256 @10", 256, 256, 10, 3, 1, 0},
    {"3x3 64->64 @20", 64, 64, 20, 3, 1, 0},
};

static modc_conv_desc layer_desc(const layer *l) {
  modc_conv_desc d = modc_conv_desc_make(1, l->cin, l->hw, l->hw, l->cout, l->k, l->k);
  d.stride_h = d.stride_w = l->stride;
  d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = l->k / 2;
  d.relu = 1;
  return d;
}

/* Best-of wall and process-CPU seconds of one conv call. */
typedef struct {
  double wall, cpu;
} timing;

/* Reading this evicts the 32 MiB L3 and both L2s: the cold-cache mode. */
#define FLUSH_FLOATS ((size_t)16 << 20)
static float *g_flush;
static int g_residual; /* mode "res": convs add a residual tensor */

static float flush_caches(void) {
  float s = 0.0f;
  for (size_t i = 0; i < FLUSH_FLOATS; i += 16) s += g_flush[i];
  return s;
}

static timing time_conv_mode(const modc_conv_desc *d, modc_pool *pool, int nthreads,
                             unsigned *seed, int cold) {
  size_t xs = (size_t)d->n * d->c_in * d->h * d->w;
  size_t ys = (size_t)d->n * d->c_out * modc_conv2d_out_h(d) * modc_conv2d_out_w(d);
  size_t ws = (size_t)d->c_out * d->c_in / d->groups * d->kh * d->kw;
  float *x = alloc_f(xs), *w = alloc_f(ws), *bias = alloc_f((size_t)d->c_out), *y = alloc_f(ys);
  float *res = g_residual ? alloc_f(ys) : NULL;
  if (res) fill_rand(res, ys, seed);
  float *pw = alloc_f(modc_conv2d_packed_weight_size(d));
  float *work = alloc_f(modc_conv2d_workspace_size(d, nthreads));
  fill_rand(x, xs, seed);
  fill_rand(w, ws, seed);
  fill_rand(bias, (size_t)d->c_out, seed);
  modc_conv2d_pack_weights(d, w, pw);
  double macs = (double)ys * (double)ws / d->c_out;
  int reps = cold ? 1 : (int)(3e7 / macs) + 1;
  timing best = {1e30, 1e30};
  volatile float sink = 0.0f;
  for (int round = 0; round < (cold ? 20 : 40); round++) {
    if (cold) sink += flush_caches();
    double t0 = now_s(), c0 = cpu_s();
    for (int r = 0; r < reps; r++) modc_conv2d(d, x, pw, bias, res, y, work, pool);
    double t = (now_s() - t0) / reps, c = (cpu_s() - c0) / reps;
    if (t < best.wall) best.wall = t;
    if (c < best.cpu) best.cpu = c;
  }
  (void)sink;
  free(x); free(w); free(bias); free(y); free(pw); free(work); free(res);
  return best;
}

static timing time_conv(const modc_conv_desc *d, modc_pool *pool, int nthreads, unsigned *seed) {
  return time_conv_mode(d, pool, nthreads, seed, 0);
}

static double conv_macs(const modc_conv_desc *d) {
  return (double)d->n * d->c_out * modc_conv2d_out_h(d) * modc_conv2d_out_w(d) *
         (double)(d->c_in / d->groups) * d->kh * d->kw;
}

/* Mode "mod": each conv of mod_resnet50 hot and alone (3x3 stride-1 convs
 * with the algorithm modc_conv2d_winograd_choice picks), times its count,
 * summed per thread count. */
static void time_mod_resnet50(modc_pool *pools[2], double peak, const char *filter, unsigned *seed) {
  printf("%-26s %7s %5s %9s %9s %8s %8s\n", "MoD ResNet-50 plain conv", "MMAC", "count", "1T ms",
         "2T ms", "1T %peak", "2T %peak");
  double sum[2] = {0, 0}, macs_sum = 0;
  for (size_t i = 0; i < sizeof mod_resnet50 / sizeof mod_resnet50[0]; i++) {
    const mod_layer *m = &mod_resnet50[i];
    if (!strstr(m->l.name, filter)) continue;
    modc_conv_desc d = layer_desc(&m->l);
    if (m->l.k == 3 && m->l.stride == 1) d.algo = modc_conv2d_winograd_choice(&d);
    g_residual = m->residual;
    double macs = conv_macs(&d), ms[2];
    for (int t = 0; t < 2; t++) {
      ms[t] = time_conv(&d, pools[t], t + 1, seed).wall * 1e3;
      sum[t] += ms[t] * m->l.count;
    }
    macs_sum += macs * m->l.count;
    double gf = 2.0 * macs * 1e-9; /* GFLOP per call, direct-conv count */
    printf("%-26s %7.1f %5d %9.3f %9.3f %7.0f%% %7.0f%%\n", m->l.name, macs * 1e-6, m->l.count,
           ms[0], ms[1], peak > 0 ? 100.0 * gf / (ms[0] * 1e-3) / peak : 0.0,
           peak > 0 ? 100.0 * gf / (ms[1] * 1e-3) / (2.0 * peak) : 0.0);
  }
  g_residual = 0;
  printf("sum (%.3f GMAC): 1 thread %.2f ms, 2 threads %.2f ms (hot, each conv alone; the model adds\n"
         "its weights' DRAM traffic, the MoD blocks, routers, pools, the FC and the shortcut copies)\n",
         macs_sum * 1e-9, sum[0], sum[1]);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    int want = MODC_ISA_AUTO;
    if (strcmp(argv[1], "scalar") == 0) want = MODC_ISA_SCALAR;
    if (strcmp(argv[1], "avx2") == 0) want = MODC_ISA_AVX2;
    if (strcmp(argv[1], "avx512") == 0) want = MODC_ISA_AVX512;
    modc_set_isa(want);
  }
  printf("modc kernel_bench  isa=%s\n", modc_isa_name(modc_get_isa()));
  unsigned seed = 12345u;
  modc_pool *pools[2] = {modc_pool_create(1), modc_pool_create(2)};
  double peak = 0.0;
  if (modc_detect_isa() >= MODC_ISA_AVX512) {
    peak = measure_peak(pools[0]);
    printf("measured zmm FMA peak per core (CPU time): %.1f GFLOP/s\n", peak);
  }
  /* 1T cpu: GFLOP/s per CPU-second of the single thread (load-independent).
   * 2T wall: GFLOP/s by wall clock; 2T cpu: per CPU-second summed over both
   * threads (spinning and idle workers lower it); scale: 1T wall / 2T wall. */
  const char *modes = argc > 3 ? argv[3] : "";
  int wino_only = strstr(modes, "wino") != NULL && strstr(modes, "nowino") == NULL;
  int no_wino = strstr(modes, "nowino") != NULL;
  int cold_cols = strstr(modes, "cold") != NULL, one_thread = strstr(modes, "1t") != NULL;
  g_residual = strstr(modes, "res") != NULL;
  if (strstr(modes, "mod")) {
    time_mod_resnet50(pools, peak, argc > 2 ? argv[2] : "", &seed);
    goto done;
  }
  printf("%-24s %7s %8s %6s %8s %8s %6s %6s%s\n", "layer", "MMAC", "1T wall", "1T cpu", "%peak",
         "2T wall", "2T cpu", "scale", cold_cols ? "  1T cold  2T cold" : "");
  double total[2] = {0, 0}, total_cpu[2] = {0, 0}, total_macs = 0;
  g_flush = alloc_f(FLUSH_FLOATS);
  for (size_t i = 0; i < FLUSH_FLOATS; i++) g_flush[i] = (float)(i & 7);
  for (size_t i = 0; i < sizeof resnet50 / sizeof resnet50[0] && !wino_only; i++) {
    if (argc > 2 && !strstr(resnet50[i].name, argv[2])) continue;
    modc_conv_desc d = layer_desc(&resnet50[i]);
    double macs = conv_macs(&d);
    timing tm[2], tc[2] = {{1e30, 1e30}, {1e30, 1e30}};
    tm[1] = tm[0] = (timing){1e30, 1e30};
    for (int t = 0; t < (one_thread ? 1 : 2); t++) {
      tm[t] = time_conv(&d, pools[t], t + 1, &seed);
      if (cold_cols) tc[t] = time_conv_mode(&d, pools[t], t + 1, &seed, 1);
      total[t] += tm[t].wall * resnet50[i].count;
      total_cpu[t] += tm[t].cpu * resnet50[i].count;
    }
    total_macs += macs * resnet50[i].count;
    double gf = 2.0 * macs * 1e-9;
    printf("%-24s %7.1f %8.1f %6.1f %7.0f%% %8.1f %6.1f %6.2f", resnet50[i].name, macs * 1e-6,
           gf / tm[0].wall, gf / tm[0].cpu, peak > 0 ? 100.0 * gf / tm[0].cpu / peak : 0.0,
           gf / tm[1].wall, gf / tm[1].cpu, tm[0].wall / tm[1].wall);
    if (cold_cols) printf(" %8.1f %8.1f", gf / tc[0].wall, gf / tc[1].wall);
    printf("\n");
  }
  if (!wino_only)
    printf("ResNet-50 convs (%.2f GMAC): 1 thread %.1f ms wall / %.1f ms cpu (%.1f GMAC/s cpu), "
         "2 threads %.1f ms wall / %.1f ms cpu, scaling %.2fx wall, %.2fx cpu-ideal\n",
         total_macs * 1e-9, total[0] * 1e3, total_cpu[0] * 1e3, total_macs / total_cpu[0] * 1e-9,
         total[1] * 1e3, total_cpu[1] * 1e3, total[0] / total[1], 2.0 * total_cpu[0] / total_cpu[1]);
  if (no_wino) goto done;
  /* Winograd F(4x4,3x3) and F(2x2,3x3) against the default (direct) path
   * on every 3x3 stride-1 layer, and what modc_conv2d_winograd_choice picks
   * (0 direct, 2 F(4x4,3x3), 3 F(2x2,3x3)). Hot: 1T process CPU time, 2T
   * wall; cold: wall (one call per flush). */
  printf("\n%-20s %-5s %9s %9s %9s %9s %9s %9s %s\n", "3x3 s1 layer", "cache", "dir 1T", "F4 1T",
         "F2 1T", "dir 2T", "F4 2T", "F2 2T", "choice");
  double net[2][2] = {{0, 0}, {0, 0}}; /* [threads][chosen by the rule?] */
  size_t n50 = sizeof resnet50 / sizeof resnet50[0], nx = sizeof extra3x3 / sizeof extra3x3[0];
  for (size_t i = 0; i < n50 + nx; i++) {
    const layer *l = i < n50 ? &resnet50[i] : &extra3x3[i - n50];
    if (l->k != 3 || l->stride != 1) continue;
    if (argc > 2 && !strstr(l->name, argv[2])) continue;
    modc_conv_desc d[3];
    static const int algos[3] = {MODC_CONV_AUTO, MODC_CONV_WINOGRAD, MODC_CONV_WINOGRAD_F2};
    for (int a = 0; a < 3; a++) {
      d[a] = layer_desc(l);
      d[a].algo = algos[a];
    }
    int choice = modc_conv2d_winograd_choice(&d[0]), pick = choice == 0 ? 0 : choice - 1;
    timing hot[3][2], cold[3][2];
    for (int a = 0; a < 3; a++) {
      for (int t = 0; t < 2; t++) {
        hot[a][t] = time_conv(&d[a], pools[t], t + 1, &seed);
        cold[a][t] = time_conv_mode(&d[a], pools[t], t + 1, &seed, 1);
      }
    }
    for (int t = 0; t < 2; t++) {
      net[t][0] += hot[0][t].cpu * l->count;
      net[t][1] += hot[pick][t].cpu * l->count;
    }
    printf("%-20s %-5s %7.3fms %7.3fms %7.3fms %7.3fms %7.3fms %7.3fms %d\n", l->name, "hot",
           hot[0][0].cpu * 1e3, hot[1][0].cpu * 1e3, hot[2][0].cpu * 1e3, hot[0][1].wall * 1e3,
           hot[1][1].wall * 1e3, hot[2][1].wall * 1e3, choice);
    printf("%-20s %-5s %7.3fms %7.3fms %7.3fms %7.3fms %7.3fms %7.3fms\n", "", "cold",
           cold[0][0].wall * 1e3, cold[1][0].wall * 1e3, cold[2][0].wall * 1e3,
           cold[0][1].wall * 1e3, cold[1][1].wall * 1e3, cold[2][1].wall * 1e3);
  }
  printf("3x3 s1 convs (x count), cpu ms: 1T direct %.2f -> chosen %.2f; 2T direct %.2f -> chosen %.2f\n",
         net[0][0] * 1e3, net[0][1] * 1e3, net[1][0] * 1e3, net[1][1] * 1e3);
done:;
  FILE *la = fopen("/proc/loadavg", "r");
  char buf[128];
  if (la && fgets(buf, sizeof buf, la)) printf("load average: %s", buf);
  if (la) fclose(la);
  modc_pool_destroy(pools[0]);
  modc_pool_destroy(pools[1]);
  free(g_flush);
  return 0;
}
