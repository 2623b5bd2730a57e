/// Writes the project's driver and build files: `main.c` (`.npy` in → `.npy` out), `Makefile` and `CMakeLists.txt`.
struct DriverEmitter {
  let options: EmitCOptions
  /// Kernel sources (paths under `kernels/`) the project compiles.
  let kernelSources: [String]

  var p: String { options.name }
  var u: String { options.name.uppercased() }

  func mainSource() -> String {
    var w = CWriter()
    w.comment(provenanceText(options, file: "main.c", what: "command-line driver: .npy input -> .npy output"))
    w.lines(["#define _POSIX_C_SOURCE 199309L", "#include <stdint.h>", "#include <stdio.h>", "#include <stdlib.h>",
      "#include <string.h>", "#include <time.h>", "",
      "#include \"\(p).h\"", "#include \"modc_kernels.h\"", ""])
    w.line("static const long long input_shape[] = \(u)_INPUT_SHAPE;")
    w.line("static const long long output_shape[] = \(u)_OUTPUT_SHAPE;")
    w.line()
    w.block("static int compare_doubles(const void *a, const void *b)") { w in
      w.line("double x = *(const double *)a, y = *(const double *)b;")
      w.line("return (x > y) - (x < y);")
    }
    w.line()
    w.block("static int usage(const char *argv0)") { w in
      w.line("fprintf(stderr, \"usage: %s INPUT.npy OUTPUT.npy [--threads N]"
        + (options.weights == .file ? " [--weights FILE]" : "") + " [--repeat R]\\n\", argv0);")
      w.line("return 2;")
    }
    w.line()
    w.comment("Reads a C-order little-endian float32 .npy file holding exactly `count` elements.")
    w.block("static int read_npy(const char *path, float *data, size_t count)") { w in
      w.line("unsigned char pre[12];")
      w.line("size_t hlen, prefix, n = 1;")
      w.line("char *header, *shape;")
      w.line("FILE *f = fopen(path, \"rb\");")
      w.line("if (!f) return -1;")
      w.block("if (fread(pre, 1, 10, f) != 10 || memcmp(pre, \"\\x93NUMPY\", 6) != 0)") { w in
        w.line("fclose(f);")
        w.line("return -2;")
      }
      w.block("if (pre[6] == 1)") { w in
        w.line("hlen = (size_t)pre[8] | (size_t)pre[9] << 8;")
        w.line("prefix = 10;")
      }
      w.block("else if (fread(pre + 10, 1, 2, f) == 2)", tail: "") { w in
        w.line("hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;")
        w.line("prefix = 12;")
      }
      w.block("else") { w in
        w.line("fclose(f);")
        w.line("return -2;")
      }
      w.line("(void)prefix;")
      w.line("header = (char *)calloc(hlen + 1, 1);")
      w.block("if (!header || fread(header, 1, hlen, f) != hlen)") { w in
        w.line("free(header);")
        w.line("fclose(f);")
        w.line("return -2;")
      }
      w.line("shape = strstr(header, \"'shape':\");")
      w.block("if (!strstr(header, \"'descr': '<f4'\") || !strstr(header, \"'fortran_order': False\") || !shape)") { w in
        w.line("free(header);")
        w.line("fclose(f);")
        w.line("return -3;")
      }
      w.line("shape = strchr(shape, '(');")
      w.block("while (shape && *++shape && *shape != ')')") { w in
        w.block("if (*shape >= '0' && *shape <= '9')") { w in
          w.line("char *end;")
          w.line("n *= (size_t)strtoull(shape, &end, 10);")
          w.line("shape = end - 1;")
        }
      }
      w.line("free(header);")
      w.block("if (n != count || fread(data, sizeof(float), count, f) != count)") { w in
        w.line("fclose(f);")
        w.line("return -4;")
      }
      w.line("fclose(f);")
      w.line("return 0;")
    }
    w.line()
    w.comment("Writes a float32 .npy file (format 1.0, C order).")
    w.block("static int write_npy(const char *path, const float *data, const long long *shape, int rank)") { w in
      w.line("char header[256];")
      w.line("size_t count = 1, len;")
      w.line("int pos = snprintf(header, sizeof header, \"{'descr': '<f4', 'fortran_order': False, 'shape': (\");")
      w.block("for (int i = 0; i < rank; i++)") { w in
        w.line("pos += snprintf(header + pos, sizeof header - (size_t)pos, \"%lld%s\", shape[i], rank == 1 ? \",\" : "
          + "(i + 1 < rank ? \", \" : \"\"));")
        w.line("count *= (size_t)shape[i];")
      }
      w.line("pos += snprintf(header + pos, sizeof header - (size_t)pos, \"), }\");")
      w.line("while ((10 + pos + 1) % 64 != 0) header[pos++] = ' ';")
      w.line("header[pos++] = '\\n';")
      w.line("len = (size_t)pos;")
      w.block("") { w in
        w.line("unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(len & 0xFF), "
          + "(unsigned char)(len >> 8)};")
        w.line("FILE *f = fopen(path, \"wb\");")
        w.line("int ok;")
        w.line("if (!f) return -1;")
        w.line("ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, len, f) == len && "
          + "fwrite(data, sizeof(float), count, f) == count;")
        w.line("if (fclose(f) != 0) ok = 0;")
        w.line("return ok ? 0 : -1;")
      }
    }
    w.line()
    mainFunction(into: &w)
    return w.text
  }

  func mainFunction(into w: inout CWriter) {
    w.block("int main(int argc, char **argv)") { w in
      w.line("int threads = \(u)_DEFAULT_THREADS, repeat = 1, status;")
      w.line("const void *weights = NULL;")
      w.line("void *loaded = NULL;")
      if options.weights == .file {
        w.line("char default_weights[4096];")
        w.line("const char *weights_path = default_weights;")
        w.line("const char *slash = strrchr(argv[0], '/');")
        w.line("/* Default: NAME.weights next to the executable. */")
        w.line("snprintf(default_weights, sizeof default_weights, \"%.*s\(p).weights\", slash ? (int)(slash - argv[0] + 1) : 0, "
          + "argv[0]);")
      }
      w.line("float *input, *output;")
      w.line("void *workspace;")
      w.line("size_t ws_size;")
      w.line("modc_pool *pool = NULL;")
      w.line("if (argc < 3) return usage(argv[0]);")
      w.block("for (int i = 3; i < argc; i++)") { w in
        w.line("if (strcmp(argv[i], \"--threads\") == 0 && i + 1 < argc) threads = atoi(argv[++i]);")
        w.line("else if (strcmp(argv[i], \"--repeat\") == 0 && i + 1 < argc) repeat = atoi(argv[++i]);")
        if options.weights == .file {
          w.line("else if (strcmp(argv[i], \"--weights\") == 0 && i + 1 < argc) weights_path = argv[++i];")
        }
        w.line("else return usage(argv[0]);")
      }
      w.line("if (threads < 1) threads = 1;")
      w.line("if (repeat < 1) repeat = 1;")
      if options.weights == .embed {
        w.line("weights = \(p)_weights();")
      } else {
        w.line("status = \(p)_load_weights(weights_path, &loaded);")
        w.block("if (status != \(u)_OK)") { w in
          w.line("fprintf(stderr, \"%s: cannot load weights '%s' (status %d)\\n\", argv[0], weights_path, status);")
          w.line("return 1;")
        }
        w.line("weights = loaded;")
      }
      w.line("ws_size = \(p)_workspace_size_threads(threads);")
      w.line("input = (float *)malloc(sizeof(float) * \(u)_INPUT_SIZE);")
      w.line("output = (float *)malloc(sizeof(float) * \(u)_OUTPUT_SIZE);")
      w.line("workspace = malloc(ws_size);")
      w.line("if (threads > 1) pool = modc_pool_create(threads);")
      w.block("if (!input || !output || !workspace || (threads > 1 && !pool))") { w in
        w.line("fprintf(stderr, \"%s: out of memory\\n\", argv[0]);")
        w.line("return 1;")
      }
      w.block("if (read_npy(argv[1], input, \(u)_INPUT_SIZE) != 0)") { w in
        w.line("fprintf(stderr, \"%s: '%s' is not a float32 .npy of %d elements (expected shape of '%s')\\n\", argv[0], "
          + "argv[1], \(u)_INPUT_SIZE, \(u)_INPUT_NAME);")
        w.line("return 1;")
      }
      w.line("status = \(u)_OK;")
      w.comment("With --repeat R > 1 the first run warms up and the other R-1 are timed; the median is printed.")
      w.line("double times[1024];")
      w.line("int timed = 0;")
      w.block("for (int r = 0; r < repeat && status == \(u)_OK; r++)") { w in
        w.line("struct timespec t0, t1;")
        w.line("clock_gettime(CLOCK_MONOTONIC, &t0);")
        w.line("status = \(p)_run_with(weights, input, output, workspace, ws_size, pool);")
        w.line("clock_gettime(CLOCK_MONOTONIC, &t1);")
        w.line("if (r > 0 && timed < 1024) times[timed++] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-6;")
      }
      w.block("if (timed > 0)") { w in
        w.line("qsort(times, (size_t)timed, sizeof times[0], compare_doubles);")
        w.line("printf(\"median_ms %.3f min_ms %.3f runs %d threads %d\\n\", times[timed / 2], times[0], timed, threads);")
      }
      w.block("if (status != \(u)_OK)") { w in
        w.line("fprintf(stderr, \"%s: run failed with status %d\\n\", argv[0], status);")
        w.line("return 1;")
      }
      w.block("if (write_npy(argv[2], output, output_shape, \(u)_OUTPUT_RANK) != 0)") { w in
        w.line("fprintf(stderr, \"%s: cannot write '%s'\\n\", argv[0], argv[2]);")
        w.line("return 1;")
      }
      w.line("(void)input_shape;")
      w.line("modc_pool_destroy(pool);")
      if options.weights == .file { w.line("\(p)_free_weights(loaded);") } else { w.line("(void)loaded;") }
      w.line("free(input);")
      w.line("free(output);")
      w.line("free(workspace);")
      w.line("return 0;")
    }
  }

  var sources: [String] { ["\(p).c", "\(p)_weights.c"] + kernelSources.map { "kernels/" + $0 } }

  func makefile() -> String {
    let objs = sources.map { String($0.dropLast(2)) + ".o" }
    return """
      # Makefile - builds \(p)_run (the .npy driver) and lib\(p).a (the model for embedding in your program).
      # Generated by modc \(options.provenance.modcVersion): \(options.provenance.commandLine)
      # Portable C11; the kernels pick AVX2 / AVX-512 paths at run time, so no -march flag is needed.
      #   make                              build with $(CC) (cc) and CFLAGS=-O2
      #   make CC=clang CFLAGS='-O2 -g -fsanitize=address,undefined'
      CC ?= cc
      CFLAGS ?= -O2
      MODC_CFLAGS = -std=c11 -Wall -Wextra -I. -Ikernels
      LDLIBS += -lpthread -lm

      OBJS = \(objs.joined(separator: " \\\n  "))
      HEADERS = \(p).h $(wildcard kernels/*.h)

      all: \(p)_run

      \(p)_run: main.o lib\(p).a
      \t$(CC) $(CFLAGS) $(LDFLAGS) -o $@ main.o lib\(p).a $(LDLIBS)

      lib\(p).a: $(OBJS)
      \trm -f $@
      \t$(AR) rcs $@ $(OBJS)

      %.o: %.c $(HEADERS)
      \t$(CC) $(MODC_CFLAGS) $(CFLAGS) -c -o $@ $<

      clean:
      \trm -f main.o $(OBJS) lib\(p).a \(p)_run

      .PHONY: all clean

      """
  }

  func cmakeLists() -> String {
    """
    # CMakeLists.txt - the same build as the Makefile: library \(p) and the driver \(p)_run.
    # Generated by modc \(options.provenance.modcVersion).
    cmake_minimum_required(VERSION 3.13)
    project(\(p) C)
    set(CMAKE_C_STANDARD 11)
    set(CMAKE_C_STANDARD_REQUIRED ON)
    set(CMAKE_C_EXTENSIONS OFF)
    if(NOT CMAKE_BUILD_TYPE)
      set(CMAKE_BUILD_TYPE Release)
    endif()
    find_package(Threads REQUIRED)
    add_library(\(p) STATIC
      \(sources.joined(separator: "\n  ")))
    target_include_directories(\(p) PUBLIC ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/kernels)
    target_compile_options(\(p) PRIVATE -Wall -Wextra)
    target_link_libraries(\(p) PUBLIC Threads::Threads m)
    add_executable(\(p)_run main.c)
    target_link_libraries(\(p)_run PRIVATE \(p))

    """
  }
}
