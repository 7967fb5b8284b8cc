"""Constructors and the symbolic functions users call (``T.exp``, ``T.sum``, ...)."""

from __future__ import annotations

import builtins

import numpy as np

from symtensor.config import config
from symtensor.graph.basic import Variable
from symtensor.graph.type import NullType
from symtensor.tensor.ops.blas import dot  # noqa: F401  (re-exported)
from symtensor.tensor.ops.elemwise import DimShuffle, Elemwise
from symtensor.tensor.ops.reduction import Argmax, CAReduce, normalize_axis
from symtensor.tensor.ops.scalar import TABLE, cast_op
from symtensor.tensor.ops.shape import (  # noqa: F401  (re-exported)
    ARange,
    Flatten,
    Join,
    addbroadcast,
    alloc,
    patternbroadcast,
    reshape,
    unbroadcast,
)
from symtensor.tensor.ops.shape import shape as _shape_op
from symtensor.tensor.ops.subtensor import inc_subtensor, set_subtensor  # noqa: F401
from symtensor.tensor.type import DISCRETE_DTYPES, FLOAT_DTYPES, TensorType, upcast

# ---------------------------------------------------------------- constants


def _autocast(value):
    """Theano's 'custom' cast policy for Python scalars.

    A float becomes ``floatX`` when that is float32 (so it never upcasts a float32
    expression), else the smallest of float32/float64 that holds it exactly; an int
    becomes the smallest of int8..int64 that holds it.
    """
    if isinstance(value, bool):
        return np.asarray(value, dtype="bool")
    if isinstance(value, int):
        for dtype in ("int8", "int16", "int32", "int64"):
            info = np.iinfo(dtype)
            if info.min <= value <= info.max:
                return np.asarray(value, dtype=dtype)
        raise OverflowError(f"constant {value} does not fit in int64")
    if isinstance(value, float):
        if config.floatX != "float64":
            return np.asarray(value, dtype=config.floatX)
        as32 = np.asarray(value, dtype="float32")
        # NaN never equals itself, so it stays float64 as in Theano
        return as32 if float(as32) == value else np.asarray(value, dtype="float64")
    return None


def constant(x, name=None, ndim=None, dtype=None):
    """A TensorConstant holding ``x`` (Python scalars are autocast as in Theano)."""
    if dtype is not None:
        data = np.asarray(x, dtype=dtype)
    else:
        data = _autocast(x) if isinstance(x, bool | int | float) else None
        if data is None:
            data = np.asarray(x)
    if data.dtype.kind in "OUSV":
        raise TypeError(f"constant: cannot make a tensor of {x!r} (dtype {data.dtype})")
    if data.dtype == np.float64 and isinstance(x, list | tuple) and config.floatX == "float32":
        pass  # lists of Python floats keep float64, as in Theano
    if ndim is not None and data.ndim != ndim:
        if data.ndim > ndim:
            raise ValueError(f"constant: {x!r} has {data.ndim} dims, expected {ndim}")
        data = data.reshape((1,) * (ndim - data.ndim) + data.shape)
    bc = tuple(s == 1 for s in data.shape)
    return TensorType(data.dtype.name, bc).make_constant(data, name=name)


def as_tensor_variable(x, name=None, ndim=None):
    """``x`` as a tensor variable: variables pass through, values become constants."""
    if isinstance(x, Variable):
        if not isinstance(x.type, TensorType):
            raise TypeError(f"expected a tensor variable, got {x} of type {x.type}")
        if ndim is not None and x.ndim != ndim:
            if x.ndim > ndim:
                raise ValueError(f"{x} has {x.ndim} dims, expected {ndim}")
            x = x.dimshuffle(["x"] * (ndim - x.ndim) + list(range(x.ndim)))
        return x
    if isinstance(x, list | tuple) and builtins.any(isinstance(i, Variable) for i in x):
        return stack([as_tensor_variable(i) for i in x])
    return constant(x, name=name, ndim=ndim)


as_tensor = as_tensor_variable

# ---------------------------------------------------------------- constructors


def tensor(dtype=None, broadcastable=(), name=None):
    """A free tensor variable of the given dtype and broadcastable pattern."""
    return TensorType(dtype or config.floatX, broadcastable)(name)


def _maker(ndim_bc, prefix_dtype=None):
    def make(name=None, dtype=None):
        return TensorType(dtype or prefix_dtype or config.floatX, ndim_bc)(name)
    return make


_KINDS = {"scalar": (), "vector": (False,), "matrix": (False, False), "row": (True, False),
          "col": (False, True), "tensor3": (False,) * 3, "tensor4": (False,) * 4,
          "tensor5": (False,) * 5}
_PREFIXES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32",
             "d": "float64", "c": "complex64", "z": "complex128"}
for _kind, _bc in _KINDS.items():
    globals()[_kind] = _maker(_bc)
    for _p, _dt in _PREFIXES.items():
        globals()[_p + _kind] = _maker(_bc, _dt)
del _kind, _bc, _p, _dt

# ---------------------------------------------------------------- elementwise


def _elemwise(name):
    op = Elemwise(TABLE[name])

    def fn(*args):
        return op(*args)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}`` with broadcasting."
    return fn


for _name in ("sub", "true_div", "int_div", "mod", "pow", "maximum", "minimum", "neg", "sgn",
              "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "sqr", "tanh", "sinh",
              "cosh", "sin", "cos", "erf", "floor", "ceil", "eq", "neq", "lt", "gt", "le", "ge",
              "and_", "or_", "xor", "invert", "switch", "clip", "second", "identity"):
    globals()[_name] = _elemwise(_name)
del _name

abs_ = _elemwise("abs")
nnet_sigmoid = _elemwise("sigmoid")
softplus = _elemwise("softplus")
fill = second  # noqa: F821
where = switch  # noqa: F821
_add, _mul = Elemwise(TABLE["add"]), Elemwise(TABLE["mul"])
bitwise_and, bitwise_or, bitwise_xor = and_, or_, xor  # noqa: F821


def add(*xs):
    """Sum of any number of tensors, elementwise."""
    out = xs[0]
    for x in xs[1:]:
        out = _add(out, x)
    return as_tensor_variable(out)


def mul(*xs):
    """Product of any number of tensors, elementwise."""
    out = xs[0]
    for x in xs[1:]:
        out = _mul(out, x)
    return as_tensor_variable(out)


def cast(x, dtype):
    """``x`` converted to ``dtype`` (``'floatX'`` allowed); no-op when already there."""
    x = as_tensor_variable(x)
    dtype = config.floatX if dtype == "floatX" else np.dtype(dtype).name
    return x if x.dtype == dtype else Elemwise(cast_op(dtype))(x)


def round(x, mode="half_away_from_zero"):  # noqa: A001  (Theano's name)
    """Round to nearest; ``mode`` 'half_away_from_zero' (default) or 'half_to_even'."""
    x = as_tensor_variable(x)
    if mode == "half_to_even":
        return Elemwise(TABLE["round_half_to_even"])(x)
    if mode != "half_away_from_zero":
        raise ValueError(f"round: mode must be 'half_away_from_zero' or 'half_to_even', "
                         f"got {mode!r}")
    # not floor(|x| + 0.5): that sum rounds (0.49999997 -> 1, 2**23 + 1 -> 2**23 + 2);
    # |x| - floor(|x|) is exact
    a = abs_(x)
    whole = floor(a)  # noqa: F821
    return sgn(x) * (whole + ge(a - whole, 0.5))  # noqa: F821


def zeros_like(x, dtype=None):
    """Zeros with the shape (and broadcastable pattern) of ``x``."""
    x = as_tensor_variable(x)
    return second(x, constant(0, dtype=dtype or x.dtype))  # noqa: F821


def ones_like(x, dtype=None):
    x = as_tensor_variable(x)
    return second(x, constant(1, dtype=dtype or x.dtype))  # noqa: F821


def zeros(shape, dtype=None):
    shape = shape if isinstance(shape, list | tuple) else [shape]
    return alloc(constant(0, dtype=dtype or config.floatX), *shape)


def ones(shape, dtype=None):
    shape = shape if isinstance(shape, list | tuple) else [shape]
    return alloc(constant(1, dtype=dtype or config.floatX), *shape)


def outer(x, y):
    """Outer product of two vectors."""
    return dot(as_tensor_variable(x).dimshuffle(0, "x"), as_tensor_variable(y).dimshuffle("x", 0))


# ---------------------------------------------------------------- reductions


def _keep(out, x, axis, keepdims):
    if not keepdims:
        return out
    order, j = [], 0
    for d in range(x.ndim):
        if d in axis:
            order.append("x")
        else:
            order.append(j)
            j += 1
    return out.dimshuffle(order)


def _reduce(reducer):
    def fn(x, axis=None, keepdims=False, dtype=None, acc_dtype=None):
        x = as_tensor_variable(x)
        ax = normalize_axis(axis, x.ndim, reducer)
        out = CAReduce(reducer, ax, dtype and np.dtype(dtype).name)(x)
        if not ax and out.dtype == x.dtype:
            out = x  # nothing to reduce and no dtype change (sum of an int8 scalar is int64)
        return _keep(out, x, ax, keepdims)
    fn.__name__ = reducer
    fn.__doc__ = f"``{reducer}`` over ``axis`` (None: all axes), optionally keeping dims."
    return fn


def _reduce_with_dtype(reducer):
    inner = _reduce(reducer)

    def fn(x, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return inner(x, axis, keepdims, dtype)
    fn.__name__, fn.__doc__ = inner.__name__, inner.__doc__
    return fn


# Theano's positional orders: sum/prod(x, axis, dtype, keepdims), max/...(x, axis, keepdims)
sum = _reduce_with_dtype("sum")  # noqa: A001
prod = _reduce_with_dtype("prod")
max = _reduce("max")  # noqa: A001
min = _reduce("min")  # noqa: A001
all = _reduce("all")  # noqa: A001
any = _reduce("any")  # noqa: A001


def _arg(which):
    def fn(x, axis=None, keepdims=False):
        x = as_tensor_variable(x)
        ax = normalize_axis(axis, x.ndim, f"arg{which}")
        out = Argmax(ax, which)(x)
        return _keep(out, x, ax, keepdims)
    fn.__name__ = f"arg{which}"
    return fn


argmax, argmin = _arg("max"), _arg("min")


def max_and_argmax(x, axis=None, keepdims=False):
    return max(x, axis, keepdims), argmax(x, axis, keepdims)


def mean(x, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    """Mean over ``axis``; float32 inputs stay float32, discrete ones give float64."""
    x = as_tensor_variable(x)
    ax = normalize_axis(axis, x.ndim, "mean")
    total = sum(x, ax, dtype=dtype)
    count = constant(1, dtype="int64")
    for a in ax:
        count = count * x.shape[a]
    out_dtype = total.dtype if total.dtype in ("float16", "float32") else "float64"
    out = true_div(total, cast(count, out_dtype))  # noqa: F821
    if dtype is not None:
        out = cast(out, dtype)
    return _keep(out, x, ax, keepdims)


def var(x, axis=None, ddof=0, keepdims=False):
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom (Theano's order)."""
    x = as_tensor_variable(x)
    ax = normalize_axis(axis, x.ndim, "var")
    centered = x - mean(x, ax, keepdims=True)
    out = mean(centered * centered, ax)
    if ddof:
        n = constant(1, dtype="int64")
        for a in ax:
            n = n * x.shape[a]
        out = out * cast(n, out.dtype) / cast(n - ddof, out.dtype)
    return _keep(out, x, ax, keepdims)


def std(x, axis=None, ddof=0, keepdims=False):
    return sqrt(var(x, axis, ddof, keepdims))  # noqa: F821


# ---------------------------------------------------------------- shapes


def shape(x):
    return _shape_op(as_tensor_variable(x))


def flatten(x, ndim=None, outdim=None):
    """Flatten all but the first ``ndim - 1`` dims (Theano's ``outdim`` accepted)."""
    if ndim is None:
        ndim = 1 if outdim is None else outdim
    return Flatten(ndim)(as_tensor_variable(x))


def transpose(x, axes=None):
    x = as_tensor_variable(x)
    return x.dimshuffle(list(reversed(range(x.ndim))) if axes is None else list(axes))


def dimshuffle(x, *pattern):
    return as_tensor_variable(x).dimshuffle(*pattern)


def shape_padleft(x, n_ones=1):
    x = as_tensor_variable(x)
    return x.dimshuffle(["x"] * n_ones + list(range(x.ndim)))


def shape_padright(x, n_ones=1):
    x = as_tensor_variable(x)
    return x.dimshuffle(list(range(x.ndim)) + ["x"] * n_ones)


def arange(start, stop=None, step=1, dtype=None):
    """Theano's ``arange``; the dtype follows the bounds, with integers widened to int64."""
    if stop is None:
        start, stop = 0, start
    start, stop, step = (as_tensor_variable(v) for v in (start, stop, step))
    if dtype is None:
        dtype = upcast(start.dtype, stop.dtype, step.dtype)
        # as Theano: never a narrow integer type, whose length could overflow
        if dtype in ("int8", "int16", "int32"):
            dtype = "int64"
        elif dtype in ("uint8", "uint16", "uint32"):
            dtype = "uint64"
    return ARange(np.dtype(dtype).name)(start, stop, step)


def concatenate(tensors, axis=0):
    return Join(axis)(*tensors)


def join(axis, *tensors):
    return Join(axis)(*tensors)


def stack(tensors, *more, axis=0):
    """Stack tensors along a new ``axis`` (also Theano's legacy ``stack(a, b, c)``)."""
    if not isinstance(tensors, list | tuple):
        tensors = [tensors, *more]
    tensors = [as_tensor_variable(t) for t in tensors]
    ndim = tensors[0].ndim
    axis = axis % (ndim + 1)
    order = list(range(axis)) + ["x"] + list(range(axis, ndim))
    return Join(axis)(*[t.dimshuffle(order) for t in tensors])


def grad_undefined(op, x_pos, x, comment=""):
    """A NullType variable: the gradient of ``op`` w.r.t. input ``x_pos`` is undefined."""
    return NullType(f"{op} has no gradient with respect to input {x_pos} ({x}). {comment}")()


__all__ = [n for n in dir() if not n.startswith("_")] + ["DimShuffle", "FLOAT_DTYPES",
                                                          "DISCRETE_DTYPES"]
