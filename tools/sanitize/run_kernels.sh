#!/usr/bin/env bash
# Builds Sources/CKernels/*.c + tools/sanitize/kernels_asan.c with AddressSanitizer and UBSan (abort on the
# first report) and runs the driver. Usage: tools/sanitize/run_kernels.sh [OUT_DIR]   (CC overrides the compiler)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/.build/sanitize-kernels}"
cc="${CC:-cc}"
mkdir -p "$out"
"$cc" -std=c11 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
  -I "$root/Sources/CKernels/include" -I "$root/Sources/CKernels" \
  "$root"/Sources/CKernels/*.c "$root/tools/sanitize/kernels_asan.c" -o "$out/kernels_asan" -lpthread -lm
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 "$out/kernels_asan"
