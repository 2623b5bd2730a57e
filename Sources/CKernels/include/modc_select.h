/*
 * modc_select.h - index-driven kernels of modc's C kernel library: TopK, Gather, GatherElements,
 * ScatterElements and ScatterND (ONNX semantics), used by models whose MoD pattern stays as generic ops.
 *
 * Tensors are viewed as [outer, n, inner] around the indexed axis. Indices are int64 and may be negative
 * (counted from the end, as in ONNX); an index out of range returns MODC_ERANGE and leaves y unspecified.
 */
#ifndef MODC_SELECT_H
#define MODC_SELECT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Top-k along the middle axis of x[outer, n, inner]: values/indices [outer, k, inner], sorted (largest or
 *  smallest first); ties keep the lower index first. Returns 0 or MODC_EINVAL (k > n). */
int modc_topk(int outer, int n, int inner, int k, int largest, const float *x, float *values,
              int64_t *indices);

/** y[o, j, i] = data[o, idx[j], i] for j < count (ONNX Gather along the middle axis). */
int modc_gather(int outer, int n, int inner, int count, const float *data, const int64_t *idx,
                float *y);

/** y[o, j, i] = data[o, idx[o, j, i], i] for j < m (ONNX GatherElements; data and indices share outer/inner). */
int modc_gather_elements(int outer, int n, int inner, int m, const float *data, const int64_t *idx,
                         float *y);

/** y = data, then y[o, idx[o, j, i], i] (+)= updates[o, j, i] (ONNX ScatterElements, reduction none or add).
 *  y may alias data. */
int modc_scatter_elements(int outer, int n, int inner, int m, const float *data, const int64_t *idx,
                          const float *updates, int add, float *y);

/** ONNX ScatterND: y = data, then for each of `count` index tuples (depth entries each, over the leading
 *  dims `dims[0..depth)`), the slice of `slice` floats at that position is set to (or, with add, incremented
 *  by) the matching slice of updates. y may alias data. */
int modc_scatter_nd(int depth, const int64_t *dims, size_t total, size_t slice, size_t count,
                    const float *data, const int64_t *idx, const float *updates, int add, float *y);

#ifdef __cplusplus
}
#endif

#endif /* MODC_SELECT_H */
