# modc — top-level tasks. `make demo` and `make test` work on a fresh Debian machine with Swift 6.3:
# both install missing Debian/PyPI packages first (tools/deps.sh).
SWIFT       ?= swift
BUILD_DIR   ?= build
MODELS      ?= $(BUILD_DIR)/models
MODC_DEBUG   = .build/debug/modc
MODC         = .build/release/modc
PY          ?= python3

.PHONY: all deps build release demo test models bench clean

all: release

deps:
	@bash tools/deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

models: deps
	$(PY) tools/models/gen_models.py $(MODELS) --set test

# The first thing a new user runs: build, look at an example ResNet, convert it with MoD, run it, emit C.
demo: release
	@bash examples/demo.sh $(MODC)

# Everything CI runs. Generates the test models (never downloaded), then runs the Swift Testing suite.
test: deps models
	$(SWIFT) build --build-tests
	MODC_MODELS=$(abspath $(MODELS)) MODC_REQUIRE_MODELS=1 $(SWIFT) test --skip-build

BENCH_MODELS ?= $(BUILD_DIR)/bench-models

# modc (plan and emitted C) vs onnxruntime in the same run; writes build/bench.md.
bench: release
	$(PY) tools/models/gen_models.py $(BENCH_MODELS) --set bench
	$(PY) tools/bench.py --modc $(MODC) --models $(BENCH_MODELS)

clean:
	rm -rf .build $(BUILD_DIR)

# libFuzzer campaigns over every reader of untrusted input (onnx, text, plan, npy, npz), SECONDS each.
SECONDS ?= 60
.PHONY: fuzz
fuzz:
	bash tools/fuzz.sh all $(SECONDS)

# ---- Embedding (issue 11): libmodc_runtime + header + pkg-config file + modc, into $(DESTDIR)$(PREFIX) ----------------
# `make install PREFIX=$HOME/.local` needs no root. INSTALL_CONFIG=debug installs the debug build instead;
# `make install-files` only copies what is already built (the Swift tests use it while SwiftPM holds .build).
PREFIX            ?= /usr/local
DESTDIR           ?=
INSTALL_CONFIG    ?= release
MODC_VERSION      ?= 0.1.0
SWIFT_RUNTIME_DIR ?= $(shell $(SWIFT) -print-target-info 2>/dev/null | $(PY) -c 'import json,sys; print(json.load(sys.stdin)["paths"]["runtimeLibraryPaths"][0])' 2>/dev/null)
INSTALL_FROM       = .build/$(INSTALL_CONFIG)
INSTALL_ROOT       = $(DESTDIR)$(PREFIX)

.PHONY: install install-files python-test

install: deps
	$(SWIFT) build -c $(INSTALL_CONFIG) --product modc
	$(SWIFT) build -c $(INSTALL_CONFIG) --product modc_runtime
	-$(SWIFT) build -c $(INSTALL_CONFIG) --product modc_runtime_static
	$(MAKE) install-files PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" INSTALL_CONFIG="$(INSTALL_CONFIG)"

install-files:
	@test -f $(INSTALL_FROM)/libmodc_runtime.so || { echo "install: $(INSTALL_FROM)/libmodc_runtime.so is missing; run 'make install'" >&2; exit 1; }
	install -d "$(INSTALL_ROOT)/bin" "$(INSTALL_ROOT)/lib/pkgconfig" "$(INSTALL_ROOT)/include"
	install -m 0755 $(INSTALL_FROM)/libmodc_runtime.so "$(INSTALL_ROOT)/lib/libmodc_runtime.so"
	if [ -f $(INSTALL_FROM)/libmodc_runtime_static.a ]; then \
	  install -m 0644 $(INSTALL_FROM)/libmodc_runtime_static.a "$(INSTALL_ROOT)/lib/libmodc_runtime.a" && \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(MODC_VERSION)|g' -e 's|@SWIFT_RUNTIME_DIR@|$(SWIFT_RUNTIME_DIR)|g' \
	    pkgconfig/modc_runtime_static.pc.in > "$(INSTALL_ROOT)/lib/pkgconfig/modc_runtime_static.pc"; fi
	if [ -f $(INSTALL_FROM)/modc ]; then install -m 0755 $(INSTALL_FROM)/modc "$(INSTALL_ROOT)/bin/modc"; fi
	install -m 0644 include/modc_runtime.h "$(INSTALL_ROOT)/include/modc_runtime.h"
	install -d "$(INSTALL_ROOT)/share/modc/kernels"
	install -m 0644 Sources/CKernels/*.c Sources/CKernels/*.h Sources/CKernels/include/*.h "$(INSTALL_ROOT)/share/modc/kernels/"
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(MODC_VERSION)|g' \
	  pkgconfig/modc_runtime.pc.in > "$(INSTALL_ROOT)/lib/pkgconfig/modc_runtime.pc"
	@echo "installed libmodc_runtime into $(INSTALL_ROOT) (PKG_CONFIG_PATH=$(PREFIX)/lib/pkgconfig)"

# The Python package's pytest suite against the debug build (also run by `make test` through EmbeddingTests).
python-test: build
	$(SWIFT) build --product modc_runtime
	MODC_RUNTIME_LIB=$(abspath .build/debug/libmodc_runtime.so) MODC_BIN=$(abspath $(MODC_DEBUG)) \
	  MODC_MODELS=$(abspath $(MODELS)) $(PY) -m pytest -q python/tests

# Sanitizers (not part of `make test`: each is a full separate build). The C kernels alone under ASan+UBSan run in
# `make test` (ReliabilityTests.KernelSanitizerTests); here the whole package runs ReliabilityTests under Swift's
# thread sanitizer, then under the address sanitizer (C code too). Results: build/sanitize-{thread,address}.log.
SANITIZE_TESTS ?= ReliabilityTests
.PHONY: sanitize sanitize-thread sanitize-address sanitize-kernels
sanitize: sanitize-kernels sanitize-thread sanitize-address

sanitize-kernels:
	bash tools/sanitize/run_kernels.sh .build/sanitize-kernels

sanitize-thread:
	@mkdir -p $(BUILD_DIR)
	$(SWIFT) build --build-tests --scratch-path .build/sanitize-thread -Xswiftc -sanitize=thread -Xcc -fsanitize=thread
	TSAN_OPTIONS=halt_on_error=1 MODC_SCALE_BOUND=600 MODC_MODELS=$(abspath $(MODELS)) $(SWIFT) test --skip-build \
	  --scratch-path .build/sanitize-thread --filter $(SANITIZE_TESTS) > $(BUILD_DIR)/sanitize-thread.log 2>&1; \
	  rc=$$?; tail -n 40 $(BUILD_DIR)/sanitize-thread.log; exit $$rc

sanitize-address:
	@mkdir -p $(BUILD_DIR)
	$(SWIFT) build --build-tests --scratch-path .build/sanitize-address -Xswiftc -sanitize=address -Xcc -fsanitize=address
	ASAN_OPTIONS=detect_leaks=0 MODC_SCALE_BOUND=600 MODC_MODELS=$(abspath $(MODELS)) $(SWIFT) test --skip-build \
	  --scratch-path .build/sanitize-address --filter $(SANITIZE_TESTS) > $(BUILD_DIR)/sanitize-address.log 2>&1; \
	  rc=$$?; tail -n 40 $(BUILD_DIR)/sanitize-address.log; exit $$rc
