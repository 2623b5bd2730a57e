/* isa.c - run-time ISA detection and the optional override. */
#include <stdatomic.h>

#include "modc_internal.h"

/* The only global mutable state of the library: detection cache and override. */
static atomic_int g_detected = -2;
static atomic_int g_override = MODC_ISA_AUTO;
/* Per-thread cap (a compiled model's target; MODC_ISA_AUTO = none). Pool
 * workers take the cap of the thread that published the job. */
static _Thread_local int t_cap = MODC_ISA_AUTO;

int modc_detect_isa(void) {
  int v = atomic_load_explicit(&g_detected, memory_order_relaxed);
  if (v != -2) return v;
  v = MODC_ISA_SCALAR;
#if MODC_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) v = MODC_ISA_AVX2;
  if (__builtin_cpu_supports("avx512f")) v = MODC_ISA_AVX512;
#endif
  atomic_store_explicit(&g_detected, v, memory_order_relaxed);
  return v;
}

int modc_set_isa(int isa) {
  if (isa < MODC_ISA_SCALAR) isa = MODC_ISA_AUTO;
  if (isa != MODC_ISA_AUTO && isa > modc_detect_isa()) isa = modc_detect_isa();
  atomic_store_explicit(&g_override, isa, memory_order_relaxed);
  return modc_get_isa();
}

int modc_get_isa(void) {
  int o = atomic_load_explicit(&g_override, memory_order_relaxed);
  int isa = o == MODC_ISA_AUTO ? modc_detect_isa() : o;
  return t_cap != MODC_ISA_AUTO && t_cap < isa ? t_cap : isa;
}

int modc_isa_cap_set(int isa) {
  int previous = t_cap;
  t_cap = isa < MODC_ISA_SCALAR ? MODC_ISA_AUTO : isa;
  return previous;
}

int modc_isa_cap_get(void) { return t_cap; }

const char *modc_isa_name(int isa) {
  switch (isa) {
  case MODC_ISA_SCALAR: return "scalar";
  case MODC_ISA_AVX2: return "avx2";
  case MODC_ISA_AVX512: return "avx512";
  default: return "auto";
  }
}

modc_ukr_fn modc_select_ukr(void) {
#if MODC_X86
  switch (modc_get_isa()) {
  case MODC_ISA_AVX512: return modc_ukr_avx512;
  case MODC_ISA_AVX2: return modc_ukr_avx2;
  default: break;
  }
#endif
  return modc_ukr_scalar;
}
