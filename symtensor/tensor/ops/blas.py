"""Matrix products: Dot for vectors and matrices."""

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
