"""modc.Session against onnxruntime and the stored reference outputs."""

import numpy as np
import onnxruntime as ort
import pytest
from conftest import rel_diff

import modc

MODELS = ["cifar_resnet20_op17", "resnet18_op17", "cifar_resnet20_op17_b4"]


def ort_session(path):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("model", MODELS, indirect=True)
def test_matches_onnxruntime(model):
    sess = modc.Session(model.plan, threads=2)
    ref = ort_session(model.onnx)
    x = model.input
    if x is None:
        x = np.random.default_rng(0).standard_normal(sess.get_inputs()[0].shape).astype(np.float32)
    name = sess.get_inputs()[0].name
    (got,) = sess.run(None, {name: x})
    (want,) = ref.run(None, {ref.get_inputs()[0].name: x})
    assert got.shape == want.shape and got.dtype == np.float32
    assert rel_diff(got, want) <= 1e-4
    if model.output is not None and model.input is not None:
        assert rel_diff(got, model.output) <= 1e-4


def test_node_args_mirror_onnxruntime(cifar):
    sess = modc.Session(cifar.plan)
    ref = ort_session(cifar.onnx)
    for mine, theirs in ((sess.get_inputs(), ref.get_inputs()), (sess.get_outputs(), ref.get_outputs())):
        assert [a.name for a in mine] == [a.name for a in theirs]
        assert [a.type for a in mine] == [a.type for a in theirs] == ["tensor(float)"]
        assert [a.shape for a in mine] == [[d if isinstance(d, int) else 1 for d in a.shape] for a in theirs]
    assert sess.get_inputs()[0].shape == [1, 3, 32, 32]
    assert sess.get_outputs()[0].shape == [1, 10]


def test_output_names_select_and_order(cifar):
    sess = modc.Session(cifar.plan)
    out = sess.get_outputs()[0].name
    x = np.ones(sess.get_inputs()[0].shape, np.float32)
    (a,) = sess.run([out], {"input": x})
    (b,) = sess.run([], {"input": x})
    c = sess.run(None, {"input": x})
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c[0])


def test_open_from_bytes_matches_path(cifar):
    with open(cifar.plan, "rb") as f:
        image = f.read()
    from_bytes = modc.Session(image)
    from_path = modc.Session(cifar.plan)
    x = cifar.input
    np.testing.assert_array_equal(from_bytes.run(None, {"input": x})[0], from_path.run(None, {"input": x})[0])
    assert from_bytes.path == "<memory>"


def test_threads_setting(cifar):
    sess = modc.Session(cifar.plan, threads=3)
    assert sess.threads == 3
    sess.set_threads(1)
    assert sess.threads == 1
    (y1,) = sess.run(None, {"input": cifar.input})
    sess.set_threads(None)
    assert sess.threads >= 1
    (y2,) = sess.run(None, {"input": cifar.input})
    assert rel_diff(y1, y2) <= 1e-5


def test_non_contiguous_input_is_accepted(cifar):
    sess = modc.Session(cifar.plan)
    x = np.asfortranarray(cifar.input)
    assert not x.flags.c_contiguous
    (y,) = sess.run(None, {"input": x})
    assert rel_diff(y, cifar.output) <= 1e-4


def test_library_version():
    assert modc.library_version() == modc.__version__
