"""Elementwise rewrites: fusion of elementwise chains into one FusedElemwise."""

from __future__ import annotations

from symtensor.graph.rewriting import node_rewriter, register
from symtensor.tensor.ops.elemwise import DimShuffle, Elemwise
from symtensor.tensor.ops.fusion import FusedElemwise

MAX_STEPS = 32
MAX_INPUTS = 16


def as_program(node):
    """``(inputs, program)`` of an Elemwise or FusedElemwise node."""
    if isinstance(node.op, FusedElemwise):
        return list(node.inputs), list(node.op.program)
    return list(node.inputs), [(node.op.scalar_op.name, tuple(range(len(node.inputs))))]


def inline(inputs, program, k, p_inputs, p_program):
    """Substitute input ``k`` of (inputs, program) by the program producing it."""
    new_inputs = [v for j, v in enumerate(inputs) if j != k]
    for v in p_inputs:
        if v not in new_inputs:
            new_inputs.append(v)
    n = len(new_inputs)
    steps = []
    p_map = [new_inputs.index(v) for v in p_inputs]
    for name, refs in p_program:
        steps.append((name, tuple(p_map[r] if r < len(p_inputs) else n + r - len(p_inputs)
                                  for r in refs)))
    produced = n + len(p_program) - 1
    c_map = [produced if j == k else new_inputs.index(v) for j, v in enumerate(inputs)]
    base = n + len(p_program)
    for name, refs in program:
        steps.append((name, tuple(c_map[r] if r < len(inputs) else base + r - len(inputs)
                                  for r in refs)))
    return new_inputs, steps


@register("specialize")
@node_rewriter([Elemwise, FusedElemwise])
def local_elemwise_fusion(fgraph, node):
    """e2(e1(x), y) => Fused{e1,e2}(x, y) when e1's output has no other client.

    Inputs produced by elementwise nodes that only this node uses are pulled in, so a
    chain like ``gz * (1 - z * z)`` becomes one pass over memory.
    """
    inputs, program = as_program(node)
    changed = False
    k = 0
    while k < len(inputs):
        var = inputs[k]
        producer = var.owner
        clients = fgraph.clients.get(var, [])
        if (producer is None or not isinstance(producer.op, Elemwise | FusedElemwise)
                or len(clients) != 1 or var.ndim != node.outputs[0].ndim):
            k += 1
            continue
        p_inputs, p_program = as_program(producer)
        new_inputs, new_program = inline(inputs, program, k, p_inputs, p_program)
        if len(new_program) > MAX_STEPS or len(new_inputs) > MAX_INPUTS:
            k += 1
            continue
        inputs, program, changed = new_inputs, new_program, True
        k = 0
    if not changed:
        return None
    out = FusedElemwise(tuple(program))(*inputs)
    if out.type != node.outputs[0].type:
        return None
    return [out]


@register("canonicalize", "specialize")
@node_rewriter([DimShuffle])
def local_dimshuffle_merge(fgraph, node):
    """ds2(ds1(x)) => ds(x);  dimshuffle(0, 1, ..., n-1)(x) => x"""
    x = node.inputs[0]
    order = node.op.new_order
    inner = x.owner
    if inner is not None and isinstance(inner.op, DimShuffle):
        first = inner.op.new_order
        merged = tuple("x" if d == "x" else first[d] for d in order)
        base = inner.inputs[0]
        if merged == tuple(range(base.ndim)):
            return [base] if base.type == node.outputs[0].type else None
        return [DimShuffle(base.broadcastable, merged)(base)]
    if order == tuple(range(x.ndim)):
        return [x]
    return None


@register("canonicalize")
@node_rewriter([DimShuffle])
def local_dimshuffle_lift(fgraph, node):
    """ds(e(x, y)) => e(ds(x), ds(y))  when ds only adds or drops broadcastable axes and
    nothing else reads e(x, y): dimshuffles move to the inputs, where they merge with
    others or fold into constants, and the elementwise chain above stays fusable.
    Reordering dimshuffles (transposes) stay put: lifting them would make the
    elementwise kernel read its inputs against their memory order."""
    e = node.inputs[0]
    order = node.op.new_order
    kept = [d for d in order if d != "x"]
    if e.owner is None or not isinstance(e.owner.op, Elemwise) or kept != sorted(kept):
        return None
    if e in fgraph.outputs or len(fgraph.clients.get(e, [])) != 1:
        return None
    if any(v.ndim != e.ndim for v in e.owner.inputs):
        return None
    lifted = e.owner.op(*[DimShuffle(v.broadcastable, order)(v) for v in e.owner.inputs])
    return [lifted] if lifted.type == node.outputs[0].type else None


@register("canonicalize")
@node_rewriter([Elemwise])
def local_useless_cast(fgraph, node):
    """cast{d}(x) => x  when x already has dtype d"""
    name = node.op.scalar_op.name
    if name.startswith("cast_") and node.inputs[0].type == node.outputs[0].type:
        return [node.inputs[0]]
    return None
