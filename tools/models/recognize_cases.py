#!/usr/bin/env python3
"""Test data for modc's RecognizeMoD pass: exported CNN-MoD variants, near misses, and a numeric check.

  python3 tools/models/recognize_cases.py gen OUTDIR
      Writes OUTDIR/*.onnx and OUTDIR/manifest.json: CNN-MoD exports built with mod_builder.py (legacy17 and dynamo18
      styles; first-k, first-k-scatternd and scatter fusion; batch 1 and 4; BasicBlock and Bottleneck, BN folded
      and not) and near misses edited from a legacy17 export (non-constant K, wrong Slice bound, an extra consumer
      of an intermediate, a Mul by a constant instead of the scores, node names without `layerS.I`). Each manifest
      entry gives the block names modc must recognise and, for near misses, a phrase the remark must contain.

  python3 tools/models/recognize_cases.py check MODEL.onnx BLOCKS.json [--input X.npy] [--seed S]
      BLOCKS.json (written by the Swift test) lists, per recognised block, the tensor names of X, P (body output),
      the TopK indices/scores, the gathered tensor and Y, plus k, fusion, relu and the router weights modc kept
      (W1 [hidden, C], B1, W2 [C, hidden], B2). The model runs in onnxruntime (optimisations off) with those
      tensors exposed; the check recomputes the MoD ops' meaning (mod.md, ExpandMoD.swift) from them:
      router(X) ≈ TopK values/indices, gather(X, idx) = gathered, fuse(X, P, scores, idx) ≈ Y (≤ 1e-4 relative).
      Prints one JSON line; exit status 1 on a mismatch.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

FIXTURES = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "fixtures"))


def _fixture(name: str) -> str:
    """`shared/fixtures/NAME` next to the package, or next to an ancestor (worktrees)."""
    d = HERE
    while d != "/":
        p = os.path.join(d, "shared", "fixtures", name)
        if os.path.exists(p):
            return p
        d = os.path.dirname(d)
    return os.path.join(FIXTURES, name)


# MARK: - Generation

def _build(plain: onnx.ModelProto, **kw) -> tuple[onnx.ModelProto, list[str], list[int]]:
    from mod_builder import MoDOptions, build_mod
    model, infos, _ = build_mod(plain, MoDOptions(**kw))
    return model, [i["block"] for i in infos], [i["k"] for i in infos]


def _by_output(model: onnx.ModelProto) -> dict[str, onnx.NodeProto]:
    return {o: n for n in model.graph.node for o in n.output}


def _block_nodes(model: onnx.ModelProto, block: str, op: str) -> list[onnx.NodeProto]:
    return [n for n in model.graph.node if n.op_type == op and f"/{block}/" in n.name]


def _set_constant(model: onnx.ModelProto, name: str, value: np.ndarray) -> None:
    """Replace the value of the Constant node producing `name`."""
    node = _by_output(model)[name]
    assert node.op_type == "Constant", node.op_type
    del node.attribute[:]
    node.attribute.append(helper.make_attribute("value", numpy_helper.from_array(value)))


def near_misses(base: onnx.ModelProto, blocks: list[str], ks: list[int]) -> list[tuple[str, onnx.ModelProto, list[str], str]]:
    """(name, model, blocks still recognised, remark phrase) for edits of a legacy17 first-k batch-1 export."""
    out = []

    # 1. K from a graph input instead of a constant (the last block).
    m = onnx.ModelProto()
    m.CopyFrom(base)
    topk = _block_nodes(m, blocks[-1], "TopK")[0]
    m.graph.input.append(helper.make_tensor_value_info("router_k", onnx.TensorProto.INT64, [1]))
    topk.input[1] = "router_k"
    out.append(("nonconst_k", m, blocks[:-1], "K is not a constant"))

    # 2. Head Slice takes channels 1:k+1 instead of 0:k (the middle block; shapes stay valid).
    m = onnx.ModelProto()
    m.CopyFrom(base)
    b = blocks[1]
    head = next(s for s in _block_nodes(m, b, "Slice") if s.output[0] in
                {i for n in _block_nodes(m, b, "Add") for i in n.input})
    _set_constant(m, head.input[1], np.array([1], dtype=np.int64))
    _set_constant(m, head.input[2], np.array([ks[1] + 1], dtype=np.int64))
    out.append(("wrong_slice", m, [blocks[0], blocks[2]], "expected 0:"))

    # 3. The Sigmoid scores of the first block also feed a new graph output.
    m = onnx.ModelProto()
    m.CopyFrom(base)
    sig = _block_nodes(m, blocks[0], "Sigmoid")[0]
    m.graph.node.append(helper.make_node("Relu", [sig.output[0]], ["extra_scores"], name="extra_consumer"))
    m.graph.output.append(helper.make_tensor_value_info("extra_scores", onnx.TensorProto.FLOAT, None))
    out.append(("extra_consumer", m, blocks[1:], "outside the pattern"))

    # 4. The body is scaled by a constant instead of the TopK values (the first block).
    m = onnx.ModelProto()
    m.CopyFrom(base)
    p = _by_output(m)
    mul = next(n for n in _block_nodes(m, blocks[0], "Mul") if p.get(n.input[1]) is not None
               and p[n.input[1]].op_type == "Unsqueeze")
    bsz = 1
    m.graph.initializer.append(numpy_helper.from_array(np.full((bsz, ks[0], 1, 1), 0.5, np.float32), "fake_scale"))
    mul.input[1] = "fake_scale"
    out.append(("mul_by_constant", m, blocks[1:], "scale 0 tensors"))

    # 5. Node names without `layerS.I`: the names must come from the graph structure.
    m = onnx.ModelProto()
    m.CopyFrom(base)
    for i, n in enumerate(m.graph.node):
        n.name = f"node{i}"
    out.append(("anonymous", m, blocks, "numbered by graph structure"))
    return out


def _init(model: onnx.ModelProto, name: str) -> np.ndarray:
    return next(numpy_helper.to_array(t) for t in model.graph.initializer if t.name == name)


def router_variants(base: onnx.ModelProto, blocks: list[str]) -> onnx.ModelProto:
    """Spellings other exporters use, one edit per block of a legacy17 batch-1 export (same math unless noted):
    block 0: fc1 as MatMul(X, Wᵀ) + Add(b), fc2 as Gemm transB=0 with Wᵀ; block 1: fc1 Gemm without bias (the
    bias is dropped, so the recognised bias must be zero), fc2 as Add([1, C] bias, MatMul), pooling as one
    ReduceMean(axes=[-2, -1], keepdims=0); block 2: pooling as ReduceMean(axes=[2, 3], keepdims) + Squeeze([2, 3]),
    the gather as index_select: Gather(X, Squeeze(idx)), and no Relu after the fusion Add (relu=false).
    """
    m = onnx.ModelProto()
    m.CopyFrom(base)
    g = m.graph
    nodes = list(g.node)

    def replace(old: onnx.NodeProto, new: list[onnx.NodeProto]) -> None:
        i = nodes.index(old)
        nodes[i:i + 1] = new

    def add_init(name: str, a: np.ndarray) -> str:
        g.initializer.append(numpy_helper.from_array(np.ascontiguousarray(a), name))
        return name

    fc = {b: [n for n in _block_nodes(m, b, "Gemm")] for b in blocks[:2]}
    a1, a2 = fc[blocks[0]]
    w = _init(m, a1.input[1])
    mm = helper.make_node("MatMul", [a1.input[0], add_init("v0.fc1.wT", w.T)], ["v0.fc1.mm"], name="v0/fc1/MatMul")
    replace(a1, [mm, helper.make_node("Add", ["v0.fc1.mm", a1.input[2]], [a1.output[0]], name="v0/fc1/Add")])
    w = _init(m, a2.input[1])
    replace(a2, [helper.make_node("Gemm", [a2.input[0], add_init("v0.fc2.wT", w.T), a2.input[2]], [a2.output[0]],
                                  name="v0/fc2/Gemm", transB=0)])
    b1, b2 = fc[blocks[1]]
    replace(b1, [helper.make_node("Gemm", [b1.input[0], b1.input[1]], [b1.output[0]], name="v1/fc1/Gemm", transB=1)])
    w, bias = _init(m, b2.input[1]), _init(m, b2.input[2])
    mm = helper.make_node("MatMul", [b2.input[0], add_init("v1.fc2.wT", w.T)], ["v1.fc2.mm"], name="v1/fc2/MatMul")
    replace(b2, [mm, helper.make_node("Add", [add_init("v1.fc2.b2d", bias[None, :]), "v1.fc2.mm"], [b2.output[0]],
                                      name="v1/fc2/Add")])
    gap = _block_nodes(m, blocks[1], "GlobalAveragePool")[0]
    flat = _block_nodes(m, blocks[1], "Flatten")[0]
    replace(gap, [helper.make_node("ReduceMean", [gap.input[0]], [flat.output[0]], name="v1/ReduceMean", axes=[-2, -1],
                                   keepdims=0)])
    nodes.remove(flat)
    c = blocks[2]
    add = next(n for n in _block_nodes(m, c, "Add") if any(i.startswith(f"/layer3/{c}/Slice") for i in n.input))
    relu = next(n for n in nodes if n.op_type == "Relu" and n.input[0] == add.output[0])
    add.output[0] = relu.output[0]
    nodes.remove(relu)
    gap = _block_nodes(m, c, "GlobalAveragePool")[0]
    flat = _block_nodes(m, c, "Flatten")[0]
    replace(gap, [helper.make_node("ReduceMean", [gap.input[0]], [gap.output[0]], name="v2/ReduceMean", axes=[2, 3],
                                   keepdims=1)])
    replace(flat, [helper.make_node("Squeeze", [flat.input[0], add_init("v2.axes23", np.array([2, 3], np.int64))],
                                    [flat.output[0]], name="v2/Squeeze")])
    ge = _block_nodes(m, c, "GatherElements")[0]
    idx = _block_nodes(m, c, "TopK")[0].output[1]
    sq = helper.make_node("Squeeze", [idx, add_init("v2.axis0", np.array([0], np.int64))], ["v2.idx1d"],
                          name="v2/Squeeze_idx")
    replace(ge, [sq, helper.make_node("Gather", [ge.input[0], "v2.idx1d"], [ge.output[0]], name="v2/Gather", axis=1)])
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)
    return m


def generate(outdir: str) -> list[dict]:
    from mod_testnets import fold_bn, resnet
    os.makedirs(outdir, exist_ok=True)
    cifar = onnx.load(_fixture("cifar_resnet20_op17.onnx"))
    bottleneck = resnet("bottleneck", layers=(2, 2), widths=(16, 32), stem=16, image=16, classes=10, seed=3)
    cases = []
    variants = []
    for style in ("legacy17", "dynamo18"):
        for fusion in ("first-k", "first-k-scatternd", "scatter"):
            for batch in (1, 4):
                variants.append((f"cifar_{style}_{fusion}_b{batch}", cifar, dict(style=style, fusion=fusion,
                                                                                   batch=batch)))
    variants += [
        ("bottleneck_folded_first-k_b2", fold_bn(bottleneck), dict(fusion="first-k", batch=2)),
        ("bottleneck_bn_scatter_b1", bottleneck, dict(fusion="scatter", batch=1, style="dynamo18")),
        ("cifar_c1_kC", cifar, dict(capacity=1, blocks=["layer1.1"])),
    ]
    for name, plain, kw in variants:
        model, blocks, ks = _build(plain, capacity=kw.pop("capacity", 16), **kw)
        path = os.path.join(outdir, name + ".onnx")
        onnx.save(model, path)
        cases.append({"name": name, "path": path, "blocks": blocks, "k": ks, "batch": kw.get("batch", 1),
                      "fusion": kw.get("fusion", "first-k"), "relu": [True] * len(blocks)})
    base, blocks, ks = _build(cifar, capacity=16)
    path = os.path.join(outdir, "router_variants.onnx")
    onnx.save(router_variants(base, blocks), path)
    cases.append({"name": "router_variants", "path": path, "blocks": blocks, "k": ks, "batch": 1,
                  "fusion": "first-k", "relu": [True, True, False]})
    for name, model, expect, phrase in near_misses(base, blocks, ks):
        path = os.path.join(outdir, f"near_{name}.onnx")
        onnx.save(model, path)
        cases.append({"name": f"near_{name}", "path": path, "blocks": expect, "remark": phrase})
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(cases, f, indent=1)
    return cases


# MARK: - Numeric check

def _expose(model: onnx.ModelProto, names: list[str]) -> onnx.ModelProto:
    m = onnx.shape_inference.infer_shapes(model)
    have = {o.name for o in m.graph.output}
    for n in names:
        if n not in have:
            m.graph.output.append(helper.make_empty_tensor_value_info(n))
            have.add(n)
    return m


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-12))


def check(model_path: str, blocks_path: str, input_path: str | None, seed: int) -> dict:
    import onnxruntime as ort
    with open(blocks_path) as f:
        blocks = json.load(f)["blocks"]
    model = onnx.load(model_path)
    names = sorted({b[key] for b in blocks for key in ("x", "p", "indices", "scores", "gathered", "y")})
    m = _expose(model, names)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    feeds = {}
    for i in sess.get_inputs():
        if input_path and not feeds:
            feeds[i.name] = np.load(input_path)
        else:
            shape = [d if isinstance(d, int) else 1 for d in i.shape]
            feeds[i.name] = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    got = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))
    report = {"ok": True, "blocks": []}
    for b in blocks:
        x, p, idx, s, y = (got[b[k]] for k in ("x", "p", "indices", "scores", "y"))
        k = b["k"]
        w1, b1 = np.array(b["w1"], np.float32), np.array(b["b1"], np.float32)
        w2, b2 = np.array(b["w2"], np.float32), np.array(b["b2"], np.float32)
        pooled = x.mean(axis=(2, 3))
        z = 1 / (1 + np.exp(-(np.maximum(pooled @ w1.T + b1, 0) @ w2.T + b2)))
        order = np.argsort(-z, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(z, order, axis=1)
        # Indices may differ only where scores are tied within float rounding.
        gap_ok = np.all((order == idx) | (np.abs(np.take_along_axis(z, idx, axis=1) - top) < 1e-6))
        router_err = _rel(top, s)
        gathered = np.take_along_axis(x, idx[:, :, None, None].repeat(x.shape[2], 2).repeat(x.shape[3], 3), axis=1)
        gather_err = _rel(gathered, got[b["gathered"]])
        scaled = p * s[:, :, None, None]
        if b["fusion"] == "first-k":
            head = x[:, :k] + scaled
            ref = np.concatenate([np.maximum(head, 0) if b["relu"] else head, x[:, k:]], axis=1)
        else:
            ref = x.copy()
            for n in range(x.shape[0]):
                v = gathered[n] + scaled[n]
                ref[n, idx[n]] = np.maximum(v, 0) if b["relu"] else v
        fuse_err = _rel(ref, y)
        ok = bool(gap_ok) and router_err <= 1e-5 and gather_err == 0 and fuse_err <= 1e-4
        report["ok"] = report["ok"] and ok
        report["blocks"].append({"block": b["block"], "ok": ok, "router_rel": router_err, "indices_match": bool(gap_ok),
                                 "gather_rel": gather_err, "fuse_rel": fuse_err})
    return report


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "gen":
        cases = generate(argv[1])
        print(json.dumps({"cases": len(cases)}))
        return 0
    if len(argv) >= 3 and argv[0] == "check":
        input_path = argv[argv.index("--input") + 1] if "--input" in argv else None
        seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
        report = check(argv[1], argv[2], input_path, seed)
        print(json.dumps(report))
        return 0 if report["ok"] else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
