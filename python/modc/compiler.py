"""``compile``: ONNX -> ``.modplan`` through the ``modc`` command line."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Mapping, Sequence

from ._native import E_IO, E_RUNTIME, ModcError, find_library


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


def compile(
    onnx_path,
    output=None,
    *,
    mod_every: int | None = None,
    capacity: float | None = None,
    blocks: Sequence[str] | None = None,
    fusion: str | None = None,
    router_weights=None,
    seed: int | None = None,
    batch: int | None = None,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    force: bool = False,
    extra_args: Sequence[str] = (),
    modc_bin: str | None = None,
) -> str:
    """Compiles ``onnx_path`` with ``modc convert`` and returns the plan's path (default: ``<model>.modplan``).

    The keyword arguments map to the CLI flags of the same name (``mod_every=2`` -> ``--mod-every 2``); see
    ``modc convert --help``. Failures raise ModcError carrying modc's error output.
    """
    src = os.fspath(onnx_path)
    out = os.fspath(output) if output is not None else os.path.splitext(src)[0] + ".modplan"
    args = [modc_bin or find_modc(), "convert", src, "-o", out, "--quiet"]
    if mod_every is not None:
        args += ["--mod-every", str(int(mod_every))]
    if capacity is not None:
        args += ["--capacity", str(capacity)]
    if blocks:
        args += ["--blocks", ",".join(blocks)]
    if fusion is not None:
        args += ["--fusion", fusion]
    if router_weights is not None:
        args += ["--router-weights", os.fspath(router_weights)]
    if seed is not None:
        args += ["--seed", str(int(seed))]
    if batch is not None:
        args += ["--batch", str(int(batch))]
    for name, dims in (input_shapes or {}).items():
        args += ["--input-shape", f"{name}={'x'.join(str(d) for d in dims)}"]
    if force:
        args.append("--force")
    args += list(extra_args)
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise ModcError(f"modc convert failed (exit {proc.returncode}): {detail}", E_RUNTIME)
    return out
