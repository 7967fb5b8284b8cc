"""z +- a * dot(x, y) becomes one Gemm (specialize), in place when z is dead (inplace)."""

import numpy as np
import pytest

import symtensor as theano
import symtensor.tensor as T
from symtensor.gradient import verify_grad
from symtensor.tensor.ops.blas import Dot, Gemm


def _ops(f, cls):
    return [n.op for n in f.order if isinstance(n.op, cls)]


@pytest.mark.parametrize("mode", ["FAST_RUN", "PY"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sgd_step_of_a_weight_matrix_is_one_inplace_gemm(mode, dtype):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((30, 20)).astype(dtype)
    w = theano.shared(w0.copy(), name="W")
    x, gz = T.matrix("x", dtype=dtype), T.matrix("gz", dtype=dtype)
    lr = T.constant(0.1, dtype=dtype)
    f = theano.function([x, gz], [], updates=[(w, w - lr * T.dot(x.T, gz))], mode=mode)
    assert _ops(f, Gemm) == [Gemm(inplace=True)] and not _ops(f, Dot)
    xv = rng.standard_normal((50, 30)).astype(dtype)
    gv = rng.standard_normal((50, 20)).astype(dtype)
    buffer = w.get_value(borrow=True)
    f(xv, gv)
    assert w.get_value(borrow=True) is buffer  # accumulated into W's own storage
    tol = 1e-5 if dtype == "float32" else 1e-12
    want = w0.astype(np.float64) - 0.1 * xv.T.astype(np.float64) @ gv
    np.testing.assert_allclose(w.get_value(), want, rtol=tol, atol=tol)


def test_patterns_that_become_gemm():
    rng = np.random.default_rng(1)
    z, x, y = T.dmatrix("z"), T.dmatrix("x"), T.dmatrix("y")
    a = T.dscalar("a")
    zv, xv, yv = (rng.standard_normal(s) for s in ((4, 5), (4, 3), (3, 5)))
    av = 0.7
    cases = [(z + T.dot(x, y), zv + xv @ yv), (z - T.dot(x, y), zv - xv @ yv),
             (T.dot(x, y) * a + z, zv + av * (xv @ yv)),
             (z - a * T.dot(x, y), zv - av * (xv @ yv)),
             (z + 2.5 * T.dot(x, y), zv + 2.5 * (xv @ yv))]
    for expr, want in cases:
        f = theano.function([z, a, x, y], expr, on_unused_input="ignore")
        assert len(_ops(f, Gemm)) == 1 and not _ops(f, Dot), expr
        # z is a function input: the caller's array must not change
        zc = zv.copy()
        np.testing.assert_allclose(f(zc, av, xv, yv), want, rtol=1e-12)
        np.testing.assert_array_equal(zc, zv)
        assert _ops(f, Gemm)[0] == Gemm(inplace=False)


def test_patterns_left_alone():
    z, x, y = T.dmatrix("z"), T.dmatrix("x"), T.dmatrix("y")
    b = T.dvector("b")
    d = T.dot(x, y)
    xf = T.fmatrix("xf")
    for outs in ([b + d], [z + d, d], [z - d * z], [z + T.dot(x, y).T], [z + T.dot(xf, y)]):
        f = theano.function([z, b, x, y, xf], outs, on_unused_input="ignore")
        assert not _ops(f, Gemm), outs
    rng = np.random.default_rng(5)
    zv, yv = rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    xv = rng.standard_normal((4, 3)).astype(np.float32)
    g = theano.function([z, xf, y], z + T.dot(xf, y))  # mixed dtypes: Dot and an add
    np.testing.assert_allclose(g(zv, xv, yv), zv + xv.astype(np.float64) @ yv, rtol=1e-6)


def test_gemm_perform_and_kernel_agree_and_ignore_z_when_beta_is_zero():
    rng = np.random.default_rng(2)
    z, a, x, y, b = T.dmatrix("z"), T.dscalar("a"), T.dmatrix("x"), T.dmatrix("y"), T.dscalar("b")
    out = Gemm()(z, a, x, y, b)
    zv, xv, yv = (rng.standard_normal(s) for s in ((4, 5), (4, 3), (3, 5)))
    for mode in ("FAST_RUN", "PY"):
        f = theano.function([z, a, x, y, b], out, mode=mode)
        np.testing.assert_allclose(f(zv, 0.5, xv, yv, -2.0), -2.0 * zv + 0.5 * xv @ yv)
        nan_z = np.full((4, 5), np.nan)
        np.testing.assert_allclose(f(nan_z, 1.0, xv, yv, 0.0), xv @ yv)
        with pytest.raises(ValueError, match="Gemm"):
            f(zv, 1.0, xv, yv[:2], 1.0)


def test_gemm_make_node_errors_and_grad():
    z, x, y = T.dmatrix("z"), T.dmatrix("x"), T.dmatrix("y")
    with pytest.raises(TypeError, match="one float dtype"):
        Gemm()(z, T.fscalar(), x, y, T.dscalar())
    with pytest.raises(TypeError, match="alpha must have 0 dimensions"):
        Gemm()(z, T.dvector(), x, y, T.dscalar())
    rng = np.random.default_rng(3)
    pt = [rng.standard_normal(s) for s in ((3, 4), (), (3, 2), (2, 4), ())]
    verify_grad(lambda *v: Gemm()(*v), [np.asarray(p) for p in pt], rng=rng)


def test_the_cuda_modes_skip_the_cpu_only_rewrite():
    from symtensor.graph.rewriting.basic import registered
    from symtensor_cuda.linker import CPU_ONLY_REWRITES, NOT_ON_GPU
    names = {r.name for r in registered("specialize")}
    assert set(CPU_ONLY_REWRITES) <= names and "Gemm" in NOT_ON_GPU
