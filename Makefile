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
