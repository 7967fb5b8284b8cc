"""Reductions over axes: sum, prod, max, min, all, any (CAReduce) and argmax/argmin."""

from __future__ import annotations

import numpy as np

from symtensor.graph.basic import Apply
from symtensor.graph.op import Op
from symtensor.tensor.type import DISCRETE_DTYPES, TensorType

_SUM_DTYPE = {"bool": "int64", "int8": "int64", "int16": "int64", "int32": "int64",
              "uint8": "uint64", "uint16": "uint64", "uint32": "uint64"}

# name: (numpy reduction, output dtype rule)
_REDUCERS = {
    "sum": (np.sum, lambda d: _SUM_DTYPE.get(d, d)),
    "prod": (np.prod, lambda d: _SUM_DTYPE.get(d, d)),
    "max": (np.max, lambda d: d),
    "min": (np.min, lambda d: d),
    "all": (np.all, lambda d: "bool"),
    "any": (np.any, lambda d: "bool"),
}


def normalize_axis(axis, ndim, what):
    """``axis`` (None, int or sequence, negatives allowed) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int | np.integer):
        axis = [axis]
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{what}: axis {a} is out of range for a {ndim}-d input")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{what}: repeated axis in {axis}")
    return tuple(sorted(out))


class CAReduce(Op):
    """Reduce ``axis`` (a sorted tuple) with one of sum/prod/max/min/all/any."""

    __props__ = ("reducer", "axis", "dtype")

    def __init__(self, reducer, axis, dtype=None):
        if reducer not in _REDUCERS:
            raise ValueError(f"CAReduce: unknown reducer {reducer!r}")
        self.reducer, self.axis, self.dtype = reducer, tuple(axis), dtype

    def __str__(self):
        return f"{self.reducer.capitalize()}{{axis={list(self.axis)}}}"

    def make_node(self, x):
        from symtensor.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        for a in self.axis:
            if a >= x.ndim:
                raise ValueError(f"{self}: axis {a} out of range for {x.type}")
        dtype = self.dtype or _REDUCERS[self.reducer][1](x.dtype)
        bc = tuple(b for d, b in enumerate(x.broadcastable) if d not in self.axis)
        return Apply(self, [x], [TensorType(dtype, bc)()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        fn, _ = _REDUCERS[self.reducer]
        dtype = node.outputs[0].dtype
        if self.reducer in ("max", "min") and any(x.shape[a] == 0 for a in self.axis):
            raise ValueError(f"{self}: cannot reduce an empty axis (input shape {x.shape})")
        if self.reducer in ("sum", "prod"):
            out = fn(x, axis=self.axis, dtype=dtype)
        else:
            out = fn(x, axis=self.axis)
        output_storage[0][0] = np.asarray(out, dtype=dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [tuple(s for d, s in enumerate(input_shapes[0]) if d not in self.axis)]

    def grad(self, inputs, outputs, output_grads):
        from symtensor.tensor import basic as T
        (x,), (z,), (gz,) = inputs, outputs, output_grads
        if x.dtype in DISCRETE_DTYPES or self.reducer in ("all", "any"):
            return [None]
        order, j = [], 0
        for d in range(x.ndim):
            if d in self.axis:
                order.append("x")
            else:
                order.append(j)
                j += 1
        gz_b, z_b = gz.dimshuffle(order), z.dimshuffle(order)
        if self.reducer == "sum":
            g = T.second(x, gz_b)
        elif self.reducer in ("max", "min"):
            g = gz_b * T.eq(z_b, x)
        else:  # prod: safe where the input holds zeros
            is_zero = T.eq(x, 0)
            n_zero = is_zero.sum(axis=self.axis).dimshuffle(order)
            prod_nz = CAReduce("prod", self.axis)(T.switch(is_zero, 1, x)).dimshuffle(order)
            g = T.switch(T.eq(n_zero, 0), gz_b * z_b / x,
                         T.switch(T.and_(T.eq(n_zero, 1), is_zero), gz_b * prod_nz, 0))
        return [T.cast(g, x.dtype)]


class Argmax(Op):
    """Index of the max (or min) over ``axis``; int64; over all axes it indexes the
    flattened array, as NumPy does."""

    __props__ = ("axis", "which")

    def __init__(self, axis, which="max"):
        self.axis, self.which = tuple(axis), which

    def __str__(self):
        return f"Arg{self.which}{{axis={list(self.axis)}}}"

    def make_node(self, x):
        from symtensor.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        bc = tuple(b for d, b in enumerate(x.broadcastable) if d not in self.axis)
        return Apply(self, [x], [TensorType("int64", bc)()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        fn = np.argmax if self.which == "max" else np.argmin
        keep = [d for d in range(x.ndim) if d not in self.axis]
        if any(x.shape[a] == 0 for a in self.axis):
            raise ValueError(f"{self}: cannot reduce an empty axis (input shape {x.shape})")
        if len(self.axis) == 1:
            out = fn(x, axis=self.axis[0])
        else:  # move the reduced axes last and flatten them
            moved = x.transpose(keep + list(self.axis))
            out = fn(moved.reshape(moved.shape[: len(keep)] + (-1,)), axis=-1)
        output_storage[0][0] = np.asarray(out, dtype="int64")

    def infer_shape(self, fgraph, node, input_shapes):
        return [tuple(s for d, s in enumerate(input_shapes[0]) if d not in self.axis)]

    def grad(self, inputs, outputs, output_grads):
        return [None]
