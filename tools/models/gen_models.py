#!/usr/bin/env python3
"""Generate the ONNX test/bench model zoo with onnxruntime reference outputs.

    python3 tools/models/gen_models.py OUT_DIR [--set test|bench|all] [--force] [--only SUBSTR]

For every model NAME it writes NAME.onnx (plus NAME.onnx.data for external-data variants),
NAME.input.npy (seeded standard normal), NAME.output.npy (onnxruntime CPU, graph optimizations
disabled) and a manifest.json describing all of them.  Models whose files exist are skipped when
the stamp file (.gen_stamp) matches the generator version; --force regenerates everything.
Variants of one architecture share weights and inputs (same seed), so their outputs agree.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_emit import ExportOptions as O  # noqa: E402
from onnx_stats import graph_macs  # noqa: E402
from resnet_builder import ARCHS, analytic_counts, build_resnet  # noqa: E402

GEN_VERSION = "1"


@dataclass(frozen=True)
class Entry:
    """One model of the zoo: architecture, export options, input batch, image size, sets."""

    name: str
    arch: str
    opts: O = field(default_factory=O)
    batch: int = 1
    image: int | None = None          # overrides the architecture's native resolution
    sets: tuple[str, ...] = ("test",)
    source: str = "builder"           # builder | torch


T, B, A = "test", "bench", "all"
ENTRIES: list[Entry] = [
    Entry("resnet18_op17", "resnet18", O(), sets=(T, B)),
    Entry("resnet18_op17_b4", "resnet18", O(), batch=4, sets=(T, B)),
    Entry("resnet18_op11_bn", "resnet18", O(opset=11, bn_folded=False)),
    Entry("resnet18_op13_dyn_view", "resnet18", O(opset=13, bn_folded=False, head="view_chain", dynamic_batch=True), batch=4),
    Entry("resnet18_op13_reshape", "resnet18", O(opset=13, head="reshape_const")),
    Entry("resnet18_op17_ext", "resnet18", O(external=True)),
    Entry("resnet18_op18_dynamo", "resnet18", O(opset=18, style="dynamo", bn_folded=False, head="reduce_reshape")),
    Entry("resnet18_op18_dynamo_sq_dyn", "resnet18",
          O(opset=18, style="dynamo", bn_folded=False, head="reduce_squeeze", dynamic_batch=True), batch=2),
    Entry("resnet34_op17", "resnet34", O(), sets=(T, B)),
    Entry("resnet50_op17", "resnet50", O(), sets=(T, B)),
    Entry("wide_resnet50_2_op17_112", "wide_resnet50_2", O(), image=112),
    Entry("resnext50_32x4d_op13_bn_112", "resnext50_32x4d", O(opset=13, bn_folded=False), image=112),
    Entry("cifar_resnet20_op17", "cifar_resnet20", O(), sets=(T, B)),
    Entry("cifar_resnet20_op17_b4", "cifar_resnet20", O(), batch=4, sets=(T, B)),
    Entry("cifar_resnet20_op11_view", "cifar_resnet20", O(opset=11, bn_folded=False, head="avgpool_view")),
    Entry("cifar_resnet32_op13_dyn", "cifar_resnet32", O(opset=13, head="avgpool_view", dynamic_batch=True), batch=4),
    Entry("preact_resnet18_op17", "preact_resnet18", O()),
    Entry("preact_resnet18_op13_bn", "preact_resnet18", O(opset=13, bn_folded=False)),
    Entry("zoo_resnet18_op8", "resnet18", O(opset=8, style="zoo", bn_folded=False, softmax=True)),
    Entry("zoo_resnet18_op9_cos", "resnet18", O(opset=9, style="zoo", bn_folded=False, softmax=True, const_of_shape=True)),
    # "all" only: deep / big ones
    Entry("resnet50_op17_b4", "resnet50", O(), batch=4, sets=(A,)),
    Entry("resnet50_op17_b8", "resnet50", O(), batch=8, sets=(B,)),
    Entry("resnet50_op11_bn_dyn", "resnet50", O(opset=11, bn_folded=False, dynamic_batch=True, head="view_chain"), sets=(A,)),
    Entry("resnet101_op17", "resnet101", O(), sets=(A,)),
    Entry("resnet152_op17", "resnet152", O(), sets=(A,)),
    Entry("resnet152_op17_ext", "resnet152", O(external=True), sets=(A,)),
    Entry("wide_resnet50_2_op17", "wide_resnet50_2", O(external=True), sets=(A,)),
    Entry("resnext50_32x4d_op17", "resnext50_32x4d", O(), sets=(A,)),
    Entry("zoo_resnet50_op8", "resnet50", O(opset=8, style="zoo", bn_folded=False, softmax=True), sets=(A,)),
    Entry("resnet34_op18_dynamo", "resnet34", O(opset=18, style="dynamo", bn_folded=False, head="reduce_reshape"), sets=(A,)),
]


def torch_entries() -> list[Entry]:
    """Real torch exports, only when torch is importable (see torch_export.py)."""
    try:
        import torch_export
    except ImportError:
        return []
    return [Entry(n, arch, O(opset=op, bn_folded=fold, style="dynamo" if dyn else "torch"), sets=sets, source="torch")
            for n, arch, op, fold, sets, dyn in torch_export.variants()]


def seed_of(text: str) -> int:
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def source_hash() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256(GEN_VERSION.encode())
    for f in ("gen_models.py", "resnet_builder.py", "onnx_emit.py", "onnx_stats.py", "torch_export.py"):
        if os.path.exists(os.path.join(here, f)):
            with open(os.path.join(here, f), "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()[:16]


def reference(path: str, x: np.ndarray) -> tuple[np.ndarray, str, str]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    i, o = sess.get_inputs()[0], sess.get_outputs()[0]
    return sess.run([o.name], {i.name: x})[0], i.name, o.name


def generate(e: Entry, out_dir: str) -> dict:
    """Build/export one model, write its three files and return its manifest record."""
    spec = ARCHS[e.arch] if e.image is None else replace(ARCHS[e.arch], image=e.image)
    seed = seed_of(e.arch)
    path = os.path.join(out_dir, e.name + ".onnx")
    if e.source == "torch":
        import torch_export

        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = torch_export.export(e.arch, path, opset=e.opts.opset, fold=e.opts.bn_folded, seed=seed,
                                       dynamo=e.opts.style == "dynamo")
        macs, params = info["macs"], info["params"]
        model = onnx.load(path)
        # For torch exports "bn_folded" records do_constant_folding; the flags record what the graph holds.
        extra_flags = {"constant_folding": e.opts.bn_folded, "torch_version": info["torch_version"],
                       "bn_nodes": sum(n.op_type == "BatchNormalization" for n in model.graph.node)}
    else:
        extra_flags = {}
        model, info = build_resnet(spec, e.opts, seed=seed, batch=e.batch)
        macs, params = info.macs, info.params
        if (macs, params) != analytic_counts(spec):
            raise RuntimeError(f"{e.name}: emitted counts {(macs, params)} != analytic {analytic_counts(spec)}")
        if e.opts.external:
            if os.path.exists(path + ".data"):
                os.remove(path + ".data")
            onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                      location=e.name + ".onnx.data", size_threshold=1024)
        else:
            onnx.save(model, path)
    onnx.checker.check_model(path, full_check=True)  # path form: handles external data and >2GB
    gm = graph_macs(model)
    if gm != macs:
        raise RuntimeError(f"{e.name}: analytic MACs {macs} != graph-inferred {gm}")
    x = np.random.default_rng(seed_of(f"{e.arch}-{spec.image}-{e.batch}")).standard_normal(
        (e.batch, 3, spec.image, spec.image)).astype(np.float32)
    y, in_name, out_name = reference(path, x)
    if not np.all(np.isfinite(y)):
        raise RuntimeError(f"{e.name}: non-finite reference output")
    np.save(os.path.join(out_dir, e.name + ".input.npy"), x)
    np.save(os.path.join(out_dir, e.name + ".output.npy"), y)
    gin = model.graph.input[0].type.tensor_type.shape.dim
    return {
        "name": e.name, "arch": e.arch, "source": e.source, "sets": list(e.sets),
        "file": e.name + ".onnx", "external_data": e.name + ".onnx.data" if e.opts.external else None,
        "input": {"name": in_name, "shape": list(x.shape), "graph_shape": [d.dim_param or d.dim_value for d in gin],
                  "file": e.name + ".input.npy"},
        "output": {"name": out_name, "shape": list(y.shape), "file": e.name + ".output.npy",
                   "max_abs": float(np.abs(y).max()), "std": float(y.std())},
        "macs": int(macs), "macs_batch": int(macs) * e.batch, "params": int(params),
        "flags": {**asdict(e.opts), "ir_version": model.ir_version, "dynamic": e.opts.dynamic_batch,
                  "batch": e.batch, "image": spec.image, **extra_flags},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--set", default="test", choices=["test", "bench", "all"])
    ap.add_argument("--force", action="store_true", help="regenerate even if files and stamp are current")
    ap.add_argument("--only", default=None, help="only models whose name contains this substring")
    args = ap.parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    entries = ENTRIES + torch_entries()
    chosen = [e for e in entries if args.set == "all" or args.set in e.sets]
    if args.only:
        chosen = [e for e in chosen if args.only in e.name]
    stamp_path = os.path.join(args.out_dir, ".gen_stamp")
    stamp = source_hash()
    current = os.path.exists(stamp_path) and open(stamp_path).read().strip() == stamp and not args.force
    man_path = os.path.join(args.out_dir, "manifest.json")
    old = {}
    if current and os.path.exists(man_path):
        with open(man_path) as fh:
            old = {m["name"]: m for m in json.load(fh).get("models", [])}
    if not current and os.path.exists(stamp_path):
        os.remove(stamp_path)   # a crash mid-run must not leave stale files marked current
    records, t_all = [], time.time()
    for e in chosen:
        files = [e.name + s for s in (".onnx", ".input.npy", ".output.npy")]
        if e.name in old and all(os.path.exists(os.path.join(args.out_dir, f)) for f in files):
            records.append(old[e.name])
            continue
        t0 = time.time()
        rec = generate(e, args.out_dir)
        records.append(rec)
        print(f"  {e.name:34s} {rec['macs'] / 1e9:7.3f} GMAC {rec['params'] / 1e6:7.2f} M params "
              f"out max {rec['output']['max_abs']:.3f}  {time.time() - t0:5.2f}s", flush=True)
    keep = {r["name"]: r for r in old.values()}
    keep.update({r["name"]: r for r in records})
    with open(man_path, "w") as fh:
        json.dump({"generator_version": GEN_VERSION, "stamp": stamp, "set": args.set,
                   "models": sorted(keep.values(), key=lambda r: r["name"])}, fh, indent=1)
    with open(stamp_path, "w") as fh:
        fh.write(stamp + "\n")
    print(f"{len(records)} models in {args.out_dir} ({time.time() - t_all:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
