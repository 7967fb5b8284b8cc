"""Elementwise ops (one per scalar-table row) and DimShuffle."""

from __future__ import annotations

import numpy as np

from symtensor.graph.basic import Apply
from symtensor.graph.op import Op
from symtensor.tensor.ops.scalar import ScalarOp
from symtensor.tensor.type import DISCRETE_DTYPES, TensorType


class DimShuffle(Op):
    """Reorder, drop (broadcastable only) and insert (``'x'``) dimensions; a view.

    ``new_order`` lists input dimensions and ``'x'`` for new broadcastable ones, e.g.
    ``(1, 'x', 0)`` turns an (a, b) matrix into a (b, 1, a) tensor.
    """

    __props__ = ("input_broadcastable", "new_order")
    view_map = {0: [0]}

    def __init__(self, input_broadcastable, new_order):
        self.input_broadcastable = tuple(bool(b) for b in input_broadcastable)
        self.new_order = tuple(new_order)
        ndim = len(self.input_broadcastable)
        kept = [d for d in self.new_order if d != "x"]
        for d in kept:
            if not isinstance(d, int | np.integer) or not 0 <= d < ndim:
                raise ValueError(f"dimshuffle{self.new_order}: entries must be 'x' or input "
                                 f"dimensions in 0..{ndim - 1}, got {d!r}")
        if len(set(kept)) != len(kept):
            raise ValueError(f"dimshuffle{self.new_order}: a dimension appears twice")
        for d in range(ndim):
            if d not in kept and not self.input_broadcastable[d]:
                raise ValueError(f"dimshuffle{self.new_order}: cannot drop dimension {d}: it "
                                 f"is not broadcastable (input pattern {input_broadcastable})")
        self.drop = tuple(d for d in range(ndim) if d not in kept)
        self.shuffle = tuple(kept)
        self.augment = tuple(i for i, d in enumerate(self.new_order) if d == "x")

    def __str__(self):
        return "DimShuffle{" + ",".join(map(str, self.new_order)) + "}"

    def make_node(self, x):
        from symtensor.tensor.basic import as_tensor_variable
        x = as_tensor_variable(x)
        ib = x.type.broadcastable
        if len(ib) != len(self.input_broadcastable) or any(
                want and not got for want, got in zip(self.input_broadcastable, ib)):
            raise TypeError(f"{self}: expected an input with broadcastable pattern "
                            f"{self.input_broadcastable}, got {ib}")
        ob = tuple(True if d == "x" else ib[d] for d in self.new_order)
        return Apply(self, [x], [TensorType(x.type.dtype, ob)()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        shape = [1 if d == "x" else x.shape[d] for d in self.new_order]
        output_storage[0][0] = x.transpose(self.shuffle + self.drop).reshape(shape)

    def infer_shape(self, fgraph, node, input_shapes):
        shp = input_shapes[0]
        return [tuple(1 if d == "x" else shp[d] for d in self.new_order)]

    def grad(self, inputs, outputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if x.dtype in DISCRETE_DTYPES:
            return [None]
        extra = [i for i in self.augment if not gz.broadcastable[i]]
        if extra:
            gz = gz.sum(axis=extra, keepdims=True)
        from symtensor.tensor.ops.shape import patternbroadcast
        gz = patternbroadcast(gz, [True if d == "x" else gz.broadcastable[i]
                                   for i, d in enumerate(self.new_order)])
        order = ["x"] * x.ndim
        for i, d in enumerate(self.new_order):
            if d != "x":
                order[d] = i
        return [gz.dimshuffle(order)]


def _broadcast_inputs(inputs):
    """Left-pad every input with broadcastable dimensions up to the largest ndim."""
    ndim = max(i.ndim for i in inputs)
    return [i if i.ndim == ndim else i.dimshuffle(["x"] * (ndim - i.ndim) + list(range(i.ndim)))
            for i in inputs]


class Elemwise(Op):
    """Apply one scalar-table row to every element, with Theano's broadcasting.

    Dimensions of length 1 broadcast only where the input's type says so; a length
    mismatch on a non-broadcastable dimension is an error (as in Theano), never a
    silent NumPy broadcast.
    """

    __props__ = ("scalar_op",)

    def __init__(self, scalar_op: ScalarOp):
        self.scalar_op = scalar_op

    def __str__(self):
        return f"Elemwise{{{self.scalar_op.name}}}"

    def make_node(self, *inputs):
        from symtensor.tensor.basic import as_tensor_variable
        if len(inputs) != self.scalar_op.nin:
            raise TypeError(f"{self}: expected {self.scalar_op.nin} inputs, got {len(inputs)}")
        inputs = _broadcast_inputs([as_tensor_variable(i) for i in inputs])
        bc = tuple(all(flags) for flags in zip(*[i.broadcastable for i in inputs]))
        dtype = self.scalar_op.out_dtype(*[i.dtype for i in inputs])
        return Apply(self, inputs, [TensorType(dtype, bc)()])

    def perform(self, node, inputs, output_storage):
        self._check_shapes(node, inputs)
        with np.errstate(all="ignore"):
            out = self.scalar_op.impl(*inputs)
        out = np.asarray(out)
        dtype = node.outputs[0].type.dtype
        if out.dtype.name != dtype:
            out = out.astype(dtype)
        output_storage[0][0] = out

    def _check_shapes(self, node, inputs):
        """Raise, naming the op, unless the non-broadcastable inputs agree on every
        dimension (checked before computing, so NumPy never broadcasts them silently)."""
        shapes = [np.shape(v) for v in inputs]
        for d in range(node.outputs[0].ndim):
            lengths = {s[d] for var, s in zip(node.inputs, shapes) if not var.broadcastable[d]}
            if len(lengths) > 1:
                raise ValueError(
                    f"{self}: input dimension mismatch: dimension {d} has lengths "
                    f"{sorted(lengths)} in non-broadcastable inputs (input shapes {shapes}); "
                    "a length-1 dimension broadcasts only when its type is broadcastable "
                    "(use dimshuffle('x', ...) or patternbroadcast)")

    def infer_shape(self, fgraph, node, input_shapes):
        out = []
        for d in range(node.outputs[0].ndim):
            dims = [s[d] for v, s in zip(node.inputs, input_shapes) if not v.broadcastable[d]]
            out.append(dims[0] if dims else 1)
        return [tuple(out)]

    def grad(self, inputs, outputs, output_grads):
        from symtensor.tensor import basic as T
        (z,), (gz,) = outputs, output_grads
        if self.scalar_op.grad is None:
            return [T.grad_undefined(self, i, x) for i, x in enumerate(inputs)]
        grads = self.scalar_op.grad(T, inputs, z, gz)
        result = []
        for x, g in zip(inputs, grads):
            if g is None or x.dtype in DISCRETE_DTYPES:
                result.append(None)
                continue
            g = T.as_tensor_variable(g)
            axes = [d for d in range(x.ndim) if x.broadcastable[d] and not g.broadcastable[d]]
            if axes:
                g = g.sum(axis=axes, keepdims=True)
            if g.broadcastable != x.broadcastable:
                from symtensor.tensor.ops.shape import patternbroadcast
                g = patternbroadcast(g, x.broadcastable)
            if g.dtype != x.dtype:
                g = T.cast(g, x.dtype)
            result.append(g)
        return result
