"""Matrix products: Dot for vectors and matrices, and Gemm (scaled, accumulated, in place)."""

from __future__ import annotations

import numpy as np

from symtensor.graph.basic import Apply
from symtensor.graph.op import Op
from symtensor.tensor.type import DISCRETE_DTYPES, TensorType, upcast


class Dot(Op):
    """``numpy.dot`` of two tensors of 1 or 2 dimensions."""

    def make_node(self, x, y):
        from symtensor.tensor.basic import as_tensor_variable
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise TypeError(f"dot: expects vectors or matrices, got {x.type} and {y.type}")
        bc = x.broadcastable[:-1] + y.broadcastable[1:]
        return Apply(self, [x, y], [TensorType(upcast(x.dtype, y.dtype), bc)()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        if x.shape[-1] != y.shape[0]:
            raise ValueError(f"dot: shapes {x.shape} and {y.shape} are not aligned "
                             f"({x.shape[-1]} != {y.shape[0]})")
        dtype = node.outputs[0].dtype
        output_storage[0][0] = np.asarray(np.dot(x, y), dtype=dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        xs, ys = input_shapes
        return [tuple(xs[:-1]) + tuple(ys[1:])]

    def grad(self, inputs, outputs, output_grads):
        from symtensor.tensor.basic import cast, outer
        (x, y), gz = inputs, output_grads[0]
        if x.ndim == 2 and y.ndim == 2:
            gx, gy = dot(gz, y.T), dot(x.T, gz)
        elif x.ndim == 2:  # matrix . vector
            gx, gy = outer(gz, y), dot(x.T, gz)
        elif y.ndim == 2:  # vector . matrix
            gx, gy = dot(y, gz), outer(x, gz)
        else:
            gx, gy = gz * y, gz * x
        return [None if v.dtype in DISCRETE_DTYPES else cast(g, v.dtype)
                for v, g in ((x, gx), (y, gy))]


_dot = Dot()


def dot(x, y):
    """Theano's ``dot``: a scalar times a tensor is a product, otherwise ``numpy.dot``
    of vectors/matrices."""
    from symtensor.tensor.basic import as_tensor_variable
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    return _dot(x, y)


class Gemm(Op):
    """``beta * z + alpha * dot(x, y)``: BLAS' xGEMM on matrices of one float dtype,
    ``alpha`` and ``beta`` scalars.  With ``inplace`` the result overwrites ``z``.

    Not built by hand: the ``specialize`` rewrite ``local_dot_to_gemm`` makes it from
    ``z +- a * dot(x, y)`` (the SGD step of a weight matrix), and the ``inplace``
    phase lets it write into ``z`` when ``z`` is dead.  ``beta == 0`` ignores ``z``'s
    values (NaN included), as BLAS does.
    """

    __props__ = ("inplace",)

    def __init__(self, inplace=False):
        self.inplace = bool(inplace)
        self.destroy_map = {0: [0]} if self.inplace else {}

    def make_node(self, z, alpha, x, y, beta):
        from symtensor.tensor.basic import as_tensor_variable
        z, alpha, x, y, beta = (as_tensor_variable(v) for v in (z, alpha, x, y, beta))
        for name, var, ndim in (("z", z, 2), ("x", x, 2), ("y", y, 2), ("alpha", alpha, 0),
                                ("beta", beta, 0)):
            if var.ndim != ndim:
                raise TypeError(f"Gemm: {name} must have {ndim} dimensions, got {var.type}")
        dtypes = {v.dtype for v in (z, alpha, x, y, beta)}
        if len(dtypes) != 1 or z.dtype not in ("float32", "float64"):
            raise TypeError(f"Gemm: z, alpha, x, y, beta must share one float dtype, got "
                            f"{[v.dtype for v in (z, alpha, x, y, beta)]}")
        return Apply(self, [z, alpha, x, y, beta], [z.type()])

    def perform(self, node, inputs, output_storage):
        z, alpha, x, y, beta = inputs
        check_gemm_shapes(z, x, y)
        res = alpha * np.dot(x, y)
        if beta != 0:
            res = res + beta * z
        if self.inplace:
            z[...] = res
            output_storage[0][0] = z
        else:
            output_storage[0][0] = np.asarray(res, dtype=node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, output_grads):
        z, alpha, x, y, beta = inputs
        gz = output_grads[0]
        return [beta * gz, (gz * dot(x, y)).sum(), alpha * dot(gz, y.T),
                alpha * dot(x.T, gz), (gz * z).sum()]


def check_gemm_shapes(z, x, y) -> None:
    """The error a Gemm kernel raises for operands whose shapes do not fit."""
    if x.shape[1] != y.shape[0] or z.shape != (x.shape[0], y.shape[1]):
        raise ValueError(f"Gemm: z {z.shape} += dot(x {x.shape}, y {y.shape}): shapes do "
                         f"not match")
