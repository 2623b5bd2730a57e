"""Concurrent `Session.run` from several Python threads on one session."""

import threading

import numpy as np

import modc
from conftest import rel_diff


def test_four_threads_share_one_session(cifar):
    sess = modc.Session(cifar.plan, threads=1)
    rng = np.random.default_rng(1)
    inputs = [rng.standard_normal((1, 3, 32, 32)).astype(np.float32) for _ in range(4)]
    expected = [sess.run(None, {"input": x})[0] for x in inputs]
    errors, results = [], {}
    barrier = threading.Barrier(4)

    def worker(i):
        try:
            barrier.wait()
            outs = [sess.run(None, {"input": inputs[i]})[0] for _ in range(25)]
            results[i] = outs
        except Exception as e:  # reported below; a thread's exception would otherwise be lost
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == [0, 1, 2, 3]
    for i, outs in results.items():
        for y in outs:
            assert rel_diff(y, expected[i]) == 0.0, f"thread {i} got another thread's result"
    # Different inputs give different outputs, so a mix-up between threads could not pass unnoticed.
    assert rel_diff(expected[0], expected[1]) > 1e-3
