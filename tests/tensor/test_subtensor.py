"""Indexing: basic slices (constant and symbolic bounds), integer and boolean advanced
indices, set_subtensor / inc_subtensor and their gradients, against NumPy."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from checks import assert_close, check_infer_shape
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import SETTINGS, arrays, shapes

import symtensor as theano
import symtensor.tensor as T
from symtensor.gradient import verify_grad

RNG = np.random.default_rng(3)

# ------------------------------------------------------------------ basic indexing


@st.composite
def basic_indices(draw, shape):
    """A NumPy basic index for ``shape``: ints (maybe negative), slices with negative
    bounds and steps, newaxis and at most one Ellipsis."""
    items = []
    k = draw(st.integers(0, len(shape)))
    trailing = draw(st.booleans())  # index the last k dims, after an Ellipsis
    for n in (shape[len(shape) - k:] if trailing else shape[:k]):
        if draw(st.booleans()):
            items.append(draw(st.integers(-n, n - 1)))
        else:
            bound = st.none() | st.integers(-n - 2, n + 2)
            step = st.sampled_from([None, 1, 2, 3, -1, -2])
            items.append(slice(draw(bound), draw(bound), draw(step)))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    if trailing:
        items.insert(0, Ellipsis)
    elif draw(st.booleans()):
        items.append(Ellipsis)
    return tuple(items)


@settings(**SETTINGS)
@given(data=st.data())
def test_basic_constant_index(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=5))
    dtype = data.draw(st.sampled_from(["float64", "int32"]))
    index = data.draw(basic_indices(shape))
    value = data.draw(arrays(dtype, shape, -50, 50))
    bc = tuple(n == 1 and data.draw(st.booleans()) for n in shape)
    x = T.TensorType(dtype, bc)()
    y = x[index]
    expected = value[index]
    assert y.ndim == expected.ndim and y.dtype == dtype
    # a dimension typed broadcastable must have length 1
    assert all(n == 1 for n, b in zip(expected.shape, y.broadcastable) if b)
    out = theano.function([x], y)(value)
    assert_close(out, expected)


@functools.cache
def _symbolic_slice_fn():
    x, i, bs = T.dmatrix(), T.iscalar(), T.iscalar()
    return theano.function([x, i, bs], [x[i * bs:(i + 1) * bs], x[i], x[:, -i], x[::bs],
                                        x[-bs:i:-1]])


@settings(**SETTINGS)
@given(rows=st.integers(1, 6), cols=st.integers(1, 4), i=st.integers(0, 5),
       bs=st.integers(1, 3))
def test_symbolic_slice_bounds(rows, cols, i, bs):
    value = np.arange(rows * cols, dtype="float64").reshape(rows, cols)
    f = _symbolic_slice_fn()
    if i >= rows or i > cols:
        with pytest.raises(IndexError):
            f(value, i, bs)
        return
    minibatch, row, col, stepped, back = f(value, i, bs)
    assert_close(minibatch, value[i * bs:(i + 1) * bs])
    assert_close(row, value[i])
    assert_close(col, value[:, -i])
    assert_close(stepped, value[::bs])
    assert_close(back, value[-bs:i:-1])


def test_minibatch_slice_of_shared_dataset():
    """The classic tutorial pattern: givens slice a shared dataset by a symbolic index."""
    data = theano.shared(np.arange(20.0).reshape(10, 2))
    x, index, bs = T.dmatrix(), T.lscalar(), 4
    f = theano.function([index], x.sum(axis=0), givens={x: data[index * bs:(index + 1) * bs]})
    assert f(0).tolist() == np.arange(20.0).reshape(10, 2)[:4].sum(0).tolist()
    assert f(2).tolist() == np.arange(20.0).reshape(10, 2)[8:].sum(0).tolist()


def test_index_types_and_errors():
    x = T.dmatrix()
    assert x[0].broadcastable == (False,)
    assert x[:, None].broadcastable == (False, True, False)
    assert x[...] is x and x[:] is x
    r = T.drow()
    assert r[:, 1:].broadcastable == (True, False)
    assert r[0:1].broadcastable == (True, False)  # a length-1 slice of a length-1 dim
    assert r[1:].broadcastable == (False, False)  # possibly empty
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(IndexError):
        x[..., ..., 0]
    with pytest.raises(TypeError):
        x[1.5]
    with pytest.raises(TypeError):
        x[T.dscalar()]
    with pytest.raises(TypeError):
        x[True]
    f = theano.function([x], x[3])
    with pytest.raises(IndexError, match="Subtensor"):
        f(np.zeros((2, 2)))


def test_basic_index_is_a_view_but_function_output_is_not_aliased():
    x = T.dvector()
    f = theano.function([x], x[1:])
    value = np.arange(4.0)
    out = f(value)
    out[0] = 100.0
    assert value[1] == 1.0


# ------------------------------------------------------------------ advanced indexing


@functools.cache
def _advanced_fn():
    x, idx, y = T.dmatrix(), T.lvector(), T.ivector()
    mask = T.vector(dtype="bool")
    outs = [x[idx], x[:, idx], x[T.arange(y.shape[0]), y], x[idx, 1:], x[x > 0],
            x[mask], x[idx, -1]]
    return theano.function([x, idx, y, mask], outs, on_unused_input="ignore")


@settings(**SETTINGS)
@given(data=st.data())
def test_advanced_index_values(data):
    rows, cols = data.draw(st.integers(1, 5)), data.draw(st.integers(2, 5))
    value = data.draw(arrays("float64", (rows, cols), -5, 5))
    idx = np.array(data.draw(st.lists(st.integers(-min(rows, cols), min(rows, cols) - 1),
                                      max_size=6)), dtype="int64")
    labels = np.array(data.draw(st.lists(st.integers(0, cols - 1), min_size=rows,
                                         max_size=rows)), dtype="int32")
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
    got = _advanced_fn()(value, idx, labels, mask)
    want = [value[idx], value[:, idx], value[np.arange(rows), labels], value[idx, 1:],
            value[value > 0], value[mask], value[idx, -1]]
    for g, w in zip(got, want):
        assert_close(g, w)


def test_advanced_index_types():
    x, iv = T.dtensor3(), T.ivector()
    assert x[iv].ndim == 3 and x[iv, 0].ndim == 2 and x[:, iv, iv].ndim == 2
    assert x[x > 0].ndim == 1 and x[T.imatrix()].ndim == 4
    assert x[T.dmatrix() > 0].ndim == 2
    v = T.dvector()
    g = theano.function([v, iv], v[iv])
    with pytest.raises(IndexError):
        g(np.zeros(3), np.array([3], "int32"))


# ------------------------------------------------------------------ set / inc subtensor


def test_set_and_inc_basic():
    x, y, i = T.dmatrix(), T.dvector(), T.iscalar()
    outs = [T.set_subtensor(x[1], y), T.inc_subtensor(x[1], y), T.set_subtensor(x[:, 0], 7.0),
            T.inc_subtensor(x[i:, ::2], 1.0), T.inc_subtensor(x[-1:], y),
            T.set_subtensor(x[1:, 1:], y[1:])]
    f = theano.function([x, y, i], outs)
    xv, yv = np.arange(9.0).reshape(3, 3), np.array([10.0, 20.0, 30.0])
    want = []
    for op in ("set_row", "inc_row", "set_col", "inc_slice", "inc_last", "set_block"):
        w = xv.copy()
        if op == "set_row":
            w[1] = yv
        elif op == "inc_row":
            w[1] += yv
        elif op == "set_col":
            w[:, 0] = 7.0
        elif op == "inc_slice":
            w[1:, ::2] += 1.0
        elif op == "inc_last":
            w[-1:] += yv
        else:
            w[1:, 1:] = yv[1:]
        want.append(w)
    for g, w in zip(f(xv, yv, 1), want):
        assert_close(g, w)
    assert xv[1, 1] == 4.0  # the input is not modified
    check_infer_shape(outs[3], [x, y, i], [xv, yv, 1])


@settings(**SETTINGS)
@given(data=st.data())
def test_inc_subtensor_repeated_indices_accumulate(data):
    n = data.draw(st.integers(1, 5))
    idx = np.array(data.draw(st.lists(st.integers(-n, n - 1), max_size=8)), dtype="int64")
    xv = data.draw(arrays("float64", (n, 2), -5, 5))
    yv = data.draw(arrays("float64", (len(idx), 2), -5, 5))
    got_inc, got_set, got_scalar = _inc_adv_fn()(xv, yv, idx)
    want = xv.copy()
    np.add.at(want, idx, yv)
    assert_close(got_inc, want)
    want_scalar = xv.copy()
    np.add.at(want_scalar, idx, 1.0)
    assert_close(got_scalar, want_scalar)
    unique = {int(i) % n for i in idx}
    if len(unique) == len(idx):  # without repeats set_subtensor is well defined
        want_set = xv.copy()
        want_set[idx] = yv
        assert_close(got_set, want_set)


@functools.cache
def _inc_adv_fn():
    x, y, idx = T.dmatrix(), T.dmatrix(), T.lvector()
    return theano.function([x, y, idx], [T.inc_subtensor(x[idx], y), T.set_subtensor(x[idx], y),
                                         T.inc_subtensor(x[idx], 1.0)])


def test_inc_subtensor_hand_value_and_advanced_pairs():
    x, rows, cols = T.dmatrix(), T.lvector(), T.lvector()
    f = theano.function([x, rows, cols], [T.inc_subtensor(x[rows, cols], 1.0),
                                          T.set_subtensor(x[x < 0], 0.0)])
    xv = np.array([[1.0, -2.0], [-3.0, 4.0]])
    inc, relu = f(xv, np.array([0, 0, 1, 0]), np.array([1, 1, 0, 1]))
    assert inc.tolist() == [[1.0, 1.0], [-2.0, 4.0]]
    assert relu.tolist() == [[1.0, 0.0], [0.0, 4.0]]


def test_set_subtensor_dtype_rules_and_errors():
    x = T.dvector()
    assert T.set_subtensor(x[0], T.iscalar()).dtype == "float64"
    with pytest.raises(TypeError):
        T.set_subtensor(T.ivector()[0], T.dscalar())
    with pytest.raises(TypeError):
        T.set_subtensor(x, 1.0)  # not an indexed tensor
    with pytest.raises(TypeError):
        T.set_subtensor(x[0], T.dvector())  # too many dims for x[0]


# ------------------------------------------------------------------ gradients


def test_grad_basic_slices():
    value = RNG.standard_normal((4, 5))
    verify_grad(lambda a: a[1:3, ::2], [value])
    verify_grad(lambda a: a[-1, 1:] * a[0, :-1], [value])
    verify_grad(lambda a: a[::-1, None, 2], [value])
    x, i = T.dmatrix(), T.iscalar()
    g = theano.grad(x[i:i + 2].sum(), x)
    out = theano.function([x, i], g)(value, 1)
    want = np.zeros((4, 5))
    want[1:3] = 1.0
    assert_close(out, want)


def test_grad_advanced_repeated_indices_accumulate():
    value = RNG.standard_normal((4, 3))
    idx = np.array([0, 2, 0, 0, -1])
    verify_grad(lambda a: a[idx] * np.arange(15.0).reshape(5, 3), [value])
    verify_grad(lambda a: a[np.arange(3), np.array([2, 0, 2])], [value])
    verify_grad(lambda a: a[value > 0], [value])
    x = T.dmatrix()
    g = theano.function([x], theano.grad(x[idx].sum(), x))(value)
    assert g[:, 0].tolist() == [3.0, 0.0, 1.0, 1.0]


@pytest.mark.parametrize("kind", ["set", "inc"])
@pytest.mark.parametrize("where", ["basic", "advanced", "broadcast"])
def test_grad_set_inc_subtensor(kind, where):
    fn = T.set_subtensor if kind == "set" else T.inc_subtensor
    xv = RNG.standard_normal((4, 3))
    if where == "basic":
        verify_grad(lambda a, b: fn(a[1:3], b) * 2, [xv, RNG.standard_normal((2, 3))])
    elif where == "advanced":
        idx = np.array([3, 0]) if kind == "set" else np.array([3, 0, 3])
        verify_grad(lambda a, b: fn(a[idx], b) * np.arange(12.0).reshape(4, 3),
                    [xv, RNG.standard_normal((len(idx), 3))])
    else:
        verify_grad(lambda a, b: fn(a[:, 1], b.sum()) * np.arange(12.0).reshape(4, 3),
                    [xv, RNG.standard_normal(2)])
        verify_grad(lambda a, b: fn(a[1:], b), [xv, RNG.standard_normal(3)])


def test_set_subtensor_at_a_shared_index():
    import symtensor as theano
    i = theano.shared(np.int64(1), name="i")
    x = T.dvector("x")
    f = theano.function([x], T.set_subtensor(x[i], 5.0), updates=[(i, (i + 1) % 3)])
    outs = [f(np.zeros(3)) for _ in range(3)]
    np.testing.assert_array_equal(outs, [[0, 5, 0], [0, 0, 5], [5, 0, 0]])
