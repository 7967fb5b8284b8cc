"""conv2d shape helpers and NumPy references against SciPy and finite differences."""

import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal
from strategies import SETTINGS

from symtensor.tensor.ops.conv import (
    conv2d_grad_input_reference,
    conv2d_grad_weights_reference,
    conv2d_output_shape,
    conv2d_reference,
    normalize_border_mode,
)


def scipy_conv2d(x, w, pad, subsample, dilation, filter_flip):
    """Independent conv2d: SciPy per (image, filter, channel) on a zero-dilated kernel."""
    (ph, pw), (sh, sw), (dh, dw) = pad, subsample, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    k_out, chans, kh, kw = w.shape
    dil = np.zeros((k_out, chans, (kh - 1) * dh + 1, (kw - 1) * dw + 1))
    dil[:, :, ::dh, ::dw] = w
    op = signal.convolve2d if filter_flip else signal.correlate2d
    return np.array([
        [sum(op(xp[n, c], dil[k, c], mode="valid") for c in range(chans))[::sh, ::sw]
         for k in range(k_out)]
        for n in range(x.shape[0])
    ])


@st.composite
def conv_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dil = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    kind = draw(st.sampled_from(["valid", "full", "half", "int", "tuple"]))
    if kind == "int":
        border_mode = draw(st.integers(0, 3))
    elif kind == "tuple":
        border_mode = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    else:
        border_mode = kind
    pad = normalize_border_mode(border_mode, (kh, kw), dil)
    # The smallest input that still gives a non-empty output, plus a bit.
    h = max(1, (kh - 1) * dil[0] + 1 - 2 * pad[0]) + draw(st.integers(0, 5))
    w = max(1, (kw - 1) * dil[1] + 1 - 2 * pad[1]) + draw(st.integers(0, 5))
    return dict(
        x_shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w),
        k_out=draw(st.integers(1, 3)),
        kernel_hw=(kh, kw),
        border_mode=border_mode,
        pad=pad,
        subsample=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        dilation=dil,
        filter_flip=draw(st.booleans()),
        seed=draw(st.integers(0, 2**31)),
    )


def _arrays(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["x_shape"])
    w = rng.standard_normal((case["k_out"], case["x_shape"][1], *case["kernel_hw"]))
    return x, w


def _params(case):
    return case["pad"], case["subsample"], case["dilation"], case["filter_flip"]


@settings(**SETTINGS)
@given(conv_cases())
def test_conv2d_reference_matches_scipy_and_shape_helper(case):
    x, w = _arrays(case)
    out = conv2d_reference(x, w, *_params(case))
    expected = scipy_conv2d(x, w, *_params(case))
    shape = conv2d_output_shape(
        x.shape, w.shape, case["border_mode"], case["subsample"], case["dilation"]
    )
    assert out.shape == expected.shape == shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


@settings(**SETTINGS)
@given(conv_cases())
def test_conv2d_gradients_are_adjoints(case):
    """<conv(x, w), gy> == <x, grad_input(w, gy)> == <w, grad_weights(x, gy)>."""
    x, w = _arrays(case)
    out = conv2d_reference(x, w, *_params(case))
    gy = np.random.default_rng(case["seed"] + 1).standard_normal(out.shape)
    gx = conv2d_grad_input_reference(w, gy, x.shape, *_params(case))
    gw = conv2d_grad_weights_reference(x, gy, w.shape, *_params(case))
    assert gx.shape == x.shape and gw.shape == w.shape
    lhs = np.vdot(out, gy)
    assert np.isclose(np.vdot(x, gx), lhs, rtol=1e-9, atol=1e-9)
    assert np.isclose(np.vdot(w, gw), lhs, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    "pad, subsample, dilation, flip",
    [((0, 0), (1, 1), (1, 1), True), ((1, 2), (2, 1), (1, 2), False),
     ((2, 0), (2, 3), (2, 1), True)],
)
def test_conv2d_gradients_by_finite_differences(pad, subsample, dilation, flip):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 2, 7, 8)), rng.standard_normal((3, 2, 3, 2))
    gy = rng.standard_normal(conv2d_reference(x, w, pad, subsample, dilation, flip).shape)

    def loss(x_, w_):
        return np.vdot(conv2d_reference(x_, w_, pad, subsample, dilation, flip), gy)

    def numeric(arr, f, eps=1e-6):
        grad = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            step = np.zeros_like(arr)
            step[idx] = eps
            grad[idx] = (f(arr + step) - f(arr - step)) / (2 * eps)
        return grad

    gx = conv2d_grad_input_reference(w, gy, x.shape, pad, subsample, dilation, flip)
    gw = conv2d_grad_weights_reference(x, gy, w.shape, pad, subsample, dilation, flip)
    np.testing.assert_allclose(gx, numeric(x, lambda v: loss(v, w)), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gw, numeric(w, lambda v: loss(x, v)), rtol=1e-6, atol=1e-7)


def test_stride_remainder_rows_get_zero_input_gradient():
    # H=6, k=2, s=2: rows 0..5 are all read; H=7 leaves row 6 unread.
    w, gy = np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))
    gx = conv2d_grad_input_reference(w, gy, (7, 7), subsample=(2, 2))
    assert gx.shape == (1, 1, 7, 7)
    assert np.all(gx[..., 6, :] == 0) and np.all(gx[..., :6, :6] == 1)


@pytest.mark.parametrize(
    "mode, kernel_hw, dilation, pads",
    [
        ("valid", (5, 4), (1, 1), (0, 0)),
        ("full", (5, 4), (1, 1), (4, 3)),
        ("full", (5, 4), (2, 3), (8, 9)),
        ("half", (5, 4), (1, 1), (2, 2)),
        ("half", (5, 4), (2, 1), (4, 2)),  # dilated extent 9 -> 4
        ("half", (2, 2), (2, 2), (1, 1)),  # dilated extent 3 -> 1
        (3, (5, 4), (1, 1), (3, 3)),
        ((1, 2), (5, 4), (1, 1), (1, 2)),
        (np.int64(2), (3, 3), (1, 1), (2, 2)),
    ],
)
def test_normalize_border_mode(mode, kernel_hw, dilation, pads):
    assert normalize_border_mode(mode, kernel_hw, dilation) == pads


@pytest.mark.parametrize("mode", ["same", -1, (1,), (1, 2, 3), (1, -1), (1.5, 2), 2.0, None, True])
def test_bad_border_mode_is_a_value_error_naming_conv2d(mode):
    with pytest.raises(ValueError, match=r"conv2d: border_mode .* got"):
        normalize_border_mode(mode, (3, 3))


@pytest.mark.parametrize(
    "kwargs, name",
    [({"subsample": (0, 1)}, "subsample"), ({"subsample": (1,)}, "subsample"),
     ({"filter_dilation": (1, 0)}, "filter_dilation"),
     ({"filter_dilation": (1.0, 1)}, "filter_dilation")],
)
def test_bad_subsample_or_dilation(kwargs, name):
    with pytest.raises(ValueError, match=f"conv2d: {name}"):
        conv2d_output_shape((1, 1, 5, 5), (1, 1, 3, 3), **kwargs)


def test_output_shape_examples():
    assert conv2d_output_shape((500, 1, 28, 28), (20, 1, 5, 5)) == (500, 20, 24, 24)
    assert conv2d_output_shape((500, 20, 12, 12), (50, 20, 5, 5)) == (500, 50, 8, 8)
    assert conv2d_output_shape((1, 3, 7, 7), (2, 3, 3, 3), "full") == (1, 2, 9, 9)
    assert conv2d_output_shape((1, 3, 7, 7), (2, 3, 3, 3), "half") == (1, 2, 7, 7)
    assert conv2d_output_shape((1, 3, 8, 8), (2, 3, 4, 4), "half") == (1, 2, 9, 9)
    assert conv2d_output_shape((1, 3, 8, 8), (2, 3, 3, 3), 1, (2, 2)) == (1, 2, 4, 4)
    assert conv2d_output_shape((None, 3, 8, None), (2, 3, 3, 3)) == (None, 2, 6, None)
    assert conv2d_output_shape((1, 3, 8, 8), (2, 3, None, 3), "half") == (1, 2, None, 8)


class Sym:
    """Stand-in for a symbolic int scalar: supports + - * // only, never ``int()``."""

    def __init__(self, value):
        self.value = value

    def _op(self, other, fn, reflected=False):
        other = other.value if isinstance(other, Sym) else other
        return Sym(fn(other, self.value) if reflected else fn(self.value, other))

    def __add__(self, o): return self._op(o, operator.add)
    def __radd__(self, o): return self._op(o, operator.add, True)
    def __sub__(self, o): return self._op(o, operator.sub)
    def __rsub__(self, o): return self._op(o, operator.sub, True)
    def __mul__(self, o): return self._op(o, operator.mul)
    def __rmul__(self, o): return self._op(o, operator.mul, True)
    def __floordiv__(self, o): return self._op(o, operator.floordiv)
    def __rfloordiv__(self, o): return self._op(o, operator.floordiv, True)


@pytest.mark.parametrize("mode", ["valid", "full", "half", 2, (1, 3)])
def test_output_shape_on_symbolic_scalars(mode):
    image, kernel = (4, 3, 11, 9), (5, 3, 4, 3)
    expected = conv2d_output_shape(image, kernel, mode, (2, 1), (2, 3))
    got = conv2d_output_shape(
        [Sym(v) for v in image], [Sym(v) for v in kernel], mode, (2, 1), (2, 3)
    )
    assert tuple(v.value for v in got) == expected


def test_reference_errors():
    x, w = np.zeros((1, 2, 5, 5)), np.zeros((1, 3, 3, 3))
    with pytest.raises(ValueError, match="channels"):
        conv2d_reference(x, w)
    with pytest.raises(ValueError, match="empty output"):
        conv2d_reference(np.zeros((1, 3, 2, 2)), w)
    with pytest.raises(ValueError, match="4-d"):
        conv2d_reference(np.zeros((3, 5, 5)), w)
    with pytest.raises(ValueError, match="output gradient has shape"):
        conv2d_grad_input_reference(w, np.zeros((1, 1, 3, 3)), (6, 5))
    with pytest.raises(ValueError, match="output gradient has shape"):
        conv2d_grad_weights_reference(np.zeros((1, 3, 5, 5)), np.zeros((1, 1, 3, 3)), (2, 3))
