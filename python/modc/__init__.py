"""modc: run modc-compiled ``.modplan`` models from Python, with an onnxruntime-like API.

``Session`` wraps the C library libmodc_runtime through ctypes; ``compile`` runs the compiler in-process (modc_compile).
"""

from ._native import InvalidArgument, ModcError, find_library, library_version
from .compiler import compile, find_modc
from .session import NodeArg, Session

__version__ = "0.1.0"
__all__ = [
    "InvalidArgument",
    "ModcError",
    "NodeArg",
    "Session",
    "compile",
    "find_library",
    "find_modc",
    "library_version",
]
