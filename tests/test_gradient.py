"""grad(): reverse mode semantics, errors, and verify_grad itself."""

import numpy as np
import pytest

import symtensor as theano
import symtensor.tensor as T
from symtensor.gradient import (
    DisconnectedInputError,
    GradientError,
    NullTypeGradError,
    verify_grad,
)


def test_grad_of_quadratic_matches_hand_derivative():
    x = T.dvector("x")
    a = np.array([1.0, -2.0, 3.0])
    cost = ((x - a) ** 2).sum()
    g = theano.function([x], T.grad(cost, x))
    xv = np.array([0.5, 0.5, 0.5])
    np.testing.assert_allclose(g(xv), 2 * (xv - a))


def test_grad_list_and_single():
    x, y = T.dscalar("x"), T.dscalar("y")
    cost = x * y + x ** 3
    gx, gy = T.grad(cost, [x, y])
    single = T.grad(cost, x)
    f = theano.function([x, y], [gx, gy, single])
    out = f(2.0, 5.0)
    np.testing.assert_allclose(out, [5.0 + 12.0, 2.0, 17.0])


def test_grad_dtype_follows_wrt():
    theano.config.floatX = "float32"
    w = theano.shared(np.ones(3, dtype="float32"))
    x = T.vector("x")
    g = T.grad(T.sum(T.exp(w * x) * 0.1), w)
    assert g.dtype == "float32"


def test_shared_variable_used_twice_accumulates():
    w = theano.shared(np.array(3.0))
    cost = w * w + 2 * w
    assert theano.function([], T.grad(cost, w))() == 8.0


def test_non_scalar_cost_raises():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="scalar"):
        T.grad(x * 2, x)


def test_disconnected_inputs_modes():
    x, y = T.dvector("x"), T.dvector("y")
    cost = x.sum()
    with pytest.raises(DisconnectedInputError, match="y"):
        T.grad(cost, y)
    with pytest.warns(UserWarning):
        g = T.grad(cost, y, disconnected_inputs="warn")
    g = T.grad(cost, y, disconnected_inputs="ignore")
    np.testing.assert_array_equal(
        theano.function([y], g)(np.ones(2)), np.zeros(2))


def test_gradient_through_argmax_is_disconnected():
    x = T.dvector("x")
    cost = T.cast(T.argmax(x), "float64")
    with pytest.raises(DisconnectedInputError):
        T.grad(cost, x)


def test_undefined_gradient_raises_with_reason():
    from symtensor.graph.basic import Apply
    from symtensor.graph.op import Op

    class NoGrad(Op):
        def make_node(self, x):
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, out):
            out[0][0] = inputs[0].copy()

        def grad(self, inputs, outputs, output_grads):
            return [T.grad_undefined(self, 0, inputs[0], "it is a test")]

    x = T.dvector("x")
    with pytest.raises(NullTypeGradError, match="it is a test"):
        T.grad(NoGrad()(x).sum(), x)


def test_consider_constant():
    x = T.dscalar("x")
    y = x * x
    cost = y * x
    g = T.grad(cost, x, consider_constant=[y])
    assert theano.function([x], g)(3.0) == 9.0  # d(y*x)/dx with y held constant


def test_known_grads():
    x = T.dvector("x")
    y = x * 3
    g = T.grad(None, x, known_grads={y: T.constant(np.array([1.0, 2.0]))})
    f = theano.function([x], g, on_unused_input="ignore")
    np.testing.assert_array_equal(f(np.zeros(2)), [3.0, 6.0])


def test_verify_grad_accepts_right_and_rejects_wrong_gradient():
    rng = np.random.default_rng(0)
    verify_grad(lambda a: T.tanh(a) * a, [rng.normal(size=(3, 2))])

    from symtensor.graph.basic import Apply
    from symtensor.graph.op import Op

    class WrongSquare(Op):  # forward x**2 with a deliberately wrong gradient 3x
        def make_node(self, x):
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, out):
            out[0][0] = inputs[0] ** 2

        def grad(self, inputs, outputs, output_grads):
            return [output_grads[0] * 3 * inputs[0]]

    with pytest.raises(GradientError, match="input 0"):
        verify_grad(lambda a: WrongSquare()(a), [rng.normal(size=(3,))])


def test_second_derivative():
    x = T.dscalar("x")
    g = T.grad(x ** 3, x)
    h = T.grad(g, x)
    assert theano.function([x], h)(2.0) == pytest.approx(12.0)
