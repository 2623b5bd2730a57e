#!/usr/bin/env bash
# Builds and runs one libFuzzer target of modc's readers of untrusted input.
#
#   tools/fuzz.sh FORMAT [SECONDS]      FORMAT: onnx | text | plan | npy | npz | all (default 60 s each)
#
# The targets live in a separate package (Fuzz/Package.swift) that depends on this one by path, built with
# `-sanitize=fuzzer,address` (the Swift toolchain ships its own libclang_rt.fuzzer). A seed corpus is written to
# build/fuzz-corpus/FORMAT from the fixtures (../shared/fixtures, when present) and small generated files;
# findings (crash-*, timeout-*, oom-*) land in build/fuzz-findings/FORMAT. Replay one with
#   build/fuzz-package/.build/debug/fuzz-FORMAT build/fuzz-findings/FORMAT/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FORMAT=${1:?usage: tools/fuzz.sh onnx|text|plan|npy|npz|all [SECONDS]}
SECONDS_PER=${2:-60}
SWIFT=${SWIFT:-swift}

if [ "$FORMAT" = all ]; then
  for f in onnx text plan npy npz; do "$0" "$f" "$SECONDS_PER"; done
  exit 0
fi
case "$FORMAT" in onnx|text|plan|npy|npz) ;; *) echo "unknown format '$FORMAT'" >&2; exit 2 ;; esac

# The nearest ancestor's shared/fixtures (worktrees sit one level deeper than the main checkout).
FIXTURES=""
d=$ROOT
while [ "$d" != / ]; do
  d=$(dirname "$d")
  if [ -d "$d/shared/fixtures" ]; then FIXTURES="$d/shared/fixtures"; break; fi
done

CORPUS=$ROOT/build/fuzz-corpus/$FORMAT
FINDINGS=$ROOT/build/fuzz-findings/$FORMAT
mkdir -p "$CORPUS" "$FINDINGS"

# Build from build/fuzz-package (Fuzz/'s manifest and targets) so the package's identity never equals the main
# package's (both would be "fuzz" in a checkout named fuzz); it has its own .build with sanitized objects.
PKG=$ROOT/build/fuzz-package
mkdir -p "$PKG"
cp -f Fuzz/Package.swift "$PKG/Package.swift"
ln -sfn "$ROOT/Fuzz/Targets" "$PKG/Targets"
ln -sfn "$ROOT/Fuzz/LibFuzzerMain" "$PKG/LibFuzzerMain"
export MODC_ROOT=$ROOT
FLAGS=(-c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)  # gold crashes on these objects
echo "== building fuzz-$FORMAT (debug, -sanitize=fuzzer,address)" >&2
$SWIFT build --package-path "$PKG" "${FLAGS[@]}" --product "fuzz-$FORMAT" >&2
BIN=$("$SWIFT" build --package-path "$PKG" "${FLAGS[@]}" --show-bin-path)/fuzz-$FORMAT

# Seed corpus: fixtures (small ones whole; resnet18 is too big for libFuzzer's default -max_len and is skipped),
# plus generated seeds (text IR printed by modc, a plan, npy files).
if [ -n "$FIXTURES" ]; then
  case "$FORMAT" in
    onnx) cp -f "$FIXTURES"/cifar_resnet20_op17.onnx "$CORPUS"/ 2>/dev/null || true
          cp -f "$FIXTURES"/mod/*.onnx "$CORPUS"/ 2>/dev/null || true ;;
    npy)  cp -f "$FIXTURES"/*.npy "$FIXTURES"/mod/*.npy "$CORPUS"/ 2>/dev/null || true ;;
    npz)  cp -f "$FIXTURES"/mod/*.npz "$CORPUS"/ 2>/dev/null || true ;;
  esac
fi
# Generated seeds (small models, printed text IR, plans, npy/npz) come from the Swift test target.
if [ ! -e "$CORPUS/seed-0" ]; then
  FUZZ_CORPUS_DIR=$ROOT/build/fuzz-corpus $SWIFT test --filter 'FuzzTests.CorpusExport' >&2 \
    || echo "(generated seeds skipped)" >&2
fi

MAX_LEN=$((2 * 1024 * 1024))
echo "== running fuzz-$FORMAT for ${SECONDS_PER}s; corpus $CORPUS" >&2
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1} \
  "$BIN" "$CORPUS" -max_total_time="$SECONDS_PER" -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=4096 \
  -artifact_prefix="$FINDINGS/" -print_final_stats=1
