"""Shape rewrites (``canonicalize``): compute shapes from ``infer_shape`` instead of
from values, so that ``zeros_like(f(x))`` and ``f(x).shape`` need not run ``f``."""

from __future__ import annotations

import numpy as np

from symtensor.graph.basic import Variable
from symtensor.graph.rewriting import node_rewriter, register
from symtensor.tensor.ops.elemwise import Elemwise
from symtensor.tensor.ops.shape import Alloc, MakeVector, Shape, patternbroadcast
from symtensor.tensor.ops.subtensor import Subtensor


def _input_shape(var):
    """A tuple of symbolic scalars (1 where broadcastable) for ``var``'s shape."""
    from symtensor.tensor.basic import shape
    shp = shape(var)
    return tuple(1 if bc else shp[d] for d, bc in enumerate(var.broadcastable))


def _as_int64_scalar(entry):
    from symtensor.tensor.basic import as_tensor_variable, cast
    var = as_tensor_variable(int(entry) if isinstance(entry, int | np.integer) else entry)
    if var.ndim != 0:
        return None
    return cast(var, "int64")


@register("canonicalize", "specialize")
@node_rewriter([Shape])
def local_shape_lift(fgraph, node):
    """shape(op(x, ...)) => make_vector(op.infer_shape(shape(x), ...))"""
    var = node.inputs[0]
    owner = var.owner
    if owner is None or isinstance(owner.op, Shape):
        return None
    try:
        shapes = owner.op.infer_shape(fgraph, owner, [_input_shape(i) if i.type.__class__.__name__
                                                      == "TensorType" else None
                                                      for i in owner.inputs])
    except (NotImplementedError, AttributeError, TypeError):
        return None
    entries = [_as_int64_scalar(e) for e in shapes[var.index]]
    if len(entries) != var.ndim or any(e is None for e in entries):
        return None
    return [MakeVector("int64")(*entries)]


@register("canonicalize", "specialize")
@node_rewriter([Subtensor])
def local_subtensor_of_make_vector(fgraph, node):
    """make_vector(a, b, c)[1] => b"""
    vec = node.inputs[0]
    if vec.owner is None or not isinstance(vec.owner.op, MakeVector):
        return None
    idx = node.op.idx_list
    if len(idx) != 1 or not isinstance(idx[0], int):
        return None
    items = vec.owner.inputs
    if not -len(items) <= idx[0] < len(items):
        return None
    item = items[idx[0]]
    return [item] if item.type == node.outputs[0].type else None


@register("canonicalize")
@node_rewriter([Elemwise])
def local_fill_to_alloc(fgraph, node):
    """second(x, c) => alloc(c, *shape(x))  (for a fully broadcastable c; x's values
    are not needed, only its shape)"""
    if node.op.scalar_op.name != "second":
        return None
    x, c = node.inputs
    if not all(c.broadcastable) or not isinstance(x, Variable):
        return None
    from symtensor.tensor.basic import shape
    scalar = c.dimshuffle([]) if c.ndim else c
    shp = shape(x)
    out = Alloc()(scalar, *[1 if bc else shp[d] for d, bc in enumerate(x.broadcastable)])
    out = patternbroadcast(out, node.outputs[0].broadcastable)
    return [out] if out.type == node.outputs[0].type else None
