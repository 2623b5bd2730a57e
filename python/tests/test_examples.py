"""examples/python/compare_ort.py runs and reports agreement with onnxruntime."""

import pathlib
import re
import subprocess
import sys

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python" / "compare_ort.py"


def test_compare_ort_example(cifar):
    args = [sys.executable, str(EXAMPLE), str(cifar.onnx), "--plan", cifar.plan, "--runs", "3", "--threads", "1"]
    if cifar.input is not None:
        args += ["--input", str(cifar.onnx)[: -len(".onnx")] + ".input.npy"]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout
    rel = float(re.search(r"max relative difference\s+(\S+)", r.stdout).group(1))
    assert rel <= 1e-4
    assert re.search(r"latency modc\s+median\s+[\d.]+ ms", r.stdout)
    assert re.search(r"latency onnxruntime\s+median\s+[\d.]+ ms", r.stdout)
