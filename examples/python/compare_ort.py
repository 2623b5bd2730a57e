#!/usr/bin/env python3
"""modc vs onnxruntime on the same input: max relative difference and both latencies.

    python3 examples/python/compare_ort.py MODEL.onnx [--plan MODEL.modplan] [--input x.npy] [--threads N] [--runs R]
                                           [--mod-every N --capacity C]

Without --plan the model is compiled with modc.compile (the modc CLI). The Session lines are the only difference
between the two runtimes: modc.Session mirrors onnxruntime.InferenceSession. Needs the modc package
(`pip install ./python`) and libmodc_runtime (`make install`, or MODC_RUNTIME_LIB).
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import modc  # noqa: E402


def latency_ms(sess, feed, runs: int) -> tuple:
    sess.run(None, feed)  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times)), float(np.min(times))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="ONNX model")
    ap.add_argument("--plan", help="compiled .modplan (default: compile MODEL now)")
    ap.add_argument("--input", help="float32 .npy input (default: standard normal, seed 0)")
    ap.add_argument("--threads", type=int, default=0, help="threads for both runtimes (default: all cores)")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--mod-every", type=int, help="compile with MoD (the outputs then differ from the plain model)")
    ap.add_argument("--capacity", type=float)
    args = ap.parse_args()

    plan = args.plan
    if plan is None:
        plan = os.path.join(tempfile.mkdtemp(prefix="modc-compare-"), "model.modplan")
        t0 = time.perf_counter()
        modc.compile(args.model, output=plan, mod_every=args.mod_every, capacity=args.capacity)
        print(f"compiled {args.model} -> {plan} in {time.perf_counter() - t0:.2f} s")

    opts = ort.SessionOptions()
    if args.threads:
        opts.intra_op_num_threads = args.threads
    ref = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    sess = modc.Session(plan, threads=args.threads or None)

    arg = sess.get_inputs()[0]
    if args.input:
        x = np.load(args.input).astype(np.float32)
    else:
        x = np.random.default_rng(0).standard_normal(arg.shape).astype(np.float32)
    feed = {arg.name: x}

    (y_modc,) = sess.run(None, feed)
    (y_ort,) = ref.run(None, {ref.get_inputs()[0].name: x})
    rel = float(np.max(np.abs(y_modc.astype(np.float64) - y_ort)) / max(float(np.max(np.abs(y_ort))), 1e-30))
    med_modc, min_modc = latency_ms(sess, feed, args.runs)
    med_ort, min_ort = latency_ms(ref, {ref.get_inputs()[0].name: x}, args.runs)

    print(f"input  {arg.name} {arg.type} {arg.shape}; threads {sess.threads}")
    print(f"max relative difference  {rel:.3e}  ({'ok' if rel <= 1e-4 else 'ABOVE 1e-4'})")
    print(f"top-1  modc {int(np.argmax(y_modc))}  onnxruntime {int(np.argmax(y_ort))}")
    print(f"latency modc         median {med_modc:8.2f} ms  min {min_modc:8.2f} ms")
    print(f"latency onnxruntime  median {med_ort:8.2f} ms  min {min_ort:8.2f} ms")
    return 0 if (rel <= 1e-4 or args.mod_every) else 1


if __name__ == "__main__":
    sys.exit(main())
