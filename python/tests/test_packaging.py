"""`pip install ./python` produces an importable package that finds the library like the checkout does."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1]


def test_pip_install_into_target(tmp_path, cifar):
    pytest.importorskip("setuptools")
    target = tmp_path / "site"
    # Build from a copy so setuptools' build/ and *.egg-info never land in the checkout.
    source = tmp_path / "src"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"))
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-input"]
    proc = subprocess.run(pip + ["--target", str(target), str(source)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    code = (
        "import modc, numpy as np, sys\n"
        "s = modc.Session(sys.argv[1])\n"
        "print(modc.__file__)\n"
        "print(s.run(None, {'input': np.zeros((1, 3, 32, 32), np.float32)})[0].shape)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    run = subprocess.run([sys.executable, "-c", code, cifar.plan], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith(str(target))
    assert lines[1] == "(1, 10)"
