"""Finding and loading libmodc_runtime, and the ctypes prototypes of its C ABI (include/modc_runtime.h)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading

LIB_NAME = "libmodc_runtime.so"
ABI_VERSION = 1

# Status codes (MODC_OK, MODC_E_*).
OK = 0
E_INVALID_ARGUMENT = -1
E_INDEX = -2
E_IO = -3
E_INVALID_PLAN = -4
E_COUNT = -5
E_RUNTIME = -6
E_COMPILE = -7

MEMORY_COPY = 0


class ModcError(RuntimeError):
    """A failure reported by libmodc_runtime (or while locating it); ``status`` is the MODC_E_* code."""

    def __init__(self, message: str, status: int = E_RUNTIME):
        super().__init__(message)
        self.status = status


class InvalidArgument(ModcError, ValueError):
    """A bad argument: unknown input/output name, wrong shape, dtype or count."""


def _candidates() -> list[str]:
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.join(here, LIB_NAME), os.path.join(here, "lib", LIB_NAME)]
    prefixes = [os.environ.get("MODC_PREFIX"), sys.prefix, os.path.expanduser("~/.local"), "/usr/local", "/usr"]
    paths += [os.path.join(p, "lib", LIB_NAME) for p in prefixes if p]
    return paths


def find_library() -> str:
    """The path of libmodc_runtime: $MODC_RUNTIME_LIB, next to the package, standard prefixes, then ldconfig."""
    env = os.environ.get("MODC_RUNTIME_LIB")
    if env:
        if not os.path.isfile(env):
            raise ModcError(f"MODC_RUNTIME_LIB={env!r} does not exist", E_IO)
        return env
    tried = _candidates()
    for p in tried:
        if os.path.isfile(p):
            return p
    found = ctypes.util.find_library("modc_runtime")
    if found:
        return found
    raise ModcError(
        "cannot find libmodc_runtime; set MODC_RUNTIME_LIB or install it with 'make install PREFIX=…' (tried "
        + ", ".join(tried)
        + " and the ldconfig cache)",
        E_IO,
    )


_lib = None
_lib_lock = threading.Lock()

_c_size_p = ctypes.POINTER(ctypes.c_size_t)
_c_int_p = ctypes.POINTER(ctypes.c_int)
_handle_p = ctypes.POINTER(ctypes.c_void_p)


def _declare(lib: ctypes.CDLL) -> None:
    def fn(name, *args, restype=ctypes.c_int):
        f = getattr(lib, name)
        f.argtypes = list(args)
        f.restype = restype

    vp, sz = ctypes.c_void_p, ctypes.c_size_t
    fn("modc_version", restype=ctypes.c_char_p)
    fn("modc_abi_version")
    fn("modc_last_error", restype=ctypes.c_char_p)
    fn("modc_session_open", ctypes.c_char_p, _handle_p)
    fn("modc_session_open_memory", vp, sz, ctypes.c_uint, _handle_p)
    fn("modc_session_close", vp, restype=None)
    fn("modc_session_set_threads", vp, ctypes.c_int)
    fn("modc_session_threads", vp, _c_int_p)
    for kind in ("input", "output"):
        fn(f"modc_session_{kind}_count", vp, _c_size_p)
        fn(f"modc_session_{kind}_name", vp, sz, ctypes.POINTER(ctypes.c_char_p))
        fn(f"modc_session_{kind}_dtype", vp, sz, _c_int_p)
        fn(f"modc_session_{kind}_shape", vp, sz, _c_size_p, ctypes.POINTER(ctypes.POINTER(ctypes.c_int64)))
        fn(f"modc_session_{kind}_byte_size", vp, sz, _c_size_p)
        fn(f"modc_session_{kind}_index", vp, ctypes.c_char_p, _c_size_p)
    fn("modc_session_run", vp, ctypes.POINTER(vp), sz, ctypes.POINTER(vp), sz)
    fn("modc_context_create", vp, ctypes.c_int, _handle_p)
    fn("modc_context_set_threads", vp, ctypes.c_int)
    fn("modc_context_threads", vp, _c_int_p)
    fn("modc_context_run", vp, ctypes.POINTER(vp), sz, ctypes.POINTER(vp), sz)
    fn("modc_context_destroy", vp, restype=None)
    fn("modc_compile_options_init", ctypes.POINTER(CompileOptions), restype=None)
    fn("modc_compile", ctypes.c_char_p, ctypes.POINTER(CompileOptions), ctypes.c_char_p)


class CompileOptions(ctypes.Structure):
    """``modc_compile_options`` of modc_runtime.h (field order and types must match the header)."""

    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("mod_every", ctypes.c_int),
        ("capacity", ctypes.c_int),
        ("mod_blocks", ctypes.c_char_p),
        ("fusion", ctypes.c_char_p),
        ("router_weights", ctypes.c_char_p),
        ("seed", ctypes.c_uint64),
        ("force", ctypes.c_int),
        ("no_recognize_mod", ctypes.c_int),
        ("batch", ctypes.c_int),
        ("input_shapes", ctypes.c_char_p),
        ("target", ctypes.c_char_p),
        ("conv_algo", ctypes.c_char_p),
        ("precision", ctypes.c_char_p),
    ]


def lib() -> ctypes.CDLL:
    """The loaded library (loaded and checked once per process)."""
    global _lib
    with _lib_lock:
        if _lib is None:
            path = find_library()
            try:
                handle = ctypes.CDLL(path)
            except OSError as e:
                raise ModcError(f"cannot load {path}: {e}", E_IO) from e
            _declare(handle)
            abi = handle.modc_abi_version()
            if abi != ABI_VERSION:
                raise ModcError(f"{path} has C ABI version {abi}; this package needs {ABI_VERSION}", E_INVALID_PLAN)
            _lib = handle
        return _lib


def check(status: int) -> None:
    """Raises the exception for a non-zero status, with the library's (thread-local) message."""
    if status == OK:
        return
    message = lib().modc_last_error().decode("utf-8", "replace")
    cls = InvalidArgument if status in (E_INVALID_ARGUMENT, E_INDEX, E_COUNT) else ModcError
    raise cls(message, status)


def library_version() -> str:
    """The version string of the loaded libmodc_runtime."""
    return lib().modc_version().decode()
