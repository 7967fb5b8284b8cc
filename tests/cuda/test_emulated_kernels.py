"""Every GPU kernel against NumPy / the family references, on small shapes.

Each test runs once per runtime (``rt`` fixture): the CPU emulator always, a real
device under the ``cuda`` marker.  Inputs go up with ``rt.to_device`` and come back
with ``.get()``; the launchers are the ones the cuda linker calls.
"""

import numpy as np
import pytest

from symtensor.tensor.ops import conv as rconv
from symtensor.tensor.ops import pool as rpool
from symtensor.tensor.ops.nnet import log_softmax_rows, softmax_rows
from symtensor.tensor.ops.scalar import ROWS, TABLE, cast_op
from symtensor_cuda.kernels import blas, conv, nnet, pool, reduce, subtensor
from symtensor_cuda.kernels.elemwise import Program, Step, elemwise_kernels, single_op_program
from symtensor_cuda.linker import program_from_fused

# ----------------------------------------------------------------------------- elementwise

_POSITIVE = {"log", "log2", "log10", "sqrt", "pow"}
_INT_ROWS = ("add", "sub", "mul", "int_div", "mod", "pow", "maximum", "minimum", "neg", "abs",
             "sgn", "sqr", "identity", "eq", "lt", "ge", "and_", "or_", "xor", "invert",
             "true_div", "clip", "switch")
_BOOL_ROWS = ("and_", "or_", "xor", "invert", "eq", "neq", "identity")


def _inputs(row, dtype, rng, shape=(3, 4)):
    if row.name == "switch":
        return [rng.random(shape) < 0.5, *_inputs(TABLE["add"], dtype, rng, shape)]
    if dtype == "bool":
        return [rng.random(shape) < 0.5 for _ in range(row.nin)]
    if dtype.startswith("int"):
        vals = [rng.integers(-9, 10, shape).astype(dtype) for _ in range(row.nin)]
        if row.name == "pow":
            vals = [vals[0] % 5, np.abs(vals[1]) % 4]
        if row.name == "clip":
            vals[1], vals[2] = np.minimum(vals[1], vals[2]), np.maximum(vals[1], vals[2])
        return vals
    vals = [rng.standard_normal(shape).astype(dtype) for _ in range(row.nin)]
    if row.name in _POSITIVE:
        vals[0] = np.abs(vals[0]) + 0.1
    if row.name == "log1p":
        vals[0] = np.abs(vals[0]) - 0.5
    if row.name == "clip":
        vals[1], vals[2] = np.minimum(vals[1], vals[2]), np.maximum(vals[1], vals[2])
    vals[0][0, 0] = vals[-1][0, 0] if row.nin > 1 else vals[0][0, 0]  # an exact tie
    return vals


def _cases(rng):
    cases = []
    for row in ROWS:
        if row.name in ("and_", "or_", "xor", "invert"):  # integer / bool only
            continue
        for dtype in ("float32", "float64"):
            cases.append((row, dtype, _inputs(row, dtype, rng)))
    for name in _INT_ROWS:
        cases.append((TABLE[name], "int32", _inputs(TABLE[name], "int32", rng)))
    for name in _BOOL_ROWS:
        cases.append((TABLE[name], "bool", _inputs(TABLE[name], "bool", rng)))
    x = np.array([[-2.7, -0.5, 0.0, 0.5, 2.5, 99.9]], dtype="float32")
    for target in ("int32", "int64", "float64", "bool", "int8"):
        cases.append((cast_op(target), "float32", [x]))
    cases.append((cast_op("float32"), "int64", [np.arange(-3, 3).reshape(2, 3)]))
    cases.append((cast_op("float32"), "bool", [np.array([True, False, True])]))
    cases.append((cast_op("int64"), "int32", [np.arange(-3, 3, dtype="int32")]))
    return cases


def _reference(row, inputs, out_dtype):
    args = inputs
    if out_dtype in ("float32", "float64") and row.name != "switch":
        args = [a.astype(out_dtype) if a.dtype.kind in "biu" else a for a in inputs]
    with np.errstate(all="ignore"):
        return np.asarray(row.impl(*args)).astype(out_dtype)


def test_every_scalar_row_matches_numpy(rt, rng):
    cases = _cases(rng)
    kernels = elemwise_kernels(rt)
    programs = []
    for row, _, inputs in cases:
        in_dtypes = tuple(a.dtype.name for a in inputs)
        programs.append(single_op_program(row, in_dtypes, row.out_dtype(*in_dtypes)))
    kernels.prepare(programs)  # one compiler run for all of them
    for (row, dtype, inputs), prog in zip(cases, programs, strict=True):
        got = kernels(prog, [rt.to_device(a) for a in inputs]).get()
        want = _reference(row, inputs, prog.out_dtype)
        assert got.dtype == want.dtype, (row.name, dtype)
        tol = 1e-5 if "float32" in (dtype, prog.out_dtype) else 1e-12
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True,
                                   err_msg=f"{row.name} on {dtype}")


def test_broadcasting_and_strided_views(rt, rng):
    a = rng.standard_normal((3, 1, 5)).astype("float32")
    b = rng.standard_normal((4, 5)).astype("float32")
    c = rng.standard_normal((5, 4, 3)).astype("float32")
    prog = Program(("float32",) * 3, (
        Step(TABLE["mul"], (("in", 0), ("in", 1)), "float32"),
        Step(TABLE["add"], (("step", 0), ("in", 2)), "float32")))
    c_view = rt.to_device(c).transpose(2, 1, 0)  # (3, 4, 5), not contiguous
    got = elemwise_kernels(rt)(prog, [rt.to_device(a), rt.to_device(b), c_view]).get()
    np.testing.assert_allclose(got, a * b + c.transpose(2, 1, 0), rtol=1e-6)
    # writing into a strided view of a bigger array, reading a reversed slice
    big = rt.to_device(np.zeros((6, 8), "float32"))
    x = rng.standard_normal((6, 8)).astype("float32")
    add = single_op_program(TABLE["add"], ("float32", "float32"), "float32")
    elemwise_kernels(rt)(add, [rt.to_device(x)[::-2, 1::3], rt.to_device(np.float32(1))],
                         out=big[1::2, ::3])
    want = np.zeros((6, 8), "float32")
    want[1::2, ::3] = x[::-2, 1::3] + 1
    np.testing.assert_array_equal(big.get(), want)


def test_fused_program_from_fusedelemwise_steps(rt, rng):
    # tanh(x * w + b) with an int constant folded in: (x * 2) cast through the program
    steps = (("mul", (0, 1)), ("add", (3, 2)), ("tanh", (4,)), ("sigmoid", (5,)))
    x, w, b = (rng.standard_normal((4, 6)).astype("float32") for _ in range(3))
    prog = program_from_fused(steps, ("float32", "float32", "float32"))
    got = elemwise_kernels(rt)(prog, [rt.to_device(v) for v in (x, w, b)]).get()
    np.testing.assert_allclose(got, 1 / (1 + np.exp(-np.tanh(x * w + b))), rtol=1e-5)
    mixed = program_from_fused((("mul", (0, 1)), ("true_div", (2, 1))), ("int32", "float32"))
    i = np.arange(-3, 3, dtype="int32")
    f = np.linspace(0.5, 3, 6).astype("float32")
    got = elemwise_kernels(rt)(mixed, [rt.to_device(i), rt.to_device(f)]).get()
    np.testing.assert_allclose(got, i * f / f, rtol=1e-6)


# ----------------------------------------------------------------------------- reductions

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reductions_over_every_axis_set(rt, rng, dtype):
    x = rng.standard_normal((3, 5, 7)).astype(dtype)
    d = rt.to_device(x)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for name, fn in (("sum", np.sum), ("prod", np.prod), ("max", np.max), ("min", np.min)):
        for axes in ((0,), (1,), (2,), (0, 1), (1, 2), (0, 2), (0, 1, 2)):
            np.testing.assert_allclose(reduce.reduce(d, name, axes).get(), fn(x, axis=axes),
                                       rtol=tol, atol=tol, err_msg=f"{name} {axes}")
    # a transposed view and a long row (several passes of the block)
    np.testing.assert_allclose(reduce.reduce(d.transpose(2, 0, 1), "sum", (1,)).get(),
                               x.transpose(2, 0, 1).sum(axis=1), rtol=tol, atol=tol)
    long = rng.standard_normal((2, 3000)).astype(dtype)
    np.testing.assert_allclose(reduce.reduce(rt.to_device(long), "sum", (1,)).get(),
                               long.sum(axis=1), rtol=1e-4)


def test_integer_sums_and_casting_output(rt, rng):
    b = rng.random((4, 6)) < 0.5
    assert reduce.reduce(rt.to_device(b), "sum", (0, 1)).get() == b.sum()
    i = rng.integers(-50, 50, (4, 6)).astype("int32")
    got = reduce.reduce(rt.to_device(i), "sum", (1,))
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.get(), i.sum(axis=1))
    f = rng.standard_normal((4, 6)).astype("float32")
    got = reduce.reduce(rt.to_device(f), "sum", (0,), "float64")
    assert got.dtype == np.float64
    with pytest.raises(ValueError, match="empty axis"):
        reduce.reduce(rt.to_device(np.zeros((0, 3), "float32")), "max", (0,))
    np.testing.assert_array_equal(
        reduce.reduce(rt.to_device(np.zeros((0, 3), "float32")), "sum", (0,)).get(), [0, 0, 0])


def test_argmax_argmin_ties_and_nan(rt, rng):
    x = rng.standard_normal((4, 300)).astype("float32")
    x[1, 7] = x[1, 250] = 10.0  # tie: the first index wins
    x[2, 100] = np.nan  # NaN is the extreme, as in NumPy
    d = rt.to_device(x)
    np.testing.assert_array_equal(reduce.argmax(d, (1,)).get(), np.argmax(x, axis=1))
    np.testing.assert_array_equal(reduce.argmax(d, (1,), "min").get(), np.argmin(x, axis=1))
    np.testing.assert_array_equal(reduce.argmax(d, (0,)).get(), np.argmax(x, axis=0))
    y = rng.standard_normal((3, 4, 5))
    flat = np.argmax(y.transpose(1, 0, 2).reshape(4, -1), axis=1)
    np.testing.assert_array_equal(reduce.argmax(rt.to_device(y), (0, 2)).get(), flat)


# ----------------------------------------------------------------------------- gemm

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gemm_odd_sizes_and_transposes(rt, rng, dtype):
    tol = 1e-4 if dtype == "float32" else 1e-12
    for m, k, n in ((37, 29, 45), (1, 5, 1), (70, 130, 3), (65, 17, 64)):
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        for ta in (False, True):
            for tb in (False, True):
                da = rt.to_device(a.T.copy()).T if ta else rt.to_device(a)
                db = rt.to_device(b.T.copy()).T if tb else rt.to_device(b)
                np.testing.assert_allclose(blas.gemm(da, db).get(), a @ b, rtol=tol, atol=tol,
                                           err_msg=f"{m}x{k}x{n} ta={ta} tb={tb}")
    a, b = rng.standard_normal((9, 7)).astype(dtype), rng.standard_normal((7, 5)).astype(dtype)
    c = rng.standard_normal((9, 5)).astype(dtype)
    out = rt.to_device(c)
    blas.gemm(rt.to_device(a), rt.to_device(b), out, alpha=2.0, beta=-0.5)
    np.testing.assert_allclose(out.get(), 2 * a @ b - 0.5 * c, rtol=tol, atol=tol)


def test_dot_vectors_and_matrices(rt, rng):
    m, v, w = (rng.standard_normal(s).astype("float32") for s in ((6, 4), (4,), (6,)))
    np.testing.assert_allclose(blas.dot(rt.to_device(m), rt.to_device(v)).get(), m @ v,
                               rtol=1e-5)
    np.testing.assert_allclose(blas.dot(rt.to_device(w), rt.to_device(m)).get(), w @ m,
                               rtol=1e-5)
    np.testing.assert_allclose(blas.dot(rt.to_device(v), rt.to_device(v)).get(), v @ v,
                               rtol=1e-5)
    with pytest.raises(ValueError, match="not aligned"):
        blas.dot(rt.to_device(m), rt.to_device(w))


# ----------------------------------------------------------------------------- conv2d

CONV_CASES = [  # pad, subsample, dilation, filter_flip
    ((0, 0), (1, 1), (1, 1), True),   # valid
    ((2, 2), (1, 1), (1, 1), False),  # full, correlation
    ((1, 1), (1, 1), (1, 1), True),   # half
    ((1, 1), (2, 2), (1, 1), True),   # stride
    ((1, 2), (1, 2), (2, 1), False),  # dilation, uneven pads and strides
    ((2, 0), (3, 2), (2, 2), True),   # stride remainder rows get zero gradient
]


@pytest.mark.parametrize("pad,subsample,dilation,flip", CONV_CASES)
def test_conv2d_and_gradients(rt, rng, pad, subsample, dilation, flip):
    x = rng.standard_normal((2, 3, 7, 7)).astype("float32")
    w = rng.standard_normal((4, 3, 3, 3)).astype("float32")
    params = (pad, subsample, dilation, flip)
    want = rconv.conv2d_reference(x, w, *params)
    got = conv.conv2d(rt.to_device(x), rt.to_device(w), *params).get()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    gy = rng.standard_normal(want.shape).astype("float32")
    gx = conv.conv2d_grad_input(rt.to_device(w), rt.to_device(gy), x.shape, *params).get()
    np.testing.assert_allclose(gx, rconv.conv2d_grad_input_reference(w, gy, x.shape, *params),
                               rtol=1e-4, atol=1e-4)
    gw = conv.conv2d_grad_weights(rt.to_device(x), rt.to_device(gy), w.shape, *params).get()
    np.testing.assert_allclose(gw,
                               rconv.conv2d_grad_weights_reference(x, gy, w.shape, *params),
                               rtol=1e-4, atol=1e-4)


def test_conv2d_float64_rectangular(rt, rng):
    x = rng.standard_normal((1, 2, 6, 9))
    w = rng.standard_normal((3, 2, 2, 4))
    got = conv.conv2d(rt.to_device(x), rt.to_device(w), (1, 0), (1, 2)).get()
    np.testing.assert_allclose(got, rconv.conv2d_reference(x, w, (1, 0), (1, 2)), rtol=1e-12)
    with pytest.raises(ValueError, match="channels"):
        conv.conv2d(rt.to_device(x), rt.to_device(w[:, :1]))


# ----------------------------------------------------------------------------- pool_2d

POOL_CASES = [  # ws, ignore_border, stride, pad
    ((2, 2), True, None, (0, 0)),
    ((3, 3), False, (2, 2), (0, 0)),
    ((3, 2), True, (1, 2), (1, 1)),
    ((2, 3), False, (1, 1), (0, 0)),
    ((3, 3), True, (2, 1), (2, 1)),
]


@pytest.mark.parametrize("mode", rpool.POOL_MODES)
def test_pool_forward_and_gradients(rt, rng, mode):
    x = rng.standard_normal((2, 3, 7, 6)).astype("float32")
    x[0, 0, 0, :2] = 5.0  # a tie inside a window: both get the max gradient
    d = rt.to_device(x)
    for ws, ib, stride, pad in POOL_CASES:
        case = f"{mode} ws={ws} ignore_border={ib} stride={stride} pad={pad}"
        want = rpool.pool_2d_reference(x, ws, ib, stride, pad, mode)
        out = pool.pool_2d(d, ws, ib, stride, pad, mode)
        np.testing.assert_allclose(out.get(), want, rtol=1e-5, atol=1e-6, err_msg=case)
        gz = rng.standard_normal(want.shape).astype("float32")
        if mode == "max":
            gx = pool.max_pool_grad(d, out, rt.to_device(gz), ws, ib, stride, pad).get()
            ref = rpool.max_pool_grad_reference(x, want, gz, ws, ib, stride, pad)
            np.testing.assert_allclose(gx, ref, rtol=1e-5, atol=1e-6, err_msg=case)
            ggx = rng.standard_normal(x.shape).astype("float32")
            ggz = pool.max_pool_grad_grad(d, out, rt.to_device(ggx), ws, ib, stride, pad).get()
            ref = rpool.max_pool_grad_grad_reference(x, want, ggx, ws, ib, stride, pad)
            np.testing.assert_allclose(ggz, ref, rtol=1e-5, atol=1e-6, err_msg=case)
        else:
            gx = pool.average_pool_grad(x.shape, rt.to_device(gz), ws, ib, stride, pad,
                                        mode).get()
            ref = rpool.average_pool_grad_reference(x, gz, ws, ib, stride, pad, mode)
            np.testing.assert_allclose(gx, ref, rtol=1e-5, atol=1e-6, err_msg=case)


def test_pool_3d_input_and_float64(rt, rng):
    x = rng.standard_normal((4, 5, 5))
    got = pool.pool_2d(rt.to_device(x), (2, 2), False, mode="average_exc_pad").get()
    np.testing.assert_allclose(
        got, rpool.pool_2d_reference(x, (2, 2), False, mode="average_exc_pad"), rtol=1e-12)


# ----------------------------------------------------------------------------- softmax, NLL

def test_softmax_log_softmax_and_grad(rt, rng):
    x = (rng.standard_normal((5, 300)) * 20).astype("float32")  # large logits: no overflow
    sm = nnet.softmax(rt.to_device(x))
    np.testing.assert_allclose(sm.get(), softmax_rows(x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(nnet.log_softmax(rt.to_device(x)).get(), log_softmax_rows(x),
                               rtol=1e-5, atol=1e-4)
    dy = rng.standard_normal(x.shape).astype("float32")
    s = sm.get()
    np.testing.assert_allclose(nnet.softmax_grad(rt.to_device(dy), sm).get(),
                               (dy - (dy * s).sum(axis=1, keepdims=True)) * s, atol=1e-5)


def test_softmax_nll_with_integer_labels(rt, rng):
    x = rng.standard_normal((7, 10)).astype("float32")
    y = rng.integers(0, 10, 7).astype("int32")
    nll, sm = nnet.softmax_nll(rt.to_device(x), rt.to_device(y))
    want = -log_softmax_rows(x.astype("float64"))[np.arange(7), y]
    np.testing.assert_allclose(nll.get(), want, rtol=1e-5)
    g = rng.standard_normal(7).astype("float32")
    onehot = np.eye(10, dtype="float32")[y]
    np.testing.assert_allclose(nnet.softmax_nll_grad(rt.to_device(g), sm, rt.to_device(y)).get(),
                               g[:, None] * (softmax_rows(x) - onehot), atol=1e-6)
    with pytest.raises(IndexError, match="label"):
        nnet.softmax_nll(rt.to_device(x), rt.to_device(np.full(7, 10, "int64")))


# ----------------------------------------------------------------------------- indexing

def test_strided_copies_of_views(rt, rng):
    for dtype in ("float32", "float64", "int8", "int16", "bool"):
        x = (rng.standard_normal((4, 5, 6)) * 10).astype(dtype)
        d = rt.to_device(x)
        for view, want in ((d.transpose(2, 0, 1), x.transpose(2, 0, 1)),
                           (d[::-1, 1:4, ::2], x[::-1, 1:4, ::2]), (d[2], x[2]),
                           (d[:, None, 3], x[:, None, 3])):
            np.testing.assert_array_equal(rt.contiguous(view).get(), want)
    b = rt.to_device(np.arange(3.0)).broadcast_to((2, 3))
    np.testing.assert_array_equal(b.get(), [[0, 1, 2], [0, 1, 2]])


def test_advanced_take_and_inc(rt, rng):
    m = rng.standard_normal((5, 4)).astype("float32")
    rows, cols = np.arange(5), np.array([1, 3, 0, -1, 2], dtype="int32")
    np.testing.assert_array_equal(subtensor.take(rt.to_device(m), [rows, cols]).get(),
                                  m[rows, cols])
    np.testing.assert_array_equal(subtensor.take(rt.to_device(m), [np.array([4, 0, 4])]).get(),
                                  m[[4, 0, 4]])
    i, j = np.array([0, 0, 1, 4]), np.array([1, 1, 2, -1])
    y = rng.standard_normal(4).astype("float32")
    want = m.copy()
    np.add.at(want, (i, j), y)
    got = subtensor.take_inc(rt.to_device(m), [i, j], rt.to_device(y)).get()
    np.testing.assert_allclose(got, want, rtol=1e-6)  # repeated (0, 1) accumulates
    want = m.copy()
    want[[2, 3]] = 7.0
    got = subtensor.take_inc(rt.to_device(m), [np.array([2, 3])], np.float32(7), True).get()
    np.testing.assert_array_equal(got, want)
    with pytest.raises(IndexError, match="out of bounds"):
        subtensor.take(rt.to_device(m), [np.array([5])])


def test_arange_and_join(rt, rng):
    np.testing.assert_array_equal(subtensor.arange_int64(rt, 3, 20, 4).get(), np.arange(3, 20, 4))
    np.testing.assert_array_equal(subtensor.arange_int64(rt, 5, 0, -2).get(), np.arange(5, 0, -2))
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 5))
    got = subtensor.join(rt, [rt.to_device(a), rt.to_device(b)], 1, "float64").get()
    np.testing.assert_array_equal(got, np.concatenate([a, b], axis=1))
