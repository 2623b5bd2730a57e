#!/usr/bin/env python3
"""modc vs onnxruntime in one run: `make bench`.

    python3 tools/bench.py --modc .build/release/modc --models build/bench-models [--runs 30] [--threads 1,2]

For each model (ResNet-18, ResNet-50, ResNet-50 + MoD every 2nd block c=64, CIFAR ResNet-20, ResNet-50 batch 8)
it converts the model with modc, times the plan with `modc bench --json`, times the emitted C when `modc emit-c`
exists, and times onnxruntime (all graph optimisations, same threads, same input) in this process, in interleaved
rounds so that a slow phase of a shared machine affects all three alike. MoD models run
in onnxruntime through modc's exported ONNX (`modc export-onnx`). Prints a table (median of >= 30 runs, ratio
modc/ORT of the medians and of the fastest runs — the latter less sensitive to a noisy neighbour —, GFLOP/s, % of
the measured FP32 peak) and writes it to build/bench.md and build/bench.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

MOD = ["--mod-every", "2", "--capacity", "64"]
# (label, generated model, modc flags, batch, generic): `generic` compiles modc's exported MoD ONNX with
# --no-recognize-mod, i.e. the ~40 generic ops per MoD block instead of the fused MoD kernels (issue 9's comparison).
CASES = [
    ("ResNet-18", "resnet18_op17", [], 1, False),
    ("ResNet-50", "resnet50_op17", [], 1, False),
    ("ResNet-50 MoD c=64", "resnet50_op17", MOD, 1, False),
    ("ResNet-50 MoD generic ops", "resnet50_op17", MOD, 1, True),
    ("CIFAR ResNet-20", "cifar_resnet20_op17", [], 1, False),
    ("ResNet-50 batch 8", "resnet50_op17_b8", [], 8, False),
]


def sh(cmd: list[str], **kw) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip()}")
    return r.stdout


# Each (model, threads) is measured in interleaved rounds (modc plan, emitted C, onnxruntime, repeat; --rounds, default
# 3), so a slow phase of a shared machine hits all three alike instead of one of them; medians are over all rounds' runs.


class OrtTimer:
    """One onnxruntime session (all graph optimisations, `threads` intra-op threads); `times(n)` runs it n times."""

    def __init__(self, model: str, x: np.ndarray, threads: int):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        self.s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        self.feed = {self.s.get_inputs()[0].name: x}
        for _ in range(3):
            self.s.run(None, self.feed)

    def times(self, n: int) -> list[float]:
        t = []
        for _ in range(n):
            t0 = time.perf_counter()
            self.s.run(None, self.feed)
            t.append((time.perf_counter() - t0) * 1e3)
        return t


def build_emitted_c(modc: str, model: str, flags: list[str], tmp: str) -> str | None:
    """Path of the emitted C project's driver for `model` (built once), or None if unavailable."""
    help_text = subprocess.run([modc, "--help"], capture_output=True, text=True).stdout
    if "emit-c" not in help_text:
        return None
    out = os.path.join(tmp, "emit")
    try:
        sh([modc, "emit-c", model, *flags, "--name", "net", "--force", "-o", out, "--quiet"])
        sh(["make", "-s", "-C", out])
    except (RuntimeError, FileNotFoundError) as exc:
        print(f"  (emitted C skipped: {str(exc).splitlines()[0][:160]})", file=sys.stderr)
        return None
    return os.path.join(out, "net_run")


def emitted_c_median(driver: str, x_path: str, threads: int, runs: int, tmp: str) -> float | None:
    """Median ms of `runs` runs of the emitted driver (`net_run X Y --repeat R --threads T`)."""
    text = sh([driver, x_path, os.path.join(tmp, "c.npy"), "--repeat", str(runs + 1), "--threads", str(threads)])
    toks = text.split()
    return float(toks[toks.index("median_ms") + 1]) if "median_ms" in toks else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modc", default=os.path.join(ROOT, ".build/release/modc"))
    ap.add_argument("--models", default=os.path.join(ROOT, "build/bench-models"))
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--only", default=None, help="only cases whose label contains this text")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds the runs are split into")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    rows = []
    peak1 = None
    with tempfile.TemporaryDirectory() as tmp:
        for label, name, flags, batch, generic in CASES:
            if args.only and args.only not in label:
                continue
            model = os.path.join(args.models, name + ".onnx")
            x_path = os.path.join(args.models, name + ".input.npy")
            if not os.path.exists(model):
                print(f"skip {label}: {model} missing", file=sys.stderr)
                continue
            x = np.load(x_path)
            plan = os.path.join(tmp, name + ".modplan")
            ort_model = model
            if flags:
                ort_model = os.path.join(tmp, name + ".mod.onnx")
                sh([args.modc, "export-onnx", model, *flags, "-o", ort_model, "--quiet"])
            if generic:
                sh([args.modc, "convert", ort_model, "--no-recognize-mod", "-o", plan, "--quiet"])
            else:
                sh([args.modc, "convert", model, *flags, "-o", plan, "--quiet"])
            driver = None if generic else build_emitted_c(args.modc, model, flags, tmp)
            per = -(-args.runs // args.rounds)
            for t in threads:
                timer = OrtTimer(ort_model, x, t)
                modc_t: list[float] = []
                ort_t: list[float] = []
                c_meds: list[float] = []
                for _ in range(args.rounds):
                    b = json.loads(sh([args.modc, "bench", plan, "--threads", str(t), "--runs", str(per), "--json"]))
                    modc_t += b["times_ms"]
                    c = emitted_c_median(driver, x_path, t, per, tmp) if driver else None
                    if c is not None:
                        c_meds.append(c)
                    ort_t += timer.times(per)
                del timer
                m_ms, o_ms = float(np.median(modc_t)), float(np.median(ort_t))
                c_ms = float(np.median(c_meds)) if c_meds else None
                peak = b["peak_gflops"]
                if t == 1:
                    peak1 = peak / t
                gflops = 2 * b["macs"] / (m_ms * 1e-3) / 1e9
                rows.append({
                    "model": label, "threads": t, "macs": b["macs"], "modc_ms": m_ms, "modc_min_ms": min(modc_t),
                    "emitted_c_ms": c_ms, "ort_ms": o_ms, "ort_min_ms": min(ort_t), "ratio": m_ms / o_ms,
                    "gflops": gflops, "peak_percent": 100 * gflops / peak, "peak_gflops": peak,
                })
                r = rows[-1]
                print(f"{label:22s} t={t}  modc {r['modc_ms']:8.2f} ms  ORT {o_ms:8.2f} ms  ratio {r['ratio']:.2f}", file=sys.stderr)
    lines = [
        f"modc vs onnxruntime (all optimisations), same input, median of {args.rounds * (-(-args.runs // args.rounds))} "
        f"runs in {args.rounds} interleaved rounds; "
        f"load average {os.getloadavg()[0]:.2f}; measured FP32 peak {peak1 or 0:.1f} GFLOP/s per thread",
        "",
        "| model | threads | GMAC | modc plan ms | emitted C ms | ORT ms | modc/ORT | min/min | GFLOP/s | % peak |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        c = f"{r['emitted_c_ms']:.2f}" if r["emitted_c_ms"] else "-"
        lines.append(f"| {r['model']} | {r['threads']} | {r['macs'] / 1e9:.3f} | {r['modc_ms']:.2f} | {c} | {r['ort_ms']:.2f} | "
                     f"{r['ratio']:.2f} | {r['modc_min_ms'] / r['ort_min_ms']:.2f} | {r['gflops']:.1f} | "
                     f"{r['peak_percent']:.0f}% |")
    table = "\n".join(lines)
    print(table)
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    with open(os.path.join(ROOT, "build/bench.md"), "w") as f:
        f.write(table + "\n")
    with open(os.path.join(ROOT, "build/bench.json"), "w") as f:
        json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
