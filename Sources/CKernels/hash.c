/* hash.c - modc_hash64 (see modc_hash.h). */
#include "modc_hash.h"

#include <string.h>

static const uint64_t K1 = 0x9E3779B185EBCA87ULL;
static const uint64_t K2 = 0xC2B2AE3D27D4EB4FULL;
static const uint64_t K3 = 0x165667B19E3779F9ULL;

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t load64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i]; /* little-endian on every host */
  return v;
}

static uint64_t lane(uint64_t acc, uint64_t v) {
  acc += v * K2;
  acc = rotl(acc, 31);
  return acc * K1;
}

static uint64_t fold(uint64_t h, uint64_t acc) {
  h ^= lane(0, acc);
  return h * K1 + K3;
}

uint64_t modc_hash64(const void *data, size_t n, uint64_t seed) {
  const unsigned char *p = (const unsigned char *)data;
  uint64_t h;
  size_t i = 0;
  if (n >= 32) {
    uint64_t a = seed + K1 + K2, b = seed + K2, c = seed, d = seed - K1;
    for (; i + 32 <= n; i += 32) {
      a = lane(a, load64(p + i));
      b = lane(b, load64(p + i + 8));
      c = lane(c, load64(p + i + 16));
      d = lane(d, load64(p + i + 24));
    }
    h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
    h = fold(h, a);
    h = fold(h, b);
    h = fold(h, c);
    h = fold(h, d);
  } else {
    h = seed + K3;
  }
  h += (uint64_t)n;
  for (; i + 8 <= n; i += 8) h = rotl(h ^ lane(0, load64(p + i)), 27) * K1 + K3;
  for (; i < n; i++) h = rotl(h ^ (p[i] * K3), 11) * K1;
  h ^= h >> 33;
  h *= K2;
  h ^= h >> 29;
  h *= K3;
  h ^= h >> 32;
  return h;
}
