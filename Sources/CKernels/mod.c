/* mod.c - CNN Mixture-of-Depths kernels: router (GAP, FC, FC, sigmoid, top-k),
 * gather of the selected channels, and fusion back into the full tensor.
 *
 * The router is one pool dispatch whose phases (global average pool, FC1,
 * FC2, top-k) are split into items; every output element is produced by
 * exactly one item with the fixed modc_sum16 / modc_dot16 order, so results
 * do not depend on the thread count or on how the work is split. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "modc_internal.h"

size_t modc_mod_router_scratch_size(int c, int hidden) {
  if (c < 1 || hidden < 1) return 0;
  return 2 * (size_t)c + (size_t)hidden;
}

size_t modc_mod_router_mt_scratch_size(int b, int c, int hidden) {
  if (b < 1 || c < 1 || hidden < 1) return 0;
  return (size_t)b * ((size_t)c + (size_t)hidden);
}

/* True when (sa, ia) ranks before (sb, ib): larger score first, then lower
 * index (onnxruntime TopK order). NaN ranks last. A strict total order. */
static int ranks_before(float sa, int64_t ia, float sb, int64_t ib) {
  if (sa > sb) return 1;
  if (sa < sb) return 0;
  if (sa == sb) return ia < ib;
  if (isnan(sb) && !isnan(sa)) return 1;
  if (isnan(sa) && !isnan(sb)) return 0;
  return ia < ib;
}

/* Restores the heap property below node i of a heap of n entries whose root
 * is the entry that ranks last (every parent ranks after its children). */
static void sift_down(float *s, int64_t *ix, int n, int i) {
  float sv = s[i];
  int64_t iv = ix[i];
  for (;;) {
    int l = 2 * i + 1;
    if (l >= n) break;
    int r = l + 1, w = l;
    if (r < n && ranks_before(s[l], ix[l], s[r], ix[r])) w = r;
    if (!ranks_before(sv, iv, s[w], ix[w])) break;
    s[i] = s[w];
    ix[i] = ix[w];
    i = w;
  }
  s[i] = sv;
  ix[i] = iv;
}

/* The k entries of s[0..c) that rank first, in rank order, into os/oi:
 * a size-k heap of the best so far (root = the worst of them), then
 * heap-sort. O(c log k); any correct selection gives the same output. */
static void top_k(int c, const float *s, int k, float *os, int64_t *oi) {
  for (int i = 0; i < k; i++) {
    os[i] = s[i];
    oi[i] = i;
  }
  for (int i = k / 2 - 1; i >= 0; i--) sift_down(os, oi, k, i);
  for (int i = k; i < c; i++) {
    if (!ranks_before(s[i], i, os[0], oi[0])) continue;
    os[0] = s[i];
    oi[0] = i;
    sift_down(os, oi, k, 0);
  }
  for (int end = k - 1; end > 0; end--) {
    float ts = os[0];
    int64_t ti = oi[0];
    os[0] = os[end];
    oi[0] = oi[end];
    os[end] = ts;
    oi[end] = ti;
    sift_down(os, oi, end, 0);
  }
}

/* One router call as a list of work items in dependency order: the pooling
 * over chunks of the b*c (sample, channel) planes, FC1 (+ReLU) over chunks of
 * hidden rows, FC2 (+sigmoid) over chunks of channel rows (each FC row is
 * applied to every sample while its weights are in L1), then top-k per
 * sample. v [b, c] holds the pooled input, then (after FC1) the scores;
 * h [b, hidden] the hidden activations. */
enum { PH_GAP, PH_FC1, PH_FC2, PH_TOPK, PH_COUNT };

typedef struct {
  int b, c, hw, hidden, k;
  const float *x, *w1, *b1, *w2, *b2;
  float *v, *h;
  int64_t *out_idx;
  float *out_scores;
  int first[PH_COUNT + 1]; /* first item of each phase; first[PH_COUNT] = all items */
  int chunk[PH_COUNT];     /* planes / rows / samples per item */
  atomic_int next;         /* next unclaimed item */
  atomic_int done[PH_COUNT];
} router_ctx;

static void gap_item(const router_ctx *r, int item) {
  int p0 = item * r->chunk[PH_GAP], p1 = p0 + r->chunk[PH_GAP];
  if (p1 > r->b * r->c) p1 = r->b * r->c;
  modc_global_avgpool(p1 - p0, r->hw, r->x + (size_t)p0 * r->hw, r->v + p0);
}

/* Rows [item * chunk, ...) of a router FC (out x in weights w, bias or NULL)
 * applied to every sample: dst[n][i] = act(bias[i] + w[i] . src[n]), with
 * act ReLU (FC1) or sigmoid (FC2). */
static void fc_item(const router_ctx *r, int item, int chunk, int out, int in, const float *w,
                    const float *bias, const float *src, float *dst, int sigmoid) {
  int i0 = item * chunk, i1 = i0 + chunk;
  if (i1 > out) i1 = out;
  for (int i = i0; i < i1; i++) {
    const float *wi = w + (size_t)i * in;
    float b0 = bias ? bias[i] : 0.0f;
    for (int n = 0; n < r->b; n++) {
      float acc = b0 + modc_dot16(wi, src + (size_t)n * in, in);
      dst[(size_t)n * out + i] = sigmoid ? 1.0f / (1.0f + expf(-acc)) : (acc > 0.0f ? acc : 0.0f);
    }
  }
}

static void topk_item(const router_ctx *r, int n) {
  top_k(r->c, r->v + (size_t)n * r->c, r->k, r->out_scores + (size_t)n * r->k,
        r->out_idx + (size_t)n * r->k);
}

/* Waits until every item of phase `ph` is done. Cannot deadlock: items are
 * claimed in order, so the earliest unfinished item is held by a thread that
 * waits on nothing; yields now and then for oversubscribed pools. */
static void wait_phase(router_ctx *r, int ph) {
  int need = r->first[ph + 1] - r->first[ph];
  for (unsigned spins = 1; atomic_load_explicit(&r->done[ph], memory_order_acquire) < need; spins++) {
#if MODC_X86
    __builtin_ia32_pause();
#endif
    if (spins % 4096 == 0) sched_yield();
  }
}

/* Pool task: claims items until none are left (one such task per thread). */
static void router_task(void *raw, int task, int thread) {
  (void)task;
  (void)thread;
  router_ctx *r = raw;
  for (;;) {
    int t = atomic_fetch_add_explicit(&r->next, 1, memory_order_relaxed);
    if (t >= r->first[PH_COUNT]) return;
    int ph = 0;
    while (t >= r->first[ph + 1]) ph++;
    if (ph > 0) wait_phase(r, ph - 1);
    int item = t - r->first[ph];
    switch (ph) {
    case PH_GAP: gap_item(r, item); break;
    case PH_FC1: fc_item(r, item, r->chunk[PH_FC1], r->hidden, r->c, r->w1, r->b1, r->v, r->h, 0); break;
    case PH_FC2: fc_item(r, item, r->chunk[PH_FC2], r->c, r->hidden, r->w2, r->b2, r->h, r->v, 1); break;
    default: topk_item(r, item); break;
    }
    atomic_fetch_add_explicit(&r->done[ph], 1, memory_order_release);
  }
}

/* Work (floats read or multiply-adds) below which a phase is one item, and
 * the minimum work per item (items amortise the claiming). Tuning only:
 * results never depend on them. */
#ifndef ROUTER_GAP_MIN_PAR
#define ROUTER_GAP_MIN_PAR 16384
#endif
#ifndef ROUTER_FC_MIN_PAR
#define ROUTER_FC_MIN_PAR 16384
#endif
#define ROUTER_GAP_MIN_TASK 8192
#define ROUTER_FC_MIN_TASK 4096
/* Work (pooled floats + FC multiply-adds) below which the whole router runs
 * on the calling thread: about 10 us serial, where a split costs more than it
 * saves (the CIFAR ResNet routers). ResNet-50's batch-1 routers (0.2-0.8 M,
 * 0.04-0.1 ms serial) split: ResNet-50 MoD at 2 threads, in-process A/B,
 * 23.74 -> 23.39 ms median. Between kernels the workers spin, and the join
 * waits only for claimed tasks (threadpool.c), so a worker that is slow to
 * wake does not hold the router up. */
#ifndef ROUTER_MT_MIN_WORK
#define ROUTER_MT_MIN_WORK ((size_t)96 << 10)
#endif

/* Items of `per_item` work each, grouped so there are at most 4 groups per
 * thread (dynamic claiming absorbs noise from shared cores); returns the
 * number of groups and sets the group size. */
static int split(int total, size_t per_item, size_t min_par, size_t min_task, int nt, int *chunk) {
  size_t work = (size_t)total * per_item;
  if (nt <= 1 || work < min_par || total < 2) {
    *chunk = total;
    return 1;
  }
  size_t groups = work / min_task;
  if (groups > (size_t)nt * 4) groups = (size_t)nt * 4;
  if (groups < (size_t)nt) groups = (size_t)nt;
  if (groups > (size_t)total) groups = (size_t)total;
  *chunk = (int)(((size_t)total + groups - 1) / groups);
  return (total + *chunk - 1) / *chunk;
}

/* Threads worth using for this router (1: the calling thread only). */
static int router_threads(int b, int c, int hw, int hidden, int nthreads) {
  size_t work = (size_t)b * c * (size_t)hw + 2 * (size_t)b * c * (size_t)hidden;
  return work < ROUTER_MT_MIN_WORK ? 1 : nthreads;
}

int modc_mod_router_mt_threads(int b, int c, int hw, int hidden, int nthreads) {
  if (b < 1 || c < 1 || hw < 1 || hidden < 1) return 0;
  return router_threads(b, c, hw, hidden, nthreads < 1 ? 1 : nthreads);
}

int modc_mod_router_mt(int b, int c, int hw, const float *x, const float *w1, const float *b1,
                       int hidden, const float *w2, const float *b2, int k, int64_t *out_idx,
                       float *out_scores, float *scratch, modc_pool *pool) {
  if (b < 1 || c < 1 || hw < 1 || hidden < 1 || k < 1 || k > c) return MODC_EINVAL;
  if ((size_t)b * (size_t)c > (size_t)0x7fffffff) return MODC_EINVAL;
  router_ctx r = {.b = b, .c = c, .hw = hw, .hidden = hidden, .k = k, .x = x, .w1 = w1,
                  .b1 = b1, .w2 = w2, .b2 = b2, .v = scratch,
                  .h = scratch + (size_t)b * c, .out_idx = out_idx, .out_scores = out_scores};
  int nt = router_threads(b, c, hw, hidden, modc_pool_nthreads(pool));
  int n[PH_COUNT];
  n[PH_GAP] = split(b * c, (size_t)hw, ROUTER_GAP_MIN_PAR, ROUTER_GAP_MIN_TASK, nt, &r.chunk[PH_GAP]);
  n[PH_FC1] = split(hidden, (size_t)b * c, ROUTER_FC_MIN_PAR, ROUTER_FC_MIN_TASK, nt, &r.chunk[PH_FC1]);
  n[PH_FC2] = split(c, (size_t)b * hidden, ROUTER_FC_MIN_PAR, ROUTER_FC_MIN_TASK, nt, &r.chunk[PH_FC2]);
  n[PH_TOPK] = b;
  r.chunk[PH_TOPK] = 1;
  r.first[0] = 0;
  for (int ph = 0; ph < PH_COUNT; ph++) {
    r.first[ph + 1] = r.first[ph] + n[ph];
    atomic_init(&r.done[ph], 0);
  }
  atomic_init(&r.next, 0);
  /* One dispatch for the whole router: the phases hand over through `done`. */
  if (nt > 1)
    modc_pool_parallel_for(pool, nt, router_task, &r);
  else
    router_task(&r, 0, 0);
  return MODC_OK;
}

int modc_mod_router(int b, int c, int hw, const float *x, const float *w1, const float *b1,
                    int hidden, const float *w2, const float *b2, int k, int64_t *out_idx,
                    float *out_scores, float *scratch) {
  if (b < 1 || c < 1 || hw < 1 || hidden < 1 || k < 1 || k > c) return MODC_EINVAL;
  /* One sample at a time, so modc_mod_router_scratch_size(c, hidden) suffices. */
  for (int n = 0; n < b; n++) {
    int st = modc_mod_router_mt(1, c, hw, x + (size_t)n * c * hw, w1, b1, hidden, w2, b2, k,
                                out_idx + (size_t)n * k, out_scores + (size_t)n * k, scratch, NULL);
    if (st != MODC_OK) return st;
  }
  return MODC_OK;
}

int modc_mod_gather(int b, int c, int hw, const float *x, const int64_t *idx, int k,
                    float *out) {
  if (b < 1 || c < 1 || hw < 1 || k < 1) return MODC_EINVAL;
  for (size_t i = 0; i < (size_t)b * k; i++)
    if (idx[i] < 0 || idx[i] >= c) return MODC_ERANGE;
  for (int n = 0; n < b; n++)
    for (int j = 0; j < k; j++)
      memcpy(out + ((size_t)n * k + j) * hw, x + ((size_t)n * c + (size_t)idx[(size_t)n * k + j]) * hw,
             (size_t)hw * sizeof(float));
  return MODC_OK;
}

static void fuse_plane(int hw, const float *x, const float *p, float score, int relu, float *y) {
  if (relu) {
    for (int i = 0; i < hw; i++) {
      float v = x[i] + p[i] * score;
      y[i] = v > 0.0f ? v : 0.0f;
    }
  } else {
    for (int i = 0; i < hw; i++) y[i] = x[i] + p[i] * score;
  }
}

int modc_mod_fuse(int b, int c, int hw, const float *x, const float *p, const float *scores,
                  const int64_t *idx, int k, int mode, int relu, float *y) {
  if (b < 1 || c < 1 || hw < 1 || k < 1 || k > c) return MODC_EINVAL;
  if (mode != MODC_MOD_FIRST_K && mode != MODC_MOD_SCATTER) return MODC_EINVAL;
  if (mode == MODC_MOD_SCATTER)
    for (size_t i = 0; i < (size_t)b * k; i++)
      if (idx[i] < 0 || idx[i] >= c) return MODC_ERANGE;
  size_t plane = (size_t)hw;
  for (int n = 0; n < b; n++) {
    const float *xn = x + (size_t)n * c * plane;
    float *yn = y + (size_t)n * c * plane;
    if (yn != xn) memcpy(yn, xn, (size_t)c * plane * sizeof(float));
    for (int j = 0; j < k; j++) {
      size_t ch = mode == MODC_MOD_FIRST_K ? (size_t)j : (size_t)idx[(size_t)n * k + j];
      fuse_plane(hw, xn + ch * plane, p + ((size_t)n * k + j) * plane, scores[(size_t)n * k + j],
                 relu, yn + ch * plane);
    }
  }
  return MODC_OK;
}
