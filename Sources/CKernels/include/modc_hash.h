/*
 * modc_hash.h - a fast 64-bit content hash (not cryptographic) used to checksum .modplan sections and the
 * weight files of emitted C projects. Processes 32 bytes per step in four independent lanes (several GB/s).
 */
#ifndef MODC_HASH_H
#define MODC_HASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Hash of `n` bytes at `data`, mixed with `seed`. Deterministic across platforms (little-endian reads). */
uint64_t modc_hash64(const void *data, size_t n, uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif /* MODC_HASH_H */
