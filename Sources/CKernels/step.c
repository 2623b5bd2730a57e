/*
 * step.c - one entry point per schedule step: modc_step_run calls the kernel
 * of a step kind with the arguments taken from its int64 descriptor (see
 * "step descriptors" in modc_kernels.h). The plan runtime and emitted C both
 * go through here, so every kernel call is written once.
 */
#include <string.h>

#include "modc_kernels.h"

#define I(x) ((int)(x))
#define F(i) ((float *)args[i])
#define L(i) ((int64_t *)args[i])
/* Strides, pads and dilations of a conv or pooling step into its kernel descriptor (same member names in both). */
#define SET_WINDOW(d, s)                                                                                           \
  do {                                                                                                             \
    (d).stride_h = I((s)->strideH);                                                                                \
    (d).stride_w = I((s)->strideW);                                                                                \
    (d).pad_top = I((s)->padTop);                                                                                  \
    (d).pad_left = I((s)->padLeft);                                                                                \
    (d).pad_bottom = I((s)->padBottom);                                                                            \
    (d).pad_right = I((s)->padRight);                                                                              \
    (d).dil_h = I((s)->dilH);                                                                                      \
    (d).dil_w = I((s)->dilW);                                                                                      \
  } while (0)

modc_conv_desc modc_step_conv_desc(const modc_step_conv *s) {
  modc_conv_desc d = modc_conv_desc_make(I(s->n), I(s->cIn), I(s->h), I(s->w), I(s->cOut), I(s->kh), I(s->kw));
  SET_WINDOW(d, s);
  d.groups = I(s->groups);
  d.relu = s->relu != 0;
  d.algo = I(s->algo);
  return d;
}

modc_conv_desc modc_step_mod_conv_desc(const modc_step_mod_conv *s) {
  modc_conv_desc d = modc_step_conv_desc(&s->conv);
  if (s->fuseChannels > 0) d.relu = s->fuseRelu != 0;
  return d;
}

modc_pool2d_desc modc_step_pool_desc(const modc_step_pool *s) {
  modc_pool2d_desc d = modc_pool2d_desc_make(I(s->n), I(s->c), I(s->h), I(s->w), I(s->kh), I(s->kw));
  SET_WINDOW(d, s);
  d.ceil_mode = s->ceilMode != 0;
  d.count_include_pad = s->countIncludePad != 0;
  return d;
}

static int run_conv(const modc_step_conv *s, void *const *args, float *ws, modc_pool *pool) {
  modc_conv_desc d = modc_step_conv_desc(s);
  int i = 2;
  const float *bias = s->hasBias ? F(i++) : NULL;
  const float *residual = s->hasResidual ? F(i++) : NULL;
  return modc_conv2d(&d, F(0), F(1), bias, residual, F(i), ws, pool);
}

static int run_mod_conv(const modc_step_mod_conv *s, void *const *args, float *ws, modc_pool *pool) {
  modc_conv_desc d = modc_step_mod_conv_desc(s);
  modc_conv_mod m;
  int i = 2;
  const float *bias = s->conv.hasBias ? F(i++) : NULL;
  const int64_t *idx = L(i++);
  memset(&m, 0, sizeof m);
  if (s->gatherChannels > 0) {
    m.in_idx = idx;
    m.x_channels = I(s->gatherChannels);
  }
  if (s->fuseChannels > 0) {
    m.fuse = 1;
    m.mode = s->fuseScatter ? MODC_MOD_SCATTER : MODC_MOD_FIRST_K;
    m.y_channels = I(s->fuseChannels);
    m.out_idx = idx;
    m.res = F(i++);
    m.scores = F(i++);
  }
  return modc_conv2d_mod(&d, &m, F(0), F(1), bias, F(i), ws, pool);
}

static int run_binary(const modc_step_binary *s, void *const *args) {
  int r, dense = 1;
  int64_t acc = 1;
  if (s->rank < 0 || s->rank > MODC_MAX_RANK) return MODC_EINVAL;
  for (r = I(s->rank) - 1; r >= 0; r--) {
    if (s->aStrides[r] != acc || s->bStrides[r] != acc) dense = 0;
    acc *= s->shape[r];
  }
  if (dense) {
    modc_binary(I(s->op), (size_t)acc, F(0), F(1), F(2));
    return MODC_OK;
  }
  return modc_binary_strided(I(s->op), I(s->rank), s->shape, F(0), s->aStrides, F(1), s->bStrides, F(2));
}

static int run_copy(const modc_step_copy *s, void *const *args, modc_pool *pool) {
  return modc_copy_nd_mt(I(s->rank), s->shape, F(0) + s->srcOffset, s->srcStrides, F(1) + s->dstOffset,
                         s->dstStrides, pool);
}

static void run_fill(const modc_step_fill *s, void *const *args) {
  uint32_t bits = (uint32_t)s->value;
  float v;
  memcpy(&v, &bits, sizeof v);
  modc_fill((size_t)s->count, v, F(0) + s->offset);
}

int modc_step_run(int kind, const void *desc, void *const *args, float *ws, modc_pool *pool) {
  switch (kind) {
  case MODC_STEP_CONV: return run_conv((const modc_step_conv *)desc, args, ws, pool);
  case MODC_STEP_MOD_CONV: return run_mod_conv((const modc_step_mod_conv *)desc, args, ws, pool);
  case MODC_STEP_FC: {
    const modc_step_fc *s = (const modc_step_fc *)desc;
    modc_fc(I(s->batch), I(s->inFeatures), I(s->outFeatures), F(0), F(1), s->hasBias ? F(2) : NULL, s->relu != 0,
            F(s->hasBias ? 3 : 2), ws, pool);
    return MODC_OK;
  }
  case MODC_STEP_MAXPOOL: {
    modc_pool2d_desc d = modc_step_pool_desc((const modc_step_pool *)desc);
    return modc_maxpool2d(&d, F(0), F(1), pool);
  }
  case MODC_STEP_AVGPOOL: {
    modc_pool2d_desc d = modc_step_pool_desc((const modc_step_pool *)desc);
    return modc_avgpool2d(&d, F(0), F(1), pool);
  }
  case MODC_STEP_GAP: {
    const modc_step_gap *s = (const modc_step_gap *)desc;
    modc_global_avgpool(I(s->planes), I(s->hw), F(0), F(1));
    return MODC_OK;
  }
  case MODC_STEP_BINARY: return run_binary((const modc_step_binary *)desc, args);
  case MODC_STEP_RELU: modc_relu((size_t)((const modc_step_unary *)desc)->count, F(0), F(1)); return MODC_OK;
  case MODC_STEP_SIGMOID: modc_sigmoid((size_t)((const modc_step_unary *)desc)->count, F(0), F(1)); return MODC_OK;
  case MODC_STEP_SOFTMAX: {
    const modc_step_softmax *s = (const modc_step_softmax *)desc;
    modc_softmax(I(s->rows), I(s->cols), F(0), F(1));
    return MODC_OK;
  }
  case MODC_STEP_BATCHNORM: {
    const modc_step_batchnorm *s = (const modc_step_batchnorm *)desc;
    modc_batchnorm(I(s->n), I(s->c), I(s->hw), F(0), F(1), F(2), F(3));
    return MODC_OK;
  }
  case MODC_STEP_COPY: return run_copy((const modc_step_copy *)desc, args, pool);
  case MODC_STEP_FILL: run_fill((const modc_step_fill *)desc, args); return MODC_OK;
  case MODC_STEP_MOD_ROUTER: {
    const modc_step_mod_router *s = (const modc_step_mod_router *)desc;
    return modc_mod_router_mt(I(s->b), I(s->c), I(s->hw), F(0), F(1), F(2), I(s->hidden), F(3), F(4), I(s->k), L(5),
                              F(6), ws, pool);
  }
  case MODC_STEP_MOD_GATHER: {
    const modc_step_mod_gather *s = (const modc_step_mod_gather *)desc;
    return modc_mod_gather(I(s->b), I(s->c), I(s->hw), F(0), L(1), I(s->k), F(2));
  }
  case MODC_STEP_MOD_FUSE: {
    const modc_step_mod_fuse *s = (const modc_step_mod_fuse *)desc;
    return modc_mod_fuse(I(s->b), I(s->c), I(s->hw), F(0), F(1), F(2), L(3), I(s->k),
                         s->scatter ? MODC_MOD_SCATTER : MODC_MOD_FIRST_K, s->relu != 0, F(4));
  }
  case MODC_STEP_TOPK: {
    const modc_step_topk *s = (const modc_step_topk *)desc;
    return modc_topk(I(s->outer), I(s->n), I(s->inner), I(s->k), s->largest != 0, F(0), F(1), L(2));
  }
  case MODC_STEP_GATHER_ELEMENTS: {
    const modc_step_gather_elements *s = (const modc_step_gather_elements *)desc;
    return modc_gather_elements(I(s->outer), I(s->n), I(s->inner), I(s->m), F(0), L(1), F(2));
  }
  case MODC_STEP_SCATTER_ELEMENTS: {
    const modc_step_scatter_elements *s = (const modc_step_scatter_elements *)desc;
    return modc_scatter_elements(I(s->outer), I(s->n), I(s->inner), I(s->m), F(0), L(1), F(2), s->add != 0, F(3));
  }
  case MODC_STEP_GATHER: {
    const modc_step_gather *s = (const modc_step_gather *)desc;
    return modc_gather(I(s->outer), I(s->n), I(s->inner), I(s->count), F(0), L(1), F(2));
  }
  default: return MODC_EINVAL;
  }
}

size_t modc_step_workspace_size(int kind, const void *desc, int nthreads) {
  switch (kind) {
  case MODC_STEP_CONV: {
    modc_conv_desc d = modc_step_conv_desc((const modc_step_conv *)desc);
    return modc_conv2d_workspace_size(&d, nthreads);
  }
  case MODC_STEP_MOD_CONV: {
    modc_conv_desc d = modc_step_mod_conv_desc((const modc_step_mod_conv *)desc);
    return modc_conv2d_mod_workspace_size(&d, nthreads);
  }
  case MODC_STEP_FC: {
    const modc_step_fc *s = (const modc_step_fc *)desc;
    return modc_fc_workspace_size(I(s->batch), I(s->inFeatures), I(s->outFeatures), nthreads);
  }
  case MODC_STEP_MOD_ROUTER: {
    const modc_step_mod_router *s = (const modc_step_mod_router *)desc;
    return modc_mod_router_mt_scratch_size(I(s->b), I(s->c), I(s->hidden));
  }
  default: return 0;
  }
}

/* Field tables: the names are the struct members themselves (a misspelt entry does not compile). */
#define FIELD(type, member) {#member, (int)(offsetof(type, member) / 8), (int)(sizeof(((type *)0)->member) / 8)}
/* A member of the nested struct `group`, named "group.member". */
#define GROUP_FIELD(type, group, member)                                                                        \
  {#group "." #member, (int)(offsetof(type, group.member) / 8), (int)(sizeof(((type *)0)->group.member) / 8)}
#define CONV_FIELDS(X)                                                                                         \
  X(n), X(cIn), X(h), X(w), X(cOut), X(kh), X(kw), X(strideH), X(strideW), X(padTop), X(padLeft), X(padBottom), \
      X(padRight), X(dilH), X(dilW), X(groups), X(relu), X(hasBias), X(hasResidual), X(outH), X(outW), X(algo)
#define CONV_FIELD(m) FIELD(modc_step_conv, m)
#define MOD_CONV_FIELD(m) GROUP_FIELD(modc_step_mod_conv, conv, m)

static const modc_step_field conv_fields[] = {CONV_FIELDS(CONV_FIELD)};
static const modc_step_field mod_conv_fields[] = {
    CONV_FIELDS(MOD_CONV_FIELD), FIELD(modc_step_mod_conv, gatherChannels), FIELD(modc_step_mod_conv, fuseChannels),
    FIELD(modc_step_mod_conv, fuseScatter), FIELD(modc_step_mod_conv, fuseRelu)};
static const modc_step_field fc_fields[] = {FIELD(modc_step_fc, batch), FIELD(modc_step_fc, inFeatures),
                                            FIELD(modc_step_fc, outFeatures), FIELD(modc_step_fc, hasBias),
                                            FIELD(modc_step_fc, relu)};
static const modc_step_field pool_fields[] = {
    FIELD(modc_step_pool, n),         FIELD(modc_step_pool, c),          FIELD(modc_step_pool, h),
    FIELD(modc_step_pool, w),         FIELD(modc_step_pool, kh),         FIELD(modc_step_pool, kw),
    FIELD(modc_step_pool, strideH),   FIELD(modc_step_pool, strideW),    FIELD(modc_step_pool, padTop),
    FIELD(modc_step_pool, padLeft),   FIELD(modc_step_pool, padBottom),  FIELD(modc_step_pool, padRight),
    FIELD(modc_step_pool, dilH),      FIELD(modc_step_pool, dilW),       FIELD(modc_step_pool, ceilMode),
    FIELD(modc_step_pool, countIncludePad), FIELD(modc_step_pool, outH), FIELD(modc_step_pool, outW)};
static const modc_step_field gap_fields[] = {FIELD(modc_step_gap, planes), FIELD(modc_step_gap, hw)};
static const modc_step_field binary_fields[] = {FIELD(modc_step_binary, op), FIELD(modc_step_binary, rank),
                                                FIELD(modc_step_binary, shape), FIELD(modc_step_binary, aStrides),
                                                FIELD(modc_step_binary, bStrides)};
static const modc_step_field unary_fields[] = {FIELD(modc_step_unary, count)};
static const modc_step_field softmax_fields[] = {FIELD(modc_step_softmax, rows), FIELD(modc_step_softmax, cols)};
static const modc_step_field batchnorm_fields[] = {FIELD(modc_step_batchnorm, n), FIELD(modc_step_batchnorm, c),
                                                   FIELD(modc_step_batchnorm, hw)};
static const modc_step_field copy_fields[] = {FIELD(modc_step_copy, rank),       FIELD(modc_step_copy, srcOffset),
                                              FIELD(modc_step_copy, dstOffset),  FIELD(modc_step_copy, shape),
                                              FIELD(modc_step_copy, srcStrides), FIELD(modc_step_copy, dstStrides)};
static const modc_step_field fill_fields[] = {FIELD(modc_step_fill, count), FIELD(modc_step_fill, offset),
                                              FIELD(modc_step_fill, value)};
static const modc_step_field router_fields[] = {FIELD(modc_step_mod_router, b), FIELD(modc_step_mod_router, c),
                                                FIELD(modc_step_mod_router, hw), FIELD(modc_step_mod_router, hidden),
                                                FIELD(modc_step_mod_router, k)};
static const modc_step_field mod_gather_fields[] = {FIELD(modc_step_mod_gather, b), FIELD(modc_step_mod_gather, c),
                                                    FIELD(modc_step_mod_gather, hw), FIELD(modc_step_mod_gather, k)};
static const modc_step_field mod_fuse_fields[] = {FIELD(modc_step_mod_fuse, b),       FIELD(modc_step_mod_fuse, c),
                                                  FIELD(modc_step_mod_fuse, hw),      FIELD(modc_step_mod_fuse, k),
                                                  FIELD(modc_step_mod_fuse, scatter), FIELD(modc_step_mod_fuse, relu)};
static const modc_step_field topk_fields[] = {FIELD(modc_step_topk, outer), FIELD(modc_step_topk, n),
                                              FIELD(modc_step_topk, inner), FIELD(modc_step_topk, k),
                                              FIELD(modc_step_topk, largest)};
static const modc_step_field gather_elements_fields[] = {
    FIELD(modc_step_gather_elements, outer), FIELD(modc_step_gather_elements, n),
    FIELD(modc_step_gather_elements, inner), FIELD(modc_step_gather_elements, m)};
static const modc_step_field scatter_elements_fields[] = {
    FIELD(modc_step_scatter_elements, outer), FIELD(modc_step_scatter_elements, n),
    FIELD(modc_step_scatter_elements, inner), FIELD(modc_step_scatter_elements, m),
    FIELD(modc_step_scatter_elements, add)};
static const modc_step_field gather_fields[] = {FIELD(modc_step_gather, outer), FIELD(modc_step_gather, n),
                                                FIELD(modc_step_gather, inner), FIELD(modc_step_gather, count)};

#define TABLE(t, type) *count = (int)(sizeof t / sizeof t[0]); if (bytes) *bytes = sizeof(type); return t

static const modc_step_field *fields_of(int kind, int *count, size_t *bytes) {
  switch (kind) {
  case MODC_STEP_CONV: TABLE(conv_fields, modc_step_conv);
  case MODC_STEP_MOD_CONV: TABLE(mod_conv_fields, modc_step_mod_conv);
  case MODC_STEP_FC: TABLE(fc_fields, modc_step_fc);
  case MODC_STEP_MAXPOOL:
  case MODC_STEP_AVGPOOL: TABLE(pool_fields, modc_step_pool);
  case MODC_STEP_GAP: TABLE(gap_fields, modc_step_gap);
  case MODC_STEP_BINARY: TABLE(binary_fields, modc_step_binary);
  case MODC_STEP_RELU:
  case MODC_STEP_SIGMOID: TABLE(unary_fields, modc_step_unary);
  case MODC_STEP_SOFTMAX: TABLE(softmax_fields, modc_step_softmax);
  case MODC_STEP_BATCHNORM: TABLE(batchnorm_fields, modc_step_batchnorm);
  case MODC_STEP_COPY: TABLE(copy_fields, modc_step_copy);
  case MODC_STEP_FILL: TABLE(fill_fields, modc_step_fill);
  case MODC_STEP_MOD_ROUTER: TABLE(router_fields, modc_step_mod_router);
  case MODC_STEP_MOD_GATHER: TABLE(mod_gather_fields, modc_step_mod_gather);
  case MODC_STEP_MOD_FUSE: TABLE(mod_fuse_fields, modc_step_mod_fuse);
  case MODC_STEP_TOPK: TABLE(topk_fields, modc_step_topk);
  case MODC_STEP_GATHER_ELEMENTS: TABLE(gather_elements_fields, modc_step_gather_elements);
  case MODC_STEP_SCATTER_ELEMENTS: TABLE(scatter_elements_fields, modc_step_scatter_elements);
  case MODC_STEP_GATHER: TABLE(gather_fields, modc_step_gather);
  default: *count = 0; if (bytes) *bytes = 0; return NULL;
  }
}

const modc_step_field *modc_step_fields(int kind, int *count) {
  int n;
  const modc_step_field *f = fields_of(kind, &n, NULL);
  if (count) *count = n;
  return f;
}

size_t modc_step_desc_size(int kind) {
  int n;
  size_t bytes;
  fields_of(kind, &n, &bytes);
  return bytes;
}
