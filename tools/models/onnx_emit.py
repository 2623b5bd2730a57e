"""Graph emitter for ResNet-family ONNX models.

The topology code in ``resnet_builder.py`` describes a network in terms of torch module paths
(``layer1.0.conv1``); this module turns those calls into ONNX nodes, applying one ``ExportOptions``:
opset, naming style (torch legacy exporter, dynamo, MXNet/caffe2 zoo), BatchNorm folding, the head
variant (GlobalAveragePool+Flatten, view chain, ReduceMean+Reshape/Squeeze, AveragePool) and a
static or dynamic batch.  It also tracks shapes, counts Conv/Gemm MACs analytically and, in
``calib`` mode, replaces every BatchNormalization by a batch-statistics subgraph whose mean and
variance are exported as extra graph outputs (used to calibrate running statistics in one run).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from onnx import TensorProto, helper, numpy_helper

BN_EPS = 1e-5


@dataclass(frozen=True)
class ExportOptions:
    """How a topology is written to ONNX (independent of the architecture)."""

    opset: int = 17                 # 8, 9, 11, 13, 17 or 18
    style: str = "torch"            # "torch" (legacy exporter), "dynamo", "zoo" (caffe2/MXNet)
    bn_folded: bool = True          # fold Conv->BN pairs into the Conv (exporter behaviour)
    head: str = "flatten"           # flatten | view_chain | reshape_const | reduce_reshape | reduce_squeeze | avgpool_view
    dynamic_batch: bool = False     # dim_param "batch_size" on input/output
    external: bool = False          # weights as external data
    softmax: bool = False           # final Softmax (zoo style)
    const_of_shape: bool = False    # zero Conv biases produced by ConstantOfShape (zoo style, opset >= 9)


class ParamStore:
    """Seeded parameters keyed by torch state_dict names, created on first use."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.tensors: dict[str, np.ndarray] = {}
        self.trainable: set[str] = set()

    def conv_weight(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in self.tensors:
            fan_out = shape[0] * shape[2] * shape[3]  # kaiming_normal_(mode="fan_out"), as torchvision
            std = np.sqrt(2.0 / fan_out)
            self.tensors[name] = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
            self.trainable.add(name)
        return self.tensors[name]

    def bn(self, prefix: str, c: int, gamma_scale: float = 1.0) -> None:
        if prefix + ".weight" in self.tensors:
            return
        self.tensors[prefix + ".weight"] = (self.rng.uniform(0.5, 1.5, c) * gamma_scale).astype(np.float32)
        self.tensors[prefix + ".bias"] = (self.rng.standard_normal(c) * 0.1).astype(np.float32)
        self.tensors[prefix + ".running_mean"] = np.zeros(c, np.float32)   # calibrated later
        self.tensors[prefix + ".running_var"] = np.ones(c, np.float32)
        self.trainable.update({prefix + ".weight", prefix + ".bias"})

    def linear(self, prefix: str, cout: int, cin: int) -> None:
        if prefix + ".weight" in self.tensors:
            return
        bound = 1.0 / np.sqrt(cin)
        self.tensors[prefix + ".weight"] = self.rng.uniform(-bound, bound, (cout, cin)).astype(np.float32)
        self.tensors[prefix + ".bias"] = self.rng.uniform(-bound, bound, cout).astype(np.float32)
        self.trainable.update({prefix + ".weight", prefix + ".bias"})

    def param_count(self) -> int:
        return int(sum(self.tensors[n].size for n in self.trainable))


def torch_scope(path: str) -> str:
    """``layer1.0.downsample.0`` -> ``/layer1/layer1.0/downsample/downsample.0`` (torch scope names)."""
    segs: list[str] = []
    for part in path.split("."):
        if part.isdigit() and segs:
            segs.append(segs[-1].split("/")[-1] + "." + part)
        else:
            segs.append(part)
    return "".join("/" + s for s in segs)


class Emitter:
    """Accumulates nodes/initializers for one model; see module docstring."""

    def __init__(self, params: ParamStore, opts: ExportOptions, mode: str = "infer", batch: int = 1) -> None:
        assert mode in ("infer", "calib")
        self.p, self.o, self.mode, self.batch = params, opts, mode, batch
        self.nodes: list = []
        self.inits: list = []
        self.init_names: set[str] = set()
        self.shapes: dict[str, tuple[int, ...]] = {}   # batch-1 shapes
        self.used: set[str] = set()
        self.kind_counts: dict[str, int] = {}
        self.anon = 0
        self.macs = 0
        self.calib_outputs: list[tuple[str, str, str]] = []  # (bn prefix, mean tensor, var tensor)

    # ----- naming -------------------------------------------------------------------------------
    def _unique(self, make: Callable[[int], str]) -> str:
        i = 0
        while True:
            name = make(i)
            if name not in self.used:
                self.used.add(name)
                return name
            i += 1

    def _node_name(self, module: str | None, op: str, functional: bool = False) -> str:
        """Node name in the configured style; ``module`` is a torch module path (the op's own module, or
        with ``functional`` the scope a functional op is called in; None at top level)."""
        if self.o.style == "zoo":
            kind = {"Conv": "conv", "BatchNormalization": "batchnorm", "Relu": "relu", "Sum": "plus",
                    "Add": "plus", "Gemm": "dense", "MaxPool": "pool", "AveragePool": "pool"}.get(op, op.lower())
            stage = ""
            if module and module.startswith("layer"):
                stage = "stage" + module.split(".")[0][5:] + "_"
            key = stage + kind
            n = self.kind_counts.get(key, 0)
            self.kind_counts[key] = n + 1
            sep = "_" if kind == "plus" else ""
            return f"resnetv15_{stage}{sep}{kind}{n}_fwd" if kind != "plus" else f"resnetv15_{stage}_plus{n}"
        if self.o.style == "dynamo":
            base = "node_" + op
            return self._unique(lambda i: base if i == 0 else f"{base}_{i}")
        scope = torch_scope(module) if module else ""
        if module and not functional:
            head, last = scope.rsplit("/", 1)
            return self._unique(lambda i: f"{head}/{last}{'' if i == 0 else '_' + str(i)}/{op}")
        return self._unique(lambda i: f"{scope}/{op}" + ("" if i == 0 else f"_{i}"))

    def _out(self, node_name: str) -> str:
        if self.o.style == "zoo":
            return node_name
        if self.o.style == "dynamo":
            return node_name[len("node_"):].lower()
        return node_name + "_output_0"

    def _init_name(self, key: str, op: str) -> str:
        """Initializer name for torch key ``key`` consumed by ``op`` (anonymous if derived)."""
        if self.o.style == "zoo":
            mod, attr = key.rsplit(".", 1)
            attr = {"weight": "weight", "bias": "bias"}.get(attr, attr)
            return "resnetv15_" + mod.replace(".", "_") + "_" + attr
        return key

    def _anon_name(self, op: str) -> str:
        self.anon += 1
        return f"val_{100 + self.anon}" if self.o.style == "dynamo" else f"onnx::{op}_{100 + self.anon}"

    # ----- primitives ---------------------------------------------------------------------------
    def init(self, name: str, arr: np.ndarray) -> str:
        if name not in self.init_names:
            self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
            self.init_names.add(name)
        return name

    def const(self, arr: np.ndarray, module: str | None = None, as_node: bool = False) -> str:
        """A small constant: a ``Constant`` node (unfolded export) or an anonymous initializer."""
        if as_node:
            name = self._node_name(module, "Constant")
            out = self._out(name)
            self.nodes.append(helper.make_node("Constant", [], [out], name=name,
                                               value=numpy_helper.from_array(arr, out)))
            return out
        return self.init(self._anon_name("Constant"), arr)

    def node(self, op: str, inputs: list[str], module: str | None, shape: tuple[int, ...] | None,
             functional: bool = False, **attrs) -> str:
        name = self._node_name(module, op, functional)
        out = self._out(name)
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        if shape is not None:
            self.shapes[out] = shape
        return out

    def axes_input(self, op: str, axes: list[int], module: str | None, x: str, attr_below: int) -> tuple[list[str], dict]:
        """Axes as an attribute (opset < attr_below) or an int64 input."""
        if self.o.opset < attr_below:
            return [x], {"axes": axes}
        unfolded = self.o.head in ("view_chain", "avgpool_view")
        return [x, self.const(np.array(axes, np.int64), module, as_node=unfolded)], {}

    # ----- layers -------------------------------------------------------------------------------
    def conv_bn(self, x: str, conv: str, bn: str | None, cout: int, k: int, stride: int, pad: int,
                groups: int = 1, gamma_scale: float = 1.0) -> str:
        n, cin, h, w = self.shapes[x]
        wkey = conv + ".weight"
        wt = self.p.conv_weight(wkey, (cout, cin // groups, k, k))
        ho, wo = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        self.macs += cout * ho * wo * (cin // groups) * k * k
        attrs = dict(dilations=[1, 1], group=groups, kernel_shape=[k, k], pads=[pad] * 4, strides=[stride] * 2)
        fold = bn is not None and self.o.bn_folded and self.mode == "infer"
        if fold:
            self.p.bn(bn, cout, gamma_scale)
            t = self.p.tensors
            scale = t[bn + ".weight"] / np.sqrt(t[bn + ".running_var"] + BN_EPS)
            wf = (wt * scale[:, None, None, None]).astype(np.float32)
            bf = (t[bn + ".bias"] - t[bn + ".running_mean"] * scale).astype(np.float32)
            ins = [x, self.init(self._anon_name("Conv"), wf), self.init(self._anon_name("Conv"), bf)]
        else:
            ins = [x, self.init(self._init_name(wkey, "Conv"), wt)]
            if self.o.style == "zoo" and ".downsample" in conv:
                ins.append(self.zero_bias(conv, cout))
        y = self.node("Conv", ins, conv, (n, cout, ho, wo), **attrs)
        if bn is not None and not fold:
            y = self.bn(y, bn, gamma_scale)
        return y

    def zero_bias(self, module: str, c: int) -> str:
        """Zero Conv bias: ConstantOfShape (opset >= 9) or a Constant node."""
        if self.o.const_of_shape and self.o.opset >= 9:
            shp = self.init(self._init_name(module + ".bias_shape", "ConstantOfShape"), np.array([c], np.int64))
            return self.node("ConstantOfShape", [shp], module, (c,),
                             value=helper.make_tensor("value", TensorProto.FLOAT, [1], [0.0]))
        return self.const(np.zeros(c, np.float32), module, as_node=True)

    def bn(self, x: str, prefix: str, gamma_scale: float = 1.0) -> str:
        shape = self.shapes[x]
        c = shape[1]
        self.p.bn(prefix, c, gamma_scale)
        t = self.p.tensors
        if self.mode == "calib":
            return self._bn_batch_stats(x, prefix, shape)
        ins = [x] + [self.init(self._init_name(prefix + s, "BatchNormalization"), t[prefix + s])
                     for s in (".weight", ".bias", ".running_mean", ".running_var")]
        attrs = {"epsilon": BN_EPS, "momentum": 0.9}
        if self.o.style == "dynamo":
            attrs["training_mode"] = 0
        return self.node("BatchNormalization", ins, prefix, shape, **attrs)

    def _bn_batch_stats(self, x: str, prefix: str, shape: tuple[int, ...]) -> str:
        c = shape[1]
        t = self.p.tensors
        r = lambda v: self.init(prefix + ".calib_" + str(len(self.inits)), v.reshape(1, c, 1, 1).astype(np.float32))
        m = self.node("ReduceMean", [x], prefix, None, axes=[0, 2, 3], keepdims=1)
        d = self.node("Sub", [x, m], prefix, None)
        v = self.node("ReduceMean", [self.node("Mul", [d, d], prefix, None)], prefix, None, axes=[0, 2, 3], keepdims=1)
        eps = self.init("calib_eps", np.array(BN_EPS, np.float32))
        den = self.node("Sqrt", [self.node("Add", [v, eps], prefix, None)], prefix, None)
        y = self.node("Div", [d, den], prefix, None)
        y = self.node("Add", [self.node("Mul", [y, r(t[prefix + ".weight"])], prefix, None),
                              r(t[prefix + ".bias"])], prefix, shape)
        self.calib_outputs.append((prefix, m, v))
        return y

    def relu(self, x: str, module: str | None, functional: bool = False) -> str:
        return self.node("Relu", [x], module, self.shapes[x], functional=functional)

    def add(self, a: str, b: str, scope: str) -> str:
        op = "Sum" if self.o.style == "zoo" else "Add"
        return self.node(op, [a, b], scope, self.shapes[a], functional=True)

    def maxpool(self, x: str, module: str, k: int = 3, s: int = 2, p: int = 1) -> str:
        n, c, h, w = self.shapes[x]
        attrs = dict(kernel_shape=[k, k], pads=[p] * 4, strides=[s, s])
        if self.o.opset >= 10:
            attrs.update(ceil_mode=0, dilations=[1, 1])
        return self.node("MaxPool", [x], module, (n, c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1), **attrs)

    def option_a_shortcut(self, x: str, module: str, planes: int) -> str:
        """akamaster CIFAR shortcut: ``F.pad(x[:, :, ::2, ::2], (0,0,0,0,planes//4,planes//4))``."""
        n, c, h, w = self.shapes[x]
        unfolded = self.o.head in ("view_chain", "avgpool_view")
        cst = lambda a: self.const(np.array(a, np.int64), module, as_node=unfolded)
        big = np.iinfo(np.int64).max
        y = self.node("Slice", [x, cst([0, 0]), cst([big, big]), cst([2, 3]), cst([2, 2])], module,
                      (n, c, (h + 1) // 2, (w + 1) // 2))
        q = planes // 4
        pads = cst([0, q, 0, 0, 0, q, 0, 0])
        zero = self.const(np.array(0.0, np.float32), module, as_node=unfolded)
        return self.node("Pad", [y, pads, zero], module, (n, c + 2 * q, (h + 1) // 2, (w + 1) // 2), mode="constant")

    def head(self, x: str, fc: str, num_classes: int, pool_module: str = "avgpool") -> str:
        """Global pool + flatten + Gemm in the configured head style; returns the logits tensor."""
        n, c, h, w = self.shapes[x]
        style = self.o.head
        if style in ("reduce_reshape", "reduce_squeeze"):
            keep = 1
            ins, attrs = self.axes_input("ReduceMean", [-1, -2], pool_module, x, 18)
            y = self.node("ReduceMean", ins, pool_module, (n, c, 1, 1), keepdims=keep, **attrs)
            if style == "reduce_squeeze":
                ins, attrs = self.axes_input("Squeeze", [3, 2], None, y, 13)
                flat = self.node("Squeeze", ins, None, (n, c), **attrs)
            else:
                flat = self._reshape_flat(y, c)
        elif style == "avgpool_view":
            y = self.node("AveragePool", [x], None, (n, c, 1, 1), ceil_mode=0, kernel_shape=[h, w],
                          pads=[0, 0, 0, 0], strides=[h, w])
            flat = self._view_chain(y, c)
        elif self.o.style == "zoo":
            y = self.node("AveragePool", [x], pool_module, (n, c, 1, 1), kernel_shape=[h, w], strides=[1, 1])
            flat = self.node("Flatten", [y], None, (n, c), axis=1)
        else:
            y = self.node("GlobalAveragePool", [x], pool_module, (n, c, 1, 1))
            if style == "flatten":
                flat = self.node("Flatten", [y], None, (n, c), axis=1)
            elif style == "view_chain":
                flat = self._view_chain(y, c)
            else:
                flat = self._reshape_flat(y, c)
        self.p.linear(fc, num_classes, c)
        t = self.p.tensors
        self.macs += c * num_classes
        ins = [flat, self.init(self._init_name(fc + ".weight", "Gemm"), t[fc + ".weight"]),
               self.init(self._init_name(fc + ".bias", "Gemm"), t[fc + ".bias"])]
        return self.node("Gemm", ins, fc, (n, num_classes), alpha=1.0, beta=1.0, transB=1)

    def _reshape_flat(self, y: str, c: int) -> str:
        if self.o.dynamic_batch:
            return self._view_chain(y, c)
        shape = self.const(np.array([self.batch, c], np.int64))
        return self.node("Reshape", [y, shape], None, (1, c))

    def _view_chain(self, y: str, c: int) -> str:
        """``x.view(x.size(0), -1)`` exported without constant folding."""
        unfolded = self.o.head in ("view_chain", "avgpool_view")
        shp = self.node("Shape", [y], None, None)
        idx = self.const(np.array(0, np.int64), None, as_node=unfolded)
        g = self.node("Gather", [shp, idx], None, None, axis=0)
        ins, attrs = self.axes_input("Unsqueeze", [0], None, g, 13)
        u = self.node("Unsqueeze", ins, None, None, **attrs)
        minus1 = self.const(np.array([-1], np.int64), None, as_node=unfolded)
        cat = self.node("Concat", [u, minus1], None, None, axis=0)
        return self.node("Reshape", [y, cat], None, (1, c))

    def softmax(self, x: str) -> str:
        return self.node("Softmax", [x], None, self.shapes[x], axis=1)
