"""Shape ops: Shape, Reshape, Flatten, Rebroadcast, Alloc, ARange, Join, MakeVector."""

from __future__ import annotations

import numpy as np

from symtensor.graph.basic import Apply, Constant
from symtensor.graph.op import Op
from symtensor.tensor.type import DISCRETE_DTYPES, INT_DTYPES, TensorType


def _as(x):
    from symtensor.tensor.basic import as_tensor_variable
    return as_tensor_variable(x)


def _const_value(var):
    """The value of ``var`` when it is a constant, else None."""
    return var.data if isinstance(var, Constant) else None


class Shape(Op):
    """The shape of a tensor as an int64 vector."""

    def make_node(self, x):
        x = _as(x)
        return Apply(self, [x], [TensorType("int64", (False,))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.array(inputs[0].shape, dtype="int64")

    def infer_shape(self, fgraph, node, input_shapes):
        return [(node.inputs[0].ndim,)]

    def grad(self, inputs, outputs, output_grads):
        return [None]


shape = Shape()


class MakeVector(Op):
    """Stack scalars into a vector (used for symbolic shapes)."""

    __props__ = ("dtype",)

    def __init__(self, dtype="int64"):
        self.dtype = dtype

    def make_node(self, *scalars):
        scalars = [_as(s) for s in scalars]
        for s in scalars:
            if s.ndim != 0:
                raise TypeError(f"{self}: expected scalars, got {s} of type {s.type}")
        return Apply(self, scalars, [TensorType(self.dtype, (False,))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.array(inputs, dtype=self.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [(len(node.inputs),)]

    def grad(self, inputs, outputs, output_grads):
        if self.dtype in DISCRETE_DTYPES:
            return [None] * len(inputs)
        return [output_grads[0][i] for i in range(len(inputs))]


def as_shape_vector(shape, what="shape"):
    """A tuple/list of ints and int scalars, or an int vector, as an int64 vector."""
    if isinstance(shape, list | tuple):
        items = [_as(s) for s in shape]
        for s in items:
            if s.ndim != 0 or s.dtype not in INT_DTYPES:
                raise TypeError(f"{what}: entries must be integer scalars, got {s} ({s.type})")
        if all(isinstance(s, Constant) for s in items):
            return _as(np.array([int(s.data) for s in items], dtype="int64"))
        from symtensor.tensor.basic import cast
        return MakeVector("int64")(*[cast(s, "int64") for s in items])
    shape = _as(shape)
    if shape.ndim != 1 or shape.dtype not in INT_DTYPES:
        raise TypeError(f"{what}: expected an integer vector, got {shape} ({shape.type})")
    return shape


def _shape_entries(vec):
    """Known entries of a shape vector: ints, or None where symbolic."""
    value = _const_value(vec)
    if value is not None:
        return [int(v) for v in value]
    if vec.owner is not None and isinstance(vec.owner.op, MakeVector):
        return [None if _const_value(s) is None else int(_const_value(s))
                for s in vec.owner.inputs]
    return None


class Reshape(Op):
    """``x.reshape(shape)`` with ``ndim`` output dimensions (-1 allowed once)."""

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim):
        self.ndim = int(ndim)

    def make_node(self, x, shp):
        x, shp = _as(x), as_shape_vector(shp, "reshape")
        entries = _shape_entries(shp)
        bc = tuple(e == 1 for e in entries) if entries else (False,) * self.ndim
        if entries is not None and len(entries) != self.ndim:
            raise ValueError(f"reshape: shape has {len(entries)} entries, expected {self.ndim}")
        return Apply(self, [x, shp], [TensorType(x.dtype, bc)()])

    def perform(self, node, inputs, output_storage):
        x, shp = inputs
        if len(shp) != self.ndim:
            raise ValueError(f"{self}: shape {tuple(shp)} has {len(shp)} entries, "
                             f"expected {self.ndim}")
        try:
            output_storage[0][0] = x.reshape(tuple(int(s) for s in shp))
        except ValueError:
            raise ValueError(f"{self}: cannot reshape an array of shape {x.shape} "
                             f"(size {x.size}) into shape {tuple(shp)}") from None

    def infer_shape(self, fgraph, node, input_shapes):
        shp = node.inputs[1]
        entries = _shape_entries(shp) or [None] * self.ndim
        if -1 not in entries:  # symbolic entries are read from the shape vector
            return [tuple(shp[i] if e is None else e for i, e in enumerate(entries))]
        known = 1
        for i, e in enumerate(entries):
            if e != -1:
                known = known * (shp[i] if e is None else e)
        total = 1
        for s in input_shapes[0]:
            total = total * s
        return [tuple(total // known if e == -1 else e for e in entries)]

    def grad(self, inputs, outputs, output_grads):
        x = inputs[0]
        if x.dtype in DISCRETE_DTYPES:
            return [None, None]
        return [reshape(output_grads[0], x.shape, ndim=x.ndim), None]


def reshape(x, newshape, ndim=None):
    """Theano's ``reshape(x, newshape, ndim=None)``."""
    x = _as(x)
    if ndim is None:
        if isinstance(newshape, list | tuple):
            ndim = len(newshape)
        else:
            vec = _as(newshape)
            entries = _shape_entries(vec)
            if entries is None:
                if vec.owner is not None and isinstance(vec.owner.op, Shape):
                    ndim = vec.owner.inputs[0].ndim
                else:
                    raise ValueError("reshape: pass ndim when the new shape is a symbolic "
                                     "vector of unknown length")
            else:
                ndim = len(entries)
    return Reshape(ndim)(x, newshape)


class Flatten(Op):
    """Keep the first ``ndim - 1`` dimensions and flatten the rest into one."""

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim=1):
        if ndim < 1:
            raise ValueError(f"flatten: ndim must be >= 1, got {ndim}")
        self.ndim = int(ndim)

    def make_node(self, x):
        x = _as(x)
        if x.ndim < self.ndim:
            raise ValueError(f"flatten: ndim={self.ndim} exceeds the input's {x.ndim} dims")
        bc = x.broadcastable[: self.ndim - 1] + (all(x.broadcastable[self.ndim - 1:]),)
        return Apply(self, [x], [TensorType(x.dtype, bc)()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        output_storage[0][0] = x.reshape(x.shape[: self.ndim - 1] + (-1,))

    def infer_shape(self, fgraph, node, input_shapes):
        shp = input_shapes[0]
        rest = 1
        for s in shp[self.ndim - 1:]:
            rest = rest * s
        return [tuple(shp[: self.ndim - 1]) + (rest,)]

    def grad(self, inputs, outputs, output_grads):
        x = inputs[0]
        if x.dtype in DISCRETE_DTYPES:
            return [None]
        return [reshape(output_grads[0], x.shape, ndim=x.ndim)]


class Rebroadcast(Op):
    """Set broadcastable flags; checks at run time that flagged dims have length 1."""

    __props__ = ("broadcastable",)
    view_map = {0: [0]}

    def __init__(self, broadcastable):
        self.broadcastable = tuple(bool(b) for b in broadcastable)

    def make_node(self, x):
        x = _as(x)
        if x.ndim != len(self.broadcastable):
            raise ValueError(f"{self}: input has {x.ndim} dims, expected "
                             f"{len(self.broadcastable)}")
        return Apply(self, [x], [TensorType(x.dtype, self.broadcastable)()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        for d, bc in enumerate(self.broadcastable):
            if bc and x.shape[d] != 1:
                raise ValueError(f"{self}: dimension {d} is marked broadcastable but has "
                                 f"length {x.shape[d]}")
        output_storage[0][0] = x

    def infer_shape(self, fgraph, node, input_shapes):
        return [tuple(1 if bc else s for bc, s in zip(self.broadcastable, input_shapes[0]))]

    def grad(self, inputs, outputs, output_grads):
        x = inputs[0]
        if x.dtype in DISCRETE_DTYPES:
            return [None]
        return [patternbroadcast(output_grads[0], x.broadcastable)]


def patternbroadcast(x, broadcastable):
    """``x`` with the given broadcastable pattern (Theano's ``patternbroadcast``)."""
    x = _as(x)
    broadcastable = tuple(bool(b) for b in broadcastable)
    if x.broadcastable == broadcastable:
        return x
    return Rebroadcast(broadcastable)(x)


def unbroadcast(x, *axes):
    x = _as(x)
    return patternbroadcast(x, [b and d not in axes for d, b in enumerate(x.broadcastable)])


def addbroadcast(x, *axes):
    x = _as(x)
    return patternbroadcast(x, [b or d in axes for d, b in enumerate(x.broadcastable)])


class Alloc(Op):
    """An array of the given shape filled with (broadcast) ``value``."""

    def make_node(self, value, *shape):
        value = _as(value)
        shape = [_as(s) for s in shape]
        if len(shape) < value.ndim:
            raise ValueError(f"alloc: {len(shape)} shape entries for a {value.ndim}-d value")
        for s in shape:
            if s.ndim != 0 or s.dtype not in INT_DTYPES:
                raise TypeError(f"alloc: shape entries must be integer scalars, got {s.type}")
        bc = tuple(_const_value(s) is not None and int(_const_value(s)) == 1 for s in shape)
        return Apply(self, [value] + shape, [TensorType(value.dtype, bc)()])

    def perform(self, node, inputs, output_storage):
        value, shape = inputs[0], tuple(int(s) for s in inputs[1:])
        out = np.empty(shape, dtype=node.outputs[0].dtype)
        out[...] = value
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, input_shapes):
        return [tuple(node.inputs[1:])]

    def do_constant_folding(self, node):
        # a folded array would be shared by every call: only scalars are folded
        return node.outputs[0].ndim == 0

    def grad(self, inputs, outputs, output_grads):
        value, gz = inputs[0], output_grads[0]
        if value.dtype in DISCRETE_DTYPES:
            return [None] * len(inputs)
        n_new = gz.ndim - value.ndim
        axes = list(range(n_new)) + [n_new + d for d in range(value.ndim)
                                     if value.broadcastable[d] and not gz.broadcastable[n_new + d]]
        g = gz.sum(axis=axes, keepdims=True) if axes else gz
        g = g.dimshuffle([d for d in range(n_new, gz.ndim)]) if n_new else g
        return [patternbroadcast(g, value.broadcastable)] + [None] * (len(inputs) - 1)


alloc = Alloc()


class ARange(Op):
    """``arange(start, stop, step)`` of a fixed dtype."""

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def make_node(self, start, stop, step):
        start, stop, step = (_as(v) for v in (start, stop, step))
        for v in (start, stop, step):
            if v.ndim != 0:
                raise TypeError(f"arange: bounds must be scalars, got {v.type}")
        return Apply(self, [start, stop, step], [TensorType(self.dtype, (False,))()])

    def perform(self, node, inputs, output_storage):
        start, stop, step = inputs
        if step == 0:
            raise ValueError("arange: step must not be zero")
        output_storage[0][0] = np.arange(start, stop, step, dtype=self.dtype)

    def grad(self, inputs, outputs, output_grads):
        return [None, None, None]


class Join(Op):
    """Concatenate tensors along ``axis`` (Theano's ``join`` / ``concatenate``)."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, *tensors):
        from symtensor.tensor.type import upcast
        tensors = [_as(t) for t in tensors]
        if not tensors:
            raise ValueError("concatenate: needs at least one tensor")
        ndim = tensors[0].ndim
        if any(t.ndim != ndim for t in tensors):
            raise TypeError(f"concatenate: all tensors need the same ndim, got "
                            f"{[t.ndim for t in tensors]}")
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"concatenate: axis {self.axis} out of range for {ndim}-d tensors")
        axis = self.axis % ndim
        bc = [all(f) for f in zip(*[t.broadcastable for t in tensors])]
        bc[axis] = False
        dtype = upcast(*[t.dtype for t in tensors])
        return Apply(self, tensors, [TensorType(dtype, tuple(bc))()])

    def perform(self, node, inputs, output_storage):
        try:
            out = np.concatenate(inputs, axis=self.axis)
        except ValueError as err:
            raise ValueError(f"{self}: cannot join shapes {[i.shape for i in inputs]}: "
                             f"{err}") from None
        output_storage[0][0] = out.astype(node.outputs[0].dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        axis = self.axis % node.outputs[0].ndim
        total = input_shapes[0][axis]
        for s in input_shapes[1:]:
            total = total + s[axis]
        return [tuple(total if d == axis else input_shapes[0][d]
                      for d in range(node.outputs[0].ndim))]

    def grad(self, inputs, outputs, output_grads):
        gz = output_grads[0]
        axis = self.axis % gz.ndim
        grads, start = [], 0
        for t in inputs:
            stop = start + t.shape[axis]
            if t.dtype in DISCRETE_DTYPES:
                grads.append(None)
            else:
                index = [slice(None)] * axis + [slice(start, stop)]
                g = gz[tuple(index)]
                from symtensor.tensor.basic import cast
                grads.append(patternbroadcast(cast(g, t.dtype), t.broadcastable))
            start = stop
        return grads
