"""pool_2d shape helper and NumPy references against plain loops and finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import SETTINGS

from symtensor.tensor.ops import pool
from symtensor.tensor.ops.pool import (
    POOL_MODES,
    average_pool_grad_reference,
    max_pool_grad_grad_reference,
    max_pool_grad_reference,
    pool_2d_reference,
    pool_output_shape,
)


def window_starts(size, ws, stride, ignore_border):
    """Window starts, by enumeration: with ignore_border only full windows; without,
    windows go on (starting inside the image) until one reaches the end."""
    starts, start = [], 0
    while start < size:
        if ignore_border and start + ws > size:
            break
        starts.append(start)
        if start + ws >= size:
            break
        start += stride
    return starts


def naive_pool(x, ws, ignore_border, stride, pad, mode):
    """Loops over a NaN-padded image: NaN marks padding, excluded from max/sum."""
    *lead, h, w = x.shape
    xp = np.full((*lead, h + 2 * pad[0], w + 2 * pad[1]), np.nan)
    xp[..., pad[0] : pad[0] + h, pad[1] : pad[1] + w] = x
    rows = window_starts(xp.shape[-2], ws[0], stride[0], ignore_border)
    cols = window_starts(xp.shape[-1], ws[1], stride[1], ignore_border)
    out = np.zeros((*lead, len(rows), len(cols)))
    for idx in np.ndindex(*lead):
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                window = xp[idx][r : r + ws[0], c : c + ws[1]]
                real = window[~np.isnan(window)]
                if mode == "max":
                    out[idx][i, j] = real.max()
                elif mode == "sum":
                    out[idx][i, j] = real.sum()
                elif mode == "average_exc_pad":
                    out[idx][i, j] = real.mean()
                else:  # average_inc_pad: padding counts in the divisor
                    out[idx][i, j] = real.sum() / window.size
    return out


@st.composite
def pool_cases(draw, modes=POOL_MODES):
    ws = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    ignore_border = draw(st.booleans())
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 5), st.integers(1, 5))))
    pad = (0, 0)
    if ignore_border and draw(st.booleans()):
        pad = (draw(st.integers(0, ws[0] - 1)), draw(st.integers(0, ws[1] - 1)))
    lead = draw(st.lists(st.integers(1, 3), min_size=0, max_size=3))
    shape = (*lead, draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    return dict(ws=ws, ignore_border=ignore_border, stride=stride, pad=pad,
                mode=draw(st.sampled_from(modes)), shape=shape, seed=draw(st.integers(0, 2**31)))


def _args(case):
    return case["ws"], case["ignore_border"], case["stride"], case["pad"]


def _distinct(case):
    """Values at least 0.1 apart, so max windows have no ties and FD is exact."""
    rng = np.random.default_rng(case["seed"])
    return (rng.permutation(int(np.prod(case["shape"]))).reshape(case["shape"]) - 5.0) * 0.1


@settings(**SETTINGS)
@given(pool_cases())
def test_pool_reference_matches_loops_and_shape_helper(case):
    x = np.random.default_rng(case["seed"]).standard_normal(case["shape"])
    stride = case["stride"] or case["ws"]
    out = pool_2d_reference(x, *_args(case), case["mode"])
    expected = naive_pool(x, case["ws"], case["ignore_border"], stride, case["pad"], case["mode"])
    assert out.shape == expected.shape == pool_output_shape(x.shape, *_args(case))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@settings(**SETTINGS)
@given(pool_cases(modes=("sum", "average_inc_pad", "average_exc_pad")))
def test_average_pool_grad_is_the_adjoint(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["shape"])
    out = pool_2d_reference(x, *_args(case), case["mode"])
    gz = rng.standard_normal(out.shape)
    gx = average_pool_grad_reference(x, gz, *_args(case), case["mode"])
    assert gx.shape == x.shape
    assert np.isclose(np.vdot(out, gz), np.vdot(x, gx), rtol=1e-10, atol=1e-10)


@settings(**SETTINGS)
@given(pool_cases(modes=("max",)))
def test_max_pool_grad_by_finite_differences(case):
    x = _distinct(case)
    out = pool_2d_reference(x, *_args(case))
    gz = np.random.default_rng(case["seed"]).standard_normal(out.shape)
    gx = max_pool_grad_reference(x, out, gz, *_args(case))
    eps = 1e-3  # well below the 0.1 gap between values: max stays piecewise linear
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        up = np.vdot(pool_2d_reference(x + step, *_args(case)), gz)
        down = np.vdot(pool_2d_reference(x - step, *_args(case)), gz)
        numeric[idx] = (up - down) / (2 * eps)
    np.testing.assert_allclose(gx, numeric, rtol=1e-9, atol=1e-9)


@settings(**SETTINGS)
@given(pool_cases(modes=("max",)))
def test_max_pool_grad_grad_is_the_adjoint_in_gz(case):
    rng = np.random.default_rng(case["seed"])
    x = np.round(rng.standard_normal(case["shape"]), 1)  # rounding makes ties likely
    out = pool_2d_reference(x, *_args(case))
    gz, ggx = rng.standard_normal(out.shape), rng.standard_normal(x.shape)
    gx = max_pool_grad_reference(x, out, gz, *_args(case))
    ggz = max_pool_grad_grad_reference(x, out, ggx, *_args(case))
    assert ggz.shape == out.shape
    assert np.isclose(np.vdot(gx, ggx), np.vdot(gz, ggz), rtol=1e-10, atol=1e-10)


def test_tied_maxima_all_receive_the_gradient():
    x = np.array([[1.0, 3.0, 3.0], [0.0, 3.0, 2.0]])
    out = pool_2d_reference(x, (2, 2), True, (1, 1))
    assert out.tolist() == [[3.0, 3.0]]
    gx = max_pool_grad_reference(x, out, np.array([[1.0, 10.0]]), (2, 2), True, (1, 1))
    assert gx.tolist() == [[0.0, 11.0, 10.0], [0.0, 11.0, 0.0]]
    ggz = max_pool_grad_grad_reference(x, out, np.arange(6.0).reshape(2, 3), (2, 2), True, (1, 1))
    assert ggz.tolist() == [[1.0 + 4.0, 1.0 + 2.0 + 4.0]]


def test_padding_never_wins_a_max():
    x = -np.ones((3, 3))
    out = pool_2d_reference(x, (2, 2), True, (2, 2), (1, 1))
    assert out.tolist() == [[-1.0, -1.0], [-1.0, -1.0]]


def test_average_divisors_with_padding_and_truncated_windows():
    x = np.ones((3, 3))
    # Corner window of ws 2 with pad 1 holds 1 real pixel out of 4.
    inc = pool_2d_reference(x, (2, 2), True, (2, 2), (1, 1), "average_inc_pad")
    exc = pool_2d_reference(x, (2, 2), True, (2, 2), (1, 1), "average_exc_pad")
    assert inc.tolist() == [[0.25, 0.5], [0.5, 1.0]]
    assert exc.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    # ignore_border=False: a truncated border window divides by its own size.
    trunc = pool_2d_reference(x, (2, 2), False, mode="average_inc_pad")
    assert trunc.tolist() == [[1.0, 1.0], [1.0, 1.0]]


TUTORIAL_IB_TRUE = [[0.72032449, 0.39676747], [0.6852195, 0.87811744]]
TUTORIAL_IB_FALSE = [
    [0.67883553, 0.58930554, 0.69975836],
    [0.66379465, 0.94459476, 0.58655504],
    [0.90340192, 0.80739129, 0.39767684],
]


def test_lenet_tutorial_example():
    invals = np.random.RandomState(1).rand(3, 2, 5, 5)
    np.testing.assert_allclose(pool_2d_reference(invals, (2, 2), True)[0, 0],
                               TUTORIAL_IB_TRUE, rtol=0, atol=1e-8)
    out = pool_2d_reference(invals, (2, 2), False)
    assert out.shape == (3, 2, 3, 3)
    np.testing.assert_allclose(out[1, 0], TUTORIAL_IB_FALSE, rtol=0, atol=1e-8)


@pytest.mark.parametrize(
    "shape, ws, ignore_border, stride, pad, expected",
    [
        ((5, 5), (2, 2), True, None, (0, 0), (2, 2)),
        ((5, 5), (2, 2), False, None, (0, 0), (3, 3)),
        ((7, 6), (3, 3), False, (2, 2), (0, 0), (3, 3)),  # stride < ws keeps a partial window
        ((6, 6), (2, 2), False, (3, 3), (0, 0), (2, 2)),  # stride > ws
        ((2, 2), (3, 3), True, (1, 1), (0, 0), (0, 0)),  # window larger than the image
        ((2, 2), (3, 3), False, (1, 1), (0, 0), (1, 1)),
        ((4, 5), (3, 2), True, (1, 2), (2, 1), (6, 3)),
        ((2, 3, 24, 24), (2, 2), True, None, (0, 0), (2, 3, 12, 12)),
    ],
)
def test_output_shape_examples(shape, ws, ignore_border, stride, pad, expected):
    assert pool_output_shape(shape, ws, ignore_border, stride, pad) == expected


class Sym:
    """Stand-in for a symbolic int scalar: supports + and // only, never ``int()``."""

    def __init__(self, value):
        self.value = value

    def __add__(self, other):
        return Sym(self.value + other)

    def __sub__(self, other):
        return Sym(self.value - other)

    def __floordiv__(self, other):
        return Sym(self.value // other)


def test_output_shape_symbolic_and_unknown(monkeypatch):
    # The maximum is symbolic: record it instead of importing the tensor package.
    def fake_maximum(a, b):
        return Sym(max(a.value, b)) if isinstance(a, Sym) else max(a, b)

    monkeypatch.setattr(pool, "_maximum", fake_maximum)
    for args in [((2, 2), True, None), ((3, 2), True, (1, 2)), ((3, 3), False, (2, 2)),
                 ((2, 2), False, (3, 3)), ((3, 3), True, (1, 1), (1, 2))]:
        expected = pool_output_shape((2, 7, 6), *args)
        got = pool_output_shape((2, Sym(7), Sym(6)), *args)
        assert got[0] == 2 and (got[1].value, got[2].value) == expected[1:]
    assert pool_output_shape((None, 3, None), (2, 2), True) == (None, 1, None)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(ws=(2, 2), ignore_border=False, pad=(1, 0)), NotImplementedError, "ignore_border="),
        (dict(ws=(2, 2), ignore_border=True, pad=(2, 0)), NotImplementedError, "smaller than ws"),
        (dict(ws=(2, 2), ignore_border=True, pad=(-1, 0)), ValueError, "pad"),
        (dict(ws=(0, 2), ignore_border=True), ValueError, "ws"),
        (dict(ws=(2,), ignore_border=True), ValueError, "ws"),
        (dict(ws=(2, 2), ignore_border=True, stride=(0, 1)), ValueError, "stride"),
        (dict(ws=(2, 2), ignore_border=True, mode="avg"), ValueError, "mode"),
        (dict(ws=(2, 2), ignore_border=None), ValueError, "ignore_border"),
    ],
)
def test_illegal_parameters(kwargs, error, match):
    with pytest.raises(error, match=f"pool_2d: .*{match}"):
        pool.check_pool_params(**kwargs)
    with pytest.raises(error):
        pool_2d_reference(np.zeros((4, 4)), **kwargs)


def test_shape_mismatch_errors():
    x = np.zeros((4, 4))
    with pytest.raises(ValueError, match="gz must have shape"):
        max_pool_grad_reference(x, np.zeros((2, 2)), np.zeros((3, 3)), (2, 2), True)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        pool_output_shape((4,), (2, 2), True)
