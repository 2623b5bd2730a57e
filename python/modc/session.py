"""``Session``: an opened plan with an ``onnxruntime.InferenceSession``-like interface."""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from . import _native
from ._native import InvalidArgument, ModcError, check

# MODC_DTYPE_* (ONNX TensorProto codes) -> (NumPy dtype, onnxruntime type string).
_DTYPES = {
    1: (np.float32, "tensor(float)"),
    2: (np.uint8, "tensor(uint8)"),
    3: (np.int8, "tensor(int8)"),
    4: (np.uint16, "tensor(uint16)"),
    5: (np.int16, "tensor(int16)"),
    6: (np.int32, "tensor(int32)"),
    7: (np.int64, "tensor(int64)"),
    9: (np.bool_, "tensor(bool)"),
    10: (np.float16, "tensor(float16)"),
    11: (np.float64, "tensor(double)"),
    12: (np.uint32, "tensor(uint32)"),
    13: (np.uint64, "tensor(uint64)"),
}


@dataclass(frozen=True)
class NodeArg:
    """A graph input or output, like onnxruntime's NodeArg: ``name``, ``shape`` (list of ints), ``type``."""

    name: str
    shape: list
    type: str
    dtype: Any  # the NumPy dtype

    def __repr__(self) -> str:
        return f"NodeArg(name={self.name!r}, type={self.type!r}, shape={self.shape})"


class Session:
    """An opened, validated ``.modplan`` (path, or the plan's bytes).

    ``threads`` is the worker-thread count of each run (None: all CPUs). ``run`` may be called from several
    Python threads at once: it releases the GIL and the library hands each concurrent call its own run context.
    ``providers``/``sess_options`` are accepted and ignored so that code written for onnxruntime runs unchanged.
    """

    def __init__(self, plan, threads: int | None = None, sess_options=None, providers=None, **_ignored):
        lib = _native.lib()
        self._lib = lib
        handle = ctypes.c_void_p()
        if isinstance(plan, (bytes, bytearray, memoryview)):
            data = bytes(plan)
            check(lib.modc_session_open_memory(data, len(data), _native.MEMORY_COPY, ctypes.byref(handle)))
            self._path = "<memory>"
        else:
            self._path = os.fspath(plan)
            check(lib.modc_session_open(self._path.encode(), ctypes.byref(handle)))
        self._handle = handle
        if threads is not None:
            self.set_threads(threads)
        self._inputs = self._describe("input")
        self._outputs = self._describe("output")
        self._input_index = {a.name: i for i, a in enumerate(self._inputs)}
        self._output_index = {a.name: i for i, a in enumerate(self._outputs)}

    def _describe(self, kind: str) -> list:
        lib, h = self._lib, self._handle
        count = ctypes.c_size_t()
        check(getattr(lib, f"modc_session_{kind}_count")(h, ctypes.byref(count)))
        args = []
        for i in range(count.value):
            name = ctypes.c_char_p()
            code = ctypes.c_int()
            rank = ctypes.c_size_t()
            dims = ctypes.POINTER(ctypes.c_int64)()
            check(getattr(lib, f"modc_session_{kind}_name")(h, i, ctypes.byref(name)))
            check(getattr(lib, f"modc_session_{kind}_dtype")(h, i, ctypes.byref(code)))
            check(getattr(lib, f"modc_session_{kind}_shape")(h, i, ctypes.byref(rank), ctypes.byref(dims)))
            if code.value not in _DTYPES:
                raise ModcError(f"{kind} {i} has element type code {code.value}, unsupported in Python")
            dtype, type_name = _DTYPES[code.value]
            shape = [int(dims[d]) for d in range(rank.value)]
            args.append(NodeArg(name.value.decode(), shape, type_name, np.dtype(dtype)))
        return args

    # --- onnxruntime-compatible surface ---------------------------------------------------------------------------

    def get_inputs(self) -> list:
        return list(self._inputs)

    def get_outputs(self) -> list:
        return list(self._outputs)

    def get_providers(self) -> list:
        return ["ModcCPU"]

    def run(self, output_names: Sequence[str] | None, input_feed: Mapping[str, Any], run_options=None) -> list:
        """Runs the plan; returns the requested outputs (all when ``output_names`` is None/empty) as NumPy arrays."""
        handle = self._live_handle()
        unknown = [n for n in input_feed if n not in self._input_index]
        if unknown:
            raise InvalidArgument(
                f"unknown input name(s) {unknown}; the plan's inputs are {[a.name for a in self._inputs]}",
                _native.E_INDEX,
            )
        arrays = []
        for arg in self._inputs:
            if arg.name not in input_feed:
                raise InvalidArgument(f"missing input '{arg.name}' ({arg.type}, shape {arg.shape})", _native.E_COUNT)
            arrays.append(self._check_input(arg, input_feed[arg.name]))
        wanted = list(output_names) if output_names else [a.name for a in self._outputs]
        for n in wanted:
            if n not in self._output_index:
                raise InvalidArgument(
                    f"unknown output name '{n}'; the plan's outputs are {[a.name for a in self._outputs]}",
                    _native.E_INDEX,
                )
        results = [np.empty(a.shape, dtype=a.dtype) for a in self._outputs]
        ins = (ctypes.c_void_p * max(len(arrays), 1))(*[a.ctypes.data for a in arrays])
        outs = (ctypes.c_void_p * max(len(results), 1))(*[r.ctypes.data for r in results])
        # ctypes drops the GIL for the call; `arrays` and `results` keep the buffers alive meanwhile.
        check(self._lib.modc_session_run(handle, ins, len(arrays), outs, len(results)))
        return [results[self._output_index[n]] for n in wanted]

    @staticmethod
    def _check_input(arg: NodeArg, value) -> np.ndarray:
        a = np.asarray(value)
        if a.dtype != arg.dtype:
            raise InvalidArgument(
                f"input '{arg.name}': expected {arg.type} ({arg.dtype}), got an array of {a.dtype}",
                _native.E_INVALID_ARGUMENT,
            )
        if list(a.shape) != arg.shape:
            raise InvalidArgument(
                f"input '{arg.name}': expected shape {arg.shape}, got {list(a.shape)}", _native.E_INVALID_ARGUMENT
            )
        return np.ascontiguousarray(a)

    # --- modc extras ----------------------------------------------------------------------------------------------

    @property
    def threads(self) -> int:
        """Worker threads each run uses."""
        n = ctypes.c_int()
        check(self._lib.modc_session_threads(self._live_handle(), ctypes.byref(n)))
        return n.value

    def set_threads(self, threads: int | None) -> None:
        """Sets the worker threads per run (None or 0: all CPUs)."""
        check(self._lib.modc_session_set_threads(self._live_handle(), int(threads or 0)))

    @property
    def path(self) -> str:
        return self._path

    def close(self) -> None:
        """Releases the plan (also done when the session is garbage-collected)."""
        h, self._handle = getattr(self, "_handle", None), None
        if h is not None and h.value:
            self._lib.modc_session_close(h)

    def _live_handle(self):
        if self._handle is None:
            raise ModcError("the session is closed", _native.E_INVALID_ARGUMENT)
        return self._handle

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return f"modc.Session({self._path!r}, inputs={self._inputs}, outputs={self._outputs})"
