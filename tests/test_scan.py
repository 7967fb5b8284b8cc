"""scan: the examples of Theano's scan documentation against NumPy, random streams in the
step function, and gradients through the loop by finite differences."""

import numpy as np
import pytest

import symtensor as theano
import symtensor.tensor as T
from symtensor.gradient import verify_grad
from symtensor.scan_module import Scan, until
from symtensor.tensor.shared_randomstreams import RandomStreams


@pytest.fixture(autouse=True)
def _float64():
    theano.config.floatX = "float64"


def test_cumulative_sum():
    x = T.dvector("x")
    s, updates = theano.scan(lambda v, acc: acc + v, sequences=x,
                             outputs_info=T.constant(0.0, dtype="float64"))
    assert updates == {}
    f = theano.function([x], s)
    v = np.array([1.0, 2.0, 3.0, 4.5])
    np.testing.assert_allclose(f(v), np.cumsum(v))
    np.testing.assert_allclose(f(v[:1]), v[:1])  # one compiled function, any length


def test_power_by_n_steps_and_non_sequence():
    k = T.iscalar("k")
    a = T.dvector("A")
    result, updates = theano.scan(fn=lambda prior, a: prior * a, outputs_info=T.ones_like(a),
                                  non_sequences=a, n_steps=k)
    power = theano.function([a, k], result[-1], updates=updates)
    v = np.arange(10, dtype="float64")
    np.testing.assert_allclose(power(v, 2), v ** 2)
    np.testing.assert_allclose(power(v, 5), v ** 5)
    trace = theano.function([a, k], result)(v, 3)
    assert trace.shape == (3, 10)
    np.testing.assert_allclose(trace, [v, v ** 2, v ** 3])


def test_polynomial_non_recurrent_outputs():
    coefficients = T.dvector("coefficients")
    x = T.dscalar("x")
    components, _ = theano.scan(lambda c, p, x: c * (x ** p), outputs_info=None,
                                sequences=[coefficients, T.arange(10000)], non_sequences=x)
    f = theano.function([coefficients, x], components.sum())
    c = np.array([1.0, 0.0, 2.0])
    assert f(c, 3.0) == pytest.approx(np.polyval(c[::-1], 3.0))


def test_two_outputs_mixed_recurrent_and_free():
    x = T.dvector("x")

    def step(v, acc):
        return acc + v, v * 2

    (acc, doubled), _ = theano.scan(step, sequences=x,
                                    outputs_info=[T.constant(0.0, dtype="float64"), None])
    f = theano.function([x], [acc, doubled])
    v = np.array([1.0, -2.0, 5.0])
    a, d = f(v)
    np.testing.assert_allclose(a, np.cumsum(v))
    np.testing.assert_allclose(d, 2 * v)


def test_implicit_shared_and_outer_variables():
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    scale = T.dscalar("scale")
    x = T.dmatrix("x")
    out, _ = theano.scan(lambda row: T.dot(row, w) * scale, sequences=x)
    f = theano.function([x, scale], out)
    xv = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(f(xv, 2.0), xv @ w.get_value() * 2)
    w.set_value(np.array([0.0, 1.0]))
    np.testing.assert_allclose(f(xv, 1.0), xv[:, 1])


def test_go_backwards_and_sequence_taps():
    x = T.dvector("x")
    rev, _ = theano.scan(lambda v: v, sequences=x, go_backwards=True)
    diff, _ = theano.scan(lambda prev, cur: cur - prev, sequences=dict(input=x, taps=[-1, 0]))
    f = theano.function([x], [rev, diff])
    v = np.array([1.0, 4.0, 9.0, 16.0])
    r, d = f(v)
    np.testing.assert_allclose(r, v[::-1])
    np.testing.assert_allclose(d, np.diff(v))


def test_fibonacci_with_two_taps():
    n = T.iscalar("n")
    init = T.constant(np.array([0, 1], dtype="int64"))
    fib, _ = theano.scan(lambda a, b: a + b, outputs_info=dict(initial=init, taps=[-2, -1]),
                         n_steps=n)
    assert list(theano.function([n], fib)(8)) == [1, 2, 3, 5, 8, 13, 21, 34]


def test_until_stops_the_loop():
    out, _ = theano.scan(lambda prev: (prev * 2, until(prev * 2 > 40)),
                         outputs_info=T.constant(1.0, dtype="float64"), n_steps=100)
    np.testing.assert_allclose(theano.function([], out)(), [2, 4, 8, 16, 32, 64])


def test_step_function_updates_are_returned():
    count = theano.shared(np.int64(0), name="count")
    x = T.dvector("x")
    out, updates = theano.scan(lambda v: (v + 1, {count: count + 1}), sequences=x)
    assert list(updates) == [count]
    f = theano.function([x], out, updates=updates)
    f(np.zeros(4))
    f(np.zeros(3))
    assert int(count.get_value()) == 7


def test_type_mismatch_names_the_output():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="dtype int64.*float64"):
        theano.scan(lambda v, acc: T.cast(acc + v, "int64"), sequences=x,
                    outputs_info=T.constant(0.0, dtype="float64"))
    with pytest.raises(ValueError, match="outputs_info has 2 entries"):
        theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=[x[0], None])
    with pytest.raises(ValueError, match="n_steps"):
        theano.scan(lambda acc: acc, outputs_info=x)


def test_short_sequence_is_an_error():
    x = T.dvector("x")
    out, _ = theano.scan(lambda v: v * 2, sequences=x, n_steps=5)
    with pytest.raises(ValueError, match="sequence 0 has 3 entries"):
        theano.function([x], out)(np.zeros(3))


# ------------------------------------------------------------ random streams


def test_random_streams_in_step_advance_and_are_reproducible():
    def build():
        srng = RandomStreams(seed=3)
        x = T.dvector("x")
        out, updates = theano.scan(lambda v: v + srng.uniform(size=v.shape), sequences=x)
        return x, out, updates

    x, out, updates = build()
    assert len(updates) == 1
    f = theano.function([x], out, updates=updates)
    z = np.zeros(5)
    a, b = f(z), f(z)
    assert len(set(a.tolist())) == 5  # a new draw at every step
    assert not np.allclose(a, b)  # and the state advances between calls
    assert ((0 <= a) & (a < 1)).all()
    x2, out2, updates2 = build()
    f2 = theano.function([x2], out2, updates=updates2)
    np.testing.assert_array_equal(f2(z), a)  # same seed, same numbers
    np.testing.assert_array_equal(f2(z), b)


def test_random_walk_default_update_without_passing_updates():
    srng = RandomStreams(seed=11)
    walk, updates = theano.scan(lambda pos: pos + srng.normal(size=(2,)),
                                outputs_info=T.zeros((2,), dtype="float64"), n_steps=50)
    f = theano.function([], walk)  # updates not passed: the generator still advances
    a, b = f(), f()
    assert a.shape == (50, 2) and not np.allclose(a, b)
    steps = np.diff(np.concatenate([np.zeros((1, 2)), a]), axis=0)
    assert abs(steps.mean()) < 0.5 and 0.6 < steps.std() < 1.4


# ------------------------------------------------------------ gradients


def _rnn(x0, xs, w):
    h, _ = theano.scan(lambda x_t, h_tm1, w: T.tanh(T.dot(h_tm1, w) + x_t), sequences=xs,
                       outputs_info=x0, non_sequences=w)
    return h


def test_grad_through_recurrence_matches_finite_differences():
    rng = np.random.RandomState(0)
    pt = [rng.randn(3), rng.randn(4, 3), 0.5 * rng.randn(3, 3)]
    verify_grad(lambda x0, xs, w: _rnn(x0, xs, w), pt, rng=np.random.default_rng(1))
    verify_grad(lambda x0, xs, w: (_rnn(x0, xs, w)[-1] ** 2).sum(), pt)


def test_grad_of_implicit_shared_weight_and_free_outputs():
    rng = np.random.RandomState(2)
    w = theano.shared(rng.randn(3, 3), name="w")
    xs = T.dmatrix("xs")
    ys, _ = theano.scan(lambda x_t: T.sum(T.dot(x_t, w) ** 2), sequences=xs)
    cost = ys.sum()
    gw = theano.function([xs], T.grad(cost, w))
    xv = rng.randn(5, 3)
    expected = sum(2 * np.outer(x, x @ w.get_value()) for x in xv)
    np.testing.assert_allclose(gw(xv), expected, rtol=1e-10)
    verify_grad(lambda xs: theano.scan(lambda x_t, a: T.sin(x_t) * a, sequences=xs,
                                       non_sequences=T.constant(2.0, dtype="float64"))[0],
                [xv])


def test_grad_power_and_two_taps():
    verify_grad(lambda a: theano.scan(lambda p, a: p * a, outputs_info=T.ones_like(a),
                                      non_sequences=a, n_steps=4)[0], [np.array([0.5, -1.2, 2.0])])
    verify_grad(lambda init: theano.scan(lambda a, b: a * b + 0.1,
                                         outputs_info=dict(initial=init, taps=[-2, -1]),
                                         n_steps=5)[0], [np.array([0.9, 1.1])])


def test_second_order_gradient_through_the_backward_scan():
    def first_grad(xs, w):
        h, _ = theano.scan(lambda v, acc, w: T.tanh(acc * w + v), sequences=xs,
                           outputs_info=T.constant(0.0, dtype="float64"), non_sequences=w)
        return T.grad(h[-1], w)

    verify_grad(first_grad, [np.array([0.3, -0.2, 0.5]), np.array(0.8)])
    xs, w = T.dvector("xs"), T.dscalar("w")
    h, _ = theano.scan(lambda v, acc, w: acc * w + v, sequences=xs,
                       outputs_info=T.constant(0.0, dtype="float64"), non_sequences=w)
    gw = T.grad(h[-1], w)  # h = w^2 + 2w + 3 for xs = 1, 2, 3
    f = theano.function([xs, w], [gw, T.grad(gw, w)])
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0]), 2.0), [6.0, 2.0])


def test_truncate_gradient_keeps_only_the_last_steps():
    xs = T.dvector("xs")
    h, _ = theano.scan(lambda x_t, h_tm1: 0.5 * h_tm1 + x_t, sequences=xs,
                       outputs_info=T.constant(0.0, dtype="float64"), truncate_gradient=2)
    g = theano.function([xs], T.grad(h[-1], xs))(np.ones(5))
    np.testing.assert_allclose(g, [0, 0, 0, 0.5, 1.0])


def test_grad_through_random_step_replays_the_same_draws():
    srng = RandomStreams(seed=5)
    xs = T.dvector("xs")
    out, updates = theano.scan(lambda x_t: x_t * srng.uniform(size=x_t.shape) ** 2 * x_t,
                               sequences=xs)
    f = theano.function([xs], [out, T.grad(out.sum(), xs)], no_default_updates=True)
    xv = np.array([1.0, 2.0, 3.0])
    o, g = f(xv)
    np.testing.assert_allclose(g, 2 * o / xv)  # d(u^2 x^2)/dx = 2 u^2 x with the same u


def test_scan_op_is_in_the_graph_and_not_merged():
    x = T.dvector("x")
    a, _ = theano.scan(lambda v: v + 1, sequences=x)
    b, _ = theano.scan(lambda v: v + 1, sequences=x)
    assert isinstance(a.owner.op, Scan) and a.owner.op != b.owner.op
    np.testing.assert_allclose(theano.function([x], a - b)(np.arange(3.0)), 0)
