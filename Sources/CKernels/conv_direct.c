/* conv_direct.c - pack-free convolution driver for the AVX-512 path.
 *
 * Per group, C[Mg x q] = W_g[Mg x Kg] · B[Kg x q] as in conv.c, but B is not
 * packed tile by tile. With stride s, pad p and dilation d, input row
 * ih = oh*s - p_top + ki*d lies in the padded image at row oh*s + ki*d, i.e.
 * in row phase a = (ki*d) % s at phase row oh + (ki*d)/s (columns alike). A
 * copy of x split into the used phases, each a zero-padded hq x wq plane,
 * therefore turns every im2col row into a contiguous run:
 *   B[(ci,ki,kj)][q] = copy[off(ci,ki,kj) + q],  q = oh*wq + ow,
 *   off = plane(ci, phase) + ((ki*d)/s)*wq + (kj*d)/s.
 * Lanes with ow >= OW are computed and dropped at the store (the micro-kernel
 * compresses the real pixels of a vector into C). A pointwise stride-1 conv
 * reads x itself (wq = W, off = ci*H*W). The copy costs one pass over the
 * input; packing B in conv.c costs kh*kw passes.
 *
 * Blocking: a task owns rows [m0,m1) x tiles [t0,t1) (48 q each). For each
 * block of tiles, for each K block (a function of the shape, see kblocks(),
 * so results do not depend on the split), for each MC row block, for each tile, for each MR
 * panel: one micro-kernel call. The B tile (kc x 48) stays in L1/L2 across
 * the panels, the A block (MC x kc) in L2 across the tiles. */
#include <string.h>

#include "modc_internal.h"

/* K blocking: the A block (rows of one MC block x kc) gets DC_A_BUDGET
 * floats of L2, kc stays in [DC_KC_MIN, DC_KC_CAP] (the B tile, kc x 48
 * floats in kc short runs, shares L2 with it). Fewer K blocks mean fewer C
 * round trips through expand/compress: 3x3 128 s2 @56 (K = 1152, 128 rows)
 * went from 5 blocks (79% of peak, 1 thread) to 1 block (84%). Row panels per
 * A block; tiles per column block (3, 6 and 12 measured alike; -D overrides
 * it for sweeps). */
#define DC_A_BUDGET (160 * 1024)
#define DC_KC_MIN 256
#define DC_KC_CAP 1280
#define DC_MC_PANELS 32
#ifndef DC_NB_TILES
#define DC_NB_TILES 6
#endif

/* Output planes up to this many pixels take the pixel-broadcast kernel. */
#define DC_SMALL_PIXELS 256

typedef modc_dgeom dgeom;

/* K blocks of the large-plane kernel: a function of the shape only, so the
 * summation order never depends on the thread count. */
static int kblocks(const dgeom *g) {
  int rows = (g->mg + MODC_GEMM_MR - 1) / MODC_GEMM_MR * MODC_GEMM_MR;
  if (rows > DC_MC_PANELS * MODC_GEMM_MR) rows = DC_MC_PANELS * MODC_GEMM_MR;
  int kc = DC_A_BUDGET / rows;
  if (kc < DC_KC_MIN) kc = DC_KC_MIN;
  if (kc > DC_KC_CAP) kc = DC_KC_CAP;
  return (g->kg + kc - 1) / kc;
}

static int pointwise(const modc_conv_desc *d) {
  return d->kh == 1 && d->kw == 1 && d->stride_h == 1 && d->stride_w == 1 && d->pad_top == 0 &&
         d->pad_left == 0 && d->pad_bottom == 0 && d->pad_right == 0;
}

/* Marks the phases (ki*dil) % s used by some kernel tap; returns the count. */
static int used_phases(int k, int dil, int s, int *idx) {
  for (int a = 0; a < s; a++) idx[a] = -1;
  for (int i = 0; i < k; i++) idx[(i * dil) % s] = 0;
  int n = 0;
  for (int a = 0; a < s; a++)
    if (idx[a] == 0) idx[a] = n++;
  return n;
}

void modc_dconv_geometry(const modc_conv_desc *d, dgeom *g) {
  g->oh = modc_conv2d_out_h(d);
  g->ow = modc_conv2d_out_w(d);
  g->cig = d->c_in / d->groups;
  g->mg = d->c_out / d->groups;
  g->kg = g->cig * d->kh * d->kw;
  g->copy = !pointwise(d);
  if (!g->copy) {
    g->wq = d->w;
    g->hq = d->h;
    g->nra = g->nca = 1;
    g->ra[0] = g->ca[0] = 0;
    g->plane = g->chan = (size_t)d->h * (size_t)d->w;
    g->img = g->chan * (size_t)d->c_in;
  } else {
    int hp = d->h + d->pad_top + d->pad_bottom, wp = d->w + d->pad_left + d->pad_right;
    g->hq = (hp + d->stride_h - 1) / d->stride_h;
    g->wq = (wp + d->stride_w - 1) / d->stride_w;
    g->nra = used_phases(d->kh, d->dil_h, d->stride_h, g->ra);
    g->nca = used_phases(d->kw, d->dil_w, d->stride_w, g->ca);
    g->plane = (size_t)g->hq * (size_t)g->wq;
    g->chan = g->plane * (size_t)g->nra * (size_t)g->nca;
    g->img = g->chan * (size_t)d->c_in;
  }
  g->nq = g->oh * g->wq;
  g->small = g->oh * g->ow <= DC_SMALL_PIXELS;
}

int modc_dconv_applies(const modc_conv_desc *d) {
#if MODC_X86
  /* Phase tables are fixed-size; strides above 16 take the packed path. */
  return modc_get_isa() >= MODC_ISA_AVX512 && d->stride_h <= 16 && d->stride_w <= 16;
#else
  (void)d;
  return 0;
#endif
}

/* Workspace: the offset table (kg entries), then the copy, then slack that
 * garbage lanes may read past the last plane. */
static size_t table_floats(const dgeom *g) {
  return ((size_t)g->kg * sizeof(ptrdiff_t) + 63) / 64 * 16;
}

static size_t slack_floats(const dgeom *g) { return (size_t)g->wq + 64; }

size_t modc_dconv_workspace_size(const modc_conv_desc *d, int nthreads) {
  (void)nthreads;
  if (modc_conv2d_check(d) != MODC_OK || d->stride_h > 16 || d->stride_w > 16) return 0;
  dgeom g;
  modc_dconv_geometry(d, &g);
  size_t copy = g.copy ? ((size_t)d->n * g.img + slack_floats(&g) + 15) / 16 * 16 : 0;
  return 16 + table_floats(&g) + copy + (g.small ? modc_dconv_small_scratch(d, &g) : 0);
}

/* ------------------------------------------------------- phase-split copy */

typedef struct {
  const modc_conv_desc *d;
  const dgeom *g;
  const modc_cmap *map;
  const float *x;
  float *copy;
  int units, tasks; /* units = n * c_in channel planes, split into tasks */
} copy_ctx;

static void copy_channel(const modc_conv_desc *d, const dgeom *g, const float *src, float *dst) {
#if MODC_X86
  /* Stride-2 columns: vector de-interleave (the scalar loop below took about
   * 10% of 3x3 128 s2 @56 at 1 thread). */
  if (d->stride_w == 2 && modc_get_isa() >= MODC_ISA_AVX512) {
    modc_dcopy_s2_avx512(d, g, src, dst);
    return;
  }
#endif
  for (int a = 0; a < d->stride_h; a++) {
    if (g->ra[a] < 0) continue;
    for (int b = 0; b < d->stride_w; b++) {
      if (g->ca[b] < 0) continue;
      float *pl = dst + (size_t)(g->ra[a] * g->nca + g->ca[b]) * g->plane;
      for (int i = 0; i < g->hq; i++) {
        float *o = pl + (size_t)i * (size_t)g->wq;
        int ih = i * d->stride_h + a - d->pad_top;
        if (ih < 0 || ih >= d->h) {
          memset(o, 0, (size_t)g->wq * sizeof(float));
          continue;
        }
        const float *row = src + (size_t)ih * (size_t)d->w;
        /* Columns j with 0 <= j*sw + b - pl < w are real. */
        int first = d->pad_left - b > 0 ? (d->pad_left - b + d->stride_w - 1) / d->stride_w : 0;
        int last = (d->w - 1 + d->pad_left - b) / d->stride_w; /* inclusive */
        if (d->w - 1 + d->pad_left - b < 0) last = -1;
        if (last > g->wq - 1) last = g->wq - 1;
        if (first > g->wq) first = g->wq;
        for (int j = 0; j < first; j++) o[j] = 0.0f;
        if (d->stride_w == 1) {
          if (last >= first)
            memcpy(o + first, row + first + b - d->pad_left,
                   (size_t)(last - first + 1) * sizeof(float));
        } else {
          for (int j = first; j <= last; j++) o[j] = row[j * d->stride_w + b - d->pad_left];
        }
        for (int j = (last + 1 > first ? last + 1 : first); j < g->wq; j++) o[j] = 0.0f;
      }
    }
  }
}

static void copy_task(void *raw, int task, int thread) {
  (void)thread;
  const copy_ctx *c = raw;
  int u0 = (int)((long long)c->units * task / c->tasks);
  int u1 = (int)((long long)c->units * (task + 1) / c->tasks);
  size_t hw = (size_t)c->d->h * (size_t)c->d->w;
  /* A MoD-mapped conv gathers its channels here: unit (b, ci) copies x's
   * channel in_idx[b][ci], so no separate gathered tensor exists. */
  int cin = c->d->c_in;
  for (int u = u0; u < u1; u++)
    copy_channel(c->d, c->g, modc_cmap_plane(c->map, c->x, cin, hw, u / cin, u % cin),
                 c->copy + (size_t)u * c->g->chan);
}

/* ------------------------------------------------------------------ GEMM */

typedef struct {
  const modc_conv_desc *d;
  const dgeom *g;
  const modc_cmap *map; /* MoD maps or NULL */
  const float *bsrc; /* copy or x */
  const ptrdiff_t *off;
  const float *packed_w, *bias, *residual;
  float *y;
  size_t wstride;
  int tiles_img, ntiles, mp, m_chunks, n_chunks;
} gemm_ctx;

/* Lane masks and store offsets of the tile starting at q0 of one image. */
static void tile_info(const dgeom *g, int q0, modc_dukr_args *a) {
  int left = g->nq - q0;
  a->nv = left >= 48 ? 3 : (left + 15) / 16;
  a->compact = g->wq != g->ow;
  for (int v = 0; v < 3; v++) {
    a->lmask[v] = a->vmask[v] = 0;
    a->ystart[v] = 0;
  }
  for (int v = 0; v < a->nv; v++) {
    int qs = q0 + 16 * v, cnt = g->nq - qs < 16 ? g->nq - qs : 16;
    unsigned lm = cnt >= 16 ? 0xFFFFu : (1u << cnt) - 1u, vm = lm;
    if (a->compact) {
      vm = 0;
      int first = -1;
      for (int t = 0; t < cnt; t++)
        if ((qs + t) % g->wq < g->ow) {
          vm |= 1u << t;
          if (first < 0) first = qs + t;
        }
      if (first >= 0) a->ystart[v] = (ptrdiff_t)(first / g->wq) * g->ow + first % g->wq;
    } else {
      a->ystart[v] = qs;
    }
    a->lmask[v] = lm;
    a->vmask[v] = vm;
  }
}

static void gemm_task(void *raw, int task, int thread) {
  (void)thread;
  const gemm_ctx *c = raw;
  const modc_conv_desc *d = c->d;
  const dgeom *g = c->g;
  int per_group = c->m_chunks * c->n_chunks;
  int grp = task / per_group, t = task % per_group;
  int mi = t % c->m_chunks, ni = t / c->m_chunks;
  int m0 = (int)((long long)c->mp * mi / c->m_chunks) * MODC_GEMM_MR;
  int m1 = (int)((long long)c->mp * (mi + 1) / c->m_chunks) * MODC_GEMM_MR;
  if (m1 > g->mg) m1 = g->mg;
  int t0 = (int)((long long)c->ntiles * ni / c->n_chunks);
  int t1 = (int)((long long)c->ntiles * (ni + 1) / c->n_chunks);
  if (m0 >= m1 || t0 >= t1) return;
  const float *pa = c->packed_w + (size_t)grp * c->wstride;
  size_t ohw = (size_t)g->oh * (size_t)g->ow;
  int nkb = kblocks(g);
  modc_dukr_args tiles[DC_NB_TILES];
  const modc_cmap *map = c->map;
  int per_image_off = map && map->in_off && !g->copy;
  for (int tb = t0; tb < t1; tb += DC_NB_TILES) {
    int te = tb + DC_NB_TILES < t1 ? tb + DC_NB_TILES : t1;
    for (int ti = tb; ti < te; ti++) {
      modc_dukr_args *a = &tiles[ti - tb];
      int img = ti / c->tiles_img, q0 = (ti % c->tiles_img) * MODC_DCONV_TILE;
      tile_info(g, q0, a);
      size_t cbase = ((size_t)img * (size_t)d->c_out + (size_t)grp * (size_t)g->mg) * ohw;
      a->c = c->y + cbase;
      a->residual = c->residual ? c->residual + cbase : NULL;
      a->ldc = (ptrdiff_t)ohw;
      a->relu = d->relu;
      size_t bbase = g->copy ? (size_t)img * g->img + (size_t)grp * (size_t)g->cig * g->chan
                             : ((size_t)img * (size_t)d->c_in + (size_t)grp * (size_t)g->cig) *
                                   g->plane;
      /* Mapped pointwise: per-image offsets into x itself (absolute). */
      a->b = per_image_off ? c->bsrc + q0 : c->bsrc + bbase + q0;
      a->off = per_image_off ? map->in_off + (size_t)img * (size_t)g->kg : c->off;
      a->rowoff = NULL;
      if (map && map->row_off) {
        a->out = map->out + (size_t)img * map->out_img;
        a->rowoff = map->row_off + (size_t)img * (size_t)d->c_out;
        a->scale = map->scores + (size_t)img * (size_t)d->c_out;
      }
    }
    for (int kb = 0; kb < nkb; kb++) {
      int k0 = (int)((long long)g->kg * kb / nkb);
      int kc = (int)((long long)g->kg * (kb + 1) / nkb) - k0;
      int flags = (kb > 0 ? MODC_UK_LOAD_C : 0) | (kb == nkb - 1 ? MODC_UK_EPILOGUE : 0);
      for (int mb = m0; mb < m1; mb += DC_MC_PANELS * MODC_GEMM_MR) {
        int me = mb + DC_MC_PANELS * MODC_GEMM_MR < m1 ? mb + DC_MC_PANELS * MODC_GEMM_MR : m1;
        for (int ti = tb; ti < te; ti++) {
          modc_dukr_args a = tiles[ti - tb];
          a.kc = kc;
          a.flags = flags;
          a.off = tiles[ti - tb].off + k0;
          for (int m = mb; m < me; m += MODC_GEMM_MR) {
            a.mr = g->mg - m < MODC_GEMM_MR ? g->mg - m : MODC_GEMM_MR;
            a.a = pa + (size_t)m * (size_t)g->kg + (size_t)k0 * MODC_GEMM_MR;
            a.c = tiles[ti - tb].c + (ptrdiff_t)m * a.ldc;
            a.residual = tiles[ti - tb].residual ? tiles[ti - tb].residual + (ptrdiff_t)m * a.ldc
                                                 : NULL;
            a.bias = c->bias ? c->bias + (size_t)grp * (size_t)g->mg + (size_t)m : NULL;
            a.pf = modc_pf_take(kc * ((a.mr + 7) / 8), &a.pfstep, NULL);
            if (a.rowoff) {
              a.rowoff = tiles[ti - tb].rowoff + m;
              a.scale = tiles[ti - tb].scale + m;
            }
#if MODC_X86
            modc_dukr_avx512(&a);
#endif
          }
        }
      }
    }
  }
}

void modc_split_grid(int rows, int cols, int outer, int nthreads, int *mc, int *nc) {
  *mc = *nc = 1;
  if (nthreads <= 1 || rows < 1 || cols < 1) return;
  if (outer < 1) outer = 1;
  double best = 1e300;
  /* Up to 8 tasks per thread; each task re-reads its A rows and B columns,
   * so fewer tasks win ties (2% per task). Columns are preferred over rows
   * at equal cost (loop order), as they share the A block. */
  for (int m = 1; m <= rows && m <= 8 * nthreads; m++)
    for (int n = 1; n <= cols && m * n * outer <= 8 * nthreads; n++) {
      int tasks = m * n * outer;
      int biggest = ((rows + m - 1) / m) * ((cols + n - 1) / n);
      int rounds = (tasks + nthreads - 1) / nthreads;
      double cost = (double)rounds * biggest * (1.0 + 0.02 * tasks / nthreads) + 1e-6 * m;
      if (cost < best) {
        best = cost;
        *mc = m;
        *nc = n;
      }
    }
}

const float *modc_dconv_prepare(const modc_conv_desc *d, const dgeom *g, const float *x,
                                const modc_cmap *map, float *ws, modc_pool *pool,
                                const ptrdiff_t **off_out, float **rest) {
  ptrdiff_t *off = (ptrdiff_t *)(void *)ws;
  float *copy = ws + table_floats(g);
  int khw = d->kh * d->kw;
  for (int k = 0; k < g->kg; k++) {
    int ci = k / khw, ki = k % khw / d->kw, kj = k % d->kw;
    if (!g->copy) {
      off[k] = (ptrdiff_t)ci * (ptrdiff_t)g->plane;
      continue;
    }
    int rh = ki * d->dil_h, rw = kj * d->dil_w;
    int ph = g->ra[rh % d->stride_h] * g->nca + g->ca[rw % d->stride_w];
    off[k] = (ptrdiff_t)ci * (ptrdiff_t)g->chan + (ptrdiff_t)ph * (ptrdiff_t)g->plane +
             (ptrdiff_t)(rh / d->stride_h) * g->wq + rw / d->stride_w;
  }
  *off_out = off;
  if (!g->copy) {
    *rest = copy;
    return x;
  }
  int nth = modc_pool_nthreads(pool);
  copy_ctx cc = {d, g, map, x, copy, d->n * d->c_in, 0};
  cc.tasks = nth > 1 ? (cc.units < 4 * nth ? cc.units : 4 * nth) : 1;
  modc_pool_parallel_for(pool, cc.tasks, copy_task, &cc);
  memset(copy + (size_t)d->n * g->img, 0, slack_floats(g) * sizeof(float));
  *rest = copy + ((size_t)d->n * g->img + slack_floats(g) + 15) / 16 * 16;
  return copy;
}

void modc_dconv_run(const modc_conv_desc *d, const modc_cmap *map, const float *x,
                    const float *packed_w, const float *bias, const float *residual, float *y,
                    float *workspace, modc_pool *pool) {
  dgeom g;
  modc_dconv_geometry(d, &g);
  int nth = modc_pool_nthreads(pool);
  const ptrdiff_t *off;
  float *rest;
  const float *bsrc =
      modc_dconv_prepare(d, &g, x, map, modc_align64(workspace), pool, &off, &rest);
  if (g.small) {
    modc_dconv_run_small(d, &g, bsrc, off, map, packed_w, bias, residual, y, rest, pool);
    return;
  }
  gemm_ctx c;
  c.d = d;
  c.map = map;
  c.g = &g;
  c.bsrc = bsrc;
  c.off = off;
  c.packed_w = packed_w;
  c.bias = bias;
  c.residual = residual;
  c.y = y;
  c.wstride = modc_pack_a_size(g.mg, g.kg);
  c.tiles_img = (g.nq + MODC_DCONV_TILE - 1) / MODC_DCONV_TILE;
  c.ntiles = d->n * c.tiles_img;
  c.mp = (g.mg + MODC_GEMM_MR - 1) / MODC_GEMM_MR;
  modc_split_grid(c.mp, c.ntiles, d->groups, nth, &c.m_chunks, &c.n_chunks);
  modc_pool_parallel_for(pool, d->groups * c.m_chunks * c.n_chunks, gemm_task, &c);
}
