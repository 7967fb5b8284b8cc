"""The BLAS layer of the Numba backend: thread control, ``gemm`` and split products."""

import numpy as np
import pytest

import symtensor
import symtensor.tensor as T
from symtensor.backends.numba import blas as nblas
from symtensor.config import config

DTYPES = [np.float32, np.float64]


def test_blas_threads_sets_and_restores_every_openblas():
    handles = nblas._handles()
    if not handles:
        pytest.skip("no bundled OpenBLAS found")
    before = [get() for get, _ in handles]
    with nblas.blas_threads(1):
        assert [get() for get, _ in handles] == [1] * len(handles)
    assert [get() for get, _ in handles] == before


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_on_strided_views_accumulates(dtype, trans_a, trans_b):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((9, 11)).astype(dtype)[1:6, 2:9]  # row-strided views
    b = rng.standard_normal((10, 12)).astype(dtype)[:7, 3:8]
    op_a = np.ascontiguousarray(a.T) if trans_a else a  # stored so that op(stored) == a
    op_b = np.ascontiguousarray(b.T) if trans_b else b
    big = rng.standard_normal((8, 9)).astype(dtype)
    before = big.copy()
    c = big[2:7, 1:6]
    want = 0.5 * a @ b + 2.0 * c
    nblas.gemm(trans_a, trans_b, 0.5, op_a, op_b, 2.0, c)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(big[2:7, 1:6], want, rtol=tol, atol=tol)
    big[2:7, 1:6] = before[2:7, 1:6]
    np.testing.assert_array_equal(big, before)  # nothing outside the view was written


def test_gemm_rejects_mismatched_operands():
    a, b = np.ones((2, 3), np.float32), np.ones((4, 2), np.float32)
    with pytest.raises(ValueError, match="shapes"):
        nblas.gemm(False, False, 1.0, a, b, 0.0, np.empty((2, 2), np.float32))
    with pytest.raises(ValueError, match="dtype"):
        nblas.gemm(False, False, 1.0, a, np.ones((3, 2)), 0.0,
                   np.empty((2, 2), np.float32))


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul_split_matches_numpy_on_views(threads, dtype, monkeypatch):
    monkeypatch.setattr(config, "numba_threads", threads)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 130)).astype(dtype)
    y = rng.standard_normal((70, 130)).astype(dtype)
    cases = [(x, y.T), (x[::2], y.T[:, 5:40]), (x.T[10:90].T[:250], y[:, :80].T[:80]),
             (np.asfortranarray(x), np.ascontiguousarray(y.T)), (x[:, ::2], y.T[:130:2])]
    tol = 1e-4 if dtype == np.float32 else 1e-11
    for a, b in cases:
        got = nblas.matmul_split(a, b)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, a.astype(np.float64) @ b, rtol=tol, atol=tol)


def test_compiled_dot_above_the_split_threshold(monkeypatch):
    monkeypatch.setattr(nblas, "SPLIT_PRODUCT", 1)
    a, b = T.matrix("a", dtype="float32"), T.matrix("b", dtype="float32")
    f = symtensor.function([a, b], [T.dot(a, b), T.dot(b.T, a.T)], mode="FAST_RUN")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((50, 40)).astype(np.float32)
    y = rng.standard_normal((40, 30)).astype(np.float32)
    got, got_t = f(x, y)
    want = x.astype(np.float64) @ y
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_t, want.T, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="not aligned"):
        f(x, y[:5])
