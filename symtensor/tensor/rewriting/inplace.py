"""The ``inplace`` phase: elementwise and Gemm results written over a dead input's buffer.

Two kinds of buffer are dead at a node: an intermediate whose only reader is that
node, and a shared variable whose update the node computes (the SGD step
``W - lr * gW`` then overwrites ``W``'s storage).  The linker runs every other reader
of a destroyed buffer (and of its views) before the node that destroys it.
"""

from __future__ import annotations

from symtensor.compile.sharedvalue import SharedVariable
from symtensor.graph.basic import Constant
from symtensor.graph.rewriting import node_rewriter, register
from symtensor.graph.traversal import buffer_root
from symtensor.tensor.ops.blas import Gemm
from symtensor.tensor.ops.elemwise import Elemwise
from symtensor.tensor.ops.fusion import FusedElemwise
from symtensor.tensor.rewriting.elemwise import as_program


def _dead(fgraph, node, var):
    """Whether ``node`` may overwrite ``var``'s buffer."""
    out = node.outputs[0]
    if var.type != out.type or isinstance(var, Constant):
        return False
    if isinstance(var, SharedVariable):
        if any(buffer_root(o, False) is var for o in fgraph.outputs):
            return False  # outputs are collected after the update ran: keep the old value
        targets = getattr(fgraph, "update_targets", {})
        clients = fgraph.clients.get(out, [])
        return (len(clients) == 1 and clients[0][0] == "output"
                and targets.get(clients[0][1]) is var)
    if var.owner is None or var in fgraph.outputs:
        return False  # a function input, or a value the caller gets back
    if buffer_root(var) is not var:
        return False  # a view: the buffer belongs to someone else
    return len(fgraph.clients.get(var, [])) == 1


@register("inplace")
@node_rewriter([Elemwise, FusedElemwise])
def local_elemwise_inplace(fgraph, node):
    """fused(x, y) => fused{inplace=0}(x, y)  when x's buffer is dead after this node"""
    if getattr(node.op, "inplace", None) is not None:
        return None
    inputs, program = as_program(node)
    roots = [buffer_root(v) for v in inputs]
    for k, var in enumerate(inputs):
        if roots.count(roots[k]) > 1 or not _dead(fgraph, node, var):
            continue  # another input reads the same memory: it must not change under it
        return [FusedElemwise(tuple(program), inplace=k)(*inputs)]
    return None


@register("inplace")
@node_rewriter([Gemm])
def local_gemm_inplace(fgraph, node):
    """Gemm(z, a, x, y, b) => Gemm{inplace}(...)  when z's buffer is dead after this node
    and neither x nor y reads it"""
    if node.op.inplace:
        return None
    z, _, x, y, _ = node.inputs
    if buffer_root(z) in (buffer_root(x), buffer_root(y)) or not _dead(fgraph, node, z):
        return None
    return [Gemm(inplace=True)(*node.inputs)]
