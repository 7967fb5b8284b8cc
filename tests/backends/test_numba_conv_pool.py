"""Numba conv / pool kernels agree with the NumPy references in float32 and float64."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import SETTINGS

from symtensor.backends.numba import conv as nconv
from symtensor.backends.numba import pool as npool
from symtensor.tensor.ops import conv as rconv
from symtensor.tensor.ops import pool as rpool

DTYPES = [np.float32, np.float64]


def _close(got, want, dtype):
    assert got.dtype == dtype and got.shape == want.shape
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@st.composite
def conv_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pad = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    h = max(1, (kh - 1) * dil[0] + 1 - 2 * pad[0]) + draw(st.integers(0, 6))
    w = max(1, (kw - 1) * dil[1] + 1 - 2 * pad[1]) + draw(st.integers(0, 6))
    return dict(
        x_shape=(draw(st.integers(1, 3)), draw(st.integers(1, 3)), h, w),
        w_shape=(draw(st.integers(1, 4)), None, kh, kw),
        params=(pad, (draw(st.integers(1, 3)), draw(st.integers(1, 3))), dil, draw(st.booleans())),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**31)),
    )


@pytest.fixture(params=["im2col", "rows"])
def conv_path(request, monkeypatch):
    """Run a test through both kernel families (the choice is by channel count)."""
    monkeypatch.setattr(nconv, "ROWS_MIN_RUN", 10**9 if request.param == "im2col" else 0)
    return request.param


@settings(**{**SETTINGS, "suppress_health_check": [HealthCheck.function_scoped_fixture]})
@given(case=conv_cases())
def test_conv_kernels_match_references(conv_path, case):
    rng = np.random.default_rng(case["seed"])
    dtype, params = case["dtype"], case["params"]
    x = rng.standard_normal(case["x_shape"]).astype(dtype)
    k_out, _, kh, kw = case["w_shape"]
    w = rng.standard_normal((k_out, x.shape[1], kh, kw)).astype(dtype)
    want = rconv.conv2d_reference(x, w, *params)
    _close(nconv.conv2d_forward(x, w, *params), want, dtype)
    gy = rng.standard_normal(want.shape).astype(dtype)
    _close(nconv.conv2d_grad_input(w, gy, x.shape, *params),
           rconv.conv2d_grad_input_reference(w, gy, x.shape, *params), dtype)
    _close(nconv.conv2d_grad_weights(x, gy, w.shape, *params),
           rconv.conv2d_grad_weights_reference(x, gy, w.shape, *params), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_kernels_at_lenet_layer_shapes(conv_path, dtype):
    """conv2 of the LeNet tutorial, batch cut to 8 images."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 20, 12, 12)).astype(dtype)
    w = rng.standard_normal((50, 20, 5, 5)).astype(dtype)
    args = ((0, 0), (1, 1), (1, 1), True)
    out = nconv.conv2d_forward(x, w, *args)
    _close(out, rconv.conv2d_reference(x, w, *args), dtype)
    gy = rng.standard_normal(out.shape).astype(dtype)
    _close(nconv.conv2d_grad_input(w, gy, x.shape, *args),
           rconv.conv2d_grad_input_reference(w, gy, x.shape, *args), dtype)
    _close(nconv.conv2d_grad_weights(x, gy, w.shape, *args),
           rconv.conv2d_grad_weights_reference(x, gy, w.shape, *args), dtype)


def test_conv_adapters_accept_non_contiguous_and_mixed_inputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 7, 9, 3)).transpose(0, 3, 1, 2)  # (2, 3, 7, 9), strided
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    out = nconv.conv2d_forward(x, w)  # float64 x float32 -> float64
    _close(out, rconv.conv2d_reference(x, w.astype(np.float64)), np.float64)


def test_conv_adapter_errors():
    x, w = np.zeros((1, 2, 5, 5), np.float32), np.zeros((1, 2, 3, 3), np.float32)
    with pytest.raises(TypeError, match="float32 or float64"):
        nconv.conv2d_forward(x.astype(np.int32), w.astype(np.int32))
    with pytest.raises(ValueError, match="channels"):
        nconv.conv2d_forward(x, np.zeros((1, 3, 3, 3), np.float32))
    with pytest.raises(ValueError, match="4-d"):
        nconv.conv2d_forward(x[0], w)
    with pytest.raises(ValueError, match="expected"):
        nconv.conv2d_grad_input(w, np.zeros((1, 1, 2, 2), np.float32), (5, 5))


@st.composite
def pool_cases(draw):
    ws = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    ignore_border = draw(st.booleans())
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 5), st.integers(1, 5))))
    pad = (0, 0)
    if ignore_border and draw(st.booleans()):
        pad = (draw(st.integers(0, ws[0] - 1)), draw(st.integers(0, ws[1] - 1)))
    lead = draw(st.lists(st.integers(1, 3), min_size=0, max_size=3))
    return dict(
        args=(ws, ignore_border, stride, pad),
        mode=draw(st.sampled_from(rpool.POOL_MODES)),
        shape=(*lead, draw(st.integers(1, 9)), draw(st.integers(1, 9))),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**31)),
    )


@settings(**SETTINGS)
@given(pool_cases())
def test_pool_kernels_match_references(case):
    rng = np.random.default_rng(case["seed"])
    dtype, args, mode = case["dtype"], case["args"], case["mode"]
    x = np.round(rng.standard_normal(case["shape"]), 1).astype(dtype)  # ties happen
    want = rpool.pool_2d_reference(x, *args, mode)
    _close(npool.pool_forward(x, *args, mode), want, dtype)
    gz = rng.standard_normal(want.shape).astype(dtype)
    if mode == "max":
        _close(npool.max_pool_grad(x, want, gz, *args),
               rpool.max_pool_grad_reference(x, want, gz, *args), dtype)
        ggx = rng.standard_normal(x.shape).astype(dtype)
        _close(npool.max_pool_grad_grad(x, want, ggx, *args),
               rpool.max_pool_grad_grad_reference(x, want, ggx, *args), dtype)
    else:
        _close(npool.average_pool_grad(x, gz, *args, mode),
               rpool.average_pool_grad_reference(x, gz, *args, mode), dtype)


def test_pool_kernel_lenet_tutorial_example():
    invals = np.random.RandomState(1).rand(3, 2, 5, 5)
    np.testing.assert_allclose(npool.pool_forward(invals, (2, 2), True)[0, 0],
                               [[0.72032449, 0.39676747], [0.6852195, 0.87811744]], atol=1e-8)
    np.testing.assert_allclose(
        npool.pool_forward(invals, (2, 2), False)[1, 0],
        [[0.67883553, 0.58930554, 0.69975836], [0.66379465, 0.94459476, 0.58655504],
         [0.90340192, 0.80739129, 0.39767684]], atol=1e-8)


def test_pool_adapters_non_contiguous_and_errors():
    x = np.random.default_rng(2).standard_normal((6, 5, 4)).transpose(2, 0, 1)  # strided 3-d
    _close(npool.pool_forward(x, (2, 3), True, (1, 2)),
           rpool.pool_2d_reference(x, (2, 3), True, (1, 2)), np.float64)
    with pytest.raises(TypeError, match="float32 or float64"):
        npool.pool_forward(np.zeros((4, 4), np.int64), (2, 2), True)
    with pytest.raises(NotImplementedError):
        npool.pool_forward(np.zeros((4, 4)), (2, 2), False, pad=(1, 1))
    with pytest.raises(ValueError, match="expected"):
        npool.max_pool_grad(np.zeros((4, 4)), np.zeros((2, 2)), np.zeros((3, 3)), (2, 2), True)
    with pytest.raises(ValueError, match="mode must not be 'max'"):
        npool.average_pool_grad(np.zeros((4, 4)), np.zeros((2, 2)), (2, 2), True, mode="max")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 3, 6, 8), (2, 3, 5, 7), (4, 9)])
@pytest.mark.parametrize("ignore_border", [True, False])
def test_max_pool_2x2_fast_path(dtype, shape, ignore_border):
    rng = np.random.default_rng(3)
    x = np.round(rng.standard_normal(shape), 1).astype(dtype)  # ties happen
    args = ((2, 2), ignore_border)
    out = npool.pool_forward(x, *args)
    _close(out, rpool.pool_2d_reference(x, *args), dtype)
    gz = rng.standard_normal(out.shape).astype(dtype)
    _close(npool.max_pool_grad(x, out, gz, *args),
           rpool.max_pool_grad_reference(x, out, gz, *args), dtype)


@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (1, 1, 4, 4), (3, 6, 9), (1, 2, 1, 3)])
def test_max_pool_2x2_fast_path_with_odd_sizes(shape):
    rng = np.random.default_rng(5)
    x = np.round(rng.standard_normal(shape), 1).astype(np.float32)  # ties happen
    args = ((2, 2), True, None, (0, 0))
    want = rpool.pool_2d_reference(x, *args, "max")
    out = npool.pool_forward(x, *args, "max")
    _close(out, want, np.float32)
    gz = rng.standard_normal(want.shape).astype(np.float32)
    gx = npool.max_pool_grad(x, out, gz, *args)  # uncovered rows / columns must be zero
    _close(gx, rpool.max_pool_grad_reference(x, want, gz, *args), np.float32)
