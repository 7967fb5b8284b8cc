"""DimShuffle and the shape ops (reshape, flatten, shape, alloc, arange, join/stack,
patternbroadcast) against NumPy, with gradients and inferred shapes."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from checks import assert_close, check_infer_shape
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import FLOATS, SETTINGS, arrays, shapes

import symtensor as theano
import symtensor.tensor as T
from symtensor.gradient import verify_grad

RNG = np.random.default_rng(7)

# ------------------------------------------------------------------ dimshuffle


@st.composite
def dimshuffle_cases(draw):
    """(input shape, broadcastable flags, pattern, NumPy function giving the result)."""
    shape = draw(shapes(min_dims=0, max_dims=3))
    bc = tuple(s == 1 and draw(st.booleans()) for s in shape)
    kept = [d for d in range(len(shape)) if not bc[d] or draw(st.booleans())]
    order = draw(st.permutations(kept))
    pattern = list(order)
    for _ in range(draw(st.integers(0, 2))):
        pattern.insert(draw(st.integers(0, len(pattern))), "x")

    def ref(v):
        dropped = tuple(d for d in range(len(shape)) if d not in kept)
        v = v.reshape([s for d, s in enumerate(v.shape) if d not in dropped])
        renum = {d: i for i, d in enumerate(sorted(kept))}
        v = v.transpose([renum[d] for d in order])
        for i, p in enumerate(pattern):
            if p == "x":
                v = np.expand_dims(v, i)
        return v

    return shape, bc, tuple(pattern), ref


@settings(**SETTINGS)
@given(case=dimshuffle_cases(), dtype=st.sampled_from(FLOATS + ("int32",)), data=st.data())
def test_dimshuffle_values_and_type(case, dtype, data):
    shape, bc, pattern, ref = case
    x = T.TensorType(dtype, bc)()
    y = x.dimshuffle(*pattern)
    assert y.dtype == dtype
    assert y.broadcastable == tuple(p == "x" or bc[p] for p in pattern)
    value = data.draw(arrays(dtype, shape, -10, 10))
    out = theano.function([x], y)(value)
    assert_close(out, ref(value))
    if y is not x:
        check_infer_shape(y, [x], [value])


def test_dimshuffle_list_argument_and_identity():
    x = T.dmatrix()
    assert x.dimshuffle(0, 1) is x
    assert x.dimshuffle([1, 0]).broadcastable == (False, False)
    assert T.dimshuffle(x, (1, "x", 0)).broadcastable == (False, True, False)


def test_dimshuffle_drops_only_broadcastable_dims():
    r = T.drow()
    v = r.dimshuffle(1)
    assert v.broadcastable == (False,)
    assert theano.function([r], v)(np.array([[1.0, 2.0, 3.0]])).tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="not broadcastable"):
        T.dmatrix().dimshuffle(1)
    with pytest.raises(ValueError):
        T.dmatrix().dimshuffle(0, 0)
    with pytest.raises(ValueError):
        T.dmatrix().dimshuffle(0, 2)


def test_dimshuffle_grad():
    verify_grad(lambda a: a.dimshuffle(1, "x", 0), [RNG.standard_normal((3, 4))])
    verify_grad(lambda a: a.dimshuffle(2, 0, 1) * 2, [RNG.standard_normal((2, 3, 4))])
    r = T.drow()
    g = theano.grad((r.dimshuffle(1) ** 2).sum(), r)
    assert g.broadcastable == (True, False)
    assert_close(theano.function([r], g)(np.array([[1.0, 2.0]])), np.array([[2.0, 4.0]]))


def test_transpose():
    m, t3, v = T.dmatrix(), T.dtensor3(), T.dvector()
    assert v.T is v
    f = theano.function([m, t3], [m.T, t3.T, t3.transpose(1, 0, 2), T.transpose(t3, (2, 0, 1)),
                                  t3.transpose([0, 2, 1])])
    mv, tv = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3, 4))
    want = [mv.T, tv.T, tv.transpose(1, 0, 2), tv.transpose(2, 0, 1), tv.transpose(0, 2, 1)]
    for got, ref in zip(f(mv, tv), want):
        assert_close(got, ref)
    verify_grad(lambda a: a.T, [mv])


# ------------------------------------------------------------------ reshape and flatten


@functools.cache
def _reshape_fn(ndim_in, ndim_out):
    x = T.TensorType("float64", (False,) * ndim_in)()
    shp = T.lvector()
    y = x.reshape(shp, ndim=ndim_out)
    return theano.function([x, shp], y)


@settings(**SETTINGS)
@given(shape=shapes(min_dims=0, max_dims=3), data=st.data())
def test_reshape_symbolic_vector(shape, data):
    value = np.arange(int(np.prod(shape)), dtype="float64").reshape(shape)
    size = value.size
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    first = data.draw(st.sampled_from(divisors))
    new = data.draw(st.sampled_from([(size,), (first, size // first), (first, -1), (-1,),
                                     (1, first, size // first), (size // first, 1, -1)]))
    out = _reshape_fn(len(shape), len(new))(value, np.array(new, dtype="int64"))
    assert_close(out, value.reshape(new))


def test_reshape_constant_and_symbolic_entries():
    x = T.dmatrix()
    n = T.iscalar()
    value = np.arange(12.0).reshape(3, 4)
    cases = {
        "ints": (x.reshape((4, 3)), value.reshape(4, 3)),
        "minus one": (x.reshape((2, -1)), value.reshape(2, -1)),
        "symbolic": (x.reshape((n, 12 // 2)), value.reshape(2, 6)),
        "symbolic and -1": (x.reshape((n, -1)), value.reshape(2, -1)),
        "shape entries": (x.reshape((x.shape[1], x.shape[0])), value.reshape(4, 3)),
        "shape vector": (x.reshape(x.shape[::-1], ndim=2), value.reshape(4, 3)),
        "list": (T.reshape(x, [1, 12]), value.reshape(1, 12)),
        "to scalar": (x[:1, :1].reshape(()), value[:1, :1].reshape(())),
    }
    f = theano.function([x, n], [y for y, _ in cases.values()], on_unused_input="ignore")
    for (name, (_, ref)), got in zip(cases.items(), f(value, 2)):
        assert got.shape == ref.shape, name
        assert_close(got, ref)
    assert cases["list"][0].broadcastable == (True, False)
    assert cases["ints"][0].broadcastable == (False, False)


def test_reshape_infer_shape_and_errors():
    x = T.dmatrix()
    value = np.arange(12.0).reshape(3, 4)
    y = x.reshape((6, 2))
    check_infer_shape(y, [x], [value])
    f = theano.function([x], y)
    with pytest.raises(ValueError, match="reshape"):
        f(np.ones((2, 2)))
    with pytest.raises(ValueError):
        x.reshape(T.lvector())  # a symbolic vector of unknown length needs ndim


def test_reshape_grad():
    verify_grad(lambda a: a.reshape((2, 6)) * np.arange(12.0).reshape(2, 6),
                [RNG.standard_normal((3, 4))])
    verify_grad(lambda a: a.reshape((-1,)), [RNG.standard_normal((2, 3))])


FLATTEN_CASES = [((2, 3, 4), 1), ((2, 3, 4), 2), ((2, 3, 4), 3), ((2, 3, 4, 5), 2),
                 ((3,), 1), ((1, 3, 1), 2)]


@pytest.mark.parametrize("shape,ndim", FLATTEN_CASES)
def test_flatten(shape, ndim):
    x = T.TensorType("float64", (False,) * len(shape))()
    value = RNG.standard_normal(shape)
    y = x.flatten(ndim)
    assert y.ndim == ndim
    assert T.flatten(x, outdim=ndim).ndim == ndim
    out = theano.function([x], y)(value)
    assert_close(out, value.reshape(shape[: ndim - 1] + (-1,)))
    check_infer_shape(y, [x], [value])
    verify_grad(lambda a: a.flatten(ndim), [value])


def test_flatten_broadcastable_and_errors():
    x = T.TensorType("float64", (True, False, True))()
    assert x.flatten(2).broadcastable == (True, False)
    assert x.flatten(3).broadcastable == (True, False, True)
    assert T.TensorType("float64", (False, True, True))().flatten(2).broadcastable == (False,
                                                                                      True)
    with pytest.raises(ValueError):
        T.dvector().flatten(2)
    with pytest.raises(ValueError):
        T.dmatrix().flatten(0)


# ------------------------------------------------------------------ shape


@settings(**SETTINGS)
@given(shape=shapes(min_dims=0, max_dims=3, min_side=0))
def test_shape(shape):
    x = T.TensorType("float32", (False,) * len(shape))()
    s = x.shape
    assert s.dtype == "int64" and s.ndim == 1
    outs = [s, T.shape(x)] + [x.shape[i] for i in range(len(shape))]
    got = theano.function([x], outs)(np.zeros(shape, "float32"))
    assert got[0].tolist() == list(shape) and got[1].tolist() == list(shape)
    assert [int(g) for g in got[2:]] == list(shape)


def test_shape_infer_and_size():
    x = T.dtensor3()
    value = np.zeros((2, 3, 4))
    check_infer_shape(x.shape, [x], [value])
    assert int(theano.function([x], x.size)(value)) == 24


# ------------------------------------------------------------------ alloc, zeros, ones


def test_alloc_values_and_type():
    v, n = T.dvector(), T.iscalar()
    cases = [
        (T.alloc(1.5, 2, 3), np.full((2, 3), 1.5)),
        (T.alloc(v, 2, 3), np.broadcast_to(np.array([1.0, 2.0, 3.0]), (2, 3))),
        (T.alloc(v, n, 1, 3), np.broadcast_to(np.array([1.0, 2.0, 3.0]), (4, 1, 3))),
        (T.alloc(np.int8(7), n), np.full(4, 7, dtype="int8")),
    ]
    assert cases[0][0].dtype == "float32" and cases[0][0].broadcastable == (False, False)
    assert cases[2][0].broadcastable == (False, True, False)
    assert cases[3][0].dtype == "int8"
    f = theano.function([v, n], [c for c, _ in cases])
    for got, (_, ref) in zip(f(np.array([1.0, 2.0, 3.0]), 4), cases):
        assert_close(got, ref.astype(got.dtype))
    check_infer_shape(cases[2][0], [v, n], [np.array([1.0, 2.0, 3.0]), 4])


def test_alloc_grad_sums_over_broadcast_dims():
    verify_grad(lambda a: T.alloc(a, 4, 3), [RNG.standard_normal(3)])
    verify_grad(lambda a: T.alloc(a.sum(), 2, 2) * np.arange(4.0).reshape(2, 2),
                [RNG.standard_normal(3)])
    r = T.drow()
    g = theano.grad((T.alloc(r, 5, 3) * np.arange(15.0).reshape(5, 3)).sum(), r)
    assert g.broadcastable == (True, False)
    assert_close(theano.function([r], g)(np.ones((1, 3))),
                 np.arange(15.0).reshape(5, 3).sum(0, keepdims=True))


def test_zeros_ones_like():
    x = T.fmatrix()
    outs = [T.zeros_like(x), T.ones_like(x), x.zeros_like(), x.ones_like(dtype="int32"),
            T.zeros((2, 3)), T.ones(4, dtype="int8"), T.zeros_like(T.frow())]
    assert [o.dtype for o in outs[:4]] == ["float32", "float32", "float32", "int32"]
    assert outs[6].broadcastable == (True, False)
    f = theano.function([x, outs[6].owner.inputs[0]], outs)
    value = np.arange(6, dtype="float32").reshape(2, 3)
    got = f(value, np.ones((1, 4), "float32"))
    want = [np.zeros((2, 3)), np.ones((2, 3)), np.zeros((2, 3)), np.ones((2, 3)),
            np.zeros((2, 3)), np.ones(4), np.zeros((1, 4))]
    for g, w in zip(got, want):
        assert_close(g, w.astype(g.dtype))
    assert got[4].dtype == theano.config.floatX and got[5].dtype == "int8"


# ------------------------------------------------------------------ arange


@settings(**SETTINGS)
@given(start=st.integers(-10, 10), stop=st.integers(-10, 10),
       step=st.integers(-4, 4).filter(bool))
def test_arange_symbolic_int_bounds(start, stop, step):
    a, b, c = T.iscalar(), T.iscalar(), T.iscalar()
    f = _arange_fn()
    assert_close(f(start, stop, step), np.arange(start, stop, step))
    assert T.arange(a, b, c).dtype == "int64"


@functools.cache
def _arange_fn():
    a, b, c = T.iscalar(), T.iscalar(), T.iscalar()
    return theano.function([a, b, c], T.arange(a, b, c))


def test_arange_constant_and_dtypes():
    n = T.iscalar()
    cases = [
        (T.arange(5), np.arange(5), "int64"),
        (T.arange(2, 11, 3), np.arange(2, 11, 3), "int64"),
        (T.arange(n), np.arange(6), "int64"),
        (T.arange(5, 0, -2), np.arange(5, 0, -2), "int64"),
        (T.arange(0.0, 1.0, 0.25), np.arange(0.0, 1.0, 0.25), "float32"),
        (T.arange(0.0, 1.0, 0.1), np.arange(0.0, 1.0, 0.1), "float64"),
        (T.arange(T.lscalar()), np.arange(3), "int64"),
        (T.arange(4, dtype="float32"), np.arange(4.0), "float32"),
    ]
    for y, _, dtype in cases:
        assert y.dtype == dtype
    lsc = cases[6][0].owner.inputs[1]
    f = theano.function([n, lsc], [y for y, _, _ in cases])
    for got, (_, ref, dtype) in zip(f(6, 3), cases):
        assert got.dtype == dtype
        assert_close(got, ref.astype(dtype))
    with pytest.raises(ValueError, match="step"):
        theano.function([n], T.arange(0, 5, n))(0)


# ------------------------------------------------------------------ join, stack


@settings(**SETTINGS)
@given(shape=shapes(min_dims=1, max_dims=3), data=st.data())
def test_concatenate(shape, data):
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1))
    lengths = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    dtypes = [data.draw(st.sampled_from(("float32", "float64", "int8"))) for _ in lengths]
    values = []
    for n, dt in zip(lengths, dtypes):
        s = list(shape)
        s[axis] = n
        values.append(data.draw(arrays(dt, tuple(s), -10, 10)))
    xs = [T.TensorType(dt, (False,) * ndim)() for dt in dtypes]
    y = T.concatenate(xs, axis=axis)
    assert y.dtype == np.result_type(*dtypes).name
    f = theano.function(xs, [y, T.join(axis, *xs)])
    got, joined = f(*values)
    assert_close(got, np.concatenate(values, axis=axis).astype(y.dtype))
    assert_close(joined, got)
    check_infer_shape(y, xs, values)


def test_join_broadcastable_and_errors():
    r1, r2 = T.drow(), T.drow()
    assert T.concatenate([r1, r2], axis=0).broadcastable == (False, False)
    assert T.concatenate([r1, r2], axis=1).broadcastable == (True, False)
    f = theano.function([r1, r2], T.concatenate([r1, r2], axis=1))
    assert f(np.ones((1, 2)), np.zeros((1, 3))).tolist() == [[1, 1, 0, 0, 0]]
    with pytest.raises(TypeError):
        T.concatenate([T.dmatrix(), T.dvector()])
    with pytest.raises(ValueError):
        T.concatenate([T.dmatrix(), T.dmatrix()], axis=2)
    a, b = T.dmatrix(), T.dmatrix()
    g = theano.function([a, b], T.concatenate([a, b], axis=0))
    with pytest.raises(ValueError):
        g(np.ones((2, 3)), np.ones((2, 4)))


def test_join_grad():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((4, 3))
    verify_grad(lambda x, y: T.concatenate([x, y], axis=0), [a, b])
    verify_grad(lambda x, y: T.concatenate([x, y * 2], axis=-1), [a.T, b.T])
    f32 = T.fmatrix()
    g = theano.grad(T.concatenate([f32, T.dmatrix()]).sum(), f32)
    assert g.dtype == "float32"


def test_stack():
    a, b, c = T.dvector(), T.dvector(), T.dvector()
    av, bv, cv = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0, 6.0])
    s0, s1, legacy = T.stack([a, b, c]), T.stack([a, b], axis=1), T.stack(a, b, c)
    x, y = T.dscalar(), T.dscalar()
    scal = T.stack([x, y, x])
    assert scal.ndim == 1 and s0.ndim == 2
    f = theano.function([a, b, c, x, y], [s0, s1, legacy, scal, T.stack([a, b], axis=-1)])
    got = f(av, bv, cv, 1.0, 2.0)
    want = [np.stack([av, bv, cv]), np.stack([av, bv], axis=1), np.stack([av, bv, cv]),
            np.array([1.0, 2.0, 1.0]), np.stack([av, bv], axis=-1)]
    for g, w in zip(got, want):
        assert_close(g, w)
    verify_grad(lambda p, q: T.stack([p, q * 3], axis=1), [av, bv])
    verify_grad(lambda p: T.stack([p.sum(), p[0]]), [av])


# ------------------------------------------------------------------ patternbroadcast


def test_patternbroadcast_and_friends():
    m = T.dmatrix()
    r = T.patternbroadcast(m, (True, False))
    assert r.broadcastable == (True, False)
    assert T.patternbroadcast(m, (False, False)) is m
    assert T.addbroadcast(m, 1).broadcastable == (False, True)
    assert T.unbroadcast(T.drow(), 0).broadcastable == (False, False)
    f = theano.function([m], r + m)
    assert_close(f(np.array([[1.0, 2.0]])), np.array([[2.0, 4.0]]))
    with pytest.raises(ValueError, match="broadcastable"):
        theano.function([m], r)(np.ones((2, 2)))
    check_infer_shape(r, [m], [np.ones((1, 3))])
    g = theano.grad((r * np.arange(3.0)).sum(), m)
    assert g.broadcastable == (False, False)
    assert_close(theano.function([m], g)(np.ones((1, 3))), np.arange(3.0)[None])
    verify_grad(lambda a: T.patternbroadcast(a, (True, False)) * 2, [RNG.standard_normal((1, 3))])


def test_as_tensor_variable_of_lists():
    # a list of numbers is a constant; a list holding variables is stacked
    import symtensor as theano
    c = T.as_tensor_variable([0.2, 0.3])
    assert c.ndim == 1 and c.dtype == "float64"
    x = T.dscalar("x")
    v = T.as_tensor_variable([x, 2 * x])
    np.testing.assert_array_equal(theano.function([x], v)(3.0), [3.0, 6.0])
