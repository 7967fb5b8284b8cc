"""The scalar-op table: one row per elementwise operation, forward and derivative together.

Each row gives the NumPy implementation, the output dtype rule and the gradient as a
function ``grad(T, inputs, output, gz) -> [input grads]`` written with the symbolic API
``T`` (``symtensor.tensor.basic``).  ``None`` in a grad list means "no gradient" (the
input is disconnected); piecewise-constant rows give zeros, as in Theano.  ``expr`` is
the element expression used by generated (fused) kernels, with ``{0}``, ``{1}`` ... for
the inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.special

from symtensor.tensor.type import DISCRETE_DTYPES, upcast, upgrade_to_float


def _same(*dtypes):
    return upcast(*dtypes)


def _to_float(*dtypes):
    return upgrade_to_float(*dtypes)


def _to_bool(*dtypes):
    return "bool"


def _switch_dtype(c, a, b):
    return upcast(a, b)


def _second_dtype(a, b):
    return b


def _int_dtype(*dtypes):
    return upcast(*dtypes)


@dataclass(frozen=True, eq=False)
class ScalarOp:
    """One row of the table.  Equality and pickling go by ``name``."""

    name: str
    nin: int
    impl: Callable
    out_dtype: Callable[..., str]
    grad: Callable | None
    expr: str = ""
    commutative: bool = False
    extra: dict = field(default_factory=dict)

    def __eq__(self, other):
        return isinstance(other, ScalarOp) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __str__(self):
        return self.name

    def __reduce__(self):
        return (get_scalar_op, (self.name,))


def _zero_grads(T, xs, z, gz):
    # zero, not disconnected: grad(floor(x).sum(), x) is zeros in Theano, not an error
    return [T.zeros_like(x) for x in xs]


def _sigmoid(x):
    return scipy.special.expit(x)


def _softplus(x):
    # log(1 + exp(x)) without overflow for large x nor loss for very negative x
    return np.logaddexp(0, x)


def _round_half_even(x):
    return np.round(x)


def _second(a, b):
    out = np.empty(np.broadcast_shapes(np.shape(a), np.shape(b)), dtype=np.asarray(b).dtype)
    out[...] = b
    return out


def _true_div_grad(T, xs, z, gz):
    x, y = xs
    return [gz / y, -gz * x / (y * y)]


def _pow_grad(T, xs, z, gz):
    x, y = xs
    return [gz * y * x ** (y - 1), gz * T.log(x) * z]


def _mod_grad(T, xs, z, gz):
    x, y = xs
    return [gz, -(x // y) * gz]


def _clip_grad(T, xs, z, gz):
    x, lo, hi = xs
    inside = T.and_(T.ge(x, lo), T.le(x, hi))
    return [gz * inside, gz * T.lt(x, lo), gz * T.gt(x, hi)]


def _switch_grad(T, xs, z, gz):
    c, a, b = xs
    zero = T.zeros_like(gz)
    return [None, T.switch(c, gz, zero), T.switch(c, zero, gz)]


def _maxmin_grad(T, xs, z, gz):
    return [gz * T.eq(z, xs[0]), gz * T.eq(z, xs[1])]


ROWS = [
    # name, nin, impl, dtype rule, grad, expr
    ScalarOp("add", 2, np.add, _same, lambda T, xs, z, gz: [gz, gz], "({0} + {1})", True),
    ScalarOp("sub", 2, np.subtract, _same, lambda T, xs, z, gz: [gz, -gz], "({0} - {1})"),
    ScalarOp("mul", 2, np.multiply, _same,
             lambda T, xs, z, gz: [gz * xs[1], gz * xs[0]], "({0} * {1})", True),
    ScalarOp("true_div", 2, np.true_divide, _to_float, _true_div_grad, "({0} / {1})"),
    ScalarOp("int_div", 2, np.floor_divide, _int_dtype, _zero_grads, "({0} // {1})"),
    ScalarOp("mod", 2, np.mod, _int_dtype, _mod_grad, "({0} % {1})"),
    ScalarOp("pow", 2, np.power, _same, _pow_grad, "({0} ** {1})"),
    ScalarOp("maximum", 2, np.maximum, _same, _maxmin_grad, "max({0}, {1})", True),
    ScalarOp("minimum", 2, np.minimum, _same, _maxmin_grad, "min({0}, {1})", True),
    ScalarOp("neg", 1, np.negative, _same, lambda T, xs, z, gz: [-gz], "(-{0})"),
    ScalarOp("abs", 1, np.abs, _same, lambda T, xs, z, gz: [gz * T.sgn(xs[0])], "abs({0})"),
    ScalarOp("sgn", 1, np.sign, _same, _zero_grads, "np.sign({0})"),
    ScalarOp("exp", 1, np.exp, _to_float, lambda T, xs, z, gz: [gz * z], "np.exp({0})"),
    ScalarOp("expm1", 1, np.expm1, _to_float, lambda T, xs, z, gz: [gz * (z + 1)],
             "np.expm1({0})"),
    ScalarOp("log", 1, np.log, _to_float, lambda T, xs, z, gz: [gz / xs[0]], "np.log({0})"),
    ScalarOp("log1p", 1, np.log1p, _to_float, lambda T, xs, z, gz: [gz / (1 + xs[0])],
             "np.log1p({0})"),
    ScalarOp("log2", 1, np.log2, _to_float,
             lambda T, xs, z, gz: [gz / (xs[0] * np.log(2.0))], "np.log2({0})"),
    ScalarOp("log10", 1, np.log10, _to_float,
             lambda T, xs, z, gz: [gz / (xs[0] * np.log(10.0))], "np.log10({0})"),
    ScalarOp("sqrt", 1, np.sqrt, _to_float, lambda T, xs, z, gz: [gz * 0.5 / z], "np.sqrt({0})"),
    ScalarOp("sqr", 1, np.square, _same, lambda T, xs, z, gz: [gz * 2 * xs[0]], "({0} * {0})"),
    ScalarOp("tanh", 1, np.tanh, _to_float, lambda T, xs, z, gz: [gz * (1 - z * z)],
             "np.tanh({0})"),
    ScalarOp("sinh", 1, np.sinh, _to_float, lambda T, xs, z, gz: [gz * T.cosh(xs[0])],
             "np.sinh({0})"),
    ScalarOp("cosh", 1, np.cosh, _to_float, lambda T, xs, z, gz: [gz * T.sinh(xs[0])],
             "np.cosh({0})"),
    ScalarOp("sin", 1, np.sin, _to_float, lambda T, xs, z, gz: [gz * T.cos(xs[0])],
             "np.sin({0})"),
    ScalarOp("cos", 1, np.cos, _to_float, lambda T, xs, z, gz: [-gz * T.sin(xs[0])],
             "np.cos({0})"),
    ScalarOp("sigmoid", 1, _sigmoid, _to_float, lambda T, xs, z, gz: [gz * z * (1 - z)],
             "(1.0 / (1.0 + np.exp(-{0})))"),
    ScalarOp("softplus", 1, _softplus, _to_float,
             lambda T, xs, z, gz: [gz * T.nnet_sigmoid(xs[0])], "np.logaddexp(0.0, {0})"),
    ScalarOp("erf", 1, scipy.special.erf, _to_float,
             lambda T, xs, z, gz: [gz * (2.0 / np.sqrt(np.pi)) * T.exp(-xs[0] * xs[0])],
             "math.erf({0})"),
    ScalarOp("floor", 1, np.floor, _to_float, _zero_grads, "np.floor({0})"),
    ScalarOp("ceil", 1, np.ceil, _to_float, _zero_grads, "np.ceil({0})"),
    ScalarOp("round_half_to_even", 1, _round_half_even, _same, _zero_grads, "np.round({0})"),
    ScalarOp("identity", 1, lambda x: np.array(x, copy=True), _same,
             lambda T, xs, z, gz: [gz], "{0}"),
    ScalarOp("eq", 2, np.equal, _to_bool, _zero_grads, "({0} == {1})"),
    ScalarOp("neq", 2, np.not_equal, _to_bool, _zero_grads, "({0} != {1})"),
    ScalarOp("lt", 2, np.less, _to_bool, _zero_grads, "({0} < {1})"),
    ScalarOp("gt", 2, np.greater, _to_bool, _zero_grads, "({0} > {1})"),
    ScalarOp("le", 2, np.less_equal, _to_bool, _zero_grads, "({0} <= {1})"),
    ScalarOp("ge", 2, np.greater_equal, _to_bool, _zero_grads, "({0} >= {1})"),
    ScalarOp("and_", 2, np.bitwise_and, _int_dtype, _zero_grads, "({0} & {1})"),
    ScalarOp("or_", 2, np.bitwise_or, _int_dtype, _zero_grads, "({0} | {1})"),
    ScalarOp("xor", 2, np.bitwise_xor, _int_dtype, _zero_grads, "({0} ^ {1})"),
    ScalarOp("invert", 1, np.invert, _same, _zero_grads, "(~{0})"),
    ScalarOp("switch", 3, np.where, _switch_dtype, _switch_grad, "({1} if {0} else {2})"),
    ScalarOp("clip", 3, np.clip, lambda x, lo, hi: upcast(x, lo, hi), _clip_grad,
             "min(max({0}, {1}), {2})"),
    ScalarOp("second", 2, _second, _second_dtype,
             lambda T, xs, z, gz: [None, gz], "{1}"),
]



def _in_float(fn):
    """``fn`` computed in Theano's output dtype: NumPy computes exp(int8) in float16."""
    def impl(*xs):
        xs = [np.asarray(x) for x in xs]
        dtype = upgrade_to_float(*[x.dtype.name for x in xs])
        return fn(*[x.astype(dtype) if x.dtype.kind in "biu" else x for x in xs])
    impl.__name__ = getattr(fn, "__name__", "impl")
    return impl


ROWS = [replace(row, impl=_in_float(row.impl)) if row.out_dtype is _to_float else row
        for row in ROWS]
TABLE: dict[str, ScalarOp] = {row.name: row for row in ROWS}


def _cast_grad(T, xs, z, gz):
    return [None if xs[0].dtype in DISCRETE_DTYPES else T.cast(gz, xs[0].dtype)]


def cast_op(dtype: str) -> ScalarOp:
    """The row that converts to ``dtype`` (made on first use)."""
    name = f"cast_{dtype}"
    if name not in TABLE:
        TABLE[name] = ScalarOp(name, 1, lambda x: np.asarray(x).astype(dtype),
                               lambda *d: dtype, _cast_grad, f"np.{dtype}({{0}})")
    return TABLE[name]


def get_scalar_op(name: str) -> ScalarOp:
    if name.startswith("cast_"):
        return cast_op(name[5:])
    try:
        return TABLE[name]
    except KeyError:
        raise KeyError(f"no scalar op named {name!r}") from None
