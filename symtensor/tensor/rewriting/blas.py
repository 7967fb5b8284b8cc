"""``z +- a * dot(x, y)`` into one Gemm (the ``specialize`` phase).

Registered before elementwise fusion, which would otherwise absorb the scale and the
subtraction.  The SGD step of a weight matrix, ``W - lr * dot(x.T, gz)``, becomes
``Gemm(W, -lr, x.T, gz, 1)``; the ``inplace`` phase then lets it accumulate into
``W``'s storage (``symtensor.tensor.rewriting.inplace``).
"""

from __future__ import annotations

from symtensor.graph.basic import Constant
from symtensor.graph.rewriting import node_rewriter, register
from symtensor.tensor.ops.blas import Dot, Gemm
from symtensor.tensor.ops.elemwise import DimShuffle, Elemwise

_FLOATS = ("float32", "float64")


def _single_client(fgraph, var) -> bool:
    return var not in fgraph.outputs and len(fgraph.clients.get(var, [])) == 1


def _as_scalar(var):
    """A 0-d variable equal to ``var`` when ``var`` holds one broadcast value, else None."""
    if var.ndim == 0:
        return var
    if not all(var.broadcastable):
        return None
    if isinstance(var, Constant) and var.data.size == 1:
        from symtensor.tensor.basic import constant
        return constant(var.data.reshape(()), dtype=var.dtype)
    node = var.owner
    if node is not None and isinstance(node.op, DimShuffle) and node.inputs[0].ndim == 0:
        return node.inputs[0]
    return None


def _scaled_dot(fgraph, var):
    """``(scale, x, y)`` when ``var`` is ``dot(x, y)`` or ``a * dot(x, y)`` (in any order)
    that nothing else reads, else None; ``scale`` is a 0-d variable or None for 1."""
    node = var.owner
    if node is None or not _single_client(fgraph, var):
        return None
    if isinstance(node.op, Dot):
        x, y = node.inputs
        return (None, x, y) if x.ndim == y.ndim == 2 else None
    if not (isinstance(node.op, Elemwise) and node.op.scalar_op.name == "mul"
            and len(node.inputs) == 2):
        return None
    for k in (0, 1):
        scale, prod = _as_scalar(node.inputs[k]), node.inputs[1 - k]
        if scale is None or prod.type != var.type:
            continue
        found = _scaled_dot(fgraph, prod)
        if found is not None and found[0] is None:
            return scale, found[1], found[2]
    return None


@register("specialize")
@node_rewriter([Elemwise])
def local_dot_to_gemm(fgraph, node):
    """z - a * dot(x, y) => Gemm(z, -a, x, y, 1)  (likewise z + a * dot(x, y), z +- dot(x, y))"""
    name = node.op.scalar_op.name
    out = node.outputs[0]
    if name not in ("add", "sub") or len(node.inputs) != 2 or out.ndim != 2:
        return None
    if out.dtype not in _FLOATS:
        return None
    from symtensor.tensor.basic import cast, constant
    for k in ((0, 1) if name == "add" else (0,)):
        z, term = node.inputs[k], node.inputs[1 - k]
        found = _scaled_dot(fgraph, term)
        if found is None or z.type != out.type or term.type != out.type:
            continue  # z broadcast along an axis (a bias row) is no GEMM
        scale, x, y = found
        if x.dtype != out.dtype or y.dtype != out.dtype:
            continue  # dot upcast mixed inputs: BLAS wants one dtype
        one = constant(1, dtype=out.dtype)
        alpha = one if scale is None else cast(scale, out.dtype)
        if name == "sub":
            alpha = -alpha
        return [Gemm()(z, alpha, x, y, one)]
    return None
