#!/usr/bin/env python3
"""Write the example models used by `make demo` into this directory (or the one given).

    python3 examples/make_examples.py [OUT_DIR] [--force]

Produces resnet18.onnx (torchvision ResNet-18 topology, torch-exporter style, opset 17, BN folded,
1x3x224x224) and cifar_resnet20.onnx (option-A CIFAR ResNet-20, 1x3x32x32), each with
NAME.input.npy and the onnxruntime reference NAME.output.npy.  Existing files are kept unless --force.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools", "models"))
from gen_models import Entry, generate  # noqa: E402
from onnx_emit import ExportOptions  # noqa: E402

EXAMPLES = [Entry("resnet18", "resnet18", ExportOptions()),
            Entry("cifar_resnet20", "cifar_resnet20", ExportOptions())]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", nargs="?", default=HERE)
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for e in EXAMPLES:
        files = [os.path.join(args.out_dir, e.name + s) for s in (".onnx", ".input.npy", ".output.npy")]
        if not args.force and all(os.path.exists(f) for f in files):
            print(f"{e.name}: up to date")
            continue
        rec = generate(e, args.out_dir)
        print(json.dumps({k: rec[k] for k in ("name", "file", "macs", "params")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
