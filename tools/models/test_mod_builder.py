#!/usr/bin/env python3
"""Self-check of the MoD reference builder (no pytest): python3 tools/models/test_mod_builder.py [-k NAME].

Exits non-zero if any check fails. Uses the read-only fixtures in /work/shared/fixtures (or $MODC_FIXTURES).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mod_blocks import BlockError, detect_blocks  # noqa: E402
from mod_builder import MoDOptions, build_mod, infer  # noqa: E402
from mod_builder import main as builder_main  # noqa: E402
from mod_reference import find_routers, macs, run, score_gaps  # noqa: E402
from mod_reference import main as reference_main  # noqa: E402
from mod_testnets import fold_bn, resnet, torch_resnet_export  # noqa: E402

FIX = os.environ.get("MODC_FIXTURES", "/work/shared/fixtures")
PLAIN = f"{FIX}/cifar_resnet20_op17.onnx"
MOD = f"{FIX}/mod/cifar_resnet20_mod_c16"
TOL = 1e-4


def rel(a: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(a - ref).max() / np.abs(ref).max())


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise AssertionError(msg)


def fixture_router() -> dict[str, np.ndarray]:
    with np.load(MOD + ".router.npz") as z:
        return {k: z[k] for k in z.files}


def cifar_mod(**kw):
    return build_mod(onnx.load(PLAIN), MoDOptions(capacity=16, router_weights=fixture_router(), **kw))


def test_fixture_reproduced():
    model, infos, _ = cifar_mod()
    x = np.load(MOD + ".input.npy")
    err = rel(run(model, x)["output"], np.load(MOD + ".output.npy"))
    check(err <= TOL, f"MoD output differs from fixture: rel err {err:.3g}")
    check([i["block"] for i in infos] == ["layer1.1", "layer2.1", "layer3.1"], f"blocks {infos}")
    check([i["k"] for i in infos] == [1, 2, 4] and [i["hidden"] for i in infos] == [1, 2, 4], "k / hidden")
    fixture = onnx.load(MOD + ".onnx")
    check([n.op_type for n in model.graph.node] == [n.op_type for n in fixture.graph.node],
          "op sequence differs from the PyTorch export")
    check([n.name for n in model.graph.node] == [n.name for n in fixture.graph.node],
          "node names differ from the PyTorch export")


def test_fixture_gaps_and_macs():
    with open(MOD + ".mod.json") as f:
        want = {b["block"]: b for b in json.load(f)["blocks"]}
    fixture = onnx.load(MOD + ".onnx")
    routers = find_routers(fixture)
    res = run(fixture, np.load(MOD + ".input.npy"), [r["scores"] for r in routers])
    check([r["block"] for r in routers] == list(want), f"routers {routers}")
    for r in routers:
        w = want[r["block"]]
        check((r["C"], r["k"], r["hidden"]) == (w["C"], w["k"], w["hidden"]), f"{r['block']}: C/k/hidden")
        got = score_gaps(res[r["scores"]], r["k"])
        for key in ("min_gap_topk_plus1", "kth_minus_k1th", "score_min", "score_max"):
            check(abs(got[key] - w["score_gaps"][key]) < 1e-6, f"{r['block']} {key}: {got[key]} vs {w['score_gaps']}")
    model, _, _ = cifar_mod()
    check(macs(onnx.load(PLAIN)) == 40_813_184, "plain CIFAR ResNet-20 MACs")
    m = macs(model)
    check(m == macs(fixture), f"MoD MACs {m} != fixture's {macs(fixture)}")
    check(abs(m - 26.7e6) / 26.7e6 < 0.005, f"MoD CIFAR MACs {m} not ≈ 26.7 M")


def _block_check(model, infos, x, fusion):
    names = [t for i in infos for t in (i["block_input"], i["block_output"], i["topk_indices"], i["topk_values"],
                                        i["scaled_output"], i["gathered"])]
    res = run(model, x, names)
    for i in infos:
        X, Y, idx, val, P, XK = (res[i[t]] for t in ("block_input", "block_output", "topk_indices", "topk_values",
                                                    "scaled_output", "gathered"))
        k = i["k"]
        check(idx.shape == (x.shape[0], k) and P.shape == (x.shape[0], k) + X.shape[2:], f"{i['block']} shapes")
        check(np.array_equal(XK, np.take_along_axis(X, idx[:, :, None, None], axis=1)), f"{i['block']}: gather")
        if fusion == "scatter":
            want = X.copy()
            np.put_along_axis(want, idx[:, :, None, None], np.maximum(XK + P, 0), axis=1)
        else:
            want = np.concatenate([np.maximum(X[:, :k] + P, 0), X[:, k:]], axis=1)
        check(rel(Y, want) < 1e-6, f"{i['block']} ({fusion}): fused output wrong, rel {rel(Y, want):.3g}")
        check(np.all(np.diff(val, axis=1) <= 0), f"{i['block']}: TopK values not sorted descending")
    return res


def test_block_semantics_against_torch():
    """P = k-channel conv chain (leading weight slices) on the gathered channels, times the scores — via torch."""
    import torch
    import torch.nn.functional as F

    model, infos, _ = cifar_mod()
    res = _block_check(model, infos, np.load(MOD + ".input.npy"), "first-k")
    plain = onnx.load(PLAIN)
    w = {t.name: numpy_helper.to_array(t) for t in plain.graph.initializer}
    convs = {n.name: n for n in plain.graph.node if n.op_type == "Conv"}
    for i in infos:
        t = torch.from_numpy(res[i["gathered"]])
        for j, s in enumerate(i["slices_of_plain"]):
            conv = convs[s["conv"]]
            k = i["k"]
            t = F.conv2d(t, torch.from_numpy(w[conv.input[1]][:k, :k].copy()), torch.from_numpy(w[conv.input[2]][:k].copy()),
                         padding=1)
            if j < len(i["slices_of_plain"]) - 1:
                t = torch.relu(t)
        p = t.numpy() * res[i["topk_values"]][:, :, None, None]
        check(rel(res[i["scaled_output"]], p) < 1e-5, f"{i['block']}: P differs from torch reference")


def test_batch4_per_sample():
    rng = np.random.default_rng(3)  # chosen so that layer3.1 picks a different (ordered) top-4 in every sample
    x = np.concatenate([np.load(MOD + ".input.npy"), rng.standard_normal((3, 3, 32, 32)).astype(np.float32)])
    model4, infos, _ = cifar_mod(batch=4)
    model1, _, _ = cifar_mod()
    res = _block_check(model4, infos, x, "first-k")
    y4 = res["output"]
    for b in range(4):
        y1 = run(model1, x[b:b + 1])["output"]
        check(rel(y4[b:b + 1], y1) < 1e-5, f"sample {b}: batch-4 result differs from batch-1")
    distinct = [i["block"] for i in infos if len({tuple(r) for r in res[i["topk_indices"]]}) == 4]
    check(distinct == ["layer3.1"], f"per-sample selections not all distinct (blocks with 4 distinct: {distinct})")
    for i in infos:
        routers = {r["block"]: r for r in find_routers(model4)}
        g = score_gaps(run(model4, x, [routers[i["block"]]["scores"]])[routers[i["block"]]["scores"]], i["k"])
        check(g["min_gap_topk_plus1"] > 1e-5, f"{i['block']}: near-tie scores in test input")


def test_scatter_and_scatternd():
    x = np.load(MOD + ".input.npy")
    ref = run(cifar_mod()[0], x)["output"]
    for fusion in ("scatter", "first-k-scatternd"):
        model, infos, _ = cifar_mod(fusion=fusion, batch=2)
        xx = np.concatenate([x, -x])
        _block_check(model, infos, xx, fusion)
        ops = {n.op_type for n in model.graph.node}
        want = "ScatterElements" if fusion == "scatter" else "ScatterND"
        check(want in ops and "Concat" not in ops, f"{fusion}: ops {sorted(ops)}")
        y = run(model, xx)["output"][:1]
        if fusion == "first-k-scatternd":
            check(rel(y, ref) < 1e-6, "ScatterND first-k differs from Slice/Concat first-k")
        else:
            check(rel(y, ref) > 1e-3, "scatter fusion should differ from first-k on this input")


def test_dynamo_style():
    x = np.load(MOD + ".input.npy")
    model, infos, _ = cifar_mod(style="dynamo18")
    check(model.opset_import[0].version == 18, "dynamo18 must be opset 18")
    ops = [n.op_type for n in model.graph.node]
    check(ops.count("ReduceMean") == 3 and ops.count("Reshape") == 3, "ReduceMean + Reshape per router")
    check(ops.count("GlobalAveragePool") == 1 and "Where" not in ops, "no GAP in routers, no Where chain")
    err = rel(run(model, x)["output"], np.load(MOD + ".output.npy"))
    check(err <= TOL, f"dynamo18 output rel err {err:.3g}")
    _block_check(model, infos, x, "first-k")


def test_resnet50_bottleneck():
    x = np.random.default_rng(3).standard_normal((1, 3, 224, 224)).astype(np.float32)
    plain = resnet("bottleneck")
    folded = fold_bn(plain)
    check(not any("layer" in n.name for n in plain.graph.node), "test net must not carry torch name hints")
    check(macs(plain) == 4_089_184_256, f"plain ResNet-50 MACs {macs(plain)}")
    mp, infos, _ = build_mod(plain, MoDOptions(capacity=64, seed=11))
    mf, _, _ = build_mod(folded, MoDOptions(capacity=64, seed=11))
    want = ["layer1.1", "layer2.1", "layer2.3", "layer3.1", "layer3.3", "layer3.5", "layer4.1"]
    check([i["block"] for i in infos] == want, f"blocks {[i['block'] for i in infos]}")
    check([i["k"] for i in infos] == [4, 8, 8, 16, 16, 16, 32], "k per block")
    check(all(i["kind"] == "bottleneck" for i in infos), "kind")
    m = macs(mp)
    check(m == macs(mf) and abs(m - 2.565e9) / 2.565e9 < 0.005, f"MoD ResNet-50 MACs {m} not ≈ 2.565 G")
    ya, yb = run(mp, x)["output"], run(mf, x)["output"]
    check(rel(ya, yb) < TOL, f"MoD of BN-unfolded vs BN-folded plain: rel {rel(ya, yb):.3g}")
    check("BatchNormalization" in {n.op_type for n in mp.graph.node}, "unfolded BN kept in MoD blocks")


def test_scaled_mid_width():
    plain = resnet("bottleneck", layers=(2, 2), widths=(16, 32), stem=16, image=32, classes=10)
    model, infos, _ = build_mod(plain, MoDOptions(capacity=8, seed=1, mid_mode="scaled"))
    check([i["block"] for i in infos] == ["layer1.1", "layer2.1"], f"blocks {infos}")
    # layer1.1: C = 64, k = 8, width 16 -> m = 16 * 8 / 64 = 2
    check([s["weight"] for s in infos[0]["slices_of_plain"]] == ["[:2, :8]", "[:2, :2]", "[:8, :2]"],
          f"scaled slices {infos[0]['slices_of_plain']}")
    _block_check(model, infos, np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32),
                 "first-k")


def test_torch_export_bottleneck_folded_and_unfolded():
    """A real torch (legacy exporter) Bottleneck export, BN folded by the exporter or kept as BN nodes."""
    import warnings

    x = np.random.default_rng(4).standard_normal((1, 3, 32, 32)).astype(np.float32)
    with tempfile.TemporaryDirectory() as d, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_resnet_export(f"{d}/f.onnx", fold=True)
        torch_resnet_export(f"{d}/u.onnx", fold=False)
        folded, unfolded = onnx.load(f"{d}/f.onnx"), onnx.load(f"{d}/u.onnx")
    check("BatchNormalization" in {n.op_type for n in unfolded.graph.node}, "unfolded export keeps BN")
    check(rel(run(folded, x)["output"], run(unfolded, x)["output"]) < 1e-5, "plain folded vs unfolded")
    outs = []
    for plain in (folded, unfolded):
        model, infos, _ = build_mod(plain, MoDOptions(capacity=8, seed=9))
        check([(i["block"], i["C"], i["k"]) for i in infos] == [("layer1.1", 32, 4), ("layer2.1", 64, 8)],
              f"torch export blocks {infos}")
        convs = [n for n in model.graph.node if n.name.startswith("/layer2/layer2.1/conv")]
        check([n.name for n in convs] == [f"/layer2/layer2.1/conv{j}/Conv" for j in (1, 2, 3)], "torch-style names")
        _block_check(model, infos, x, "first-k")
        outs.append(run(model, x)["output"])
    check(rel(outs[0], outs[1]) < TOL, f"MoD of folded vs unfolded torch export: {rel(outs[0], outs[1]):.3g}")


def test_resnet18_hints_and_errors():
    plain = onnx.load(f"{FIX}/resnet18_op17.onnx")
    blocks = detect_blocks(infer(plain))
    check([b.name for b in blocks if b.eligible] == ["layer1.0", "layer1.1", "layer2.1", "layer3.1", "layer4.1"],
          f"eligible {[(b.name, b.eligible) for b in blocks]}")
    model, infos, _ = build_mod(plain, MoDOptions(capacity=64, blocks=["layer1.0", "layer4.1"], seed=2))
    check([(i["block"], i["k"]) for i in infos] == [("layer1.0", 1), ("layer4.1", 8)], f"explicit {infos}")
    check(run(model, np.load(f"{FIX}/resnet18_op17.input.npy"))["output"].shape == (1, 1000), "runs")
    for opts, text in ((MoDOptions(blocks=["layer2.0"]), "projection shortcut"),
                       (MoDOptions(blocks=["layer9.1"]), "not found"),
                       (MoDOptions(router_weights={}), "router weights lack")):
        try:
            build_mod(plain, opts)
            check(False, f"expected BlockError with '{text}'")
        except BlockError as e:
            check(text in str(e), f"error '{e}' lacks '{text}'")


def test_cli_roundtrip():
    with tempfile.TemporaryDirectory() as d:
        a, b, r = f"{d}/a.onnx", f"{d}/b.onnx", f"{d}/r.npz"
        check(builder_main([PLAIN, a, "--seed", "5", "--save-router", r, "--batch", "2"]) == 0, "cli seeded")
        check(builder_main([PLAIN, b, "--router-weights", r, "--batch", "2"]) == 0, "cli router file")
        check(reference_main([a, "--seed", "1", "--out", f"{d}/a"]) == 0, "reference a")
        check(reference_main([b, "--input", f"{d}/a.input.npy", "--out", f"{d}/b", "--plain", PLAIN]) == 0, "ref b")
        check(np.array_equal(np.load(f"{d}/a.output.npy"), np.load(f"{d}/b.output.npy")), "saved router differs")
        with open(f"{d}/b.mod.json") as f:
            doc = json.load(f)
        check(doc["batch"] == 2 and doc["macs"] == 2 * 26_658_080 and doc["plain_macs"] == 40_813_184, f"json {doc}")
        check([(x["block"], x["C"], x["k"], x["hidden"]) for x in doc["blocks"]]
              == [("layer1.1", 16, 1, 1), ("layer2.1", 32, 2, 2), ("layer3.1", 64, 4, 4)], f"json blocks {doc}")


def main() -> int:
    only = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else ""
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f) and only in n]
    failed = 0
    for name, fn in tests:
        try:
            fn()
            print(f"PASS {name}")
        except Exception:  # noqa: BLE001 - report every failure and keep going
            failed += 1
            print(f"FAIL {name}\n{traceback.format_exc()}")
    print(f"{len(tests) - failed}/{len(tests)} passed")
    return 1 if failed or not tests else 0


if __name__ == "__main__":
    sys.exit(main())
