"""Errors surface as Python exceptions carrying the library's message."""

import numpy as np
import pytest

import modc


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.modplan"
    with pytest.raises(modc.ModcError, match=r"nope\.modplan.*cannot open") as e:
        modc.Session(missing)
    assert isinstance(e.value, RuntimeError)


def test_not_a_plan(tmp_path):
    bogus = tmp_path / "bogus.modplan"
    bogus.write_bytes(b"this is not a plan at all, not even close" * 4)
    with pytest.raises(modc.ModcError, match="not a modc plan"):
        modc.Session(bogus)


def test_truncated_and_corrupt_plans(cifar, tmp_path):
    data = open(cifar.plan, "rb").read()
    with pytest.raises(modc.ModcError, match="truncated"):
        modc.Session(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(data) - 100] ^= 0xFF
    with pytest.raises(modc.ModcError, match="checksum"):
        modc.Session(bytes(flipped))


def test_wrong_shape(cifar):
    sess = modc.Session(cifar.plan)
    with pytest.raises(ValueError, match=r"input 'input': expected shape \[1, 3, 32, 32\], got \[1, 3, 31, 32\]"):
        sess.run(None, {"input": np.zeros((1, 3, 31, 32), np.float32)})


def test_wrong_dtype(cifar):
    sess = modc.Session(cifar.plan)
    with pytest.raises(modc.InvalidArgument, match=r"expected tensor\(float\).*float64"):
        sess.run(None, {"input": np.zeros((1, 3, 32, 32), np.float64)})


def test_unknown_and_missing_names(cifar):
    sess = modc.Session(cifar.plan)
    x = np.zeros((1, 3, 32, 32), np.float32)
    with pytest.raises(ValueError, match=r"unknown input name\(s\) \['image'\]"):
        sess.run(None, {"image": x})
    with pytest.raises(ValueError, match="unknown output name 'logits'"):
        sess.run(["logits"], {"input": x})
    with pytest.raises(ValueError, match="missing input 'input'"):
        sess.run(None, {})


def test_closed_session(cifar):
    sess = modc.Session(cifar.plan)
    sess.close()
    sess.close()  # idempotent
    with pytest.raises(modc.ModcError, match="closed"):
        sess.run(None, {"input": np.zeros((1, 3, 32, 32), np.float32)})


def test_too_many_threads(cifar):
    sess = modc.Session(cifar.plan)
    with pytest.raises(ValueError, match="threads must be at most"):
        sess.set_threads(1 << 20)


def test_library_errors_are_per_thread(cifar):
    # The C library's message is thread-local: a failure on another thread does not change this thread's.
    import threading

    with pytest.raises(modc.ModcError) as first:
        modc.Session("/nonexistent/a.modplan")
    t = threading.Thread(target=lambda: pytest.raises(modc.ModcError, modc.Session, "/nonexistent/b.modplan"))
    t.start()
    t.join()
    from modc import _native

    assert "a.modplan" in _native.lib().modc_last_error().decode()
    assert "a.modplan" in str(first.value)
