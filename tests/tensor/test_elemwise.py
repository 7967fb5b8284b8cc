"""Elementwise ops: every scalar-table row against NumPy/SciPy, Theano's dtype rules,
broadcasting, shape errors and finite-difference gradients."""

from __future__ import annotations

import functools
import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from checks import assert_close, check_infer_shape
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import FLOAT_OF, FLOATS, INTS, SETTINGS, arrays, broadcast_pair, shapes

import symtensor as theano
import symtensor.tensor as T
from symtensor.config import config
from symtensor.gradient import verify_grad

# ------------------------------------------------------------------ the row table


def _sigmoid_ref(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype="float64")))


def _softplus_ref(x):
    x = np.asarray(x, dtype="float64")
    return np.where(x > 30, x, np.log1p(np.exp(np.minimum(x, 30))))


_erf_ref = np.vectorize(math.erf, otypes=["float64"])

F, I, B = "f", "i", "b"  # noqa: E741  (kinds: float, int, bool)
BIG, SMALL = (-100, 100), (-10, 10)

# name: (symbolic function, NumPy reference, dtype rule, allowed kind combinations,
#        {kind: [(lo, hi) per input]}, exclude zero from the last input)
ROWS = {
    "add": (T.add, np.add, "same", ["ff", "ii", "fi", "if"], {F: [BIG] * 2, I: [(-50, 50)] * 2}),
    "sub": (T.sub, np.subtract, "same", ["ff", "ii", "if"], {F: [BIG] * 2, I: [(-50, 50)] * 2}),
    "mul": (T.mul, np.multiply, "same", ["ff", "ii", "fi"], {F: [BIG] * 2, I: [SMALL] * 2}),
    "true_div": (T.true_div, np.true_divide, "float", ["ff", "ii", "fi", "if"],
                 {F: [BIG, (0.1, 10)], I: [BIG, (1, 10)]}),
    "int_div": (T.int_div, np.floor_divide, "same", ["ff", "ii"],
                {F: [BIG, (0.5, 10)], I: [BIG, (1, 10)]}),
    "mod": (T.mod, np.mod, "same", ["ff", "ii"], {F: [BIG, (0.5, 10)], I: [BIG, (1, 10)]}),
    "pow": (T.pow, np.power, "same", ["ff", "ii"], {F: [(0.1, 5), (-3, 3)], I: [(-3, 3), (0, 3)]}),
    "maximum": (T.maximum, np.maximum, "same", ["ff", "ii", "fi"], {F: [BIG] * 2, I: [BIG] * 2}),
    "minimum": (T.minimum, np.minimum, "same", ["ff", "ii", "if"], {F: [BIG] * 2, I: [BIG] * 2}),
    "neg": (T.neg, np.negative, "same", ["f", "i"], {F: [BIG], I: [BIG]}),
    "abs": (T.abs_, np.abs, "same", ["f", "i"], {F: [BIG], I: [BIG]}),
    "sgn": (T.sgn, np.sign, "same", ["f", "i"], {F: [SMALL], I: [(-2, 2)]}),
    "exp": (T.exp, np.exp, "float", ["f", "i", "b"], {F: [(-20, 20)], I: [(-5, 5)]}),
    "expm1": (T.expm1, np.expm1, "float", ["f", "i"], {F: [(-20, 20)], I: [(-5, 5)]}),
    "log": (T.log, np.log, "float", ["f", "i"], {F: [(1e-3, 1e3)], I: [(1, 100)]}),
    "log1p": (T.log1p, np.log1p, "float", ["f", "i"], {F: [(-0.99, 1e3)], I: [(0, 100)]}),
    "log2": (T.log2, np.log2, "float", ["f", "i"], {F: [(1e-3, 1e3)], I: [(1, 100)]}),
    "log10": (T.log10, np.log10, "float", ["f", "i"], {F: [(1e-3, 1e3)], I: [(1, 100)]}),
    "sqrt": (T.sqrt, np.sqrt, "float", ["f", "i"], {F: [(0, 1e3)], I: [(0, 100)]}),
    "sqr": (T.sqr, np.square, "same", ["f", "i"], {F: [BIG], I: [(-11, 11)]}),
    "tanh": (T.tanh, np.tanh, "float", ["f", "i"], {F: [(-5, 5)], I: [(-5, 5)]}),
    "sinh": (T.sinh, np.sinh, "float", ["f", "i"], {F: [(-5, 5)], I: [(-5, 5)]}),
    "cosh": (T.cosh, np.cosh, "float", ["f", "i"], {F: [(-5, 5)], I: [(-5, 5)]}),
    "sin": (T.sin, np.sin, "float", ["f", "i"], {F: [SMALL], I: [SMALL]}),
    "cos": (T.cos, np.cos, "float", ["f", "i"], {F: [SMALL], I: [SMALL]}),
    "sigmoid": (T.nnet.sigmoid, _sigmoid_ref, "float", ["f", "i"], {F: [(-40, 40)], I: [SMALL]}),
    "softplus": (T.nnet.softplus, _softplus_ref, "float", ["f", "i"],
                 {F: [(-40, 40)], I: [SMALL]}),
    "erf": (T.erf, _erf_ref, "float", ["f", "i"], {F: [(-4, 4)], I: [(-3, 3)]}),
    "floor": (T.floor, np.floor, "float", ["f", "i"], {F: [BIG], I: [BIG]}),
    "ceil": (T.ceil, np.ceil, "float", ["f", "i"], {F: [BIG], I: [BIG]}),
    "eq": (T.eq, np.equal, "bool", ["ff", "ii", "fi"], {F: [(-2, 2)] * 2, I: [(-2, 2)] * 2}),
    "neq": (T.neq, np.not_equal, "bool", ["ff", "ii", "if"], {F: [(-2, 2)] * 2, I: [(-2, 2)] * 2}),
    "lt": (T.lt, np.less, "bool", ["ff", "ii", "fi"], {F: [(-2, 2)] * 2, I: [(-2, 2)] * 2}),
    "gt": (T.gt, np.greater, "bool", ["ff", "ii", "if"], {F: [(-2, 2)] * 2, I: [(-2, 2)] * 2}),
    "le": (T.le, np.less_equal, "bool", ["ff", "ii", "fi"], {F: [(-2, 2)] * 2, I: [(-2, 2)] * 2}),
    "ge": (T.ge, np.greater_equal, "bool", ["ff", "ii", "if"],
           {F: [(-2, 2)] * 2, I: [(-2, 2)] * 2}),
    "and_": (T.and_, np.bitwise_and, "same", ["bb", "ii"], {I: [BIG] * 2}),
    "or_": (T.or_, np.bitwise_or, "same", ["bb", "ii"], {I: [BIG] * 2}),
    "xor": (T.xor, np.bitwise_xor, "same", ["bb", "ii"], {I: [BIG] * 2}),
    "invert": (T.invert, np.invert, "same", ["b", "i"], {I: [BIG]}),
    "switch": (T.switch, np.where, "switch", ["bff", "bii", "bfi", "bif"],
               {F: [None, BIG, BIG], I: [None, BIG, BIG]}),
}
#: Rows whose second argument must not be zero (divisors).
NONZERO_LAST = {"true_div", "int_div", "mod"}
#: Rows whose float inputs are drawn as whole numbers, so that ties happen.
INTEGRAL = {"eq", "neq", "lt", "gt", "le", "ge", "sgn"}


def expected_dtype(rule, dtypes):
    if rule == "bool":
        return "bool"
    if rule == "float":
        return np.result_type(*[FLOAT_OF[d] for d in dtypes]).name
    if rule == "switch":
        return np.result_type(*dtypes[1:]).name
    return np.result_type(*dtypes).name


@functools.cache
def compiled(name, dtypes, ndim, mode):
    """The compiled row ``name`` for inputs of ``dtypes`` and ``ndim`` (one compile per
    static signature, reused across examples)."""
    inputs = [T.TensorType(d, (False,) * ndim)() for d in dtypes]
    out = ROWS[name][0](*inputs)
    return theano.function(inputs, out, mode=mode), out.dtype


#: FAST_RUN runs the backend kernels, FAST_COMPILE each op's NumPy perform.
MODES = ["FAST_RUN", "FAST_COMPILE"]


def _kind_dtype(kind):
    return {F: st.sampled_from(FLOATS), I: st.sampled_from(INTS), B: st.just("bool")}[kind]


def _draw_input(data, name, kind, dtype, k, shape):
    domains = ROWS[name][4]
    lo, hi = domains.get(kind, [(None, None)] * (k + 1))[k] or (None, None)
    if dtype != "bool" and kind == F and name in INTEGRAL:
        ints = data.draw(arrays("int8", shape, lo, hi))
        return ints.astype(dtype)
    return data.draw(arrays(dtype, shape, lo, hi,
                            exclude_zero=name in NONZERO_LAST and k == 1))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(ROWS))
@settings(**SETTINGS)
@given(data=st.data())
def test_row_values_and_dtype(name, mode, data):
    fn, ref, rule, kinds, _ = ROWS[name]
    combo = data.draw(st.sampled_from(kinds), label="kinds")
    dtypes = tuple(data.draw(_kind_dtype(k), label=f"dtype{i}") for i, k in enumerate(combo))
    shape = data.draw(shapes(max_dims=3), label="shape")
    values = [_draw_input(data, name, k, d, i, shape)
              for i, (k, d) in enumerate(zip(combo, dtypes))]
    f, out_dtype = compiled(name, dtypes, len(shape), mode)
    want_dtype = expected_dtype(rule, dtypes)
    assert out_dtype == want_dtype
    result = f(*values)
    assert result.dtype == want_dtype
    if rule in ("float", "same") and want_dtype != "bool":
        ref_in = [v.astype(want_dtype) for v in values]
    else:
        ref_in = values
    with np.errstate(all="ignore"):
        expected = np.asarray(ref(*ref_in)).astype(want_dtype)
    assert_close(result, expected, want_dtype)


def test_every_table_row_is_tested():
    """Each scalar-table row appears in ROWS or in a dedicated test of this module."""
    from symtensor.tensor.ops.scalar import TABLE
    dedicated = {"round_half_to_even", "identity", "clip", "second"}
    missing = {n for n in TABLE if not n.startswith("cast_")} - set(ROWS) - dedicated
    assert not missing


# ------------------------------------------------------------------ hand-computed values


def test_int_div_and_mod_follow_python_signs():
    x, y = T.ivector(), T.ivector()
    f = theano.function([x, y], [x // y, x % y])
    q, r = f(np.array([7, -7, 7, -7], "int32"), np.array([2, 2, -2, -2], "int32"))
    assert q.tolist() == [3, -4, -4, 3]
    assert r.tolist() == [1, 1, -1, -1]
    a, b = T.dvector(), T.dvector()
    q, r = theano.function([a, b], [a // b, a % b])(np.array([7.5, -7.5]), np.array([2.0, 2.0]))
    assert q.tolist() == [3.0, -4.0]
    assert r.tolist() == [1.5, 0.5]


def test_hand_values():
    x = T.dvector()
    f = theano.function([x], [T.exp(x), T.log1p(x), T.sqrt(x), T.nnet.sigmoid(x),
                              T.nnet.softplus(x), T.erf(x), T.sgn(x), T.abs_(x)])
    exp, log1p, sqrt, sig, sp, erf, sgn, ab = f(np.array([0.0, 1.0, 4.0]))
    np.testing.assert_allclose(exp, [1.0, math.e, math.e ** 4])
    np.testing.assert_allclose(log1p, [0.0, math.log(2.0), math.log(5.0)])
    np.testing.assert_allclose(sqrt, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(sig, [0.5, 1 / (1 + math.exp(-1)), 1 / (1 + math.exp(-4))])
    np.testing.assert_allclose(sp, [math.log(2.0), math.log(1 + math.e), math.log1p(math.e ** 4)])
    np.testing.assert_allclose(erf, [0.0, 0.8427007929497149, 0.9999999845827421])
    assert sgn.tolist() == [0.0, 1.0, 1.0] and ab.tolist() == [0.0, 1.0, 4.0]


def test_identity_second_and_fill():
    x, y = T.dmatrix(), T.dvector()
    outs = [T.identity(x), x.copy(), T.second(x, y), T.fill(x, 3.0), T.zeros_like(x),
            T.ones_like(y, dtype="int8")]
    f = theano.function([x, y], outs)
    xv, yv = np.arange(6.0).reshape(2, 3), np.array([7.0, 8.0, 9.0])
    ident, copy, second, fill, zeros, ones = f(xv, yv)
    assert_close(ident, xv) and assert_close(copy, xv)
    assert_close(second, np.broadcast_to(yv, (2, 3)))
    assert_close(fill, np.full((2, 3), 3.0))
    assert_close(zeros, np.zeros((2, 3)))
    assert ones.dtype == "int8" and ones.tolist() == [1, 1, 1]
    ident[0, 0] = 100.0
    assert xv[0, 0] == 0.0  # identity returns a copy


def test_sigmoid_softplus_saturate_without_overflow():
    x = T.dvector()
    sig, sp = theano.function([x], [T.nnet.sigmoid(x), T.nnet.softplus(x)])(
        np.array([-1000.0, 1000.0]))
    assert sig.tolist() == [0.0, 1.0]
    assert sp.tolist() == [0.0, 1000.0]


# ------------------------------------------------------------------ round, clip, cast


def _round_ref(values, mode):
    rounding = ROUND_HALF_UP if mode == "half_away_from_zero" else ROUND_HALF_EVEN
    return np.array([float(Decimal(float(v)).quantize(Decimal(1), rounding=rounding))
                     for v in values.reshape(-1)]).reshape(values.shape)


@pytest.mark.parametrize("mode", ["half_away_from_zero", "half_to_even"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_round_hand_values(dtype, mode):
    x = T.vector(dtype=dtype)
    f = theano.function([x], T.round(x, mode))
    halves = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.4, -0.6, 0.0], dtype)
    out = f(halves)
    assert out.dtype == dtype
    if mode == "half_away_from_zero":
        assert out.tolist() == [1, 2, 3, -1, -2, -3, 0, -1, 0]
    else:
        assert out.tolist() == [0, 2, 2, -0.0, -2, -2, 0, -1, 0]
    # values where x + 0.5 is not exact: the nearest float below 0.5, and odd integers
    # just past the last power of two where halves are representable
    tricky = np.array([np.nextafter(np.asarray(0.5, dtype), 0),
                       2.0 ** np.finfo(dtype).nmant + 1, -(2.0 ** np.finfo(dtype).nmant + 1)],
                      dtype)
    assert_close(f(tricky), _round_ref(tricky, mode).astype(dtype), dtype)


@pytest.mark.parametrize("mode", ["half_away_from_zero", "half_to_even"])
@settings(**SETTINGS)
@given(data=st.data())
def test_round_values(mode, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    shape = data.draw(shapes(min_dims=1, max_dims=2))
    halves = data.draw(arrays("int16", shape, -400, 400)).astype(dtype) / 2
    noise = data.draw(arrays(dtype, shape, -1e4, 1e4))
    x = T.TensorType(dtype, (False,) * len(shape))()
    f = theano.function([x], T.round(x, mode))
    for v in (halves.astype(dtype), noise):
        assert_close(f(v), _round_ref(v, mode).astype(dtype), dtype)


@settings(**SETTINGS)
@given(data=st.data())
def test_clip_values(data):
    dtype = data.draw(st.sampled_from(FLOATS + INTS))
    shape = data.draw(shapes(max_dims=2))
    x_val = data.draw(arrays(dtype, shape, -50, 50))
    lo, hi = sorted(data.draw(arrays(dtype, (2,), -50, 50)).tolist())
    x = T.TensorType(dtype, (False,) * len(shape))()
    lo_v, hi_v = T.scalar(dtype=dtype), T.scalar(dtype=dtype)
    f = theano.function([x, lo_v, hi_v], [T.clip(x, lo_v, hi_v), x.clip(lo_v, hi_v)])
    out, method = f(x_val, lo, hi)
    assert out.dtype == dtype
    assert_close(out, np.minimum(np.maximum(x_val, lo), hi).astype(dtype))
    assert_close(method, out)


CASTS = [("float64", "float32"), ("float32", "float64"), ("float64", "int32"),
         ("float32", "int8"), ("int32", "float64"), ("int8", "float32"), ("int64", "int8"),
         ("float64", "bool"), ("int32", "bool"), ("bool", "float64")]


@pytest.mark.parametrize("src,dst", CASTS)
def test_cast(src, dst):
    x = T.vector(dtype=src)
    y = T.cast(x, dst)
    assert y.dtype == dst and x.astype(dst).dtype == dst
    f = theano.function([x], y)
    values = {"f": np.array([-2.7, -0.5, 0.0, 0.4, 3.9, 100.0]),
              "i": np.array([-100, -1, 0, 1, 3, 100]), "b": np.array([True, False, True])}
    v = values[np.dtype(src).kind].astype(src)
    out = f(v)
    assert out.dtype == dst
    assert_close(out, v.astype(dst), dst)
    assert T.cast(x, src) is x
    if np.dtype(src).kind == "f" and np.dtype(dst).kind == "i":
        assert f(np.array([-2.7, 2.7], src)).tolist() == [-2, 2]  # truncation toward zero


def test_cast_floatx(floatx32):
    assert T.cast(T.dvector(), "floatX").dtype == "float32"


# ------------------------------------------------------------------ dtype rules


@pytest.fixture
def floatx32():
    old = config.floatX
    config.floatX = "float32"
    try:
        yield
    finally:
        config.floatX = old


DTYPE_RULES = [
    ("T.true_div(ivector, ivector)", lambda: T.true_div(T.ivector(), T.ivector()), "float64"),
    ("ivector / ivector", lambda: T.ivector() / T.ivector(), "float64"),
    ("bvector / bvector", lambda: T.bvector() / T.bvector(), "float32"),
    ("bvector / ivector", lambda: T.bvector() / T.ivector(), "float64"),
    ("exp(bvector)", lambda: T.exp(T.bvector()), "float32"),
    ("exp(wvector)", lambda: T.exp(T.wvector()), "float32"),
    ("exp(ivector)", lambda: T.exp(T.ivector()), "float64"),
    ("exp(lvector)", lambda: T.exp(T.lvector()), "float64"),
    ("exp(uint8)", lambda: T.exp(T.vector(dtype="uint8")), "float32"),
    ("exp(bool)", lambda: T.exp(T.vector(dtype="bool")), "float32"),
    ("sqrt(fvector)", lambda: T.sqrt(T.fvector()), "float32"),
    ("sigmoid(bvector)", lambda: T.nnet.sigmoid(T.bvector()), "float32"),
    ("floor(bvector)", lambda: T.floor(T.bvector()), "float32"),
    ("ceil(ivector)", lambda: T.ceil(T.ivector()), "float64"),
    ("fvector < fvector", lambda: T.fvector() < T.fvector(), "bool"),
    ("eq(ivector, dvector)", lambda: T.eq(T.ivector(), T.dvector()), "bool"),
    ("ge(bvector, 3)", lambda: T.ge(T.bvector(), 3), "bool"),
    ("fvector * 0.5", lambda: T.fvector() * 0.5, "float32"),
    ("0.5 * fvector", lambda: 0.5 * T.fvector(), "float32"),
    ("fvector * 0.1", lambda: T.fvector() * 0.1, "float64"),
    ("0.1 - fvector", lambda: 0.1 - T.fvector(), "float64"),
    ("fvector + 1", lambda: T.fvector() + 1, "float32"),
    ("fvector * np.float32(0.1)", lambda: T.fvector() * np.float32(0.1), "float32"),
    ("fvector * np.float64(0.1)", lambda: T.fvector() * np.float64(0.1), "float64"),
    ("fvector + fvector", lambda: T.fvector() + T.fvector(), "float32"),
    ("fvector + dvector", lambda: T.fvector() + T.dvector(), "float64"),
    ("bvector + 3", lambda: T.bvector() + 3, "int8"),
    ("bvector + 300", lambda: T.bvector() + 300, "int16"),
    ("bvector + 70000", lambda: T.bvector() + 70000, "int32"),
    ("bvector * 1.5", lambda: T.bvector() * 1.5, "float32"),
    ("ivector + 1.5", lambda: T.ivector() + 1.5, "float64"),
    ("bvector + ivector", lambda: T.bvector() + T.ivector(), "int32"),
    ("ivector + fvector", lambda: T.ivector() + T.fvector(), "float64"),
    ("bvector + fvector", lambda: T.bvector() + T.fvector(), "float32"),
    ("ivector // ivector", lambda: T.ivector() // T.ivector(), "int32"),
    ("fvector // fvector", lambda: T.fvector() // T.fvector(), "float32"),
    ("ivector % 3", lambda: T.ivector() % 3, "int32"),
    ("fvector ** 2", lambda: T.fvector() ** 2, "float32"),
    ("ivector ** 2", lambda: T.ivector() ** 2, "int32"),
    ("sqr(bvector)", lambda: T.sqr(T.bvector()), "int8"),
    ("abs(bvector)", lambda: abs(T.bvector()), "int8"),
    ("-uint8", lambda: -T.vector(dtype="uint8"), "uint8"),
    ("maximum(bvector, fvector)", lambda: T.maximum(T.bvector(), T.fvector()), "float32"),
    ("switch(cond, fvector, dvector)",
     lambda: T.switch(T.bvector() > 0, T.fvector(), T.dvector()), "float64"),
    ("switch(cond, ivector, bvector)",
     lambda: T.switch(T.bvector() > 0, T.ivector(), T.bvector()), "int32"),
    ("bool & bool", lambda: T.and_(T.fvector() > 0, T.fvector() < 1), "bool"),
    ("bvector & ivector", lambda: T.bvector() & T.ivector(), "int32"),
    ("~bool", lambda: ~(T.fvector() > 0), "bool"),
    ("clip(fvector, 0.5, 2)", lambda: T.clip(T.fvector(), 0.5, 2), "float32"),
    ("clip(fvector, 0.1, 0.9)", lambda: T.clip(T.fvector(), 0.1, 0.9), "float64"),
    ("round(fvector)", lambda: T.round(T.fvector()), "float32"),
]


@pytest.mark.parametrize("expr,make,dtype", DTYPE_RULES, ids=[r[0] for r in DTYPE_RULES])
def test_output_dtype_rules(expr, make, dtype):
    assert make().dtype == dtype


FLOATX32_RULES = [
    ("vector", lambda: T.vector(), "float32"),
    ("fvector * 0.1", lambda: T.fvector() * 0.1, "float32"),
    ("0.1 * fvector", lambda: 0.1 * T.fvector(), "float32"),
    ("fvector / 3.3", lambda: T.fvector() / 3.3, "float32"),
    ("ivector * 0.5", lambda: T.ivector() * 0.5, "float64"),
    ("bvector * 0.1", lambda: T.bvector() * 0.1, "float32"),
    ("fvector + dvector", lambda: T.fvector() + T.dvector(), "float64"),
]


@pytest.mark.parametrize("expr,make,dtype", FLOATX32_RULES, ids=[r[0] for r in FLOATX32_RULES])
def test_output_dtype_rules_floatx32(floatx32, expr, make, dtype):
    assert make().dtype == dtype


def test_autocast_constant_values_are_kept():
    """The float32 constant from 0.5 is exact, and 0.1 stays exact in float64."""
    x = T.dvector()
    f = theano.function([x], [x * 0.1, x + 0.5])
    a, b = f(np.array([1.0, 3.0]))
    assert a.tolist() == [0.1, 3.0 * 0.1]
    assert b.tolist() == [1.5, 3.5]


# ------------------------------------------------------------------ Python operators

BINARY_OPERATORS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "//": lambda a, b: a // b, "%": lambda a, b: a % b,
    "**": lambda a, b: a ** b,
}


@pytest.mark.parametrize("op", sorted(BINARY_OPERATORS))
@settings(**SETTINGS)
@given(data=st.data())
def test_binary_operators(op, data):
    fn = BINARY_OPERATORS[op]
    dtype = data.draw(st.sampled_from(FLOATS))
    shape = data.draw(shapes(max_dims=2))
    lo = 0.1 if op == "**" else -20
    a_val = data.draw(arrays(dtype, shape, lo, 20))
    b_val = data.draw(arrays(dtype, shape, -3, 3) if op == "**"
                      else arrays(dtype, shape, 0.5, 20))
    a, b = (T.TensorType(dtype, (False,) * len(shape))() for _ in range(2))
    scalar = 2.5
    f = theano.function([a, b], [fn(a, b), fn(a, scalar), fn(scalar, b) if op != "**"
                                 else fn(a, 2), fn(a, np.float32(2.0))])
    with np.errstate(all="ignore"):
        want = [fn(a_val, b_val), fn(a_val, scalar),
                fn(scalar, b_val) if op != "**" else fn(a_val, 2), fn(a_val, np.float32(2.0))]
    for got, ref in zip(f(a_val, b_val), want):
        assert got.dtype == dtype
        assert_close(got, np.asarray(ref).astype(dtype), dtype)


def test_unary_and_bitwise_operators():
    x, y = T.ivector(), T.ivector()
    cx, dx = T.dvector(), T.dvector()
    c, d = cx > 0, dx > 0
    f = theano.function([x, y, cx, dx], [-x, abs(x), ~x, x & y, x | y, x ^ y,
                                         c & d, c | d, c ^ d, ~c, 3 & x, 5 | x, 6 ^ x])
    xv, yv = np.array([-3, 0, 5, 12], "int32"), np.array([1, 7, -2, 10], "int32")
    cv, dv = np.array([1.0, -1.0, 1.0, -1.0]), np.array([1.0, 1.0, -1.0, -1.0])
    out = f(xv, yv, cv, dv)
    cb, db = cv > 0, dv > 0
    want = [-xv, np.abs(xv), ~xv, xv & yv, xv | yv, xv ^ yv, cb & db, cb | db, cb ^ db, ~cb,
            3 & xv, 5 | xv, 6 ^ xv]
    for got, ref in zip(out, want):
        assert got.dtype == ref.dtype
        np.testing.assert_array_equal(got, ref)


def test_comparison_operators_and_truth_value():
    x, y = T.dvector(), T.dvector()
    f = theano.function([x, y], [x < y, x <= y, x > y, x >= y, x < 0.5, 0.5 < x])
    xv, yv = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0])
    for got, ref in zip(f(xv, yv), [xv < yv, xv <= yv, xv > yv, xv >= yv, xv < 0.5, 0.5 < xv]):
        assert got.dtype == "bool"
        np.testing.assert_array_equal(got, ref)
    assert (x == y) is False and (x == x) is True  # == is identity, as in Theano
    with pytest.raises(TypeError):
        bool(x < y)


# ------------------------------------------------------------------ broadcasting


@settings(**SETTINGS)
@given(pair=broadcast_pair(), data=st.data())
def test_broadcastable_operand(pair, data):
    shape, pattern = pair
    dtype = data.draw(st.sampled_from(FLOATS))
    small = tuple(1 if p else s for s, p in zip(shape, pattern))
    a_val = data.draw(arrays(dtype, shape, -10, 10))
    b_val = data.draw(arrays(dtype, small, -10, 10))
    a = T.TensorType(dtype, (False,) * len(shape))()
    b = T.TensorType(dtype, pattern)()
    out = a * b + b
    assert out.broadcastable == (False,) * len(shape)
    both = b * b
    assert both.broadcastable == pattern
    f = theano.function([a, b], [out, both])
    got, got_b = f(a_val, b_val)
    assert_close(got, a_val * b_val + b_val, dtype)
    assert_close(got_b, b_val * b_val, dtype)
    check_infer_shape(out, [a, b], [a_val, b_val])


def test_dimshuffle_broadcasting_and_row_col():
    m, v = T.dmatrix(), T.dvector()
    r, c = T.drow(), T.dcol()
    assert r.broadcastable == (True, False) and c.broadcastable == (False, True)
    assert (r + c).broadcastable == (False, False)
    assert (r + r).broadcastable == (True, False)
    assert (m + v).broadcastable == (False, False)  # the vector is padded on the left
    outs = [m + v.dimshuffle("x", 0), m * v.dimshuffle(0, "x")[:3], r + c, m - r, m + v]
    f = theano.function([m, v, r, c], outs, on_unused_input="ignore")
    mv, vv = np.arange(12.0).reshape(3, 4), np.array([1.0, 2.0, 3.0, 4.0])
    rv, cv = np.array([[1.0, 2.0, 3.0, 4.0]]), np.array([[10.0], [20.0], [30.0]])
    want = [mv + vv[None, :], (mv * vv[:, None][:3]), rv + cv, mv - rv, mv + vv]
    for got, ref in zip(f(mv, vv, rv, cv), want):
        assert_close(got, ref)


def test_python_scalar_and_matrix_broadcast():
    m = T.fmatrix()
    f = theano.function([m], [2 * m + 1, m / 4, 1 - m])
    mv = np.arange(6, dtype="float32").reshape(2, 3)
    for got, ref in zip(f(mv), [2 * mv + 1, mv / 4, 1 - mv]):
        assert got.dtype == "float32"
        assert_close(got, ref)


@pytest.mark.parametrize("b_shape", [(4,), (1,)])
def test_length_mismatch_names_the_op(b_shape):
    a, b = T.dvector(), T.dvector()
    f = theano.function([a, b], a + b)
    with pytest.raises(ValueError, match=r"Elemwise\{add\}"):
        f(np.ones(3), np.ones(b_shape))


def test_non_broadcastable_length_one_matrix_errors():
    a, b = T.dmatrix(), T.dmatrix()
    f = theano.function([a, b], a * b)
    with pytest.raises(ValueError, match=r"Elemwise\{mul\}"):
        f(np.ones((3, 4)), np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"Elemwise\{mul\}"):
        f(np.ones((3, 4)), np.ones((3, 5)))


def test_broadcastable_input_rejects_wrong_length():
    r = T.drow()
    f = theano.function([r], r * 2)
    with pytest.raises(TypeError):
        f(np.ones((2, 3)))


# ------------------------------------------------------------------ gradients

RNG = np.random.default_rng(1234)


def _uniform(lo, hi, shape):
    return RNG.uniform(lo, hi, size=shape)


def _away_from_zero(shape, lo=0.2, hi=2.0):
    return _uniform(lo, hi, shape) * RNG.choice([-1.0, 1.0], size=shape)


def _mod_points():
    y = _uniform(0.5, 2.0, (3, 4))
    x = (RNG.integers(-3, 3, (3, 4)) + _uniform(0.1, 0.9, (3, 4))) * y
    return [x, y]


def _maxmin_points():
    a = _uniform(-2, 2, (3, 4))
    return [a, a + _away_from_zero((3, 4))]


# name: (function of the inputs, input points)
GRAD_CASES = {
    "add": (T.add, lambda: [_uniform(-2, 2, (3, 4)), _uniform(-2, 2, (3, 4))]),
    "sub": (T.sub, lambda: [_uniform(-2, 2, (3, 4)), _uniform(-2, 2, (3, 4))]),
    "mul": (T.mul, lambda: [_uniform(-2, 2, (3, 4)), _uniform(-2, 2, (3, 4))]),
    "true_div": (T.true_div, lambda: [_uniform(-2, 2, (3, 4)), _away_from_zero((3, 4), 0.5)]),
    "mod": (T.mod, _mod_points),
    "pow": (T.pow, lambda: [_uniform(0.5, 2, (3, 4)), _uniform(-2, 2, (3, 4))]),
    "maximum": (T.maximum, _maxmin_points),
    "minimum": (T.minimum, _maxmin_points),
    "neg": (T.neg, lambda: [_uniform(-2, 2, (3, 4))]),
    "abs": (T.abs_, lambda: [_away_from_zero((3, 4))]),
    "exp": (T.exp, lambda: [_uniform(-2, 2, (3, 4))]),
    "expm1": (T.expm1, lambda: [_uniform(-2, 2, (3, 4))]),
    "log": (T.log, lambda: [_uniform(0.2, 3, (3, 4))]),
    "log1p": (T.log1p, lambda: [_uniform(-0.5, 3, (3, 4))]),
    "log2": (T.log2, lambda: [_uniform(0.2, 3, (3, 4))]),
    "log10": (T.log10, lambda: [_uniform(0.2, 3, (3, 4))]),
    "sqrt": (T.sqrt, lambda: [_uniform(0.2, 3, (3, 4))]),
    "sqr": (T.sqr, lambda: [_uniform(-2, 2, (3, 4))]),
    "tanh": (T.tanh, lambda: [_uniform(-2, 2, (3, 4))]),
    "sinh": (T.sinh, lambda: [_uniform(-2, 2, (3, 4))]),
    "cosh": (T.cosh, lambda: [_uniform(-2, 2, (3, 4))]),
    "sin": (T.sin, lambda: [_uniform(-4, 4, (3, 4))]),
    "cos": (T.cos, lambda: [_uniform(-4, 4, (3, 4))]),
    "sigmoid": (T.nnet.sigmoid, lambda: [_uniform(-5, 5, (3, 4))]),
    "softplus": (T.nnet.softplus, lambda: [_uniform(-5, 5, (3, 4))]),
    "erf": (T.erf, lambda: [_uniform(-2, 2, (3, 4))]),
    "identity": (T.identity, lambda: [_uniform(-2, 2, (3, 4))]),
    "switch": (lambda a, b: T.switch(T.constant(RNG.random((3, 4)) > 0.5), a, b),
               lambda: [_uniform(-2, 2, (3, 4)), _uniform(-2, 2, (3, 4))]),
    "clip": (lambda x, lo, hi: T.clip(x, lo.sum(), hi.sum()),
             lambda: [_uniform(-2, 2, (3, 4)), np.array([-0.7]), np.array([0.9])]),
    "second": (lambda a, b: T.second(a, b), lambda: [_uniform(-2, 2, (3, 4)),
                                                      _uniform(-2, 2, (3, 4))]),
    "pow by constant": (lambda a: a ** 3, lambda: [_uniform(-2, 2, (3, 4))]),
    "python scalar ops": (lambda a: (2.0 - a) / 3.0 + 1.5 * a, lambda: [_uniform(-2, 2, (4,))]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_grad(name):
    fn, points = GRAD_CASES[name]
    verify_grad(fn, points())


BROADCAST_GRAD_CASES = ["add", "sub", "mul", "true_div", "pow", "maximum"]


@pytest.mark.parametrize("name", BROADCAST_GRAD_CASES)
def test_grad_through_broadcasting(name):
    """The gradient of a broadcast operand sums over the broadcast dimensions."""
    fn = GRAD_CASES[name][0]
    a = _uniform(0.5, 2, (3, 4))
    b = _uniform(2.5, 3, (4,))  # away from a: no ties for maximum
    verify_grad(lambda x, y: fn(x, y.dimshuffle("x", 0)), [a, b])
    verify_grad(lambda x, y: fn(y.dimshuffle(0, "x"), x), [a, _uniform(2.5, 3, (3,))])
    r = T.drow()
    x = T.dmatrix()
    g = theano.grad(fn(x, r).sum(), r)
    assert g.broadcastable == (True, False)


def test_grad_of_float32_is_float32():
    x = T.fvector()
    for out in (T.exp(x), x * 0.1, T.log2(x), T.erf(x), T.sqrt(x)):
        g = theano.grad(out.sum(), x)
        assert g.dtype == "float32"
        val = theano.function([x], g)(np.array([0.5, 2.0], "float32"))
        assert val.dtype == "float32"


@pytest.mark.parametrize("name,fn", [
    ("floor", T.floor), ("ceil", T.ceil), ("sgn", T.sgn), ("round", T.round),
    ("round_half_to_even", lambda x: T.round(x, "half_to_even")),
    ("int_div", lambda x: x // 0.7),
])
def test_grad_of_piecewise_constant_is_zero(name, fn):
    """As in Theano, the gradient through a piecewise-constant op is zero, not
    disconnected."""
    x = T.dvector()
    g = theano.grad(fn(x).sum(), x)
    out = theano.function([x], g)(np.array([-1.3, 0.2, 2.6]))
    assert out.tolist() == [0.0, 0.0, 0.0]


def test_grad_of_cast():
    x = T.dvector()
    g = theano.grad(T.cast(x, "float32").sum() * 2, x)
    assert g.dtype == "float64"
    assert theano.function([x], g)(np.array([1.0, 2.0])).tolist() == [2.0, 2.0]


def test_grad_in_float32():
    """verify_grad also holds in float32 for smooth rows (float32 tolerances)."""
    for fn in (T.tanh, T.exp, T.nnet.sigmoid):
        verify_grad(fn, [np.linspace(-1, 1, 6).astype("float32")])
