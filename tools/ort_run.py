#!/usr/bin/env python3
"""Run an ONNX model with onnxruntime (CPU) on one .npy input and save the first output.

    python3 tools/ort_run.py MODEL.onnx IN.npy OUT.npy [--opt disabled|all] [--threads N] [--repeat R] [--check]

--opt disabled (default) gives plain ONNX semantics, as used for the conformance references.
--repeat R > 1 also prints the median latency in ms (for benches) after one warm-up run.
Exit status: 0 on success, 2 on bad arguments or input mismatch, 1 if onnxruntime fails.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--opt", choices=["disabled", "all"], default="disabled")
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0 = onnxruntime default)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--check", action="store_true", help="run onnx.checker (full check) on the model first")
    args = ap.parse_args(argv)

    if args.check:
        import onnx
        try:
            onnx.checker.check_model(args.model, full_check=True)
        except Exception as exc:
            print(f"ort_run: onnx.checker rejects {args.model}: {exc}", file=sys.stderr)
            return 1

    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_DISABLE_ALL if args.opt == "disabled"
                                   else ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    if args.threads > 0:
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
    x = np.load(args.input)
    try:
        sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
    except Exception as exc:
        print(f"ort_run: cannot load {args.model}: {exc}", file=sys.stderr)
        return 1
    inp = sess.get_inputs()[0]
    if len(inp.shape) != x.ndim or any(isinstance(d, int) and d != s for d, s in zip(inp.shape, x.shape)):
        print(f"ort_run: input {inp.name} expects {inp.shape}, got {list(x.shape)}", file=sys.stderr)
        return 2
    feed = {inp.name: x.astype(np.float32, copy=False)}
    y = sess.run(None, feed)[0]
    if args.repeat > 1:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            sess.run(None, feed)
            times.append((time.perf_counter() - t0) * 1e3)
        print(f"median {np.median(times):.3f} ms over {args.repeat} runs (opt={args.opt}, threads={args.threads})")
    np.save(args.output, y)
    return 0


if __name__ == "__main__":
    sys.exit(main())
