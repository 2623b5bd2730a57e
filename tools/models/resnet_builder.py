"""ONNX ResNets built with ``onnx.helper`` + numpy, mirroring torchvision / common PyTorch topologies.

Architectures (``ARCHS``): resnet18/34/50/101/152, wide_resnet50_2, resnext50_32x4d (torchvision),
cifar_resnet20/32 (He et al. 2016 with option-A shortcuts, as in the widely used akamaster code),
preact_resnet18 (ResNet v2, BN-ReLU-conv, CIFAR stem, final BN-ReLU).  Export styles come from
``onnx_emit.ExportOptions``.  Weights are seeded (He-normal convs, random BN affine) and the BN
running statistics are calibrated with one onnxruntime run of a batch-statistics twin of the model,
so activations stay O(1) for standard-normal inputs.

Usage: ``model, info = build_resnet("resnet18", ExportOptions(opset=17), seed=0)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper

from onnx_emit import Emitter, ExportOptions, ParamStore


@dataclass(frozen=True)
class ResNetSpec:
    """Topology of one ResNet variant (torchvision argument names where they exist)."""

    block: str                       # basic | bottleneck | preact_basic
    layers: tuple[int, ...]
    stem: str = "imagenet"           # imagenet (7x7/2 conv + maxpool) | cifar (3x3 conv)
    widths: tuple[int, ...] = (64, 128, 256, 512)
    groups: int = 1
    width_per_group: int = 64
    shortcut: str = "B"              # B: 1x1 projection (+BN) | A: stride-2 Slice + channel Pad
    num_classes: int = 1000
    image: int = 224


ARCHS: dict[str, ResNetSpec] = {
    "resnet18": ResNetSpec("basic", (2, 2, 2, 2)),
    "resnet34": ResNetSpec("basic", (3, 4, 6, 3)),
    "resnet50": ResNetSpec("bottleneck", (3, 4, 6, 3)),
    "resnet101": ResNetSpec("bottleneck", (3, 4, 23, 3)),
    "resnet152": ResNetSpec("bottleneck", (3, 8, 36, 3)),
    "wide_resnet50_2": ResNetSpec("bottleneck", (3, 4, 6, 3), width_per_group=128),
    "resnext50_32x4d": ResNetSpec("bottleneck", (3, 4, 6, 3), groups=32, width_per_group=4),
    "cifar_resnet20": ResNetSpec("basic", (3, 3, 3), "cifar", (16, 32, 64), shortcut="A", num_classes=10, image=32),
    "cifar_resnet32": ResNetSpec("basic", (5, 5, 5), "cifar", (16, 32, 64), shortcut="A", num_classes=10, image=32),
    "preact_resnet18": ResNetSpec("preact_basic", (2, 2, 2, 2), "cifar", num_classes=10, image=32),
}


# ----- topology walks (torch module paths drive the names) ------------------------------------------
def _basic(e: Emitter, x: str, m: str, cin: int, planes: int, stride: int, spec: ResNetSpec) -> str:
    cifar = spec.stem == "cifar"
    y = e.conv_bn(x, f"{m}.conv1", f"{m}.bn1", planes, 3, stride, 1)
    y = e.relu(y, m, functional=True) if cifar else e.relu(y, f"{m}.relu")
    y = e.conv_bn(y, f"{m}.conv2", f"{m}.bn2", planes, 3, 1, 1, gamma_scale=0.5)
    sc = _shortcut(e, x, m, cin, planes, stride, spec)
    y = e.add(y, sc, m)
    return e.relu(y, m, functional=True) if cifar else e.relu(y, f"{m}.relu")


def _shortcut(e: Emitter, x: str, m: str, cin: int, cout: int, stride: int, spec: ResNetSpec) -> str:
    if stride == 1 and cin == cout:
        return x
    if spec.shortcut == "A":
        return e.option_a_shortcut(x, f"{m}.shortcut", cout)
    return e.conv_bn(x, f"{m}.downsample.0", f"{m}.downsample.1", cout, 1, stride, 0)


def _bottleneck(e: Emitter, x: str, m: str, cin: int, planes: int, stride: int, spec: ResNetSpec) -> str:
    width = planes * spec.width_per_group // 64 * spec.groups
    y = e.relu(e.conv_bn(x, f"{m}.conv1", f"{m}.bn1", width, 1, 1, 0), f"{m}.relu")
    y = e.relu(e.conv_bn(y, f"{m}.conv2", f"{m}.bn2", width, 3, stride, 1, spec.groups), f"{m}.relu")
    y = e.conv_bn(y, f"{m}.conv3", f"{m}.bn3", planes * 4, 1, 1, 0, gamma_scale=0.5)
    y = e.add(y, _shortcut(e, x, m, cin, planes * 4, stride, spec), m)
    return e.relu(y, f"{m}.relu")


def _preact(e: Emitter, x: str, m: str, cin: int, planes: int, stride: int, spec: ResNetSpec) -> str:
    """kuangliu-style PreActBlock: out = relu(bn1(x)); sc = shortcut(out) or x; conv1; relu(bn2); conv2; +sc."""
    pre = e.relu(e.bn(x, f"{m}.bn1"), m, functional=True)
    if stride != 1 or cin != planes:
        sc = e.conv_bn(pre, f"{m}.shortcut.0", None, planes, 1, stride, 0)
    else:
        sc = x
    y = e.relu(e.conv_bn(pre, f"{m}.conv1", f"{m}.bn2", planes, 3, stride, 1), m, functional=True)
    y = e.conv_bn(y, f"{m}.conv2", None, planes, 3, 1, 1)
    return e.add(y, sc, m)


def walk(spec: ResNetSpec, e: Emitter, x: str) -> str:
    """Emit the whole network on ``e`` starting from input tensor ``x``; returns the logits tensor."""
    if spec.stem == "imagenet":
        y = e.relu(e.conv_bn(x, "conv1", "bn1", spec.widths[0], 7, 2, 3), "relu")
        y = e.maxpool(y, "maxpool")
        cin = spec.widths[0]
    elif spec.block == "preact_basic":
        y = e.conv_bn(x, "conv1", None, spec.widths[0], 3, 1, 1)
        cin = spec.widths[0]
    else:
        y = e.relu(e.conv_bn(x, "conv1", "bn1", spec.widths[0], 3, 1, 1), None, functional=True)
        cin = spec.widths[0]
    block = {"basic": _basic, "bottleneck": _bottleneck, "preact_basic": _preact}[spec.block]
    expansion = 4 if spec.block == "bottleneck" else 1
    for li, (n, planes) in enumerate(zip(spec.layers, spec.widths)):
        for bi in range(n):
            stride = 2 if li > 0 and bi == 0 else 1
            y = block(e, y, f"layer{li + 1}.{bi}", cin, planes, stride, spec)
            cin = planes * expansion
    if spec.block == "preact_basic":
        y = e.relu(e.bn(y, "bn"), None, functional=True)
    fc = "linear" if spec.stem == "cifar" else "fc"
    y = e.head(y, fc, spec.num_classes)
    if e.o.softmax:
        y = e.softmax(y)
    return y


def analytic_counts(spec: ResNetSpec) -> tuple[int, int]:
    """(Conv + Gemm MACs at batch 1, trainable parameter count) computed from the spec alone."""
    macs = params = 0
    hw = spec.image

    def conv(cin: int, cout: int, k: int, s: int, p: int, hw_in: int, g: int = 1, bn: bool = True) -> int:
        nonlocal macs, params
        hw_out = (hw_in + 2 * p - k) // s + 1
        macs += cout * (cin // g) * k * k * hw_out * hw_out
        params += cout * (cin // g) * k * k + (2 * cout if bn else 0)
        return hw_out

    c = spec.widths[0]
    if spec.stem == "imagenet":
        hw = conv(3, c, 7, 2, 3, hw)
        hw = (hw + 2 - 3) // 2 + 1
    else:
        hw = conv(3, c, 3, 1, 1, hw, bn=spec.block != "preact_basic")
    exp = 4 if spec.block == "bottleneck" else 1
    for li, (n, planes) in enumerate(zip(spec.layers, spec.widths)):
        for bi in range(n):
            s = 2 if li > 0 and bi == 0 else 1
            proj = s != 1 or c != planes * exp
            if spec.block == "bottleneck":
                w = planes * spec.width_per_group // 64 * spec.groups
                conv(c, w, 1, 1, 0, hw)
                out = conv(w, w, 3, s, 1, hw, spec.groups)
                conv(w, planes * 4, 1, 1, 0, out)
            elif spec.block == "preact_basic":
                params += 2 * c
                out = conv(c, planes, 3, s, 1, hw)
                conv(planes, planes, 3, 1, 1, out, bn=False)
            else:
                out = conv(c, planes, 3, s, 1, hw)
                conv(planes, planes, 3, 1, 1, out)
            if proj and spec.shortcut == "B":
                conv(c, planes * exp, 1, s, 0, hw, bn=spec.block != "preact_basic")
            c, hw = planes * exp, out
    if spec.block == "preact_basic":
        params += 2 * c
    macs += c * spec.num_classes
    params += c * spec.num_classes + spec.num_classes
    return macs, params


# ----- model assembly --------------------------------------------------------------------------------
def _assemble(e: Emitter, spec: ResNetSpec, batch: int, out: str, extra_outputs: list[str] = ()) -> onnx.ModelProto:
    o = e.o
    zoo = o.style == "zoo"
    in_name, out_name = ("data", out) if zoo else ("input", "output")
    if not zoo:
        for node in e.nodes:
            node.output[:] = [out_name if t == out else t for t in node.output]
    b = "batch_size" if o.dynamic_batch else batch
    inputs = [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, [b, 3, spec.image, spec.image])]
    if zoo:  # IR v3: every initializer is also a graph input
        inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in e.inits]
    outputs = [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, [b, spec.num_classes])]
    outputs += [helper.make_tensor_value_info(t, TensorProto.FLOAT, None) for t in extra_outputs]
    graph = helper.make_graph(e.nodes, "main_graph" if not zoo else "resnet", inputs, outputs, e.inits)
    ir = {8: 3, 9: 4, 11: 6, 13: 7, 17: 8, 18: 10}[o.opset]
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", o.opset)], ir_version=ir,
                              producer_name="modc-resnet-builder", producer_version=f"{o.style}-style")
    return model


def _rename_input(e: Emitter, name: str) -> None:
    for node in e.nodes:
        node.input[:] = [name if t == "__input__" else t for t in node.input]


def calibrate(spec: ResNetSpec, params: ParamStore, batch: int, seed: int) -> None:
    """Set every BN's running mean/var to its batch statistics on a random batch (one ORT run)."""
    import onnxruntime as ort

    e = Emitter(params, ExportOptions(opset=17, bn_folded=False), mode="calib", batch=batch)
    e.shapes["__input__"] = (1, 3, spec.image, spec.image)
    out = walk(spec, e, "__input__")
    _rename_input(e, "input")
    extra = [t for _, m, v in e.calib_outputs for t in (m, v)]
    model = _assemble(e, spec, batch, out, extra)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(seed + 7919).standard_normal((batch, 3, spec.image, spec.image)).astype(np.float32)
    res = sess.run(extra, {"input": x})
    for i, (prefix, _, _) in enumerate(e.calib_outputs):
        params.tensors[prefix + ".running_mean"] = res[2 * i].reshape(-1).astype(np.float32)
        params.tensors[prefix + ".running_var"] = res[2 * i + 1].reshape(-1).astype(np.float32)


# Calibrated parameters are immutable once built, so export variants of one architecture share them.
_CALIBRATED: dict[tuple[ResNetSpec, int, int], ParamStore] = {}


@dataclass
class BuildInfo:
    """Analytic facts about a built model (batch 1)."""

    macs: int
    params: int
    initializer_elems: int


def build_resnet(arch: str | ResNetSpec, opts: ExportOptions, seed: int = 0, batch: int = 1,
                 calib_batch: int | None = None) -> tuple[onnx.ModelProto, BuildInfo]:
    """Build, calibrate and export one ResNet; ``batch`` is the static batch (ignored if dynamic)."""
    spec = ARCHS[arch] if isinstance(arch, str) else arch
    cb = calib_batch or (8 if spec.image <= 64 else 2)
    params = _CALIBRATED.get((spec, seed, cb))
    if params is None:
        params = ParamStore(seed)
        calibrate(spec, params, cb, seed)
        _CALIBRATED.clear()     # keep one architecture's weights alive at a time (memory)
        _CALIBRATED[(spec, seed, cb)] = params
    e = Emitter(params, opts, mode="infer", batch=batch)
    e.shapes["__input__"] = (1, 3, spec.image, spec.image)
    out = walk(spec, e, "__input__")
    _rename_input(e, "data" if opts.style == "zoo" else "input")
    model = _assemble(e, spec, batch, out)
    elems = sum(int(np.prod(t.dims)) for t in e.inits if t.data_type == TensorProto.FLOAT)
    return model, BuildInfo(macs=e.macs, params=params.param_count(), initializer_elems=elems)


if __name__ == "__main__":
    import sys
    import time

    for a in sys.argv[1:] or ["resnet18"]:
        t0 = time.time()
        m, info = build_resnet(a, ExportOptions())
        onnx.checker.check_model(m)
        print(f"{a}: {info} ({time.time() - t0:.2f}s)")
