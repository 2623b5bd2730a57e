/*
 * modc_peak.h - measures the machine's FP32 FMA peak (used by `modc bench` to report % of peak).
 */
#ifndef MODC_PEAK_H
#define MODC_PEAK_H

#ifdef __cplusplus
extern "C" {
#endif

/** Single-thread FP32 GFLOP/s of a register-only FMA loop on the best ISA path (counts 2 flops per FMA lane).
 *  Runs for roughly `seconds`. */
double modc_measure_peak_gflops(double seconds);

#ifdef __cplusplus
}
#endif

#endif /* MODC_PEAK_H */
