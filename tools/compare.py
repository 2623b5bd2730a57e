#!/usr/bin/env python3
"""Compare two .npy arrays: prints max|A-B| / max|B| (B is the reference) and exits 1 above --tol.

    python3 tools/compare.py A.npy B.npy [--tol 1e-4]

Exit status: 0 within tolerance, 1 above it (or NaN/Inf), 2 on a shape mismatch.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b", help="reference")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args(argv)
    a, b = np.load(args.a).astype(np.float64), np.load(args.b).astype(np.float64)
    if a.shape != b.shape:
        print(f"shape mismatch: {list(a.shape)} vs {list(b.shape)}")
        return 2
    diff = float(np.abs(a - b).max()) if a.size else 0.0
    scale = float(np.abs(b).max()) if b.size else 0.0
    rel = diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))
    ok = np.isfinite(rel) and np.all(np.isfinite(a)) and rel <= args.tol
    print(f"max|d|={diff:.3e} max|ref|={scale:.3e} rel={rel:.3e} tol={args.tol:g} {'OK' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
