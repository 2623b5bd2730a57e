"""Residual-block detection in plain ONNX ResNets (torchvision BasicBlock / Bottleneck).

Detection is purely structural, so it works on torch exports and on onnx.helper-built graphs alike:
a block is ``Relu(Add(branch, shortcut))`` where ``branch`` is a single-consumer chain
``Conv [BN] Relu Conv [BN] (Relu Conv [BN])`` that starts at the block input X, and ``shortcut`` is
either X itself (identity) or a ``Conv [BN]`` chain that starts at X (projection / downsample).

Blocks are numbered like torchvision (``layer{stage}.{index}``, stage from 1, index from 0). A new
stage starts at a block with a projection shortcut or whose input is not the previous block's output.
Node names of torch exports (``/layer3/layer3.1/conv1/Conv``) are used as a hint: when every block
carries exactly one ``layerS.I`` token, those names win; otherwise the structural numbering is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import onnx
from onnx import numpy_helper


class BlockError(Exception):
    """A graph or option problem, always naming the node / block concerned."""


@dataclass
class ConvUnit:
    """One conv of a block's branch with its optional (unfolded) BatchNormalization and ReLU."""

    conv: onnx.NodeProto
    bn: onnx.NodeProto | None
    relu: onnx.NodeProto | None


@dataclass
class Block:
    """A detected residual block."""

    name: str                    # layer{stage}.{index}
    stage: int
    index: int
    x: str                       # block input tensor
    y: str                       # block output tensor (output of the final Relu)
    units: list[ConvUnit]
    add: onnx.NodeProto
    out_relu: onnx.NodeProto
    shortcut_nodes: list[onnx.NodeProto]   # empty for an identity shortcut
    c_in: int
    c_out: int
    in_shape: list[int]          # (B, C, H, W) of X
    out_shape: list[int]
    eligible: bool = False
    why_not: str = ""
    nodes: list[onnx.NodeProto] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "basic" if len(self.units) == 2 else "bottleneck"

    @property
    def identity(self) -> bool:
        return not self.shortcut_nodes


class GraphIndex:
    """Producer / consumer / initializer / shape lookups over a (shape-inferred) model."""

    def __init__(self, model: onnx.ModelProto):
        self.model = model
        g = model.graph
        self.producer: dict[str, onnx.NodeProto] = {}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        self.position: dict[int, int] = {}
        for i, n in enumerate(g.node):
            self.position[id(n)] = i
            for o in n.output:
                self.producer[o] = n
            for x in n.input:
                if x:
                    self.consumers.setdefault(x, []).append(n)
        self.inits = {t.name: t for t in g.initializer}
        self.graph_outputs = {o.name for o in g.output}
        self.shapes: dict[str, list[int]] = {}
        for vi in list(g.input) + list(g.value_info) + list(g.output):
            dims = vi.type.tensor_type.shape.dim
            if all(d.HasField("dim_value") for d in dims):
                self.shapes[vi.name] = [d.dim_value for d in dims]
        for t in g.initializer:
            self.shapes[t.name] = list(t.dims)

    def array(self, name: str, node: onnx.NodeProto):
        if name not in self.inits:
            raise BlockError(f"node '{node.name}' ({node.op_type}): input '{name}' is not an initializer")
        return numpy_helper.to_array(self.inits[name])

    def shape(self, name: str, node: onnx.NodeProto) -> list[int]:
        if name not in self.shapes:
            raise BlockError(f"node '{node.name}' ({node.op_type}): no static shape for '{name}'")
        return self.shapes[name]

    def single_use(self, name: str) -> bool:
        return len(self.consumers.get(name, [])) == 1 and name not in self.graph_outputs


def attr(node: onnx.NodeProto, name: str, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


_CHAIN_OPS = {"Conv", "BatchNormalization", "Relu"}


def _walk_back(ix: GraphIndex, start: str, stop: str) -> list[onnx.NodeProto] | None:
    """Nodes from ``stop`` to ``start`` (forward order) if ``start`` is reached through a single-consumer chain."""
    chain: list[onnx.NodeProto] = []
    cur = start
    while cur != stop:
        p = ix.producer.get(cur)
        if p is None or p.op_type not in _CHAIN_OPS or not ix.single_use(cur):
            return None
        if p.op_type == "Conv" and len(p.input) > 1 and p.input[1] not in ix.inits:
            return None
        chain.append(p)
        cur = p.input[0]
        if len(chain) > 16:
            return None
    return chain[::-1]


def _units(chain: list[onnx.NodeProto]) -> list[ConvUnit] | None:
    """Group a forward chain into Conv [BN] [Relu] units; only the last unit may lack a ReLU."""
    units: list[ConvUnit] = []
    i = 0
    while i < len(chain):
        if chain[i].op_type != "Conv":
            return None
        conv, bn, relu = chain[i], None, None
        i += 1
        if i < len(chain) and chain[i].op_type == "BatchNormalization":
            bn = chain[i]
            i += 1
        if i < len(chain) and chain[i].op_type == "Relu":
            relu = chain[i]
            i += 1
        units.append(ConvUnit(conv, bn, relu))
    if not units or units[-1].relu is not None or any(u.relu is None for u in units[:-1]):
        return None
    return units


def _match_block(ix: GraphIndex, add: onnx.NodeProto):
    """Try to read ``add`` as the residual Add of a block; returns (x, units, shortcut_nodes, relu) or None."""
    if len(add.input) != 2 or not ix.single_use(add.output[0]):
        return None
    relu = ix.consumers[add.output[0]][0]
    if relu.op_type != "Relu":
        return None
    for bi in (0, 1):
        branch, short = add.input[bi], add.input[1 - bi]
        chain = _walk_back(ix, branch, short)                    # identity shortcut
        if chain:
            units = _units(chain)
            if units and len(units) in (2, 3):
                return short, units, [], relu
        sc: list[onnx.NodeProto] = []
        cur = short                                               # projection: Conv [BN] from X
        while (p := ix.producer.get(cur)) is not None and p.op_type in ("Conv", "BatchNormalization"):
            sc.append(p)
            cur = p.input[0]
            if p.op_type == "Conv":
                break
        if sc and sc[-1].op_type == "Conv":
            chain = _walk_back(ix, branch, cur)
            if chain:
                units = _units(chain)
                if units and len(units) in (2, 3):
                    return cur, units, sc[::-1], relu
    return None


_NAME_HINT = re.compile(r"layer(\d+)[./_](\d+)")


def _name_hint(nodes: list[onnx.NodeProto]) -> tuple[int, int] | None:
    found = {(int(m.group(1)), int(m.group(2))) for n in nodes for m in [_NAME_HINT.search(n.name)] if m}
    return next(iter(found)) if len(found) == 1 else None


def detect_blocks(model: onnx.ModelProto) -> list[Block]:
    """All residual blocks of a shape-inferred model, in graph order, named and checked for MoD eligibility."""
    ix = GraphIndex(model)
    found = []
    for add in model.graph.node:
        if add.op_type != "Add":
            continue
        m = _match_block(ix, add)
        if m is not None:
            found.append((add, *m))
    blocks: list[Block] = []
    stage, index, prev_y = 0, 0, None
    for add, x, units, shortcut, relu in found:
        if shortcut or x != prev_y:
            stage, index = stage + 1, 0
        else:
            index += 1
        first, last = units[0].conv, units[-1].conv
        w_first = ix.shape(first.input[1], first)
        w_last = ix.shape(last.input[1], last)
        nodes = [n for u in units for n in (u.conv, u.bn, u.relu) if n is not None] + shortcut + [add, relu]
        nodes.sort(key=lambda n: ix.position[id(n)])
        b = Block(name=f"layer{stage}.{index}", stage=stage, index=index, x=x, y=relu.output[0], units=units,
                  add=add, out_relu=relu, shortcut_nodes=shortcut, c_in=w_first[1], c_out=w_last[0],
                  in_shape=ix.shape(x, first), out_shape=ix.shape(relu.output[0], relu), nodes=nodes)
        b.eligible, b.why_not = _eligibility(ix, b)
        blocks.append(b)
        prev_y = b.y
    hints = [_name_hint(b.nodes) for b in blocks]
    if blocks and all(h is not None for h in hints) and len(set(hints)) == len(hints):
        for b, h in zip(blocks, hints):
            b.stage, b.index = h
            b.name = f"layer{h[0]}.{h[1]}"
    return blocks


def _eligibility(ix: GraphIndex, b: Block) -> tuple[bool, str]:
    if not b.identity:
        return False, "projection shortcut"
    if b.c_in != b.c_out:
        return False, f"C_in {b.c_in} != C_out {b.c_out}"
    if b.in_shape != b.out_shape:
        return False, f"shape changes {b.in_shape} -> {b.out_shape}"
    for u in b.units:
        if any(s != 1 for s in attr(u.conv, "strides", [1, 1])):
            return False, f"conv '{u.conv.name}' has stride != 1"
        if attr(u.conv, "group", 1) != 1:
            return False, f"conv '{u.conv.name}' is grouped"
        if any(d != 1 for d in attr(u.conv, "dilations", [1, 1])):
            return False, f"conv '{u.conv.name}' is dilated"
        if ix.shape(u.conv.output[0], u.conv)[2:] != b.in_shape[2:]:
            return False, f"conv '{u.conv.name}' does not preserve the spatial size"
    return True, ""
