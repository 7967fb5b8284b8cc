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


def log_softmax_rows(x: np.ndarray) -> np.ndarray:
    """``log(softmax(x))`` per row without forming the softmax (no log(0))."""
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class LogSoftmax(Op):
    """Row-wise ``log(softmax(x))``, computed stably; gradient ``g - softmax * sum(g)``."""

    def make_node(self, x):
        from symtensor.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        if x.ndim != 2 or x.dtype not in FLOAT_DTYPES:
            raise TypeError(f"LogSoftmax: expected a float matrix, got {x.type}")
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = log_softmax_rows(inputs[0]).astype(inputs[0].dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, output_grads):
        from symtensor.tensor import basic as T
        (z,), (g,) = outputs, output_grads
        return [g - T.exp(z) * g.sum(axis=1, keepdims=True)]


class CrossentropySoftmax1Hot(Op):
    """``-log(softmax(x))[arange(n), y]``: the per-row NLL of integer labels, fused.

    The gradient w.r.t. ``x`` is ``(softmax(x) - onehot(y)) * g[:, None]``; labels
    outside ``[0, n_classes)`` are an error, not a silent wrap-around.
    """

    def make_node(self, x, y):
        from symtensor.tensor.basic import as_tensor_variable
        from symtensor.tensor.type import INT_DTYPES
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim != 2 or x.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{self}: expected a float matrix, got {x.type}")
        if y.ndim != 1 or y.dtype not in INT_DTYPES:
            raise TypeError(f"{self}: expected an integer vector of labels, got {y.type}")
        return Apply(self, [x, y], [TensorType(x.dtype, (x.broadcastable[0],))()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"{self}: {x.shape[0]} rows but {y.shape[0]} labels")
        if y.size and (y.min() < 0 or y.max() >= x.shape[1]):
            raise IndexError(f"{self}: labels must be in [0, {x.shape[1]}), got "
                             f"[{y.min()}, {y.max()}]")
        nll = -log_softmax_rows(x)[np.arange(x.shape[0]), y]
        output_storage[0][0] = nll.astype(x.dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        return [(input_shapes[0][0],)]

    def grad(self, inputs, outputs, output_grads):
        x, y = inputs
        return [CrossentropySoftmax1HotGrad()(output_grads[0], x, y), None]


class CrossentropySoftmax1HotGrad(Op):
    """``(softmax(x) - onehot(y)) * g[:, None]``."""

    def make_node(self, g, x, y):
        from symtensor.tensor.basic import as_tensor_variable
        g, x, y = (as_tensor_variable(v) for v in (g, x, y))
        return Apply(self, [g, x, y], [x.type()])

    def perform(self, node, inputs, output_storage):
        g, x, y = inputs
        out = softmax_rows(x)
        out[np.arange(x.shape[0]), y] -= 1
        out *= g[:, None]
        output_storage[0][0] = out.astype(x.dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[1]]
