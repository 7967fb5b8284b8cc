"""FusedElemwise: a chain of elementwise ops computed in one pass.

The fusion rewrite (``tensor/rewriting/elemwise.py``) builds it from a tree of
Elemwise nodes.  ``program`` is a tuple of steps ``(scalar_op_name, refs)``: values
``0 .. n_inputs - 1`` are the inputs, each step appends one value, the last is the
output.  ``perform`` runs the steps with NumPy (the readable reference); backends
compile the whole program into one loop.
"""

from __future__ import annotations

import numpy as np

from symtensor.graph.basic import Apply
from symtensor.graph.op import Op
from symtensor.tensor.ops.elemwise import Elemwise
from symtensor.tensor.ops.scalar import get_scalar_op
from symtensor.tensor.type import FLOAT_DTYPES, TensorType


def program_dtypes(program, in_dtypes):
    """The dtype of every value of ``program`` given the input dtypes."""
    dtypes = list(in_dtypes)
    for name, refs in program:
        dtypes.append(get_scalar_op(name).out_dtype(*[dtypes[r] for r in refs]))
    return dtypes


class FusedElemwise(Op):
    """Several Elemwise ops on same-ndim inputs, evaluated as one (see module doc)."""

    __props__ = ("program", "inplace")

    def __init__(self, program, inplace=None):
        self.program = tuple((name, tuple(refs)) for name, refs in program)
        if not self.program:
            raise ValueError("FusedElemwise: empty program")
        #: index of the input whose buffer receives the output (the inplace phase sets it)
        self.inplace = inplace
        self.destroy_map = {0: [inplace]} if inplace is not None else {}

    def __str__(self):
        mark = f",inplace={self.inplace}" if self.inplace is not None else ""
        return "Fused{" + ",".join(name for name, _ in self.program) + mark + "}"

    def make_node(self, *inputs):
        from symtensor.tensor.basic import as_tensor_variable
        inputs = [as_tensor_variable(i) for i in inputs]
        ndims = {i.ndim for i in inputs}
        if len(ndims) != 1:
            raise TypeError(f"{self}: inputs must have the same ndim, got {sorted(ndims)}")
        n = len(inputs)
        for k, (_, refs) in enumerate(self.program):
            if any(r >= n + k for r in refs):
                raise ValueError(f"{self}: step {k} refers to a value not computed yet")
        dtype = program_dtypes(self.program, [i.dtype for i in inputs])[-1]
        bc = tuple(all(f) for f in zip(*[i.broadcastable for i in inputs]))
        return Apply(self, inputs, [TensorType(dtype, bc)()])

    def perform(self, node, inputs, output_storage):
        Elemwise._check_shapes(self, node, inputs)
        dtypes = program_dtypes(self.program, [v.dtype for v in node.inputs])
        vals = list(inputs)
        with np.errstate(all="ignore"):
            for (name, refs), dtype in zip(self.program, dtypes[len(inputs):]):
                args = [vals[r] for r in refs]
                if dtype in FLOAT_DTYPES and name != "switch":
                    args = [np.asarray(a, dtype=dtype) if np.asarray(a).dtype.kind in "biu"
                            else a for a in args]
                vals.append(np.asarray(get_scalar_op(name).impl(*args)).astype(dtype,
                                                                                 copy=False))
        out = vals[-1]
        shape = np.broadcast_shapes(*[np.shape(v) for v in inputs])
        if self.inplace is not None:
            target = inputs[self.inplace]
            target[...] = out
            out = target
        elif out.shape != shape:
            out = np.broadcast_to(out, shape).copy()
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, input_shapes):
        return Elemwise.infer_shape(self, fgraph, node, input_shapes)

    def expand(self, inputs):
        """The same computation as a graph of Elemwise ops."""
        vals = list(inputs)
        for name, refs in self.program:
            vals.append(Elemwise(get_scalar_op(name))(*[vals[r] for r in refs]))
        return vals[-1]

    def grad(self, inputs, outputs, output_grads):
        from symtensor.gradient import grad
        out = self.expand(inputs)
        return grad(None, list(inputs), known_grads={out: output_grads[0]},
                    disconnected_inputs="ignore", return_disconnected=None)
