"""Fixtures of the modc Python tests: real ONNX models (shared fixtures or generated ones) compiled to plans.

Models are looked up in $MODC_FIXTURES, the nearest `shared/fixtures` above this file, $MODC_MODELS and
build/models. Plans are compiled once per test session with `modc.compile` (needs the modc binary: $MODC_BIN,
PATH or next to the library).
"""

from __future__ import annotations

import os
import pathlib
import sys

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))  # the package in this checkout, unless the test run installed one

import modc  # noqa: E402


def model_dirs() -> list[pathlib.Path]:
    dirs = []
    if os.environ.get("MODC_FIXTURES"):
        dirs.append(pathlib.Path(os.environ["MODC_FIXTURES"]))
    for parent in HERE.parents:
        if (parent / "shared" / "fixtures").is_dir():
            dirs.append(parent / "shared" / "fixtures")
            break
    if os.environ.get("MODC_MODELS"):
        dirs.append(pathlib.Path(os.environ["MODC_MODELS"]))
    dirs.append(HERE.parents[2] / "build" / "models")
    return [d for d in dirs if d.is_dir()]


def find_model(name: str) -> pathlib.Path | None:
    for d in model_dirs():
        for p in (d / f"{name}.onnx", d / "mod" / f"{name}.onnx"):
            if p.is_file():
                return p
    return None


class Model:
    """An ONNX model, its plan, and its reference input/output when stored next to it."""

    def __init__(self, onnx: pathlib.Path, plan: str):
        self.onnx = onnx
        self.plan = plan
        stem = str(onnx)[: -len(".onnx")]
        self.input = np.load(stem + ".input.npy") if os.path.exists(stem + ".input.npy") else None
        self.output = np.load(stem + ".output.npy") if os.path.exists(stem + ".output.npy") else None


_cache: dict[str, Model] = {}


@pytest.fixture(scope="session")
def plans_dir(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("plans")


# Models every full test run has (shared fixtures or `make models`); others are used when present.
REQUIRED = {"cifar_resnet20_op17", "resnet18_op17"}


def compiled(name: str, plans_dir: pathlib.Path) -> Model:
    if name not in _cache:
        onnx = find_model(name)
        if onnx is None:
            if os.environ.get("MODC_REQUIRE_MODELS") == "1" and name in REQUIRED:
                pytest.fail(f"model {name} not found in {model_dirs()}")
            pytest.skip(f"model {name} not found in {model_dirs()}")
        _cache[name] = Model(onnx, modc.compile(onnx, output=plans_dir / f"{name}.modplan"))
    return _cache[name]


@pytest.fixture(scope="session")
def cifar(plans_dir) -> Model:
    return compiled("cifar_resnet20_op17", plans_dir)


@pytest.fixture(scope="session")
def resnet18(plans_dir) -> Model:
    return compiled("resnet18_op17", plans_dir)


@pytest.fixture(scope="session")
def model(request, plans_dir) -> Model:
    return compiled(request.param, plans_dir)


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """max|a - b| / max|b|, the conformance measure used throughout modc."""
    return float(np.max(np.abs(a.astype(np.float64) - b)) / max(float(np.max(np.abs(b))), 1e-30))
