#!/usr/bin/env python3
"""Build a CNN Mixture-of-Depths ONNX model from a plain ONNX ResNet, as a PyTorch CNN-MoD exports.

Reference oracle for modc's MoD transform (spec: shared/paper/mod.md). Usage:

  python3 tools/models/mod_builder.py PLAIN.onnx OUT.onnx [--mod-every N] [--capacity C] [--blocks a,b]
      [--fusion first-k|first-k-scatternd|scatter] [--router-weights F.npz | --seed S --save-router F.npz]
      [--style legacy17|dynamo18] [--batch B] [--mid-mode k|scaled]

Conventions pinned by reproducing shared/fixtures/mod/cifar_resnet20_mod_c16.output.npy (mod.md leaves them implicit):
- k = max(1, C // c), hidden = max(1, C // 16); Gemm weights are stored torch-style (out × in) with transB=1.
- TopK(largest=1, sorted=1) on the sigmoid scores; GatherElements puts channel idx[b, j] at position j, i.e. the
  k-channel block sees channels in descending score order, and output channel j is scaled by values[b, j].
- Every conv's parameters are the leading slices W[:k, :k], bias[:k] (BN: scale/B/mean/var[:k]) in that order,
  regardless of which channels were picked: output channel j of the k-block uses plain filter j.
- Add order is Add(Slice(X, 0:k), Mul(block, values)), then Relu, then Concat(…, Slice(X, k:INT64_MAX)) on axis 1.
- The block-internal ReLUs follow every conv except the last; the only ReLU after the last conv is the one after
  the residual Add (as in the plain block).
- The Expand shape is the constant [B, k, H, W], produced by the legacy exporter's ConstantOfShape/Mul/Equal/Where
  chain (all constant inputs, batch baked in). Hence a model built with --batch B only runs at batch B.
- Unsqueeze axes are [2] then [3] (legacy exporter, separate nodes); dynamo18 uses one Unsqueeze with axes [2, 3],
  ReduceMean(axes=[2, 3] as an input, keepdims=1) + Reshape([B, C]) for the pooling, and a plain constant Expand shape.
- fusion `scatter` (mod.md's "fuse back at the original positions"): Y = X with
  Y[b, idx[b, j]] = relu(X[b, idx[b, j]] + P[b, j]), exported as ScatterElements(X, expanded idx, upd, axis=1).
  `first-k-scatternd` computes exactly the first-k result, written in place (y[:, :k] = relu(x[:, :k] + p)) so
  it exports as ScatterND with constant (B, k, 2) indices.
- When k == C (c = 1) the empty Slice(X, k:) and the Concat are omitted. Conv attributes (pads, strides, …) are
  copied from the plain conv. With unfolded BN the BN parameters are sliced [:k] too; this equals slicing the folded
  conv, because folding acts per output channel (checked by test_mod_builder.test_resnet50_bottleneck).
- MACs (mod_reference.macs) count Conv and Gemm only; GAP, Mul, Add and data movement are not counted. ResNet-50
  c=64 gives 2,561,613,824 (brief: ≈ 2.565 G; counting the routers' GAP too would give 2,563,921,920).
- Seeded routers (no --router-weights): rng = numpy default_rng([seed, stage, index]); weights are
  N(0, (3 / sqrt(fan_in))^2) (gain 3, as in the fixture, so scores spread out), biases N(0, 0.1^2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mod_blocks import Block, BlockError, GraphIndex, detect_blocks  # noqa: E402

INT64_MAX = 9223372036854775807
FUSIONS = ("first-k", "first-k-scatternd", "scatter")
STYLES = ("legacy17", "dynamo18")


@dataclass
class MoDOptions:
    """Settings of the MoD transform (see module doc)."""

    mod_every: int = 2
    capacity: int = 16
    blocks: list[str] | None = None
    fusion: str = "first-k"
    style: str = "legacy17"
    router_weights: dict[str, np.ndarray] | None = None
    seed: int = 0
    batch: int | None = None
    mid_mode: str = "k"


def set_batch(model: onnx.ModelProto, batch: int) -> onnx.ModelProto:
    """Copy of ``model`` with the leading dim of every graph input/output set to ``batch`` and shapes cleared."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for vi in list(m.graph.input) + list(m.graph.output):
        if vi.name in {t.name for t in m.graph.initializer}:
            continue
        dims = vi.type.tensor_type.shape.dim
        if dims:
            dims[0].Clear()
            dims[0].dim_value = batch
    del m.graph.value_info[:]
    return m


def infer(model: onnx.ModelProto) -> onnx.ModelProto:
    return onnx.shape_inference.infer_shapes(model, strict_mode=True)


def select_blocks(blocks: list[Block], opts: MoDOptions) -> list[Block]:
    """Blocks to convert: the explicit list (each must exist and be eligible) or every N-th eligible block."""
    if opts.blocks:
        by_name = {b.name: b for b in blocks}
        chosen = []
        for name in opts.blocks:
            if name not in by_name:
                raise BlockError(f"block '{name}': not found (detected: {', '.join(by_name)})")
            if not by_name[name].eligible:
                raise BlockError(f"block '{name}': not eligible for MoD ({by_name[name].why_not})")
            chosen.append(by_name[name])
        return chosen
    n = opts.mod_every
    if n < 1:
        raise BlockError(f"--mod-every must be >= 1, got {n}")
    return [b for b in blocks if b.index > 0 and b.index % n == n - 1 and b.eligible]


def seeded_router(block: Block, c: int, hidden: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([seed, block.stage, block.index])
    gain = 3.0
    return {
        f"{block.name}.fc1.weight": (rng.standard_normal((hidden, c)) * gain / np.sqrt(c)).astype(np.float32),
        f"{block.name}.fc1.bias": (rng.standard_normal(hidden) * 0.1).astype(np.float32),
        f"{block.name}.fc2.weight": (rng.standard_normal((c, hidden)) * gain / np.sqrt(hidden)).astype(np.float32),
        f"{block.name}.fc2.bias": (rng.standard_normal(c) * 0.1).astype(np.float32),
    }


class _Emitter:
    """Appends nodes / initializers for one MoD block with torch-export-like names."""

    def __init__(self, block: Block, style: str):
        self.prefix = f"/layer{block.stage}/{block.name}"
        self.style = style
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.counts: dict[str, int] = {}

    def _name(self, scope: str, op: str) -> str:
        key = f"{scope}/{op}"
        n = self.counts.get(key, 0)
        self.counts[key] = n + 1
        return f"{self.prefix}{scope}/{op}" + (f"_{n}" if n else "")

    def node(self, op: str, inputs: list[str], scope: str = "", n_out: int = 1, **attrs) -> list[str]:
        name = self._name(scope, op)
        outs = [f"{name}_output_{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs

    def const(self, value: np.ndarray, scope: str = "") -> str:
        """An int64/float constant: a Constant node (legacy exporter) or an initializer (dynamo)."""
        if self.style == "legacy17":
            return self.node("Constant", [], scope, value=numpy_helper.from_array(value))[0]
        name = self._name(scope, "val").replace("/", "_").lstrip("_")
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def init(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name


def _i64(*v: int) -> np.ndarray:
    return np.array(v, dtype=np.int64)


def _emit_router(e: _Emitter, b: Block, x: str, k: int, router: dict[str, np.ndarray]) -> tuple[str, str, str]:
    bsz, c = b.in_shape[0], b.in_shape[1]
    if e.style == "legacy17":
        pooled = e.node("GlobalAveragePool", [x], "/selector/pool")[0]
        flat = e.node("Flatten", [pooled], "/selector", axis=1)[0]
    else:
        pooled = e.node("ReduceMean", [x, e.const(_i64(2, 3), "/selector")], "/selector", keepdims=1)[0]
        flat = e.node("Reshape", [pooled, e.const(_i64(bsz, c), "/selector")], "/selector")[0]
    w1 = e.init(f"{b.name}.selector.fc1.weight", router[f"{b.name}.fc1.weight"])
    b1 = e.init(f"{b.name}.selector.fc1.bias", router[f"{b.name}.fc1.bias"])
    w2 = e.init(f"{b.name}.selector.fc2.weight", router[f"{b.name}.fc2.weight"])
    b2 = e.init(f"{b.name}.selector.fc2.bias", router[f"{b.name}.fc2.bias"])
    h = e.node("Gemm", [flat, w1, b1], "/selector/fc1", alpha=1.0, beta=1.0, transB=1)[0]
    h = e.node("Relu", [h], "/selector")[0]
    s = e.node("Gemm", [h, w2, b2], "/selector/fc2", alpha=1.0, beta=1.0, transB=1)[0]
    s = e.node("Sigmoid", [s], "/selector")[0]
    values, idx = e.node("TopK", [s, e.const(_i64(k), "/selector")], "/selector", n_out=2,
                         axis=1, largest=1, sorted=1)
    return values, idx, s


def _unsqueeze23(e: _Emitter, t: str) -> str:
    if e.style == "legacy17":
        t = e.node("Unsqueeze", [t, e.const(_i64(2))])[0]
        return e.node("Unsqueeze", [t, e.const(_i64(3))])[0]
    return e.node("Unsqueeze", [t, e.const(_i64(2, 3))])[0]


def _expand_shape(e: _Emitter, shape: list[int]) -> str:
    if e.style != "legacy17":
        return e.const(_i64(*shape))
    ones = e.node("ConstantOfShape", [e.const(_i64(len(shape)))],
                  value=numpy_helper.from_array(_i64(1)))[0]
    neg = e.node("Mul", [ones, e.const(np.array(-1, dtype=np.int64))])[0]
    eq = e.node("Equal", [e.const(_i64(*shape)), neg])[0]
    return e.node("Where", [eq, ones, e.const(_i64(*shape))])[0]


def _slice_channels(e: _Emitter, x: str, start: int, end: int) -> str:
    axes = e.const(_i64(1))
    return e.node("Slice", [x, e.const(_i64(start)), e.const(_i64(end)), axes, e.const(_i64(1))])[0]


def _emit_convs(e: _Emitter, ix: GraphIndex, b: Block, xk: str, k: int, mid_mode: str) -> tuple[str, list[dict]]:
    cur, cin, slices = xk, k, []
    for i, u in enumerate(b.units):
        w = ix.array(u.conv.input[1], u.conv)
        last = i == len(b.units) - 1
        cout = k if last or mid_mode == "k" else max(1, w.shape[0] * k // b.c_in)
        tag = u.conv.name.split("/")[-2] if u.conv.name.count("/") >= 2 else f"conv{i + 1}"
        ins = [cur, e.init(f"{b.name}.{tag}.mod.weight", w[:cout, :cin])]
        if len(u.conv.input) > 2 and u.conv.input[2]:
            ins.append(e.init(f"{b.name}.{tag}.mod.bias", ix.array(u.conv.input[2], u.conv)[:cout]))
        attrs = {a.name: helper.get_attribute_value(a) for a in u.conv.attribute}
        cur = e.node("Conv", ins, f"/{tag}", **attrs)[0]
        slices.append({"conv": u.conv.name, "weight": f"[:{cout}, :{cin}]", "out": cout})
        if u.bn is not None:
            bn_ins = [cur] + [e.init(f"{b.name}.{tag}.mod.bn{j}", ix.array(p, u.bn)[:cout])
                              for j, p in enumerate(u.bn.input[1:5])]
            battrs = {a.name: helper.get_attribute_value(a) for a in u.bn.attribute}
            cur = e.node("BatchNormalization", bn_ins, f"/bn{i + 1}", **battrs)[0]
            slices[-1]["bn"] = f"[:{cout}]"
        if u.relu is not None:
            cur = e.node("Relu", [cur])[0]
        cin = cout
    return cur, slices


def _emit_block(ix: GraphIndex, b: Block, opts: MoDOptions, router: dict[str, np.ndarray], taken: set[str]):
    bsz, c, hgt, wid = b.in_shape
    k = max(1, c // opts.capacity)
    hidden = router[f"{b.name}.fc1.weight"].shape[0]
    e = _Emitter(b, opts.style)
    x = b.x
    values, idx, scores = _emit_router(e, b, x, k, router)
    idx4 = _unsqueeze23(e, idx)
    idx_full = e.node("Expand", [idx4, _expand_shape(e, [bsz, k, hgt, wid])])[0]
    xk = e.node("GatherElements", [x, idx_full], axis=1)[0]
    out, slices = _emit_convs(e, ix, b, xk, k, opts.mid_mode)
    p = e.node("Mul", [out, _unsqueeze23(e, values)])[0]
    if opts.fusion == "first-k":
        s = e.node("Add", [_slice_channels(e, x, 0, k), p])[0]
        r = e.node("Relu", [s])[0]
        y = r if k == c else e.node("Concat", [r, _slice_channels(e, x, k, INT64_MAX)], axis=1)[0]
    elif opts.fusion == "first-k-scatternd":
        s = e.node("Add", [_slice_channels(e, x, 0, k), p])[0]
        r = e.node("Relu", [s])[0]
        ind = np.stack(np.meshgrid(np.arange(bsz), np.arange(k), indexing="ij"), axis=-1).astype(np.int64)
        y = e.node("ScatterND", [x, e.const(ind), r])[0]
    elif opts.fusion == "scatter":
        s = e.node("Add", [xk, p])[0]
        r = e.node("Relu", [s])[0]
        y = e.node("ScatterElements", [x, idx_full, r], axis=1)[0]
    else:
        raise BlockError(f"block '{b.name}': unknown fusion '{opts.fusion}' (expected one of {FUSIONS})")
    # Keep the plain block's output name so downstream consumers need no rewiring; torch-style names of the new
    # nodes can coincide with that name (e.g. "Relu_1_output_0"), so such intermediates get a "_mod" suffix.
    clash = {o for n in e.nodes[:-1] for o in n.output if o == b.y or o in taken}
    for n in e.nodes:
        for lst in (n.input, n.output):
            for j, t in enumerate(lst):
                if t in clash:
                    lst[j] = t + "_mod"
    e.nodes[-1].output[0] = b.y

    def ren(t: str) -> str:
        return t + "_mod" if t in clash else t

    info = {"block": b.name, "kind": b.kind, "C": c, "c": opts.capacity, "k": k, "r": 16, "hidden": hidden,
            "mid": slices[0]["out"], "mid_mode": opts.mid_mode, "fusion": opts.fusion,
            "style": opts.style, "slices_of_plain": slices, "scores": ren(scores),
            "topk_values": ren(values), "topk_indices": ren(idx), "block_output": b.y,
            "block_input": x, "scaled_output": ren(p), "gathered": ren(xk)}
    return e.nodes, e.inits, info


def build_mod(plain: onnx.ModelProto, opts: MoDOptions) -> tuple[onnx.ModelProto, list[dict], dict]:
    """The MoD model, per-block info dicts, and the router weights used (keys ``{block}.fc1.weight`` …)."""
    if opts.fusion not in FUSIONS:
        raise BlockError(f"unknown fusion '{opts.fusion}' (expected one of {FUSIONS})")
    if opts.style not in STYLES:
        raise BlockError(f"unknown style '{opts.style}' (expected one of {STYLES})")
    if opts.capacity < 1:
        raise BlockError(f"capacity must be >= 1, got {opts.capacity}")
    model = set_batch(plain, opts.batch) if opts.batch else plain
    if opts.style == "dynamo18" and model.opset_import[0].version < 18:
        model = onnx.version_converter.convert_version(model, 18)
    model = infer(model)
    ix = GraphIndex(model)
    chosen = select_blocks(detect_blocks(model), opts)
    routers: dict[str, np.ndarray] = {}
    replaced: dict[int, tuple[list, list, dict]] = {}
    removed: set[int] = set()
    gone = {o for b in chosen for n in b.nodes for o in n.output}
    taken = {o for n in model.graph.node for o in n.output} - gone
    for b in chosen:
        c = b.in_shape[1]
        hidden = max(1, c // 16)
        if opts.router_weights is not None:
            r = {k: opts.router_weights[k] for k in opts.router_weights if k.startswith(b.name + ".")}
            _check_router(b, r, c, hidden)
        else:
            r = seeded_router(b, c, hidden, opts.seed)
        routers.update(r)
        replaced[id(b.nodes[0])] = _emit_block(ix, b, opts, r, taken)
        removed.update(id(n) for n in b.nodes)
    new_nodes, new_inits, infos = [], [], []
    for n in model.graph.node:
        if id(n) in replaced:
            nodes, inits, info = replaced[id(n)]
            new_nodes += nodes
            new_inits += inits
            infos.append(info)
        if id(n) not in removed:
            new_nodes.append(n)
    g = model.graph
    del g.node[:]
    g.node.extend(new_nodes)
    g.initializer.extend(new_inits)
    used = {x for n in g.node for x in n.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    del g.value_info[:]
    meta = [{k: v for k, v in i.items() if k in ("block", "kind", "C", "c", "k", "hidden", "fusion", "style")}
            for i in infos]
    helper.set_model_props(model, {"modc.mod": json.dumps(meta)})
    model = infer(model)
    onnx.checker.check_model(model)
    return model, infos, routers


def _check_router(b: Block, r: dict[str, np.ndarray], c: int, hidden: int) -> None:
    want = {f"{b.name}.fc1.weight": (hidden, c), f"{b.name}.fc1.bias": (hidden,),
            f"{b.name}.fc2.weight": (c, hidden), f"{b.name}.fc2.bias": (c,)}
    for key, shape in want.items():
        if key not in r:
            raise BlockError(f"block '{b.name}': router weights lack '{key}'")
        if tuple(r[key].shape) != shape:
            raise BlockError(f"block '{b.name}': '{key}' has shape {list(r[key].shape)}, expected {list(shape)}")
        r[key] = r[key].astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("plain")
    ap.add_argument("out")
    ap.add_argument("--mod-every", type=int, default=2)
    ap.add_argument("--capacity", type=int, default=16)
    ap.add_argument("--blocks", default=None, help="comma-separated block names, e.g. layer1.1,layer3.1")
    ap.add_argument("--fusion", choices=FUSIONS, default="first-k")
    ap.add_argument("--router-weights", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save-router", default=None)
    ap.add_argument("--style", choices=STYLES, default="legacy17")
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--mid-mode", choices=("k", "scaled"), default="k")
    a = ap.parse_args(argv)
    opts = MoDOptions(mod_every=a.mod_every, capacity=a.capacity, fusion=a.fusion, style=a.style, seed=a.seed,
                      batch=a.batch, mid_mode=a.mid_mode,
                      blocks=[s for s in a.blocks.split(",") if s] if a.blocks else None)
    if a.router_weights:
        with np.load(a.router_weights) as z:
            opts.router_weights = {k: z[k] for k in z.files}
    else:
        print("warning: seeded random router weights; the MoD model needs training", file=sys.stderr)
    try:
        model, infos, routers = build_mod(onnx.load(a.plain), opts)
    except BlockError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    onnx.save(model, a.out)
    if a.save_router:
        np.savez(a.save_router, **routers)
    for i in infos:
        print(f"{i['block']}: {i['kind']} C={i['C']} k={i['k']} hidden={i['hidden']} fusion={i['fusion']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
