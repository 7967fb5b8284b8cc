"""Pool, MaxPoolGrad, AveragePoolGrad and MaxPoolGradGrad as graph ops."""

import numpy as np
import pytest
from checks import assert_close, check_infer_shape

import symtensor as theano
import symtensor.tensor as T
from symtensor.gradient import verify_grad
from symtensor.tensor.ops.pool import (
    AveragePoolGrad,
    MaxPoolGrad,
    MaxPoolGradGrad,
    Pool,
    pool_2d_reference,
)

MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]
# (ws, ignore_border, stride, pad)
CASES = [
    ((2, 2), True, None, (0, 0)),
    ((2, 2), False, None, (0, 0)),
    ((3, 2), False, (2, 1), (0, 0)),  # stride < ws, partial windows kept
    ((2, 3), True, (3, 1), (1, 2)),  # padding, stride > ws on rows
]


def _distinct(shape, seed=0):
    """Values 0.1 apart: no tied maxima, so finite differences are exact."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))).reshape(shape) - 10.0) * 0.1


def test_tutorial_example_through_a_function():
    x = T.dtensor4("input")
    invals = np.random.RandomState(1).rand(3, 2, 5, 5)
    f = theano.function([x], Pool((2, 2), ignore_border=True)(x))
    assert_close(f(invals)[0, 0], [[0.72032449, 0.39676747], [0.6852195, 0.87811744]],
                 dtype="float32")  # the tutorial prints 8 decimals
    g = theano.function([x], Pool((2, 2), ignore_border=False)(x))
    assert g(invals).shape == (3, 2, 3, 3)
    np.testing.assert_allclose(g(invals)[1, 0, 2], [0.90340192, 0.80739129, 0.39767684],
                               atol=1e-8)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ndim", [2, 3, 5])
def test_values_and_infer_shape(case, mode, ndim):
    shape = (2, 1, 3)[: ndim - 2] + (7, 6)
    x = _distinct(shape)
    xs = T.TensorType("float64", (False,) * ndim)("x")
    out = Pool(*case, mode)(xs)
    assert_close(theano.function([xs], out)(x), pool_2d_reference(x, *case, mode))
    check_infer_shape(out, [xs], [x])
    gz = T.TensorType("float64", (False,) * ndim)("gz")
    grad = T.grad(None, xs, known_grads={out: gz})
    gz_val = np.ones(pool_2d_reference(x, *case, mode).shape)
    check_infer_shape(grad, [xs, gz], [x, gz_val])


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("mode", MODES)
def test_pool_grad_by_finite_differences(case, mode):
    verify_grad(Pool(*case, mode), [_distinct((2, 2, 6, 5))], mode="PY")


@pytest.mark.parametrize("case", CASES)
def test_grad_ops_have_gradients(case):
    x = _distinct((2, 6, 5), seed=1)
    maxout = pool_2d_reference(x, *case)
    gz = np.random.default_rng(2).standard_normal(maxout.shape)
    xc, mc = T.constant(x), T.constant(maxout)
    verify_grad(lambda g: MaxPoolGrad(*case)(xc, mc, g), [gz], mode="PY")
    verify_grad(lambda g: MaxPoolGradGrad(*case)(xc, mc, g), [x.copy()], mode="PY")
    for mode in MODES[1:]:
        verify_grad(lambda g, m=mode: AveragePoolGrad(*case, m)(xc, g),
                    [pool_2d_reference(x, *case, mode)], mode="PY")


def test_grad_of_grad_through_max_pool():
    """d/dx of sum(d(cost)/dx * c) goes through MaxPoolGrad's own gradient."""
    x = _distinct((1, 1, 4, 4))
    xs = T.dtensor4()
    gx = T.grad((Pool((2, 2), True)(xs) ** 2).sum(), xs)
    ggx = T.grad((gx * T.constant(np.arange(16.0).reshape(x.shape))).sum(), xs)
    # cost = sum(max^2): d/dx = 2 max at the argmax; second derivative 2 * c at the argmax.
    expected = 2 * np.arange(16.0).reshape(x.shape) * (
        x == np.kron(pool_2d_reference(x, (2, 2), True), np.ones((2, 2))))
    assert_close(theano.function([xs], ggx, mode="PY")(x), expected)


def test_props_and_errors():
    assert Pool((2, 2), True) == Pool((2, 2), True, (2, 2), (0, 0), "max")
    assert hash(Pool((2, 2), True)) == hash(Pool((2, 2), True, (2, 2)))
    assert Pool((2, 2), True) != Pool((2, 2), False)
    assert "mode=sum" in str(Pool((2, 2), True, mode="sum"))
    with pytest.raises(NotImplementedError, match="ignore_border"):
        Pool((2, 2), False, pad=(1, 1))
    with pytest.raises(NotImplementedError, match="smaller than ws"):
        Pool((2, 2), True, pad=(2, 1))
    with pytest.raises(ValueError, match="mode"):
        Pool((2, 2), True, mode="average")
    with pytest.raises(ValueError, match="mode must be 'max'"):
        MaxPoolGrad((2, 2), True, mode="sum")
    with pytest.raises(ValueError, match="must not be 'max'"):
        AveragePoolGrad((2, 2), True, mode="max")
    with pytest.raises(TypeError, match=">= 2 dimensions"):
        Pool((2, 2), True)(T.vector())
    with pytest.raises(TypeError, match="must have 4 dimensions"):
        MaxPoolGrad((2, 2), True)(T.tensor4(), T.tensor4(), T.matrix())


def test_output_type():
    x = T.TensorType("float32", (True, False, True, True))()
    out = Pool((2, 2), True)(x)
    assert out.dtype == "float32" and out.broadcastable == (True, False, False, False)
