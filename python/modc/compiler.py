"""``compile``: ONNX -> ``.modplan`` in-process, through libmodc_runtime's ``modc_compile`` (no ``modc`` binary)."""

from __future__ import annotations

import ctypes
import os
import shutil
from typing import Mapping, Sequence

from ._native import E_IO, CompileOptions, ModcError, check, find_library, lib


def find_modc() -> str:
    """The ``modc`` executable: $MODC_BIN, then PATH, then next to libmodc_runtime (``../bin/modc`` or beside it)."""
    env = os.environ.get("MODC_BIN")
    if env:
        if not os.access(env, os.X_OK):
            raise ModcError(f"MODC_BIN={env!r} is not an executable file", E_IO)
        return env
    on_path = shutil.which("modc")
    if on_path:
        return on_path
    tried = ["$PATH"]
    try:
        libdir = os.path.dirname(os.path.abspath(find_library()))
        for p in (os.path.join(libdir, "..", "bin", "modc"), os.path.join(libdir, "modc")):
            tried.append(os.path.normpath(p))
            if os.access(p, os.X_OK) and os.path.isfile(p):
                return os.path.normpath(p)
    except ModcError:
        pass
    raise ModcError("cannot find the modc executable; set MODC_BIN (tried " + ", ".join(tried) + ")", E_IO)


def _text(value) -> bytes | None:
    return None if value is None else os.fsencode(value) if isinstance(value, os.PathLike) else str(value).encode()


def compile(
    onnx_path,
    output=None,
    *,
    mod_every: int | None = None,
    capacity: int | None = None,
    blocks: Sequence[str] | None = None,
    fusion: str | None = None,
    router_weights=None,
    seed: int | None = None,
    batch: int | None = None,
    input_shapes: Mapping[str, Sequence[int | str]] | None = None,
    force: bool = False,
    recognize_mod: bool = True,
    target: str | None = None,
    conv_algo: str | None = None,
    precision: str | None = None,
) -> str:
    """Compiles ``onnx_path`` in this process and returns the plan's path (default: ``<model>.modplan``).

    The keyword arguments are ``modc convert``'s flags (``mod_every=2`` is ``--mod-every 2``, ``target="avx2"`` is
    ``--target avx2``); see ``modc convert --help``. Bad options raise InvalidArgument; a model that cannot be read
    or compiled raises ModcError with modc's one-line message (file and node).
    """
    src = os.fspath(onnx_path)
    out = os.fspath(output) if output is not None else os.path.splitext(src)[0] + ".modplan"
    handle = lib()
    o = CompileOptions()
    handle.modc_compile_options_init(ctypes.byref(o))
    keep = []  # the encoded strings must outlive the call

    def put(field, value):
        b = _text(value)
        keep.append(b)
        setattr(o, field, b)

    if mod_every is not None:
        o.mod_every = int(mod_every)
    if capacity is not None:
        if int(capacity) != capacity:
            raise ValueError(f"capacity must be an integer, got {capacity!r}")
        o.capacity = int(capacity)
    if blocks:
        put("mod_blocks", ",".join(blocks))
    put("fusion", fusion)
    put("router_weights", None if router_weights is None else os.fspath(router_weights))
    if seed is not None:
        o.seed = int(seed)
    if batch is not None:
        o.batch = int(batch)
    if input_shapes:
        put("input_shapes", ";".join(f"{n}={'x'.join(str(d) for d in dims)}" for n, dims in input_shapes.items()))
    o.force = 1 if force else 0
    o.no_recognize_mod = 0 if recognize_mod else 1
    put("target", target)
    put("conv_algo", conv_algo)
    put("precision", precision)
    check(handle.modc_compile(os.fsencode(src), ctypes.byref(o), os.fsencode(out)))
    return out
