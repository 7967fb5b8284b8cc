"""Walking graphs: ancestors, applies between inputs and outputs, topological order."""

from __future__ import annotations

from collections.abc import Iterable

from symtensor.graph.basic import Apply, Variable


def ancestors(outputs: Iterable[Variable], blockers: Iterable[Variable] = ()) -> list[Variable]:
    """Every variable that ``outputs`` depend on (``outputs`` included), depth first."""
    blocked = set(map(id, blockers))
    seen, order, stack = set(), [], list(outputs)[::-1]
    while stack:
        var = stack.pop()
        if id(var) in seen:
            continue
        seen.add(id(var))
        order.append(var)
        if var.owner is not None and id(var) not in blocked:
            stack.extend(reversed(var.owner.inputs))
    return order


def graph_inputs(outputs: Iterable[Variable], blockers: Iterable[Variable] = ()) -> list[Variable]:
    """The variables without owner (or blocked) that ``outputs`` depend on."""
    blocked = set(map(id, blockers))
    return [v for v in ancestors(outputs, blockers) if v.owner is None or id(v) in blocked]


def toposort(outputs: Iterable[Variable], inputs: Iterable[Variable] = ()) -> list[Apply]:
    """The applies needed for ``outputs`` given ``inputs``, each after its producers."""
    stop = set(map(id, inputs))
    order: list[Apply] = []
    done: set[int] = set()
    for out in outputs:
        stack = [(out, False)]
        while stack:
            var, expanded = stack.pop()
            node = var.owner
            if node is None or id(var) in stop or id(node) in done:
                continue
            if expanded:
                done.add(id(node))
                order.append(node)
                continue
            stack.append((var, True))
            for inp in reversed(node.inputs):
                if inp.owner is not None and id(inp.owner) not in done:
                    stack.append((inp, False))
    return order


def clone_graph(outputs: list[Variable], replace: dict | None = None) -> dict:
    """Copy every apply that ``outputs`` depend on; return the {old: new} variable map.

    ``replace`` maps variables to those that take their place in the copy; the graph
    above a replaced variable is not visited.  Free variables and constants are shared.
    """
    memo: dict = dict(replace or {})
    for node in toposort(outputs, list(memo)):
        new_node = node.clone_with_new_inputs([memo.get(i, i) for i in node.inputs],
                                              strict=False)
        memo.update(zip(node.outputs, new_node.outputs))
    return memo


def buffer_root(var, through_destroyers=True):
    """The variable that owns ``var``'s memory, following views (and in-place ops
    unless ``through_destroyers`` is False: then a destroyer's output is a new value)."""
    while var.owner is not None:
        op = var.owner.op
        src = op.view_map.get(var.index, [])
        if through_destroyers:
            src = src + op.destroy_map.get(var.index, [])
        if not src:
            return var
        var = var.owner.inputs[src[0]]
    return var
