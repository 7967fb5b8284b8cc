"""Stabilize-phase rewrites: each changes the graph and keeps (or fixes) the values."""

import numpy as np
import scipy.special

import symtensor as theano
import symtensor.tensor as T
from symtensor.tensor.ops.nnet import CrossentropySoftmax1Hot, LogSoftmax, SoftmaxGrad


def _ops(f):
    return [type(n.op).__name__ for n in f.order]


def _names(f):
    return [str(n.op) for n in f.order]


def test_log_softmax_is_stable():
    x = T.dmatrix("x")
    f = theano.function([x], T.log(T.nnet.softmax(x)))
    assert "LogSoftmax" in _ops(f) and "Softmax" not in _ops(f)
    xv = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    np.testing.assert_allclose(f(xv), scipy.special.log_softmax(xv, axis=1))
    unstable = theano.function([x], T.log(T.nnet.softmax(x)), mode="FAST_COMPILE")
    assert np.isinf(unstable(xv)).any()  # what the rewrite saves us from


def test_tutorial_nll_becomes_one_op_with_stable_gradient():
    x, y = T.dmatrix("x"), T.ivector("y")
    p = T.nnet.softmax(x)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    g = T.grad(cost, x)
    f = theano.function([x, y], [cost, g])
    ops = _ops(f)
    assert "CrossentropySoftmax1Hot" in ops and "LogSoftmax" not in ops
    assert "SoftmaxGrad" not in ops  # SoftmaxGrad(g / p, p) was rewritten away
    xv = np.array([[1000.0, 0.0, 0.0], [0.0, 2.0, 1.0]])
    yv = np.array([1, 2], dtype="int32")
    c, gv = f(xv, yv)
    logp = scipy.special.log_softmax(xv, axis=1)
    np.testing.assert_allclose(c, -logp[[0, 1], yv].mean())
    expected = scipy.special.softmax(xv, axis=1)
    expected[[0, 1], yv] -= 1
    np.testing.assert_allclose(gv, expected / 2, atol=1e-12)


def test_crossentropy_op_and_its_gradient():
    from symtensor.gradient import verify_grad
    y = np.array([0, 2, 1], dtype="int32")
    rng = np.random.default_rng(0)
    verify_grad(lambda a: CrossentropySoftmax1Hot()(a, T.constant(y)), [rng.normal(size=(3, 4))])
    verify_grad(lambda a: LogSoftmax()(a), [rng.normal(size=(3, 4))])
    x, yy = T.dmatrix(), T.ivector()
    f = theano.function([x, yy], CrossentropySoftmax1Hot()(x, yy))
    import pytest
    with pytest.raises(IndexError, match="labels"):
        f(np.zeros((2, 3)), np.array([0, 3], dtype="int32"))


def test_softmax_grad_of_div_rewrite_values():
    x, g = T.dmatrix("x"), T.dmatrix("g")
    sm = T.nnet.softmax(x)
    expr = SoftmaxGrad()(g / sm, sm)
    f = theano.function([x, g], expr)
    assert "SoftmaxGrad" not in _ops(f)
    rng = np.random.default_rng(1)
    xv, gv = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    s = scipy.special.softmax(xv, axis=1)
    dy = gv / s
    np.testing.assert_allclose(f(xv, gv), (dy - (dy * s).sum(1, keepdims=True)) * s)


def test_log1p_softplus_and_log_sigmoid():
    x = T.dvector("x")
    xv = np.array([-800.0, -1e-20, 0.5, 800.0])
    f = theano.function([x], [T.log(1 + x[1:3]), T.log(1 + T.exp(x)),
                              T.log(T.nnet.sigmoid(x)), T.log(1 - T.nnet.sigmoid(x))])
    names = " ".join(_names(f))
    assert "log1p" in names and "softplus" in names and "sigmoid" not in names
    a, b, c, d = f(xv)
    np.testing.assert_allclose(a, np.log1p(xv[1:3]))
    np.testing.assert_allclose(b, np.logaddexp(0, xv))
    np.testing.assert_allclose(c, -np.logaddexp(0, -xv))
    np.testing.assert_allclose(d, -np.logaddexp(0, xv))
    assert np.isfinite(c).all() and np.isfinite(d).all()
