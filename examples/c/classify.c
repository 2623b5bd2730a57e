/*
 * classify — load a compiled modc plan with libmodc_runtime, run it once, print the top-5 classes.
 *
 *   classify MODEL.modplan [INPUT.npy] [--threads N] [--reference OUTPUT.npy] [--memory]
 *            [--compile MODEL.onnx [--target ISA] [--mod-every N --capacity C]]
 *
 * Without INPUT.npy the input is a synthetic tensor (a fixed pseudo-random pattern). --reference compares the first
 * output with a reference .npy and prints max|out - ref| / max|ref|. --memory reads the file into memory and opens
 * it with modc_session_open_memory instead of modc_session_open. --compile first compiles MODEL.onnx into
 * MODEL.modplan in this process with modc_compile (no modc binary needed).
 * Build: see the Makefile next to this file (pkg-config modc_runtime).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modc_runtime.h>

/* Prints the library's message for a failed call and exits. */
static void check(int status, const char *what) {
  if (status != MODC_OK) {
    fprintf(stderr, "classify: %s failed (%d): %s\n", what, status, modc_last_error());
    exit(1);
  }
}

/* Reads a whole file; returns NULL on error. */
static void *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *buf = NULL;
  /* 64-byte aligned so the image could also be borrowed (MODC_MEMORY_BORROW). */
  if (n > 0 && posix_memalign(&buf, 64, (size_t)n) == 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return buf;
}

/* Loads a little-endian float32 C-order .npy of exactly `count` elements into `dst`. Returns 0 on success. */
static int load_npy_f32(const char *path, float *dst, size_t count) {
  size_t size = 0;
  unsigned char *b = read_file(path, &size);
  if (!b) return fprintf(stderr, "classify: cannot read %s\n", path), -1;
  int rc = -1;
  if (size >= 10 && memcmp(b, "\x93NUMPY", 6) == 0) {
    size_t hlen = b[6] == 1 ? (size_t)(b[8] | b[9] << 8) : (size_t)(b[8] | b[9] << 8 | b[10] << 16 | b[11] << 24);
    size_t start = (b[6] == 1 ? 10 : 12) + hlen;
    const char *h = (const char *)b + (b[6] == 1 ? 10 : 12);
    int f32 = strstr(h, "'<f4'") != NULL && strstr(h, "'fortran_order': False") != NULL;
    if (!f32) fprintf(stderr, "classify: %s is not a little-endian float32 C-order array\n", path);
    else if (start > size || (size - start) / 4 != count) {
      fprintf(stderr, "classify: %s has %zu elements, the model needs %zu\n", path, (size - start) / 4, count);
    } else {
      memcpy(dst, b + start, count * 4);
      rc = 0;
    }
  } else {
    fprintf(stderr, "classify: %s is not a .npy file\n", path);
  }
  free(b);
  return rc;
}

int main(int argc, char **argv) {
  const char *plan = NULL, *input = NULL, *reference = NULL, *source = NULL;
  int threads = 0, memory = 0;
  modc_compile_options options;
  modc_compile_options_init(&options);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--compile") == 0 && i + 1 < argc) source = argv[++i];
    else if (strcmp(argv[i], "--target") == 0 && i + 1 < argc) options.target = argv[++i];
    else if (strcmp(argv[i], "--mod-every") == 0 && i + 1 < argc) options.mod_every = atoi(argv[++i]);
    else if (strcmp(argv[i], "--capacity") == 0 && i + 1 < argc) options.capacity = atoi(argv[++i]);
    else if (strcmp(argv[i], "--reference") == 0 && i + 1 < argc) reference = argv[++i];
    else if (strcmp(argv[i], "--memory") == 0) memory = 1;
    else if (!plan) plan = argv[i];
    else if (!input) input = argv[i];
    else return fprintf(stderr, "classify: unexpected argument %s\n", argv[i]), 2;
  }
  if (!plan) {
    fprintf(stderr, "usage: classify MODEL.modplan [INPUT.npy] [--threads N] [--reference OUTPUT.npy] [--memory]\n"
                    "                [--compile MODEL.onnx [--target ISA] [--mod-every N --capacity C]]\n");
    return 2;
  }
  if (source) {
    check(modc_compile(source, &options, plan), "modc_compile");
    printf("compiled %s -> %s (target %s)\n", source, plan, options.target ? options.target : "native");
  }

  modc_session *session = NULL;
  if (memory) {
    size_t size = 0;
    void *image = read_file(plan, &size);
    if (!image) return fprintf(stderr, "classify: cannot read %s\n", plan), 1;
    check(modc_session_open_memory(image, size, MODC_MEMORY_COPY, &session), "modc_session_open_memory");
    free(image); /* copied: no longer needed */
  } else {
    check(modc_session_open(plan, &session), "modc_session_open");
  }

  size_t n_in = 0, n_out = 0;
  check(modc_session_input_count(session, &n_in), "input_count");
  check(modc_session_output_count(session, &n_out), "output_count");
  if (n_in != 1) return fprintf(stderr, "classify: expected a model with one input, got %zu\n", n_in), 1;

  const char *in_name = NULL;
  size_t rank = 0, in_bytes = 0;
  const int64_t *dims = NULL;
  modc_dtype dtype;
  check(modc_session_input_name(session, 0, &in_name), "input_name");
  check(modc_session_input_shape(session, 0, &rank, &dims), "input_shape");
  check(modc_session_input_dtype(session, 0, &dtype), "input_dtype");
  check(modc_session_input_byte_size(session, 0, &in_bytes), "input_byte_size");
  if (dtype != MODC_DTYPE_FLOAT32) return fprintf(stderr, "classify: input is not float32\n"), 1;
  printf("modc runtime %s; input '%s' float32[", modc_version(), in_name);
  for (size_t d = 0; d < rank; d++) printf("%s%lld", d ? "," : "", (long long)dims[d]);
  printf("]\n");

  size_t in_count = in_bytes / sizeof(float);
  float *x = malloc(in_bytes ? in_bytes : 1);
  if (input) {
    if (load_npy_f32(input, x, in_count) != 0) return 1;
  } else {
    for (size_t i = 0; i < in_count; i++) x[i] = (float)sin(0.1 * (double)i);
  }

  void **outs = calloc(n_out, sizeof(void *));
  size_t *out_bytes = calloc(n_out, sizeof(size_t));
  for (size_t o = 0; o < n_out; o++) {
    check(modc_session_output_byte_size(session, o, &out_bytes[o]), "output_byte_size");
    outs[o] = malloc(out_bytes[o] ? out_bytes[o] : 1);
  }

  modc_context *ctx = NULL;
  check(modc_context_create(session, threads, &ctx), "modc_context_create");
  const void *ins[1] = {x};
  check(modc_context_run(ctx, ins, 1, outs, n_out), "modc_context_run");

  const char *out_name = NULL;
  check(modc_session_output_name(session, 0, &out_name), "output_name");
  const float *y = outs[0];
  size_t classes = out_bytes[0] / sizeof(float);
  printf("top-5 of '%s' (%zu values):\n", out_name, classes);
  int taken[5] = {-1, -1, -1, -1, -1};
  for (int k = 0; k < 5 && k < (int)classes; k++) {
    int best = -1;
    for (size_t c = 0; c < classes; c++) {
      int used = 0;
      for (int j = 0; j < k; j++) used |= taken[j] == (int)c;
      if (!used && (best < 0 || y[c] > y[best])) best = (int)c;
    }
    taken[k] = best;
    printf("  %d: class %d  %.6f\n", k + 1, best, y[best]);
  }

  int rc = 0;
  if (reference) {
    float *ref = malloc(out_bytes[0] ? out_bytes[0] : 1);
    if (load_npy_f32(reference, ref, classes) != 0) return 1;
    double diff = 0, scale = 0;
    for (size_t c = 0; c < classes; c++) {
      diff = fmax(diff, fabs((double)y[c] - ref[c]));
      scale = fmax(scale, fabs((double)ref[c]));
    }
    double rel = scale > 0 ? diff / scale : diff;
    printf("max_rel_diff %.3e\n", rel);
    rc = rel <= 1e-4 ? 0 : 3;
    free(ref);
  }

  modc_context_destroy(ctx);
  modc_session_close(session);
  for (size_t o = 0; o < n_out; o++) free(outs[o]);
  free(outs);
  free(out_bytes);
  free(x);
  return rc;
}
