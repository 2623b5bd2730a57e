/* gemm.c - packed GEMM driver: A packing, B packing, cache blocking, threading.
 *
 * Blocking (BLIS-style, with A pre-packed once):
 *   for each column block of MODC_NC_PANELS NR-panels          (task-local)
 *     for each K block (<= MODC_KC_MAX, fixed for a given K)
 *       pack the B block (kc x nc) into the thread's workspace
 *       for each row block of MODC_MC_PANELS MR-panels
 *         for each NR panel   (B micro-panel stays in L1)
 *           for each MR panel (A micro-panel streams from L2)
 *             micro-kernel: C tile (+)= A panel · B panel [+ epilogue]
 * Every C element is produced by the same sequence of K blocks whatever the
 * tiling of M and N, so results do not depend on the thread count. */
#include <string.h>

#include "modc_internal.h"

float *modc_align64(float *p) {
  uintptr_t u = (uintptr_t)p;
  return (float *)((u + 63u) & ~(uintptr_t)63u);
}

size_t modc_pack_a_size(int m, int k) {
  if (m <= 0 || k <= 0) return 0;
  size_t panels = ((size_t)m + MODC_GEMM_MR - 1) / MODC_GEMM_MR;
  return panels * MODC_GEMM_MR * (size_t)k;
}

void modc_pack_a(int m, int k, const float *a, ptrdiff_t lda, float *packed) {
  for (int p0 = 0; p0 < m; p0 += MODC_GEMM_MR) {
    float *dst = packed + (size_t)p0 * (size_t)k;
    int rows = m - p0 < MODC_GEMM_MR ? m - p0 : MODC_GEMM_MR;
    for (int kk = 0; kk < k; kk++) {
      for (int r = 0; r < rows; r++) dst[(size_t)kk * MODC_GEMM_MR + r] = a[(p0 + r) * lda + kk];
      for (int r = rows; r < MODC_GEMM_MR; r++) dst[(size_t)kk * MODC_GEMM_MR + r] = 0.0f;
    }
  }
}

/* ------------------------------------------------------ scalar micro-kernel */

void modc_ukr_scalar(const modc_ukr_args *g) {
  for (int q = 0; q < g->np; q++) {
    float acc[MODC_GEMM_MR][MODC_GEMM_NR];
    memset(acc, 0, sizeof acc);
    const float *a = g->a, *b = g->b + q * g->bstride;
    for (int k = 0; k < g->kc; k++) {
      for (int r = 0; r < g->mr; r++) {
        float av = a[r];
        for (int j = 0; j < MODC_GEMM_NR; j++) acc[r][j] += av * b[j];
      }
      a += MODC_GEMM_MR;
      b += MODC_GEMM_NR;
    }
    if ((g->flags & MODC_UK_EPILOGUE) && g->rowoff[q]) { /* MoD fusion */
      for (int r = 0; r < g->mr; r++) {
        const float *c = g->c[q] + r * g->ldc;
        float *o = g->out[q] + g->rowoff[q][r];
        for (int j = 0; j < g->nr[q]; j++) {
          float v = acc[r][j];
          if (g->flags & MODC_UK_LOAD_C) v += c[j];
          if (g->bias) v += g->bias[r];
          v = o[j] + v * g->scale[q][r];
          o[j] = (g->relu && v < 0.0f) ? 0.0f : v;
        }
      }
      continue;
    }
    for (int r = 0; r < g->mr; r++) {
      float *c = g->c[q] + r * g->ldc;
      const float *res = g->residual[q] ? g->residual[q] + r * g->ldr : NULL;
      for (int j = 0; j < g->nr[q]; j++) {
        float v = acc[r][j];
        if (g->flags & MODC_UK_LOAD_C) v += c[j];
        if (g->flags & MODC_UK_EPILOGUE) {
          if (g->bias) v += g->bias[r];
          if (res) v += res[j];
          if (g->relu && v < 0.0f) v = 0.0f;
        }
        c[j] = v;
      }
    }
  }
}

/* ------------------------------------------------------------------ driver */

size_t modc_gemm_thread_ws(void) {
  return (size_t)MODC_KC_MAX * MODC_GEMM_NR * MODC_NC_PANELS;
}

void modc_gemm_split(int m, int npanels, int nthreads, int ntasks_outside, int *m_chunks,
                     int *n_chunks) {
  int mp = (m + MODC_GEMM_MR - 1) / MODC_GEMM_MR;
  if (ntasks_outside < 1) ntasks_outside = 1;
  if (nthreads <= 1) {
    *m_chunks = 1;
    *n_chunks = 1;
    return;
  }
  /* A few tasks per thread so dynamic scheduling can even out the load, but
   * a multiple of the thread count so equal tasks divide evenly. */
  int want = 4 * nthreads;
  int nc = (want + ntasks_outside - 1) / ntasks_outside;
  if (nc > npanels) nc = npanels;
  if (nc < 1) nc = 1;
  int mc = 1;
  if (nc * ntasks_outside < 2 * nthreads) {
    mc = (2 * nthreads + nc * ntasks_outside - 1) / (nc * ntasks_outside);
    if (mc > mp) mc = mp;
    if (mc < 1) mc = 1;
  }
  *m_chunks = mc;
  *n_chunks = nc;
}

static int k_blocks(int k) { return (k + MODC_KC_MAX - 1) / MODC_KC_MAX; }

void modc_gemm_run_tile(const modc_gemm_plan *p, int m0, int m1, int p0, int p1, float *ws) {
  modc_ukr_fn ukr = modc_select_ukr();
  int nkb = k_blocks(p->k);
  float *bbuf = ws;
  for (int pc = p0; pc < p1; pc += MODC_NC_PANELS) {
    int pe = pc + MODC_NC_PANELS < p1 ? pc + MODC_NC_PANELS : p1;
    for (int kb = 0; kb < nkb; kb++) {
      int k0 = (int)((long long)p->k * kb / nkb);
      int kc = (int)((long long)p->k * (kb + 1) / nkb) - k0;
      for (int j = pc; j < pe; j++)
        p->pack_b(p->src, j, k0, kc, bbuf + (size_t)(j - pc) * (size_t)kc * MODC_GEMM_NR);
      modc_ukr_args g;
      memset(&g, 0, sizeof g);
      g.kc = kc;
      g.bstride = (ptrdiff_t)kc * MODC_GEMM_NR;
      g.flags = ((kb > 0 || p->accumulate) ? MODC_UK_LOAD_C : 0) |
                (kb == nkb - 1 ? MODC_UK_EPILOGUE : 0);
      g.relu = p->relu;
      g.ldc = p->ldc;
      g.ldr = p->ldr;
      for (int mb = m0; mb < m1; mb += MODC_MC_PANELS * MODC_GEMM_MR) {
        int me = mb + MODC_MC_PANELS * MODC_GEMM_MR < m1 ? mb + MODC_MC_PANELS * MODC_GEMM_MR : m1;
        for (int j = pc; j < pe; j += MODC_UK_MAXP) {
          float *c0[MODC_UK_MAXP], *o0[MODC_UK_MAXP];
          const float *r0[MODC_UK_MAXP], *s0[MODC_UK_MAXP];
          const ptrdiff_t *ro0[MODC_UK_MAXP];
          g.np = pe - j < MODC_UK_MAXP ? pe - j : MODC_UK_MAXP;
          for (int q = 0; q < g.np; q++) {
            ptrdiff_t off = p->c_tile(p->src, j + q, &g.nr[q]);
            c0[q] = p->c + off;
            r0[q] = p->residual ? p->residual + off : NULL;
            o0[q] = NULL;
            ro0[q] = NULL;
            s0[q] = NULL;
            if (p->mod_tile) p->mod_tile(p->src, j + q, &o0[q], &ro0[q], &s0[q]);
          }
          g.b = bbuf + (size_t)(j - pc) * (size_t)kc * MODC_GEMM_NR;
          for (int m = mb; m < me; m += MODC_GEMM_MR) {
            g.mr = p->m - m < MODC_GEMM_MR ? p->m - m : MODC_GEMM_MR;
            g.a = p->packed_a + (size_t)m * (size_t)p->k + (size_t)k0 * MODC_GEMM_MR;
            for (int q = 0; q < g.np; q++) {
              g.c[q] = c0[q] + m * p->ldc;
              g.residual[q] = r0[q] ? r0[q] + m * p->ldr : NULL;
              g.out[q] = o0[q];
              g.rowoff[q] = ro0[q] ? ro0[q] + m : NULL;
              g.scale[q] = s0[q] ? s0[q] + m : NULL;
            }
            g.bias = p->bias ? p->bias + m : NULL;
            g.pf = modc_pf_take(kc * ((g.mr + 7) / 8), &g.pfstep, NULL);
            ukr(&g);
          }
        }
      }
    }
  }
}

typedef struct {
  const modc_gemm_plan *plan;
  int m_chunks, n_chunks, mp;
  float *ws;
} run_ctx;

static void run_task(void *raw, int task, int thread) {
  const run_ctx *r = raw;
  int mi = task % r->m_chunks, ni = task / r->m_chunks;
  int m0 = (int)((long long)r->mp * mi / r->m_chunks) * MODC_GEMM_MR;
  int m1 = (int)((long long)r->mp * (mi + 1) / r->m_chunks) * MODC_GEMM_MR;
  if (m1 > r->plan->m) m1 = r->plan->m;
  int p0 = (int)((long long)r->plan->npanels * ni / r->n_chunks);
  int p1 = (int)((long long)r->plan->npanels * (ni + 1) / r->n_chunks);
  modc_gemm_run_tile(r->plan, m0, m1, p0, p1, r->ws + (size_t)thread * modc_gemm_thread_ws());
}

void modc_gemm_run(const modc_gemm_plan *p, float *workspace, modc_pool *pool) {
  if (p->m <= 0 || p->npanels <= 0) return;
  run_ctx r;
  r.plan = p;
  r.mp = (p->m + MODC_GEMM_MR - 1) / MODC_GEMM_MR;
  r.ws = modc_align64(workspace);
  modc_gemm_split(p->m, p->npanels, modc_pool_nthreads(pool), 1, &r.m_chunks, &r.n_chunks);
  modc_pool_parallel_for(pool, r.m_chunks * r.n_chunks, run_task, &r);
}

/* ---------------------------------------------------- plain-matrix GEMM */

typedef struct {
  const float *b;
  ptrdiff_t rs, cs;
  int n;
} matrix_src;

static void pack_b_matrix(const void *raw, int panel, int k0, int kc, float *dst) {
  const matrix_src *s = raw;
  int n0 = panel * MODC_GEMM_NR;
  int nr = s->n - n0 < MODC_GEMM_NR ? s->n - n0 : MODC_GEMM_NR;
  for (int kk = 0; kk < kc; kk++) {
    const float *row = s->b + (ptrdiff_t)(k0 + kk) * s->rs + (ptrdiff_t)n0 * s->cs;
    float *d = dst + (size_t)kk * MODC_GEMM_NR;
    if (s->cs == 1) {
      memcpy(d, row, (size_t)nr * sizeof(float));
    } else {
      for (int j = 0; j < nr; j++) d[j] = row[j * s->cs];
    }
    for (int j = nr; j < MODC_GEMM_NR; j++) d[j] = 0.0f;
  }
}

static ptrdiff_t c_tile_matrix(const void *raw, int panel, int *nr) {
  const matrix_src *s = raw;
  int n0 = panel * MODC_GEMM_NR;
  *nr = s->n - n0 < MODC_GEMM_NR ? s->n - n0 : MODC_GEMM_NR;
  return n0;
}

size_t modc_gemm_workspace_size(int m, int n, int k, int nthreads) {
  (void)m;
  (void)n;
  (void)k;
  if (nthreads < 1) nthreads = 1;
  return (size_t)nthreads * modc_gemm_thread_ws() + 16;
}

void modc_gemm(int m, int n, int k, const float *packed_a, const float *b, ptrdiff_t b_rs,
               ptrdiff_t b_cs, float *c, ptrdiff_t ldc, const modc_epilogue *ep,
               float *workspace, modc_pool *pool) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) { /* empty reduction: C = epilogue(0) */
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        float v = (ep && ep->accumulate) ? c[i * ldc + j] : 0.0f;
        if (ep && ep->bias) v += ep->bias[i];
        if (ep && ep->residual) v += ep->residual[i * ep->ldr + j];
        if (ep && ep->relu && v < 0.0f) v = 0.0f;
        c[i * ldc + j] = v;
      }
    return;
  }
  matrix_src s = {b, b_rs, b_cs, n};
  modc_gemm_plan p;
  memset(&p, 0, sizeof p);
  p.m = m;
  p.k = k;
  p.npanels = (n + MODC_GEMM_NR - 1) / MODC_GEMM_NR;
  p.packed_a = packed_a;
  p.ldc = ldc;
  p.src = &s;
  p.pack_b = pack_b_matrix;
  p.c_tile = c_tile_matrix;
  p.c = c;
  if (ep) {
    p.bias = ep->bias;
    p.relu = ep->relu;
    p.accumulate = ep->accumulate;
    p.residual = ep->residual;
    p.ldr = ep->ldr;
  }
  modc_gemm_run(&p, workspace, pool);
}
