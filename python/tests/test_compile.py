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
    with pytest.raises(modc.ModcError, match=r"modc convert failed \(exit \d+\): .*missing\.onnx"):
        modc.compile(tmp_path / "missing.onnx")


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
