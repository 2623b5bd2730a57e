/* peak.c - FP32 FMA peak measurement (see modc_peak.h). */
#define _POSIX_C_SOURCE 199309L
#include "modc_peak.h"
#include "modc_kernels.h"

#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Each loop iteration issues 12 independent FMAs of `lanes` floats. */
#if defined(__x86_64__)
__attribute__((target("avx512f"))) static float loop_avx512(long iters) {
  __m512 a[12];
  __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
  for (long it = 0; it < iters; it++)
    for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], m, c);
  __m512 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, a[i]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float loop_avx2(long iters) {
  __m256 a[12];
  __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
  for (long it = 0; it < iters; it++)
    for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
  __m256 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}
#endif

static float loop_scalar(long iters) {
  float a[12];
  for (int i = 0; i < 12; i++) a[i] = (float)i;
  for (long it = 0; it < iters; it++)
    for (int i = 0; i < 12; i++) a[i] = a[i] * 0.999999f + 1e-7f;
  return a[0] + a[11];
}

static volatile float sink;

double modc_measure_peak_gflops(double seconds) {
  int isa = modc_get_isa();
  int lanes = isa == MODC_ISA_AVX512 ? 16 : isa == MODC_ISA_AVX2 ? 8 : 1;
  long iters = 1 << 16;
  double best = 0;
  double start = now_seconds();
  while (now_seconds() - start < seconds) {
    double t0 = now_seconds();
    float r;
#if defined(__x86_64__)
    if (isa == MODC_ISA_AVX512) r = loop_avx512(iters);
    else if (isa == MODC_ISA_AVX2) r = loop_avx2(iters);
    else r = loop_scalar(iters);
#else
    r = loop_scalar(iters);
#endif
    sink = r;
    double dt = now_seconds() - t0;
    if (dt < 1e-3) { iters *= 2; continue; }
    double g = (double)iters * 12.0 * lanes * 2.0 / dt * 1e-9;
    if (g > best) best = g;
  }
  return best;
}
