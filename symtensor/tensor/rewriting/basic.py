"""Generic rewrites: constant folding."""

from __future__ import annotations

import numpy as np

from symtensor.graph.basic import Constant
from symtensor.graph.rewriting import node_rewriter, register
from symtensor.tensor.type import TensorType

_FOLD_LIMIT = 1 << 16  # elements; larger results stay computed at run time


@register("canonicalize")
@node_rewriter(None)
def constant_folding(fgraph, node):
    """op(constants...) => the constant it computes (when the op allows folding)."""
    if not node.inputs or not all(isinstance(i, Constant) for i in node.inputs):
        return None
    if not node.op.do_constant_folding(node) or node.op.destroy_map:
        return None
    storage = [[None] for _ in node.outputs]
    node.op.perform(node, [i.data for i in node.inputs], storage)
    outs = []
    for out, (value,) in zip(node.outputs, storage):
        value = np.asarray(value)
        if value.size > _FOLD_LIMIT or not isinstance(out.type, TensorType):
            return None
        outs.append(out.type.make_constant(value.copy()))
    return outs
