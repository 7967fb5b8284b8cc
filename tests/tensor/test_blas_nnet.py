"""dot for vector/matrix combinations and the nnet functions (softmax, sigmoid, relu,
cross-entropies) against NumPy/SciPy, with gradients by finite differences."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.special
from checks import assert_close, check_infer_shape
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import FLOATS, SETTINGS, arrays

import symtensor as theano
import symtensor.tensor as T
from symtensor.gradient import verify_grad
from symtensor.tensor import nnet

RNG = np.random.default_rng(11)

# ------------------------------------------------------------------ dot

COMBOS = {"vv": (1, 1), "mv": (2, 1), "vm": (1, 2), "mm": (2, 2)}


@functools.cache
def _dot_fn(combo, dx, dy):
    nx, ny = COMBOS[combo]
    x = T.TensorType(dx, (False,) * nx)()
    y = T.TensorType(dy, (False,) * ny)()
    z = T.dot(x, y)
    return x, y, z, theano.function([x, y], [z, x @ y, x.dot(y)])


@pytest.mark.parametrize("combo", sorted(COMBOS))
@settings(**SETTINGS)
@given(data=st.data())
def test_dot_values(combo, data):
    dx = data.draw(st.sampled_from(FLOATS + ("int32",)))
    dy = data.draw(st.sampled_from(FLOATS + ("int32",)))
    m, k, n = (data.draw(st.integers(1, 4)) for _ in range(3))
    nx, ny = COMBOS[combo]
    xv = data.draw(arrays(dx, (m, k) if nx == 2 else (k,), -10, 10))
    yv = data.draw(arrays(dy, (k, n) if ny == 2 else (k,), -10, 10))
    x, y, z, f = _dot_fn(combo, dx, dy)
    out_dtype = np.result_type(dx, dy).name
    assert z.dtype == out_dtype
    want = np.dot(xv.astype(out_dtype), yv.astype(out_dtype))
    for got in f(xv, yv):
        assert got.dtype == out_dtype
        assert_close(got, want, out_dtype)
    check_infer_shape(z, [x, y], [xv, yv])


def test_dot_scalar_broadcastable_and_errors():
    s, v, m = T.dscalar(), T.dvector(), T.dmatrix()
    assert T.dot(s, m).ndim == 2 and T.dot(v, s).ndim == 1
    assert T.dot(T.drow(), m).broadcastable == (True, False)
    assert T.dot(m, T.dcol()).broadcastable == (False, True)
    f = theano.function([s, m], T.dot(s, m))
    assert_close(f(2.0, np.eye(2)), 2 * np.eye(2))
    with pytest.raises(TypeError):
        T.dot(T.dtensor3(), m)
    g = theano.function([m, v], T.dot(m, v))
    with pytest.raises(ValueError, match="dot"):
        g(np.ones((2, 3)), np.ones(4))


def test_outer():
    a, b = T.dvector(), T.dvector()
    av, bv = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    assert_close(theano.function([a, b], T.outer(a, b))(av, bv), np.outer(av, bv))


@pytest.mark.parametrize("combo", sorted(COMBOS))
def test_dot_grad(combo):
    nx, ny = COMBOS[combo]
    xv = RNG.standard_normal((3, 4) if nx == 2 else (4,))
    yv = RNG.standard_normal((4, 2) if ny == 2 else (4,))
    verify_grad(T.dot, [xv, yv])


def test_dot_grad_dtype():
    x, w = T.fmatrix(), T.dmatrix()
    gx, gw = theano.grad(T.dot(x, w).sum(), [x, w])
    assert gx.dtype == "float32" and gw.dtype == "float64"


# ------------------------------------------------------------------ softmax


@functools.cache
def _softmax_fn(dtype):
    x = T.TensorType(dtype, (False, False))()
    return theano.function([x], nnet.softmax(x))


@settings(**SETTINGS)
@given(data=st.data())
def test_softmax_values(data):
    dtype = data.draw(st.sampled_from(FLOATS))
    shape = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 5)))
    scale = data.draw(st.sampled_from([1.0, 30.0, 1000.0]))
    value = (data.draw(arrays(dtype, shape, -1, 1)) * scale).astype(dtype)
    out = _softmax_fn(dtype)(value)
    assert out.dtype == dtype
    assert np.all(np.isfinite(out))
    assert_close(out.sum(axis=1), np.ones(shape[0], dtype), dtype)
    want = scipy.special.softmax(value.astype("float64"), axis=1).astype(dtype)
    assert_close(out, want, dtype)


def test_softmax_large_inputs_do_not_overflow():
    x = T.dmatrix()
    out = theano.function([x], nnet.softmax(x))(np.array([[1000.0, 1000.0], [1e4, -1e4],
                                                          [-1e4, -1e4 + 1.0]]))
    assert np.all(np.isfinite(out))
    assert_close(out, [[0.5, 0.5], [1.0, 0.0], scipy.special.softmax([0.0, 1.0])])


def test_softmax_vector_and_axis():
    v = T.dvector()
    sv = nnet.softmax(v)
    assert sv.broadcastable == (True, False)  # Theano 1.0 pads a vector to a (1, n) row
    assert_close(theano.function([v], sv)(np.array([1.0, 2.0, 3.0])),
                 scipy.special.softmax([[1.0, 2.0, 3.0]], axis=1))
    m = T.dmatrix()
    assert nnet.softmax(m, axis=-1).ndim == 2
    with pytest.raises(ValueError):
        nnet.softmax(m, axis=0)
    with pytest.raises(TypeError):
        nnet.softmax(T.imatrix())
    check_infer_shape(nnet.softmax(m), [m], [np.zeros((2, 3))])


def test_softmax_grad():
    value = RNG.standard_normal((3, 4))
    verify_grad(nnet.softmax, [value])
    verify_grad(lambda a: nnet.softmax(a * 10.0), [value])
    verify_grad(nnet.softmax, [RNG.standard_normal(5)])


def test_softmax_grad_of_grad():
    """SoftmaxGrad's own gradient, through a second derivative."""
    weights = RNG.standard_normal((3, 4))

    def first_grad(a):
        return theano.grad((nnet.softmax(a) * weights).sum() ** 2, a)

    verify_grad(first_grad, [RNG.standard_normal((3, 4))])
    verify_grad(lambda dy, sm: nnet.SoftmaxGrad()(dy, sm),
                [RNG.standard_normal((2, 3)), scipy.special.softmax(RNG.random((2, 3)), axis=1)])


# ------------------------------------------------------------------ activations


def test_sigmoid():
    x = T.dmatrix()
    value = RNG.uniform(-20, 20, (3, 4))
    out = theano.function([x], nnet.sigmoid(x))(value)
    assert_close(out, 1.0 / (1.0 + np.exp(-value)))
    verify_grad(nnet.sigmoid, [RNG.uniform(-4, 4, (3, 4))])
    f = T.fvector()
    assert nnet.sigmoid(f).dtype == "float32"


@pytest.mark.parametrize("alpha", [0, 0.1, 0.5])
@pytest.mark.parametrize("dtype", FLOATS)
def test_relu(alpha, dtype):
    x = T.TensorType(dtype, (False, False))()
    y = nnet.relu(x, alpha)
    # as in Theano, alpha is autocast like any Python float: 0.1 is not exact in float32
    out_dtype = "float64" if alpha == 0.1 else dtype
    assert y.dtype == out_dtype
    value = RNG.uniform(-3, 3, (4, 5)).astype(dtype)
    want = np.where(value > 0, value, alpha * value.astype(out_dtype))
    assert_close(theano.function([x], y)(value), want, out_dtype)
    away = RNG.uniform(0.2, 3, (3, 4)) * RNG.choice([-1.0, 1.0], (3, 4))
    verify_grad(lambda a: nnet.relu(a, alpha), [away])


# ------------------------------------------------------------------ cross-entropies


def _probs(n, k, dtype="float64"):
    return scipy.special.softmax(RNG.standard_normal((n, k)), axis=1).astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_categorical_crossentropy_int_labels(dtype):
    p, y = T.TensorType(dtype, (False, False))(), T.ivector()
    out = nnet.categorical_crossentropy(p, y)
    assert out.dtype == dtype and out.ndim == 1
    pv, yv = _probs(5, 3, dtype), np.array([0, 2, 1, 1, 0], "int32")
    got = theano.function([p, y], out)(pv, yv)
    assert_close(got, -np.log(pv[np.arange(5), yv]), dtype)
    verify_grad(lambda a: nnet.categorical_crossentropy(a, yv), [_probs(5, 3)])


@pytest.mark.parametrize("dtype", FLOATS)
def test_categorical_crossentropy_one_hot(dtype):
    p, t = T.TensorType(dtype, (False, False))(), T.TensorType(dtype, (False, False))()
    out = nnet.categorical_crossentropy(p, t)
    assert out.dtype == dtype and out.ndim == 1
    pv = _probs(4, 3, dtype)
    tv = np.eye(3, dtype=dtype)[[2, 0, 1, 2]]
    got = theano.function([p, t], out)(pv, tv)
    assert_close(got, -(tv * np.log(pv)).sum(axis=1), dtype)
    soft = _probs(4, 3)
    verify_grad(nnet.categorical_crossentropy, [_probs(4, 3), soft])


def test_categorical_crossentropy_matches_for_both_label_forms_and_errors():
    p, y = T.dmatrix(), T.ivector()
    pv, yv = _probs(4, 3), np.array([2, 0, 1, 2], "int32")
    f = theano.function([p, y], [nnet.categorical_crossentropy(p, y),
                                 nnet.categorical_crossentropy(p, T.constant(np.eye(3)[yv]))])
    a, b = f(pv, yv)
    assert_close(a, b)
    with pytest.raises(TypeError):
        nnet.categorical_crossentropy(p, T.dvector())


def test_negative_log_likelihood_pattern():
    """The logistic-regression cost: -mean(log(p)[arange(n), y]) and its gradient."""
    x, w, y = T.dmatrix(), T.dmatrix(), T.ivector()
    p = nnet.softmax(T.dot(x, w))
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    xv, wv, yv = RNG.standard_normal((6, 4)), RNG.standard_normal((4, 3)), RNG.integers(0, 3, 6)
    f = theano.function([x, w, y], [cost, theano.grad(cost, w)])
    c, g = f(xv, wv, yv.astype("int32"))
    pv = scipy.special.softmax(xv @ wv, axis=1)
    assert_close(c, -np.mean(np.log(pv[np.arange(6), yv])))
    onehot = np.eye(3)[yv]
    assert_close(g, xv.T @ (pv - onehot) / 6)


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_crossentropy(dtype):
    o, t = T.TensorType(dtype, (False,))(), T.TensorType(dtype, (False,))()
    out = nnet.binary_crossentropy(o, t)
    assert out.dtype == dtype
    ov = RNG.uniform(0.05, 0.95, 6).astype(dtype)
    tv = np.array([0, 1, 1, 0, 0.3, 0.8], dtype)
    got = theano.function([o, t], out)(ov, tv)
    want = -(tv.astype("float64") * np.log(ov) + (1 - tv) * np.log(1 - ov.astype("float64")))
    assert_close(got, want.astype(dtype), dtype)
    verify_grad(nnet.binary_crossentropy, [RNG.uniform(0.1, 0.9, 6), RNG.uniform(0, 1, 6)])
