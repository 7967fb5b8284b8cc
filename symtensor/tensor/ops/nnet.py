"""Neural-network ops: row-wise softmax and its gradient, and the losses built on them."""

from __future__ import annotations

import numpy as np

from symtensor.graph.basic import Apply
from symtensor.graph.op import Op
from symtensor.tensor.type import FLOAT_DTYPES, TensorType


def softmax_rows(x: np.ndarray) -> np.ndarray:
    """Softmax of each row, shifted by the row max so that exp never overflows."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Softmax(Op):
    """Row-wise softmax of a matrix (a vector is treated as one row)."""

    def make_node(self, x):
        from symtensor.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        if x.ndim != 2 or x.dtype not in FLOAT_DTYPES:
            raise TypeError(f"softmax: expected a float matrix, got {x.type}")
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = softmax_rows(inputs[0]).astype(inputs[0].dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, output_grads):
        return [SoftmaxGrad()(output_grads[0], outputs[0])]


class SoftmaxGrad(Op):
    """Gradient of softmax: ``(dy - sum(dy * sm, axis=1)) * sm``."""

    def make_node(self, dy, sm):
        from symtensor.tensor.basic import as_tensor_variable
        dy, sm = as_tensor_variable(dy), as_tensor_variable(sm)
        if dy.ndim != 2 or sm.ndim != 2:
            raise TypeError(f"SoftmaxGrad: expected matrices, got {dy.type} and {sm.type}")
        return Apply(self, [dy, sm], [sm.type()])

    def perform(self, node, inputs, output_storage):
        dy, sm = inputs
        out = (dy - (dy * sm).sum(axis=1, keepdims=True)) * sm
        output_storage[0][0] = out.astype(sm.dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[1]]

    def grad(self, inputs, outputs, output_grads):
        dy, sm = inputs
        g = output_grads[0]
        # out = dy*sm - s*sm with s = sum(dy*sm, axis=1)
        gs = -(g * sm).sum(axis=1, keepdims=True)
        s = (dy * sm).sum(axis=1, keepdims=True)
        g_dy = g * sm + gs * sm
        g_sm = g * dy - g * s + gs * dy
        return [g_dy, g_sm]
