"""Reductions (sum, mean, max, min, prod, argmax, argmin, all, any, var, std) against
NumPy over axis None/int/negative/tuple and keepdims, Theano's dtypes and gradients."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from checks import assert_close, check_infer_shape
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import SETTINGS, arrays, axes, shapes

import symtensor as theano
import symtensor.tensor as T
from symtensor.gradient import verify_grad

RNG = np.random.default_rng(99)


def _np_arg(fn):
    """NumPy arg-reduction over several axes: those axes moved last and flattened."""
    def ref(x, axis, keepdims):
        if axis is None:
            out = fn(x.reshape(-1)) if x.ndim else np.int64(0)
            return np.reshape(out, (1,) * x.ndim) if keepdims else np.asarray(out)
        ax = sorted(a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
        keep = [d for d in range(x.ndim) if d not in ax]
        moved = x.transpose(keep + ax)
        out = fn(moved.reshape(moved.shape[: len(keep)] + (-1,)), axis=-1)
        return np.expand_dims(out, tuple(ax)) if keepdims else out
    return ref


_MEAN_DTYPE = {"float32": "float32", "float64": "float64"}


def _sum_dtype(d):
    return {"bool": "int64", "int8": "int64", "int16": "int64", "int32": "int64",
            "uint8": "uint64", "uint16": "uint64", "uint32": "uint64"}.get(d, d)


# name: (symbolic, reference(x, axis, keepdims, out_dtype), output dtype rule, dtypes,
#        element range)
REDUCTIONS = {
    "sum": (T.sum, lambda x, a, k, d: np.sum(x, axis=a, keepdims=k, dtype=d), _sum_dtype,
            ("float32", "float64", "int8", "int32", "uint8", "bool"), (-20, 20)),
    "prod": (T.prod, lambda x, a, k, d: np.prod(x, axis=a, keepdims=k, dtype=d), _sum_dtype,
             ("float32", "float64", "int8", "int64"), (-3, 3)),
    "max": (T.max, lambda x, a, k, d: np.max(x, axis=a, keepdims=k), lambda d: d,
            ("float32", "float64", "int8", "int32"), (-20, 20)),
    "min": (T.min, lambda x, a, k, d: np.min(x, axis=a, keepdims=k), lambda d: d,
            ("float32", "float64", "int8", "uint8"), (-20, 20)),
    "all": (T.all, lambda x, a, k, d: np.all(x, axis=a, keepdims=k), lambda d: "bool",
            ("bool", "int8", "float64"), (0, 1)),
    "any": (T.any, lambda x, a, k, d: np.any(x, axis=a, keepdims=k), lambda d: "bool",
            ("bool", "int32", "float32"), (0, 1)),
    "mean": (T.mean, lambda x, a, k, d: np.mean(x.astype(d), axis=a, keepdims=k, dtype=d),
             lambda d: _MEAN_DTYPE.get(d, "float64"),
             ("float32", "float64", "int8", "int32", "bool"), (-20, 20)),
    "var": (T.var, lambda x, a, k, d: np.var(x.astype(d), axis=a, keepdims=k, dtype=d),
            lambda d: _MEAN_DTYPE.get(d, "float64"), ("float32", "float64", "int16"), (-20, 20)),
    "std": (T.std, lambda x, a, k, d: np.std(x.astype(d), axis=a, keepdims=k, dtype=d),
            lambda d: _MEAN_DTYPE.get(d, "float64"), ("float32", "float64", "int32"), (-20, 20)),
    "argmax": (T.argmax, lambda x, a, k, d: _np_arg(np.argmax)(x, a, k), lambda d: "int64",
               ("float32", "float64", "int8"), (-3, 3)),
    "argmin": (T.argmin, lambda x, a, k, d: _np_arg(np.argmin)(x, a, k), lambda d: "int64",
               ("float32", "float64", "int32"), (-3, 3)),
}


@functools.cache
def compiled(name, dtype, ndim, axis, keepdims):
    x = T.TensorType(dtype, (False,) * ndim)()
    y = REDUCTIONS[name][0](x, axis=axis, keepdims=keepdims)
    return x, y, theano.function([x], y)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@settings(**SETTINGS)
@given(data=st.data())
def test_reduction_values(name, data):
    _, ref, rule, dtypes, (lo, hi) = REDUCTIONS[name]
    dtype = data.draw(st.sampled_from(dtypes), label="dtype")
    shape = data.draw(shapes(min_dims=1, max_dims=3), label="shape")
    axis = data.draw(axes(len(shape)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    value = data.draw(arrays(dtype, shape, lo, hi), label="x")
    x, y, f = compiled(name, dtype, len(shape), axis, keepdims)
    want_dtype = rule(dtype)
    assert y.dtype == want_dtype
    out = f(value)
    assert out.dtype == want_dtype
    expected = np.asarray(ref(value, axis, keepdims, want_dtype)).astype(want_dtype)
    assert_close(out, expected, want_dtype)
    if y.owner is not None:
        check_infer_shape(y, [x], [value])


def test_methods_match_functions():
    x = T.dtensor3()
    value = RNG.standard_normal((2, 3, 4))
    pairs = [(x.sum(axis=1), value.sum(axis=1)), (x.mean(-1, keepdims=True),
                                                  value.mean(-1, keepdims=True)),
             (x.max(axis=(0, 2)), value.max(axis=(0, 2))), (x.min(), value.min()),
             (x.prod(axis=0), value.prod(axis=0)), (x.argmax(axis=2), value.argmax(axis=2)),
             (x.argmin(), value.argmin()), (x.var(axis=1), value.var(axis=1)),
             (x.std(axis=(1, 2)), value.std(axis=(1, 2))), ((x > 0).all(axis=0),
                                                            (value > 0).all(axis=0)),
             ((x > 0).any(), (value > 0).any())]
    f = theano.function([x], [p for p, _ in pairs])
    for got, (_, ref) in zip(f(value), pairs):
        assert_close(got, ref)


def test_hand_values():
    x = T.imatrix()
    value = np.array([[1, 5, 2], [7, 0, 7]], dtype="int32")
    f = theano.function([x], [x.sum(), x.sum(0), x.max(1), x.argmax(1), x.argmin(),
                              x.prod(1), x.mean(), T.all(x > 0, axis=1), T.any(x > 6)])
    s, s0, m1, am1, am, p1, mean, all1, any_ = f(value)
    assert s == 22 and s0.tolist() == [8, 5, 9] and m1.tolist() == [5, 7]
    assert am1.tolist() == [1, 0]  # the first of tied maxima
    assert am == 4 and p1.tolist() == [10, 0] and mean == 22 / 6
    assert all1.tolist() == [True, False] and bool(any_) is True


# ------------------------------------------------------------------ dtypes and arguments

DTYPE_RULES = [
    ("sum(int8)", lambda: T.sum(T.bvector()), "int64"),
    ("sum(uint8)", lambda: T.sum(T.vector(dtype="uint8")), "uint64"),
    ("sum(int64)", lambda: T.sum(T.lvector()), "int64"),
    ("sum(bool)", lambda: T.sum(T.dvector() > 0), "int64"),
    ("sum(float32)", lambda: T.sum(T.fmatrix(), axis=0), "float32"),
    ("sum(int8, dtype=float32)", lambda: T.sum(T.bvector(), dtype="float32"), "float32"),
    ("sum(int8 scalar)", lambda: T.sum(T.bscalar()), "int64"),
    ("prod(int16)", lambda: T.prod(T.wvector()), "int64"),
    ("max(int8)", lambda: T.max(T.bvector()), "int8"),
    ("min(float32)", lambda: T.min(T.fvector()), "float32"),
    ("argmax(float32)", lambda: T.argmax(T.fmatrix(), axis=1), "int64"),
    ("all(float64)", lambda: T.all(T.dvector()), "bool"),
    ("any(int32)", lambda: T.any(T.ivector()), "bool"),
    ("mean(bool)", lambda: T.mean(T.dvector() > 0), "float64"),
    ("mean(float32)", lambda: T.mean(T.fmatrix()), "float32"),
    ("mean(float32, axis)", lambda: T.mean(T.fmatrix(), axis=1), "float32"),
    ("mean(int32)", lambda: T.mean(T.ivector()), "float64"),
    ("mean(int8)", lambda: T.mean(T.bvector()), "float64"),
    ("mean(float64, dtype=float32)", lambda: T.mean(T.dvector(), dtype="float32"), "float32"),
    ("var(float32)", lambda: T.var(T.fmatrix(), axis=0), "float32"),
    ("std(float32)", lambda: T.std(T.fvector()), "float32"),
    ("var(int32)", lambda: T.var(T.ivector()), "float64"),
]


@pytest.mark.parametrize("expr,make,dtype", DTYPE_RULES, ids=[r[0] for r in DTYPE_RULES])
def test_output_dtype(expr, make, dtype):
    assert make().dtype == dtype


def test_theano_positional_arguments():
    """Theano's orders: sum(x, axis, dtype, keepdims) and var/std(x, axis, ddof, keepdims)."""
    x = T.dmatrix()
    s = T.sum(x, 0, "float32")
    assert s.dtype == "float32" and s.ndim == 1
    p = T.prod(x, 1, "float32", True)
    assert p.dtype == "float32" and p.broadcastable == (False, True)
    value = RNG.standard_normal((3, 4))
    f = theano.function([x], [T.var(x, 0, 1), T.std(x, 1, 1, True), x.var(None, 1),
                              x.std(0, 0, True)])
    v, sd, v_all, sd0 = f(value)
    assert_close(v, value.var(axis=0, ddof=1))
    assert_close(sd, value.std(axis=1, ddof=1, keepdims=True))
    assert_close(v_all, value.var(ddof=1))
    assert_close(sd0, value.std(axis=0, keepdims=True))


def test_keepdims_broadcastable_pattern():
    x = T.dtensor3()
    assert T.sum(x, axis=1, keepdims=True).broadcastable == (False, True, False)
    assert T.max(x, keepdims=True).broadcastable == (True, True, True)
    assert T.argmax(x, axis=(0, 2), keepdims=True).broadcastable == (True, False, True)
    assert T.mean(x, axis=-1, keepdims=True).broadcastable == (False, False, True)


@pytest.mark.parametrize("fn", [T.sum, T.max, T.argmax, T.mean])
def test_bad_axis(fn):
    with pytest.raises(ValueError):
        fn(T.dmatrix(), axis=2)
    with pytest.raises(ValueError):
        fn(T.dmatrix(), axis=-3)
    with pytest.raises(ValueError):
        fn(T.dmatrix(), axis=(0, -2))


def test_max_of_empty_axis_errors():
    x = T.dmatrix()
    f = theano.function([x], T.max(x, axis=0))
    with pytest.raises(ValueError):
        f(np.zeros((0, 3)))
    assert theano.function([x], T.sum(x, axis=0))(np.zeros((0, 3))).tolist() == [0, 0, 0]


# ------------------------------------------------------------------ gradients

AXES = [None, 0, -1, (0, 2), (1,), (-3, -2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "var", "std"])
def test_reduction_grad(name, axis, keepdims):
    fn = REDUCTIONS[name][0]
    # distinct values (no ties for max/min), away from zero
    value = RNG.permutation(np.arange(1, 25)).reshape(2, 3, 4) / 10.0
    value *= RNG.choice([-1.0, 1.0], size=value.shape)
    verify_grad(lambda a: fn(a, axis=axis, keepdims=keepdims), [value])


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_prod_grad_with_zeros(axis):
    """One zero in a slice: only that element gets a gradient (the product of the
    others); two zeros: the whole slice gets zero.  Checked by finite differences and
    by hand."""
    value = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.5, -2.0, 4.0]])
    verify_grad(lambda a: T.prod(a, axis=axis), [value])
    x = T.dmatrix()
    g = theano.function([x], theano.grad(T.prod(x, axis=1).sum(), x))(value)
    assert_close(g, np.array([[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [-8.0, 6.0, -3.0]]))


def test_max_grad_hand_value():
    x = T.dmatrix()
    g = theano.function([x], theano.grad(T.max(x, axis=1).sum(), x))(
        np.array([[1.0, 3.0, 2.0], [5.0, 4.0, 0.0]]))
    assert g.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_mean_grad_float32_and_int_input():
    x = T.fmatrix()
    g = theano.grad(T.mean(x), x)
    assert g.dtype == "float32"
    assert_close(theano.function([x], g)(np.ones((2, 2), "float32")),
                 np.full((2, 2), 0.25, "float32"))

