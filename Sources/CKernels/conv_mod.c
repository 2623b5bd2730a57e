/* conv_mod.c - MoD fast path: a block's body convs with the gather and the
 * fusion folded in (modc_conv2d_mod).
 *
 * Gather: the first body conv reads x (all C channels) through the router's
 * per-sample indices. The packed path packs B from x's channel in_idx[b][j];
 * the direct path gathers while building its zero-padded phase copy (3x3),
 * or, for a pointwise conv that reads x in place, uses one B offset table per
 * image (off[b][j] = (b*C + in_idx[b][j]) * H*W). No gathered tensor exists.
 *
 * Fusion: the last body conv's epilogue writes row j of sample b straight
 * into the residual tensor at channel dst = j (first-k) or out_idx[b][j]
 * (scatter): y[b,dst] = act(y[b,dst] + v[b][j] * (acc + bias[j])). y holds
 * the residual tensor (in place; copied first when the caller passes a
 * distinct res). When K is split into blocks, the partial sums go to a
 * scratch in the workspace, never into y.
 *
 * Winograd is not offered: its input/output transforms have no channel map
 * (MODC_EUNSUPPORTED); callers choose DIRECT/AUTO for these convs. */
#include <string.h>

#include "modc_internal.h"

static int is_pointwise(const modc_conv_desc *d) {
  return d->kh == 1 && d->kw == 1 && d->stride_h == 1 && d->stride_w == 1 && d->pad_top == 0 &&
         d->pad_left == 0 && d->pad_bottom == 0 && d->pad_right == 0;
}

/* Floats of the ptrdiff_t tables, rounded up to whole 64-byte lines. */
static size_t table_floats(size_t entries) {
  return (entries * sizeof(ptrdiff_t) + 63) / 64 * 16;
}

static size_t out_plane(const modc_conv_desc *d) {
  return (size_t)modc_conv2d_out_h(d) * (size_t)modc_conv2d_out_w(d);
}

/* Partial sums need their own buffer only when K is split. No path splits a
 * K of at most MODC_KC_MAX (the packed path's blocks are at most that, the
 * direct path's at least that), so this is a safe, slightly generous test;
 * the small-plane path keeps its partial sums in its own scratch. */
static int needs_partial(const modc_conv_desc *d) {
  return d->c_in / d->groups * d->kh * d->kw > MODC_KC_MAX;
}

size_t modc_conv2d_mod_workspace_size(const modc_conv_desc *d, int nthreads) {
  if (modc_conv2d_check(d) != MODC_OK) return 0;
  size_t kg = (size_t)d->c_in * (size_t)d->kh * (size_t)d->kw;
  size_t n = (size_t)d->n;
  size_t own = table_floats(n * kg) + table_floats(n * (size_t)d->c_out);
  if (needs_partial(d)) own += (n * (size_t)d->c_out * out_plane(d) + 15) / 16 * 16;
  return 16 + own + modc_conv2d_workspace_size(d, nthreads);
}

static int check_map(const modc_conv_desc *d, const modc_conv_mod *m) {
  size_t n = (size_t)d->n;
  if (m->in_idx) {
    if (m->x_channels < 1) return MODC_EINVAL;
    for (size_t i = 0; i < n * (size_t)d->c_in; i++)
      if (m->in_idx[i] < 0 || m->in_idx[i] >= m->x_channels) return MODC_ERANGE;
  }
  if (m->fuse) {
    if (m->mode != MODC_MOD_FIRST_K && m->mode != MODC_MOD_SCATTER) return MODC_EINVAL;
    if (!m->scores || !m->res || m->y_channels < d->c_out) return MODC_EINVAL;
    if (m->mode == MODC_MOD_SCATTER) {
      if (!m->out_idx) return MODC_EINVAL;
      for (size_t i = 0; i < n * (size_t)d->c_out; i++)
        if (m->out_idx[i] < 0 || m->out_idx[i] >= m->y_channels) return MODC_ERANGE;
    }
  }
  return MODC_OK;
}

int modc_conv2d_mod(const modc_conv_desc *d, const modc_conv_mod *m, const float *x,
                    const float *packed_w, const float *bias, float *y, float *workspace,
                    modc_pool *pool) {
  int st = modc_conv2d_check(d);
  if (st != MODC_OK) return st;
  if (!m) return MODC_EINVAL;
  if (d->groups != 1 || modc_wino_algo(d)) return MODC_EUNSUPPORTED;
  st = check_map(d, m);
  if (st != MODC_OK) return st;

  size_t n = (size_t)d->n, kg = (size_t)d->c_in * (size_t)d->kh * (size_t)d->kw;
  size_t ohw = out_plane(d), hw = (size_t)d->h * (size_t)d->w;
  float *ws = modc_align64(workspace);
  ptrdiff_t *in_off = (ptrdiff_t *)(void *)ws;
  ws += table_floats(n * kg);
  ptrdiff_t *row_off = (ptrdiff_t *)(void *)ws;
  ws += table_floats(n * (size_t)d->c_out);

  modc_cmap map;
  memset(&map, 0, sizeof map);
  if (m->in_idx) {
    map.in_idx = m->in_idx;
    map.x_channels = m->x_channels;
    if (is_pointwise(d)) {
      for (size_t b = 0; b < n; b++)
        for (size_t j = 0; j < kg; j++)
          in_off[b * kg + j] =
              (ptrdiff_t)((b * (size_t)m->x_channels + (size_t)m->in_idx[b * kg + j]) * hw);
      map.in_off = in_off;
    }
  }
  float *c = y; /* C of the GEMM: y, or the partial-sum scratch when fusing */
  if (m->fuse) {
    size_t yimg = (size_t)m->y_channels * ohw;
    if (m->res != y) memcpy(y, m->res, n * yimg * sizeof(float));
    for (size_t b = 0; b < n; b++)
      for (size_t j = 0; j < (size_t)d->c_out; j++) {
        size_t dst = m->mode == MODC_MOD_SCATTER ? (size_t)m->out_idx[b * (size_t)d->c_out + j] : j;
        row_off[b * (size_t)d->c_out + j] = (ptrdiff_t)(dst * ohw);
      }
    map.row_off = row_off;
    map.scores = m->scores;
    map.out = y;
    map.out_img = yimg;
    if (needs_partial(d)) {
      c = ws;
      ws += (n * (size_t)d->c_out * ohw + 15) / 16 * 16;
    }
    /* else the epilogue never touches C: y only serves as a valid base. */
  }
  const modc_cmap *mp = (map.in_idx || map.row_off) ? &map : NULL;
  if (modc_dconv_applies(d))
    modc_dconv_run(d, mp, x, packed_w, bias, NULL, c, ws, pool);
  else
    modc_conv_packed_run(d, mp, x, packed_w, bias, NULL, c, ws, pool);
  return MODC_OK;
}
