"""Conv2d, Conv2dGradInputs and Conv2dGradWeights as graph ops: values, shapes, grads."""

import numpy as np
import pytest
from checks import assert_close, check_infer_shape
from scipy import signal

import symtensor as theano
import symtensor.tensor as T
from symtensor.gradient import verify_grad
from symtensor.tensor.ops.conv import (
    Conv2d,
    Conv2dGradInputs,
    Conv2dGradWeights,
    conv2d_grad_input_reference,
    conv2d_grad_weights_reference,
)

# (border_mode, subsample, filter_flip, filter_dilation)
CASES = [
    ("valid", (1, 1), True, (1, 1)),
    ("full", (2, 1), False, (1, 1)),
    ("half", (1, 2), True, (2, 1)),
    (1, (2, 2), False, (1, 2)),
    ((2, 0), (1, 1), True, (1, 1)),
]


def _data(dtype="float64", x_shape=(2, 3, 7, 6), w_shape=(4, 3, 3, 2), seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype)


def test_conv2d_values_match_scipy():
    x, w = _data()
    out = theano.function([xs := T.tensor4("x"), ws := T.tensor4("w")], Conv2d()(xs, ws))(x, w)
    expected = np.array([[sum(signal.convolve2d(x[n, c], w[k, c], mode="valid") for c in range(3))
                          for k in range(4)] for n in range(2)])
    assert_close(out, expected)


@pytest.mark.parametrize("params", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_infer_shape_of_the_three_ops(params, dtype):
    x, w = _data(dtype)
    xs, ws = T.tensor4("x", dtype=dtype), T.tensor4("w", dtype=dtype)
    op = Conv2d(*params)
    out = op(xs, ws)
    check_infer_shape(out, [xs, ws], [x, w])
    gy = T.tensor4("gy", dtype=dtype)
    gy_val = np.ones(theano.function([xs, ws], out)(x, w).shape, dtype)
    check_infer_shape(Conv2dGradInputs(*params)(ws, gy, xs.shape[-2:]), [xs, ws, gy],
                      [x, w, gy_val])
    check_infer_shape(Conv2dGradWeights(*params)(xs, gy, ws.shape[-2:]), [xs, ws, gy],
                      [x, w, gy_val])
    check_infer_shape(Conv2dGradInputs(*params)(ws, gy, (7, 6)), [ws, gy], [w, gy_val])


@pytest.mark.parametrize("params", CASES)
def test_conv2d_grad_by_finite_differences(params):
    x, w = _data(x_shape=(2, 2, 6, 5), w_shape=(2, 2, 3, 2))
    verify_grad(Conv2d(*params), [x, w], mode="PY")


@pytest.mark.parametrize("params", CASES)
def test_grad_ops_grads_by_finite_differences(params):
    """The gradient ops have gradients of their own (second derivatives of conv2d)."""
    x, w = _data(x_shape=(2, 2, 6, 5), w_shape=(2, 2, 3, 2), seed=1)
    pad = Conv2d(*params)._numeric(w.shape[2:])
    out_shape = theano.function([xs := T.tensor4(), ws := T.tensor4()],
                                Conv2d(*params)(xs, ws))(x, w).shape
    gy = np.random.default_rng(2).standard_normal(out_shape)
    verify_grad(lambda w_, gy_: Conv2dGradInputs(*params)(w_, gy_, (6, 5)), [w, gy], mode="PY")
    verify_grad(lambda x_, gy_: Conv2dGradWeights(*params)(x_, gy_, (3, 2)), [x, gy], mode="PY")
    # The grad ops compute what the references compute.
    gx = conv2d_grad_input_reference(w, gy, x.shape, *pad)
    gw = conv2d_grad_weights_reference(x, gy, w.shape, *pad)
    f = theano.function([ws, gys := T.tensor4(), xs],
                        [Conv2dGradInputs(*params)(ws, gys, xs.shape[-2:]),
                         Conv2dGradWeights(*params)(xs, gys, ws.shape[-2:])], mode="PY")
    got_gx, got_gw = f(w, gy, x)
    assert_close(got_gx, gx)
    assert_close(got_gw, gw)


def test_second_derivative_through_conv():
    """d/d(x, w) of d(cost)/dx runs Conv2dGradInputs' own gradient."""
    x, w = _data(x_shape=(1, 2, 5, 5), w_shape=(2, 2, 2, 2))

    def input_gradient(x_, w_):
        return T.grad((Conv2d("half", (2, 1))(x_, w_) ** 2).sum(), x_)

    verify_grad(input_gradient, [x, w], mode="PY")


def test_props_equality_hash_and_str():
    a = Conv2d(border_mode=(0, 0), subsample=(1, 1))
    assert a == Conv2d() and hash(a) == hash(Conv2d())
    assert Conv2d(2) == Conv2d((2, 2)) != Conv2d("half")
    assert "border_mode=half" in str(Conv2d("half"))
    assert Conv2d(imshp=(None, 3, 7, 6)) != Conv2d()


@pytest.mark.parametrize(
    "kwargs, match",
    [({"border_mode": "same"}, "border_mode"), ({"subsample": (0, 1)}, "subsample"),
     ({"filter_dilation": (1, 0)}, "filter_dilation"), ({"filter_flip": "yes"}, "filter_flip"),
     ({"imshp": (1, 2, 3)}, "imshp"), ({"kshp": (1, 2, 3, 1.5)}, "kshp")],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=f"conv2d: {match}"):
        Conv2d(**kwargs)


def test_make_node_type_errors_and_dtypes():
    with pytest.raises(TypeError, match="4-d float tensor"):
        Conv2d()(T.matrix(), T.tensor4())
    with pytest.raises(TypeError, match="4-d float tensor"):
        Conv2d()(T.tensor4(dtype="int32"), T.tensor4())
    out = Conv2d()(T.tensor4(dtype="float32"), T.tensor4(dtype="float64"))
    assert out.dtype == "float64"
    bc = Conv2d()(T.TensorType("float64", (True, False, False, False))(), T.tensor4())
    assert bc.broadcastable == (True, False, False, False)


def test_static_shapes_are_checked_at_run_time():
    x, w = _data()
    xs, ws = T.tensor4(), T.tensor4()
    f = theano.function([xs, ws], Conv2d(imshp=(None, 3, 7, 6), kshp=(4, 3, 3, 2))(xs, ws))
    f(x, w)
    with pytest.raises(ValueError, match="built for"):
        f(x[:, :, :5], w)
    out = Conv2d(imshp=(2, 3, 7, 6), kshp=(4, 3, 3, 2))(xs, ws)
    shapes = [tuple(v.shape[d] for d in range(4)) for v in (xs, ws)]
    assert out.owner.op.infer_shape(None, out.owner, shapes)[0] == (2, 4, 5, 5)


def test_grad_inputs_rejects_a_wrong_spatial_shape():
    x, w = _data()
    gy = np.ones((2, 4, 5, 5))
    f = theano.function([ws := T.tensor4(), gys := T.tensor4()],
                        Conv2dGradInputs()(ws, gys, (9, 9)), mode="PY")
    with pytest.raises(ValueError, match="output gradient has shape"):
        f(w, gy)
    with pytest.raises(ValueError, match="2 entries"):
        Conv2dGradInputs()(ws, gys, (9, 9, 1))
