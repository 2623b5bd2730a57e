#!/usr/bin/env python3
"""Verify a generated model directory (exit status 1 on any failure).

    python3 tools/models/check_models.py OUT_DIR

Checks, per manifest entry: onnx.checker passes; onnxruntime with ALL optimizations reproduces the
stored reference (max|d|/max|ref| <= 1e-4); MACs equal the graph-inferred count; the reference is
O(1) (not blown up, not vanished); torchvision MAC/parameter counts for known architectures at 224;
and every export variant of one architecture/input agrees with the others (same weights, same input).
"""
from __future__ import annotations

import json
import os
import sys
from collections import defaultdict

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_stats import graph_macs  # noqa: E402

# torchvision reference numbers at 1x3x224x224 (MACs = Conv + Gemm; resnet18/50 as published in the
# brief, the others rounded-checked against torchvision's GFLOPS table), and option-A CIFAR (analytic).
GOLDEN = {
    ("resnet18", 224): (1_814_073_344, 11_689_512),
    ("resnet34", 224): (3_663_761_408, 21_797_672),
    ("resnet50", 224): (4_089_184_256, 25_557_032),
    ("resnet101", 224): (7_801_405_440, 44_549_160),
    ("resnet152", 224): (11_513_626_624, 60_192_808),
    ("wide_resnet50_2", 224): (11_398_021_120, 68_883_240),
    ("resnext50_32x4d", 224): (4_230_479_872, 25_028_904),
    ("cifar_resnet20", 32): (40_551_040, 269_722),
}


def rel_err(a: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - ref).max() / max(np.abs(ref).max(), 1e-30))


def main(out_dir: str) -> int:
    import onnxruntime as ort

    with open(os.path.join(out_dir, "manifest.json")) as fh:
        models = json.load(fh)["models"]
    failures: list[str] = []
    groups: dict[tuple, list[tuple[str, np.ndarray]]] = defaultdict(list)
    for m in models:
        name, path = m["name"], os.path.join(out_dir, m["file"])
        try:
            onnx.checker.check_model(path)
            gm = graph_macs(onnx.load(path, load_external_data=False))
            if gm != m["macs"]:
                failures.append(f"{name}: manifest MACs {m['macs']} != graph {gm}")
            key = (m["arch"], m["flags"]["image"])
            if key in GOLDEN and GOLDEN[key] != (m["macs"], m["params"]):
                failures.append(f"{name}: MACs/params {(m['macs'], m['params'])} != torchvision {GOLDEN[key]}")
            x = np.load(os.path.join(out_dir, m["input"]["file"]))
            ref = np.load(os.path.join(out_dir, m["output"]["file"]))
            so = ort.SessionOptions()
            so.log_severity_level = 3
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            y = sess.run(None, {m["input"]["name"]: x})[0]
            err = rel_err(y, ref)
            if err > 1e-4:
                failures.append(f"{name}: ORT(opt=all) vs reference rel err {err:.2e}")
            amax = float(np.abs(ref).max())
            softmax = m["flags"].get("softmax", False)
            if not softmax and not (0.05 < amax < 50):
                failures.append(f"{name}: output max |y| = {amax:.3g} is not O(1)")
            if softmax and abs(float(ref.sum(axis=1).mean()) - 1) > 1e-3:
                failures.append(f"{name}: softmax rows do not sum to 1")
            if not softmax:
                groups[(m["arch"], m["flags"]["image"], m["flags"]["batch"], m["source"])].append((name, ref))
            print(f"ok  {name:34s} rel(opt=all)={err:.1e}  max|y|={amax:.3f}")
        except Exception as exc:  # report every model, then fail
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    for key, outs in groups.items():
        base_name, base = outs[0]
        for name, y in outs[1:]:
            err = rel_err(y, base)
            if err > 1e-4:
                failures.append(f"{name} disagrees with {base_name} (same weights/input): rel err {err:.2e}")
    for f in failures:
        print("FAIL", f)
    print(f"{len(models)} models checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
