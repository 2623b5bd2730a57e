"""modc.compile (the CLI wrapper) and finding the library/binary."""

import numpy as np
import pytest
from conftest import find_model, rel_diff

import modc


def test_compile_with_mod(cifar, tmp_path):
    plain = modc.Session(cifar.plan)
    out = modc.compile(cifar.onnx, output=tmp_path / "mod.modplan", mod_every=2, capacity=2)
    assert out == str(tmp_path / "mod.modplan")
    mod = modc.Session(out)
    assert mod.get_inputs()[0].shape == plain.get_inputs()[0].shape
    (y_mod,) = mod.run(None, {"input": cifar.input})
    (y_plain,) = plain.run(None, {"input": cifar.input})
    assert np.isfinite(y_mod).all()
    assert rel_diff(y_mod, y_plain) > 1e-6  # MoD blocks skip channels: the output changes


def test_compile_mod_fixture_matches_reference(tmp_path):
    onnx = find_model("cifar_resnet20_mod_c16")
    if onnx is None:
        pytest.skip("no MoD fixture")
    sess = modc.Session(modc.compile(onnx, output=tmp_path / "m.modplan"))
    stem = str(onnx)[: -len(".onnx")]
    x, want = np.load(stem + ".input.npy"), np.load(stem + ".output.npy")
    (got,) = sess.run(None, {sess.get_inputs()[0].name: x})
    assert rel_diff(got, want) <= 1e-4


def test_compile_failure_carries_modc_message(tmp_path):
    with pytest.raises(modc.ModcError, match=r"modc_compile: .*missing\.onnx") as e:
        modc.compile(tmp_path / "missing.onnx")
    assert e.value.status == -7  # MODC_E_COMPILE
    assert not (tmp_path / "missing.modplan").exists()


def test_compile_runs_in_process_without_modc_binary(cifar, tmp_path, monkeypatch):
    import subprocess

    def no_child(*args, **kwargs):
        raise AssertionError(f"modc.compile started a process: {args}")

    monkeypatch.setenv("PATH", str(tmp_path))  # no modc (nor anything else) on PATH
    monkeypatch.delenv("MODC_BIN", raising=False)
    monkeypatch.setattr(subprocess, "Popen", no_child)
    monkeypatch.setattr(subprocess, "run", no_child)
    out = modc.compile(cifar.onnx, output=tmp_path / "p.modplan")
    (y,) = modc.Session(out).run(None, {"input": cifar.input})
    (want,) = modc.Session(cifar.plan).run(None, {"input": cifar.input})
    assert rel_diff(y, want) <= 1e-5


def test_compile_bad_options_are_invalid_arguments(cifar, tmp_path):
    with pytest.raises(modc.InvalidArgument, match="target must be one of"):
        modc.compile(cifar.onnx, output=tmp_path / "a.modplan", target="sse9")
    with pytest.raises(modc.InvalidArgument, match="conv_algo"):
        modc.compile(cifar.onnx, output=tmp_path / "b.modplan", conv_algo="fft")
    with pytest.raises(modc.InvalidArgument, match="capacity must be"):
        modc.compile(cifar.onnx, output=tmp_path / "c.modplan", mod_every=2, capacity=-3)
    assert not any(tmp_path.iterdir())


def test_compile_generic_target_matches_native(cifar, tmp_path):
    native = modc.Session(modc.compile(cifar.onnx, output=tmp_path / "n.modplan"))
    generic = modc.Session(modc.compile(cifar.onnx, output=tmp_path / "g.modplan", target="generic", conv_algo="direct"))
    (a,) = native.run(None, {"input": cifar.input})
    (b,) = generic.run(None, {"input": cifar.input})
    assert rel_diff(b, a) <= 1e-4


def test_default_output_path(cifar, tmp_path):
    import shutil

    src = tmp_path / "net.onnx"
    shutil.copy(cifar.onnx, src)
    assert modc.compile(src) == str(tmp_path / "net.modplan")


def test_find_library_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MODC_RUNTIME_LIB", str(tmp_path / "libnothere.so"))
    with pytest.raises(modc.ModcError, match="MODC_RUNTIME_LIB"):
        modc.find_library()


def test_find_modc_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MODC_BIN", str(tmp_path / "modc"))
    with pytest.raises(modc.ModcError, match="MODC_BIN"):
        modc.find_modc()
