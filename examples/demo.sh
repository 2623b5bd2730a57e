#!/usr/bin/env bash
# `make demo`: the tour a new user takes. Builds nothing itself (make does), generates the example ResNets,
# inspects one, inserts Mixture-of-Depths, converts it to a plan, runs it, checks it against onnxruntime,
# then emits C, compiles it and runs that too.
set -euo pipefail
cd "$(dirname "$0")/.."
MODC=${1:-.build/release/modc}
OUT=build/demo
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "Generate the example models (onnx.helper + numpy; nothing is downloaded)"
python3 examples/make_examples.py examples

M=examples/resnet18.onnx
X=examples/resnet18.input.npy

step "The typed IR (first lines)"
show "$MODC" dump "$M" -o "$OUT/resnet18.mir"
head -n 12 "$OUT/resnet18.mir"; echo "  … ($(wc -l < "$OUT/resnet18.mir") lines in $OUT/resnet18.mir; modc accepts this text wherever it accepts ONNX)"

step "Per-layer cost"
show "$MODC" stats "$M" -o "$OUT/resnet18.stats.txt"
tail -n 6 "$OUT/resnet18.stats.txt"

step "Conv-Blocks and MoD eligibility"
show "$MODC" stats "$M" --list-blocks

step "Insert MoD into every 2nd block with capacity 16: MACs plain vs MoD"
show "$MODC" stats "$M" --mod-every 2 --capacity 16 --seed 1

step "Compile to a plan (MoD, seeded router: the warning says it needs training)"
show "$MODC" convert "$M" --mod-every 2 --capacity 16 --seed 1 -o "$OUT/resnet18_mod.modplan"

step "Run the plan"
show "$MODC" run "$OUT/resnet18_mod.modplan" --input "$X"

step "Check modc against onnxruntime on the same MoD model (exported by modc as standard ONNX)"
show "$MODC" export-onnx "$M" --mod-every 2 --capacity 16 --seed 1 -o "$OUT/resnet18_mod.onnx" --quiet
show "$MODC" run "$OUT/resnet18_mod.modplan" --input "$X" -o "$OUT/modc.npy"
show python3 tools/ort_run.py "$OUT/resnet18_mod.onnx" "$X" "$OUT/ort.npy"
show python3 tools/compare.py "$OUT/modc.npy" "$OUT/ort.npy" --tol 1e-4

step "Plain model vs the onnxruntime reference"
show "$MODC" run "$M" --input "$X" -o "$OUT/plain.npy"
show python3 tools/compare.py "$OUT/plain.npy" examples/resnet18.output.npy --tol 1e-4

step "Latency of the plain and the MoD plan"
show "$MODC" convert "$M" -o "$OUT/resnet18.modplan" --quiet
show "$MODC" bench "$OUT/resnet18.modplan" --runs 10
show "$MODC" bench "$OUT/resnet18_mod.modplan" --runs 10

if "$MODC" --help | grep -q "emit-c"; then
  step "Emit self-contained C, compile it and run it"
  show "$MODC" emit-c examples/cifar_resnet20.onnx --mod-every 2 --capacity 16 --seed 1 --name cifar --force -o "$OUT/cifar_c"
  show make -s -C "$OUT/cifar_c"
  show "$OUT/cifar_c/cifar_run" examples/cifar_resnet20.input.npy "$OUT/cifar_c.npy"
  show "$MODC" run examples/cifar_resnet20.onnx --mod-every 2 --capacity 16 --seed 1 --input examples/cifar_resnet20.input.npy -o "$OUT/cifar_plan.npy"
  show python3 tools/compare.py "$OUT/cifar_c.npy" "$OUT/cifar_plan.npy" --tol 1e-5
fi
step "Done: see README.md for every command"
