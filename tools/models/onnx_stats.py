"""Graph-derived statistics used to cross-check the builder's analytic numbers.

``graph_macs(model)`` runs ONNX shape inference and sums Conv + Gemm/MatMul multiply-accumulates at
batch 1 (a symbolic batch dimension counts as 1, a static batch is divided out).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import shape_inference


def _dims(vi) -> list[int | None]:
    return [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]


def graph_macs(model: onnx.ModelProto) -> int:
    """Conv + Gemm MACs per sample, from inferred shapes; raises if a needed shape is unknown."""
    inferred = shape_inference.infer_shapes(model)
    g = inferred.graph
    shapes = {vi.name: _dims(vi) for vi in list(g.value_info) + list(g.input) + list(g.output)}
    shapes.update({t.name: list(t.dims) for t in g.initializer})
    total = 0
    for n in g.node:
        if n.op_type == "Conv":
            w, y = shapes.get(n.input[1]), shapes.get(n.output[0])
            if w is None or y is None or any(d is None for d in y[1:]):
                raise ValueError(f"node '{n.name}' (Conv): shape unknown after inference")
            total += int(np.prod(w)) * y[2] * y[3]   # per sample: Cout*Cin/g*kh*kw*Ho*Wo
        elif n.op_type in ("Gemm", "MatMul"):
            w = shapes.get(n.input[1])
            if w is None:
                raise ValueError(f"node '{n.name}' ({n.op_type}): weight shape unknown")
            total += int(np.prod(w))
    return total


def float_initializer_elems(model: onnx.ModelProto) -> int:
    """Number of float elements stored in initializers (works with external data not loaded)."""
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT)
