#!/usr/bin/env bash
# Front-end and start-up costs on ResNet-50 (issue 3/4/5 numbers): load + verify + shape inference, convert (plain
# and MoD), export-onnx, and plan start-up. Prints wall and CPU seconds and peak RSS for each.
#   tools/bench_load.sh [MODC] [MODEL.onnx]
set -euo pipefail
cd "$(dirname "$0")/.."
MODC=${1:-.build/release/modc}
M=${2:-build/bench-models/resnet50_op17.onnx}
[ -f "$M" ] || M=build/models/resnet50_op17.onnx
[ -f "$M" ] || { python3 tools/models/gen_models.py build/bench-models --set bench --only resnet50_op17 >/dev/null; M=build/bench-models/resnet50_op17.onnx; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
size=$(stat -c %s "$M")
printf 'model %s: %.1f MB, load average %s\n\n' "$M" "$(echo "$size / 1000000" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
printf '| step | wall s | CPU s | peak RSS MB | RSS / file |\n|---|---:|---:|---:|---:|\n'
measure() {
  local label=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$TMP/t" "$@" >/dev/null
  read -r wall user sys rss < "$TMP/t"
  printf '| %s | %.2f | %.2f | %.0f | %.2f |\n' "$label" "$wall" "$(echo "$user + $sys" | bc -l)" "$(echo "$rss / 1024" | bc -l)" \
    "$(echo "$rss * 1024 / $size" | bc -l)"
}
measure "load + verify + infer shapes (modc verify M.onnx)" "$MODC" verify "$M"
measure "convert (plain)" "$MODC" convert "$M" -o "$TMP/p.modplan" --quiet
measure "convert --mod-every 2 --capacity 64" "$MODC" convert "$M" --mod-every 2 --capacity 64 -o "$TMP/m.modplan" --quiet
measure "export-onnx --mod-every 2 --capacity 64" "$MODC" export-onnx "$M" --mod-every 2 --capacity 64 -o "$TMP/m.onnx" --quiet
measure "plan start-up (modc verify M.modplan: mmap + checksums + validation)" "$MODC" verify "$TMP/p.modplan"
echo
"$MODC" verify "$TMP/p.modplan" | grep validated_ms | sed 's/^ */plan /'
"$MODC" verify "$M" | grep validated_ms | sed 's/^ */model /'
