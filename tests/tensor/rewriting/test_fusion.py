"""Elementwise fusion: graph structure, values against NumPy, both kernel strategies."""

import numpy as np
import pytest

import symtensor as theano
import symtensor.tensor as T
from symtensor.backends.numba import elemwise as nb_elemwise
from symtensor.tensor.ops.fusion import FusedElemwise


def _fused(f):
    return [n.op for n in f.order if isinstance(n.op, FusedElemwise)]


def test_chain_fuses_into_one_node_and_matches_numpy():
    x, b, g = T.dmatrix("x"), T.dvector("b"), T.dmatrix("g")
    z = T.tanh(x + b)
    y = g * (1 - z * z)
    f = theano.function([x, b, g], [z, y])
    ops = _fused(f)
    assert [op.program[-1][0] for op in ops] == ["tanh", "mul"]
    assert len(f.order) == 3  # DimShuffle of b, and the two fused nodes
    rng = np.random.default_rng(0)
    xv, bv, gv = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(3, 4))
    zr = np.tanh(xv + bv)
    zv, yv = f(xv, bv, gv)
    np.testing.assert_allclose(zv, zr, rtol=1e-12)
    np.testing.assert_allclose(yv, gv * (1 - zr * zr), rtol=1e-12)


def test_shared_intermediate_is_not_duplicated():
    x = T.dvector("x")
    e = T.exp(x)
    f = theano.function([x], [e + 1, e * 2])
    # exp has two clients: it stays its own node, each consumer fuses without it
    assert sum(1 for n in f.order if "exp" in str(n.op)) == 1
    a, b = f(np.array([0.0, 1.0]))
    np.testing.assert_allclose(a, np.exp([0.0, 1.0]) + 1)
    np.testing.assert_allclose(b, np.exp([0.0, 1.0]) * 2)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_numba_kernels_agree_with_perform(dtype):
    x = T.tensor(dtype, (False, False), "x")
    y = T.tensor(dtype, (True, False), "y")
    arith = T.maximum(x * y - 3, y) + (x > y) * 2
    expr = [arith] if dtype == "int32" else [arith, T.exp(T.cast(x, "float64") * 0.01) / (1 + y)]
    fast = theano.function([x, y], expr, mode="FAST_RUN")
    ref = theano.function([x, y], expr, mode="FAST_COMPILE")
    rng = np.random.default_rng(1)
    xv = rng.integers(-5, 5, size=(300, 257)).astype(dtype)  # big enough for threads
    yv = rng.integers(1, 5, size=(1, 257)).astype(dtype)
    for a, b in zip(fast(xv, yv), ref(xv, yv)):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-6 if dtype == "float32" else 1e-12)


def test_blocked_evaluator_covers_uneven_blocks(monkeypatch):
    monkeypatch.setattr(nb_elemwise, "_BLOCK", 7)
    monkeypatch.setattr(nb_elemwise, "_THREADED_MIN", 10)
    x = T.dmatrix("x")
    f = theano.function([x], T.tanh(x) * 2 + 1)
    xv = np.random.default_rng(2).normal(size=(23, 5))
    np.testing.assert_allclose(f(xv), np.tanh(xv) * 2 + 1, rtol=1e-12)


def test_fused_op_gradient_and_mismatch_error():
    x, y = T.dvector("x"), T.dvector("y")
    op = FusedElemwise((("mul", (0, 1)), ("exp", (2,))))
    out = op(x, y)
    gx = T.grad(out.sum(), x)
    f = theano.function([x, y], gx)
    xv, yv = np.array([0.1, 0.2]), np.array([1.0, 2.0])
    np.testing.assert_allclose(f(xv, yv), yv * np.exp(xv * yv))
    g = theano.function([x, y], out)
    with pytest.raises(ValueError, match="mismatch"):
        g(np.ones(2), np.ones(3))


def test_kernel_source_is_cached_on_disk(tmp_path, monkeypatch):
    from symtensor.backends.numba import kernel_cache
    monkeypatch.setenv("SYMTENSOR_CACHE", str(tmp_path))
    monkeypatch.setattr(kernel_cache, "_LOADED", {})
    src = nb_elemwise.kernel_source((("add", (0, 1)),), ["float64", "float64"], 1)
    mod = kernel_cache.load_source("elemwise", src)
    files = list((tmp_path / "numba_kernels").glob("elemwise_*.py"))
    assert len(files) == 1 and files[0].read_text() == src
    out = np.empty(3)
    mod.kernel(0, 3, out, np.ones(3), np.arange(3.0))
    np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])
    import os
    from pathlib import Path
    where = Path(os.environ.get("NUMBA_CACHE_DIR") or tmp_path / "numba_kernels")
    assert list(where.rglob("elemwise_*.nbi"))  # numba's index of the compiled code


def test_collapsed_axes_keep_every_layout_right():
    """The kernel merges axes that all operands step through contiguously; strided,
    transposed, broadcast and size-1 axes must still give NumPy's answer."""
    rng = np.random.default_rng(7)
    x, y, b = T.tensor4("x"), T.tensor4("y"), T.vector("b")
    f = theano.function([x, y, b], x * y - b.dimshuffle("x", 0, "x", "x") * x)
    base = rng.standard_normal((4, 3, 5, 6))
    bv = rng.standard_normal(3)
    cases = [(base, base + 1),  # contiguous: one axis
             (base[:, :, 0:4:2], base[:, :, 1::2] * 2),  # strided rows
             (base.transpose(0, 1, 3, 2), base.transpose(0, 1, 3, 2).copy()),  # transposed
             (base[:1], base[:1].copy()),  # a size-1 leading axis
             (base[:, :, :1], base[:, :, :1] + 3)]  # a size-1 inner axis
    for xv, yv in cases:
        want = xv * yv - bv[None, :, None, None] * xv
        np.testing.assert_allclose(f(xv, yv, bv), want, rtol=1e-12)
    shapes = {}
    for xv, yv in cases:
        out = np.empty(xv.shape)
        views = [np.broadcast_to(v, out.shape) for v in (xv, yv, bv[None, :, None, None])]
        shapes[xv.shape] = nb_elemwise.collapse_axes(out, views)[0].shape
    assert shapes[(4, 3, 5, 6)] == (4, 3, 30)  # the bias keeps C apart from H*W
