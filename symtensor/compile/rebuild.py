"""Preparing a graph for compilation: givens, shared variables and update checks."""

from __future__ import annotations

from collections import OrderedDict

from symtensor.compile.sharedvalue import SharedVariable
from symtensor.graph.basic import Constant, Variable
from symtensor.graph.traversal import clone_graph, graph_inputs


def _pairs(mapping, what):
    if mapping is None:
        return []
    if isinstance(mapping, dict):
        if not isinstance(mapping, OrderedDict) and len(mapping) > 1 and what == "updates":
            pass  # plain dicts keep insertion order in Python 3.7+
        return list(mapping.items())
    try:
        pairs = [tuple(p) for p in mapping]
    except TypeError:
        raise TypeError(f"function: {what} must be a dict or a list of pairs, got "
                        f"{type(mapping).__name__}") from None
    for p in pairs:
        if len(p) != 2:
            raise TypeError(f"function: each of {what} must be a (variable, expression) pair, "
                            f"got {p!r}")
    return pairs


def check_givens(givens):
    """Givens as a {variable: replacement} dict, types checked."""
    from symtensor.tensor.basic import as_tensor_variable
    out = {}
    for var, repl in _pairs(givens, "givens"):
        if not isinstance(var, Variable):
            raise TypeError(f"givens: keys must be symbolic variables, got {var!r}")
        repl = as_tensor_variable(repl) if not isinstance(repl, Variable) else repl
        if repl.type != var.type:
            converted = var.type.convert_variable(repl)
            if converted is None:
                raise TypeError(f"givens: cannot replace {var} of type {var.type} by {repl} of "
                                f"type {repl.type}; cast the replacement to {var.type}")
            repl = converted
        out[var] = repl
    return out


def check_updates(updates):
    """Updates as a list of (shared variable, expression of the same type)."""
    from symtensor.tensor.basic import as_tensor_variable
    out, seen = [], set()
    for var, expr in _pairs(updates, "updates"):
        if not isinstance(var, SharedVariable):
            raise TypeError(f"updates: {var} is not a shared variable; only shared variables "
                            "can be updated")
        if var in seen:
            raise ValueError(f"updates: shared variable {var} has two update expressions")
        seen.add(var)
        expr = expr if isinstance(expr, Variable) else as_tensor_variable(expr)
        if expr.type != var.type:
            converted = var.type.convert_variable(expr)
            if converted is None:
                raise TypeError(
                    f"updates: the update of {var} must have its type {var.type}, got {expr} of "
                    f"type {expr.type}; cast it (T.cast(expr, '{var.dtype}')) or, for "
                    "broadcastable dims, use T.unbroadcast / T.addbroadcast")
            expr = converted
        out.append((var, expr))
    return out


def rebuild(inputs, outputs, updates, givens):
    """Clone the graph with givens applied.

    Returns the cloned outputs, the cloned update expressions and the shared
    variables the graph reads (in a stable order).
    """
    exprs = list(outputs) + [e for _, e in updates]
    memo = clone_graph(exprs, givens)
    new_exprs = [memo.get(e, e) for e in exprs]
    shared = [v for v in graph_inputs(new_exprs) if isinstance(v, SharedVariable)
              and v not in inputs]
    for var, _ in updates:
        if var not in shared:
            shared.append(var)
    free = [v for v in graph_inputs(new_exprs) if not isinstance(v, Constant | SharedVariable)
            and v not in inputs]
    return new_exprs[: len(outputs)], new_exprs[len(outputs):], shared, free
