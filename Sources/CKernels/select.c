/* select.c - TopK, Gather, GatherElements, ScatterElements, ScatterND (see modc_select.h). */
#include "modc_select.h"
#include "modc_kernels.h"

#include <string.h>

/* Normalises an ONNX index (negative counts from the end); -1 when out of range. */
static int64_t norm_index(int64_t i, int n) {
  if (i < 0) i += n;
  return (i < 0 || i >= n) ? -1 : i;
}

/* True when (a, ia) ranks before (b, ib): larger (or smaller) value first, lower index on ties. */
static int ranks_before(float a, int64_t ia, float b, int64_t ib, int largest) {
  if (a != b) return largest ? a > b : a < b;
  return ia < ib;
}

int modc_topk(int outer, int n, int inner, int k, int largest, const float *x, float *values,
              int64_t *indices) {
  if (outer < 0 || n < 0 || inner < 0 || k < 0 || k > n) return MODC_EINVAL;
  for (int o = 0; o < outer; o++) {
    for (int i = 0; i < inner; i++) {
      const float *col = x + (size_t)o * n * inner + i;
      float *vout = values + (size_t)o * k * inner + i;
      int64_t *iout = indices + (size_t)o * k * inner + i;
      /* Insertion into a sorted prefix of length <= k: O(n*k), k is small for MoD routers. */
      int len = 0;
      for (int j = 0; j < n; j++) {
        float v = col[(size_t)j * inner];
        if (len == k && !ranks_before(v, j, vout[(size_t)(k - 1) * inner], iout[(size_t)(k - 1) * inner], largest))
          continue;
        int pos = len < k ? len : k - 1;
        while (pos > 0 && ranks_before(v, j, vout[(size_t)(pos - 1) * inner], iout[(size_t)(pos - 1) * inner], largest)) {
          vout[(size_t)pos * inner] = vout[(size_t)(pos - 1) * inner];
          iout[(size_t)pos * inner] = iout[(size_t)(pos - 1) * inner];
          pos--;
        }
        vout[(size_t)pos * inner] = v;
        iout[(size_t)pos * inner] = j;
        if (len < k) len++;
      }
    }
  }
  return MODC_OK;
}

int modc_gather(int outer, int n, int inner, int count, const float *data, const int64_t *idx,
                float *y) {
  for (int j = 0; j < count; j++)
    if (norm_index(idx[j], n) < 0) return MODC_ERANGE;
  for (int o = 0; o < outer; o++)
    for (int j = 0; j < count; j++)
      memcpy(y + ((size_t)o * count + j) * inner,
             data + ((size_t)o * n + (size_t)norm_index(idx[j], n)) * inner, sizeof(float) * (size_t)inner);
  return MODC_OK;
}

int modc_gather_elements(int outer, int n, int inner, int m, const float *data, const int64_t *idx,
                         float *y) {
  for (int o = 0; o < outer; o++)
    for (int j = 0; j < m; j++)
      for (int i = 0; i < inner; i++) {
        size_t at = ((size_t)o * m + j) * inner + i;
        int64_t r = norm_index(idx[at], n);
        if (r < 0) return MODC_ERANGE;
        y[at] = data[((size_t)o * n + (size_t)r) * inner + i];
      }
  return MODC_OK;
}

int modc_scatter_elements(int outer, int n, int inner, int m, const float *data, const int64_t *idx,
                          const float *updates, int add, float *y) {
  size_t total = (size_t)outer * n * inner;
  for (size_t t = 0; t < (size_t)outer * m * inner; t++)
    if (norm_index(idx[t], n) < 0) return MODC_ERANGE;
  if (y != data) memcpy(y, data, sizeof(float) * total);
  for (int o = 0; o < outer; o++)
    for (int j = 0; j < m; j++)
      for (int i = 0; i < inner; i++) {
        size_t at = ((size_t)o * m + j) * inner + i;
        size_t dst = ((size_t)o * n + (size_t)norm_index(idx[at], n)) * inner + i;
        y[dst] = add ? y[dst] + updates[at] : updates[at];
      }
  return MODC_OK;
}

int modc_scatter_nd(int depth, const int64_t *dims, size_t total, size_t slice, size_t count,
                    const float *data, const int64_t *idx, const float *updates, int add, float *y) {
  if (depth < 1 || depth > MODC_MAX_RANK) return MODC_EINVAL;
  size_t offsets_ok = 1;
  for (size_t c = 0; c < count && offsets_ok; c++)
    for (int d = 0; d < depth; d++)
      if (idx[c * (size_t)depth + d] < -dims[d] || idx[c * (size_t)depth + d] >= dims[d]) offsets_ok = 0;
  if (!offsets_ok) return MODC_ERANGE;
  if (y != data) memcpy(y, data, sizeof(float) * total);
  for (size_t c = 0; c < count; c++) {
    size_t off = 0;
    for (int d = 0; d < depth; d++) {
      int64_t v = idx[c * (size_t)depth + d];
      if (v < 0) v += dims[d];
      off = off * (size_t)dims[d] + (size_t)v;
    }
    off *= slice;
    if (off + slice > total) return MODC_ERANGE;
    for (size_t s = 0; s < slice; s++)
      y[off + s] = add ? y[off + s] + updates[c * slice + s] : updates[c * slice + s];
  }
  return MODC_OK;
}
