"""function(): outputs, updates, givens, borrow, input checking, aliasing, pickling."""

import pickle

import numpy as np
import pytest

import symtensor as theano
import symtensor.tensor as T
from symtensor.compile.function import UnusedInputError
from symtensor.graph.fg import MissingInputError


def test_single_and_list_outputs():
    x = T.dvector("x")
    f1 = theano.function([x], x * 2)
    f2 = theano.function([x], [x * 2, x + 1])
    assert isinstance(f1([1.0]), np.ndarray)
    np.testing.assert_array_equal(f1([1.0, 2.0]), [2.0, 4.0])
    a, b = f2([1.0])
    assert a[0] == 2.0 and b[0] == 2.0


def test_updates_are_simultaneous():
    a = theano.shared(np.float64(1.0), name="a")
    b = theano.shared(np.float64(2.0), name="b")
    f = theano.function([], [a, b], updates=[(a, b), (b, a)])
    out = f()
    assert [float(v) for v in out] == [1.0, 2.0]  # outputs see the old values
    assert float(a.get_value()) == 2.0 and float(b.get_value()) == 1.0
    f()
    assert float(a.get_value()) == 1.0 and float(b.get_value()) == 2.0


def test_updates_as_dict_and_counter():
    c = theano.shared(np.int64(0))
    inc = theano.function([], c, updates={c: c + 1})
    assert [int(inc()) for _ in range(3)] == [0, 1, 2]
    assert int(c.get_value()) == 3


def test_update_type_must_match():
    w = theano.shared(np.zeros(3, dtype="float32"), name="w")
    with pytest.raises(TypeError, match="w"):
        theano.function([], [], updates=[(w, w * np.array(2.5))])  # 0-d float64 upcasts
    with pytest.raises(TypeError, match="not a shared variable"):
        x = T.fvector()
        theano.function([x], [], updates=[(x, x + 1)])
    with pytest.raises(ValueError, match="two update"):
        theano.function([], [], updates=[(w, w + 1), (w, w - 1)])


def test_update_broadcastable_converts():
    w = theano.shared(np.zeros((1, 3)), name="w")
    r = T.drow("r")  # more broadcastable than w: accepted
    f = theano.function([r], [], updates=[(w, r)])
    f(np.ones((1, 3)))
    np.testing.assert_array_equal(w.get_value(), np.ones((1, 3)))


def test_givens_minibatch_slice():
    data = np.arange(20.0).reshape(10, 2)
    sx = theano.shared(data)
    x = T.dmatrix("x")
    i = T.lscalar("i")
    bs = 3
    f = theano.function([i], x.sum(axis=1), givens={x: sx[i * bs:(i + 1) * bs]})
    np.testing.assert_array_equal(f(1), data[3:6].sum(axis=1))
    np.testing.assert_array_equal(f(3), data[9:12].sum(axis=1))


def test_givens_type_mismatch():
    x = T.fmatrix("x")
    with pytest.raises(TypeError, match="givens"):
        theano.function([], x.sum(), givens={x: theano.shared(np.zeros((2, 2)))})


def test_givens_with_cast_labels():
    y = T.ivector("y")
    sy = T.cast(theano.shared(np.array([1.0, 2.0, 3.0], dtype="float32")), "int32")
    i = T.lscalar()
    f = theano.function([i], y * 2, givens={y: sy[i:i + 2]})
    out = f(1)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [4, 6])


def test_input_validation_errors_name_the_input():
    x = T.fmatrix("images")
    f = theano.function([x], x.sum())
    with pytest.raises(TypeError, match="images.*dimensions"):
        f(np.zeros(3, dtype="float32"))
    with pytest.raises(TypeError, match="images.*precision"):
        f(np.zeros((2, 2), dtype="float64"))
    assert f(np.zeros((2, 2), dtype="float64").astype("float32")) == 0
    g = theano.function([x], x.sum(), allow_input_downcast=True)
    assert g(np.ones((2, 2))) == 4
    r = T.frow("r")
    h = theano.function([r], r.sum())
    with pytest.raises(TypeError, match="broadcastable"):
        h(np.ones((2, 3), dtype="float32"))


def test_python_float_list_to_float32_input():
    x = T.fvector("x")
    f = theano.function([x], x * 2)
    np.testing.assert_array_equal(f([0.5, 1.0]), [1.0, 2.0])  # exact: accepted
    with pytest.raises(TypeError):
        f([0.1])  # not exact in float32: Theano refuses without allow_input_downcast


def test_wrong_number_of_arguments():
    x = T.dvector()
    f = theano.function([x], x)
    with pytest.raises(TypeError, match="takes 1"):
        f([1.0], [2.0])
    with pytest.raises(TypeError, match="missing"):
        f()


def test_unused_and_missing_inputs():
    x, y = T.dvector("x"), T.dvector("y")
    with pytest.raises(UnusedInputError, match="y"):
        theano.function([x, y], x * 2)
    with pytest.warns(UserWarning):
        theano.function([x, y], x * 2, on_unused_input="warn")
    theano.function([x, y], x * 2, on_unused_input="ignore")
    with pytest.raises(MissingInputError, match="y"):
        theano.function([x], x + y)


def test_shared_not_allowed_as_input():
    s = theano.shared(np.zeros(2))
    with pytest.raises(TypeError, match="shared"):
        theano.function([s], s * 2)


def test_outputs_do_not_alias_inputs_or_shared():
    s = theano.shared(np.zeros(3))
    x = T.dvector("x")
    f = theano.function([x], [x, s, x.T, s[1:]])
    xv = np.ones(3)
    outs = f(xv)
    for o in outs:
        o[...] = 7
    np.testing.assert_array_equal(xv, 1)
    np.testing.assert_array_equal(s.get_value(borrow=True), 0)


def test_output_not_overwritten_by_next_call():
    x = T.dvector()
    f = theano.function([x], x * 2)
    first = f(np.ones(2))
    f(np.full(2, 5.0))
    np.testing.assert_array_equal(first, [2.0, 2.0])


def test_same_output_twice_gives_distinct_arrays():
    x = T.dvector()
    y = x + 1
    a, b = theano.function([x], [y, y])(np.zeros(2))
    a[0] = 9
    assert b[0] == 1


def test_shared_borrow_semantics():
    value = np.zeros(3)
    s_copy = theano.shared(value)
    s_borrow = theano.shared(value, borrow=True)
    value[0] = 1
    assert s_copy.get_value()[0] == 0
    assert s_borrow.get_value(borrow=True)[0] == 1
    got = s_copy.get_value()
    got[1] = 5
    assert s_copy.get_value()[1] == 0
    new = np.full(3, 2.0)
    s_copy.set_value(new)
    new[0] = 9
    assert s_copy.get_value()[0] == 2.0
    s_copy.set_value(new, borrow=True)
    assert s_copy.get_value(borrow=True) is new


def test_set_value_checks_type():
    s = theano.shared(np.zeros((2, 2), dtype="float32"), name="W")
    with pytest.raises(TypeError, match="W"):
        s.set_value(np.zeros(2, dtype="float32"))


def test_keyword_arguments_and_defaults():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = theano.function([x, theano.In(y, value=10.0)], x + y)
    assert f(1.0) == 11.0
    assert f(1.0, 2.0) == 3.0
    assert f(x=1.0, y=3.0) == 4.0
    with pytest.raises(TypeError, match="unknown input name"):
        f(1.0, z=2.0)


def test_function_pickles_with_shared_state():
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    f = theano.function([x], (w * x).sum(), updates=[(w, w * 2)])
    assert f([1.0, 1.0]) == 3.0
    g, w2 = pickle.loads(pickle.dumps((f, w)))
    assert g([1.0, 1.0]) == 6.0  # the unpickled copy carries w's value at dump time
    np.testing.assert_array_equal(w2.get_value(), [4.0, 8.0])  # and updates its own w
    np.testing.assert_array_equal(w.get_value(), [2.0, 4.0])  # the original is untouched


def test_graph_and_shared_pickle():
    x = T.dmatrix("x")
    w = theano.shared(np.eye(2), name="w")
    y = T.nnet.softmax(T.dot(x, w))
    y2, w2 = pickle.loads(pickle.dumps((y, w)))
    x2 = y2.owner.inputs[0].owner.inputs[0]
    f = theano.function([x2], y2)
    np.testing.assert_allclose(f(np.zeros((1, 2))), [[0.5, 0.5]])


def test_eval():
    x = T.dscalar("x")
    assert (x * 3).eval({x: 2.0}) == 6.0
    assert T.constant(4.0).eval() == 4.0


def test_profile_table():
    x = T.dmatrix("x")
    f = theano.function([x], T.exp(x).sum(), profile=True)
    f(np.ones((3, 3)))
    f(np.ones((3, 3)))
    text = f.profile.summary()
    assert "Elemwise{exp}" in text and "2 calls" in text


def test_modes_agree():
    x = T.dmatrix("x")
    y = T.nnet.softmax(x * 2 + 1).sum(axis=0)
    v = np.random.default_rng(0).normal(size=(4, 3))
    a = theano.function([x], y, mode="FAST_RUN")(v)
    b = theano.function([x], y, mode="FAST_COMPILE")(v)
    np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match="unknown mode"):
        theano.function([x], y, mode="FASTEST")


def test_default_updates_are_picked_up():
    s = theano.shared(np.int64(0), name="counter")
    s.default_update = s + 1
    x = T.dscalar("x")
    f = theano.function([x], x + s)
    assert [float(f(1.0)) for _ in range(3)] == [1.0, 2.0, 3.0]
    g = theano.function([x], x + s, no_default_updates=True)
    assert float(g(0.0)) == 3.0 and float(g(0.0)) == 3.0
    h = theano.function([x], x + s, updates=[(s, s + 10)])  # an explicit update wins
    h(0.0)
    assert int(s.get_value()) == 13


def test_inplace_update_runs_after_every_reader():
    w = theano.shared(np.array([[1.0, 2.0], [3.0, 4.0]]), name="W")
    x = T.dmatrix("x")
    cost = (T.dot(x, w) ** 2).sum() + (w.T * w).sum()
    g = T.grad(cost, w)
    f = theano.function([x], [cost, w.T], updates=[(w, w - 0.1 * g)])
    xv = np.array([[1.0, 0.5], [0.0, 2.0]])
    w0 = w.get_value()
    expected_g = 2 * xv.T @ (xv @ w0) + 2 * w0.T  # d/dW sum(W.T * W) = 2 W.T
    c, wt = f(xv)
    assert c == pytest.approx(((xv @ w0) ** 2).sum() + (w0.T * w0).sum())
    np.testing.assert_allclose(wt, w0.T)  # the output holds the old value, not the update
    np.testing.assert_allclose(w.get_value(), w0 - 0.1 * expected_g)
    # W.T is read by the update node itself, so W's buffer must not take it ...
    h = theano.function([x], cost, updates=[(w, w - 0.1 * w.T * T.dot(x, w))])
    buffer, w1 = w.get_value(borrow=True), w.get_value()
    h(xv)
    assert w.get_value(borrow=True) is not buffer
    np.testing.assert_allclose(buffer, w1)
    np.testing.assert_allclose(w.get_value(), w1 - 0.1 * w1.T * (xv @ w1))
    # ... but without it (and no view of W among the outputs) W is updated in place
    cost2 = (T.dot(x, w) ** 2).sum() + (w * w).sum()
    k = theano.function([x], cost2, updates=[(w, w - 0.1 * T.grad(cost2, w))])
    buffer, w2 = w.get_value(borrow=True), w.get_value()
    k(xv)
    assert w.get_value(borrow=True) is buffer
    np.testing.assert_allclose(buffer, w2 - 0.1 * (2 * xv.T @ (xv @ w2) + 2 * w2))
