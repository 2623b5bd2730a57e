#!/usr/bin/env python3
"""Run a (MoD) ONNX model with onnxruntime and record the reference data modc's tests compare against.

  python3 tools/models/mod_reference.py MODEL.onnx [--input X.npy | --seed S] [--out PREFIX] [--plain PLAIN.onnx]

Writes PREFIX.input.npy (when generated), PREFIX.output.npy and PREFIX.mod.json. The JSON lists every router
(found by pattern: Sigmoid → TopK, so it also reads PyTorch exports such as the shared fixture) with C, k, hidden
and the score gaps for the given input, minimised over the batch:
- ``kth_minus_k1th``: s_(k) − s_(k+1), the margin of the selection itself (0 when k == C);
- ``min_gap_topk_plus1``: the smallest difference between neighbours among the k+1 largest scores, which also
  covers the order of the selected channels (score order decides which plain filter a channel meets);
- ``score_min`` / ``score_max`` over all scores.
Tests should only compare on inputs whose gaps are well above float rounding (say > 1e-5).
It also records analytic MACs (Conv + Gemm, router Gemms included) of the model and, with --plain, of the plain twin.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper


def session(model: onnx.ModelProto) -> ort.InferenceSession:
    """An ORT CPU session with graph optimizations disabled (= plain ONNX semantics, as the fixtures use)."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def run(model: onnx.ModelProto, x: np.ndarray, extra_outputs: list[str] = ()) -> dict[str, np.ndarray]:
    """Run ``model`` on ``x`` (its single input); returns the graph outputs plus any requested intermediate tensors."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for name in extra_outputs:
        if name not in have:
            m.graph.output.append(helper.make_empty_tensor_value_info(name))
            have.add(name)
    s = session(m)
    names = [o.name for o in s.get_outputs()]
    return dict(zip(names, s.run(names, {s.get_inputs()[0].name: x})))


def _const_value(model: onnx.ModelProto, name: str):
    for t in model.graph.initializer:
        if t.name == name:
            return numpy_helper.to_array(t)
    for n in model.graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            return numpy_helper.to_array(helper.get_attribute_value(n.attribute[0]))
    return None


def find_routers(model: onnx.ModelProto) -> list[dict]:
    """Routers of a MoD model: every TopK fed by a Sigmoid fed by a Gemm (fc2) with a constant K."""
    producer = {o: n for n in model.graph.node for o in n.output}
    inits = {t.name: list(t.dims) for t in model.graph.initializer}
    routers = []
    for n in model.graph.node:
        if n.op_type != "TopK":
            continue
        sig = producer.get(n.input[0])
        fc2 = producer.get(sig.input[0]) if sig is not None and sig.op_type == "Sigmoid" else None
        k = _const_value(model, n.input[1])
        if fc2 is None or fc2.op_type != "Gemm" or k is None or fc2.input[1] not in inits:
            continue
        trans_b = next((helper.get_attribute_value(a) for a in fc2.attribute if a.name == "transB"), 0)
        c, hidden = inits[fc2.input[1]] if trans_b else inits[fc2.input[1]][::-1]
        m = re.search(r"layer\d+\.\d+", n.name)
        routers.append({"block": m.group(0) if m else f"router{len(routers)}", "C": c, "k": int(np.ravel(k)[0]),
                        "hidden": hidden, "scores": n.input[0], "topk_node": n.name})
    return routers


def score_gaps(scores: np.ndarray, k: int) -> dict[str, float]:
    """Selection margins of (B, C) scores for top-k, minimised over the batch (see module doc)."""
    s = -np.sort(-scores.astype(np.float64), axis=1)
    c = s.shape[1]
    kth = float(np.min(s[:, k - 1] - s[:, k])) if k < c else 0.0
    top = s[:, : min(k + 1, c)]
    neighbour = float(np.min(top[:, :-1] - top[:, 1:])) if top.shape[1] > 1 else 0.0
    return {"min_gap_topk_plus1": neighbour, "kth_minus_k1th": kth,
            "score_min": float(scores.min()), "score_max": float(scores.max())}


def macs(model: onnx.ModelProto) -> int:
    """Analytic multiply-accumulates of Conv and Gemm (MatMul) nodes at the model's static shapes."""
    m = onnx.shape_inference.infer_shapes(model)
    shapes = {}
    for vi in list(m.graph.input) + list(m.graph.value_info) + list(m.graph.output):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    for t in m.graph.initializer:
        shapes[t.name] = list(t.dims)
    total = 0
    for n in m.graph.node:
        if n.op_type == "Conv":
            w = shapes[n.input[1]]
            total += int(np.prod(shapes[n.output[0]])) * int(np.prod(w[1:]))
        elif n.op_type in ("Gemm", "MatMul"):
            a = shapes[n.input[0]]
            trans_a = next((helper.get_attribute_value(x) for x in n.attribute if x.name == "transA"), 0)
            kdim = a[-2] if trans_a else a[-1]
            total += int(np.prod(shapes[n.output[0]])) * kdim
    return total


def reference(model: onnx.ModelProto, x: np.ndarray, plain: onnx.ModelProto | None = None) -> tuple[np.ndarray, dict]:
    """Output of ``model`` on ``x`` and the .mod.json content (routers with gaps, MACs)."""
    routers = find_routers(model)
    res = run(model, x, [r["scores"] for r in routers])
    out_name = model.graph.output[0].name
    meta = {}
    for p in model.metadata_props:
        if p.key == "modc.mod":
            meta = {b["block"]: b for b in json.loads(p.value)}
    blocks = []
    for r in routers:
        info = {"block": r["block"], "C": r["C"], "k": r["k"], "hidden": r["hidden"]}
        if r["block"] in meta:
            info.update({k: meta[r["block"]][k] for k in ("kind", "c", "fusion", "style") if k in meta[r["block"]]})
        info["score_gaps"] = score_gaps(res[r["scores"]], r["k"])
        blocks.append(info)
    doc = {"batch": int(x.shape[0]), "blocks": blocks, "macs": macs(model)}
    if plain is not None:
        doc["plain_macs"] = macs(plain)
    return res[out_name], doc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--input", default=None, help=".npy input (default: seeded standard normal)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="output prefix (default: MODEL without .onnx)")
    ap.add_argument("--plain", default=None, help="plain twin, for its MAC count")
    a = ap.parse_args(argv)
    model = onnx.load(a.model)
    prefix = a.out or re.sub(r"\.onnx$", "", a.model)
    if a.input:
        x = np.load(a.input)
    else:
        dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
        x = np.random.default_rng(a.seed).standard_normal(dims).astype(np.float32)
        np.save(prefix + ".input.npy", x)
    y, doc = reference(model, x, onnx.load(a.plain) if a.plain else None)
    np.save(prefix + ".output.npy", y)
    with open(prefix + ".mod.json", "w") as f:
        json.dump(doc, f, indent=1)
    for b in doc["blocks"]:
        g = b["score_gaps"]
        print(f"{b['block']}: C={b['C']} k={b['k']} hidden={b['hidden']} "
              f"gap_k={g['kth_minus_k1th']:.3g} min_gap={g['min_gap_topk_plus1']:.3g}")
    print(f"MACs: {doc['macs']:,}" + (f" (plain {doc['plain_macs']:,})" if "plain_macs" in doc else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
