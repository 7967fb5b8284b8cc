"""Printing graphs: ``debugprint`` (a text tree with types) and ``pp``."""

from __future__ import annotations

import io
import string
import sys

from symtensor.graph.basic import Constant, Variable


def _ids():
    n = 0
    while True:
        k, s = n, ""
        while True:
            s = string.ascii_uppercase[k % 26] + s
            k = k // 26 - 1
            if k < 0:
                break
        yield s
        n += 1


def debugprint(obj, file=None, print_type=True, ids="CHAR", depth=-1, done=None):
    """Print the graph of a variable, a list of variables or a compiled function.

    Each line is an apply (op, id, output name) or a leaf, children indented with
    ``|``; a node already printed is shown by its id only.  Returns the text when
    ``file='str'``.
    """
    from symtensor.compile.function import Function
    if isinstance(obj, Function):
        roots = list(obj.fgraph.outputs)
    elif isinstance(obj, Variable):
        roots = [obj]
    elif isinstance(obj, list | tuple):
        roots = list(obj)
    else:
        raise TypeError(f"debugprint: expected a variable, list or function, got {obj!r}")
    out = io.StringIO()
    names: dict = {}
    gen = _ids()

    def label(var):
        key = var.owner if var.owner is not None else var
        if key not in names:
            names[key] = next(gen)
        return names[key]

    def walk(var, prefix, level):
        typ = f" <{var.type}>" if print_type else ""
        if var.owner is None:
            kind = "constant " if isinstance(var, Constant) else ""
            out.write(f"{prefix}{kind}{var} [id {label(var)}]{typ}\n")
            return
        node = var.owner
        seen = node in names
        idx = f".{var.index}" if len(node.outputs) > 1 else ""
        name = f" '{var.name}'" if var.name else " ''"
        out.write(f"{prefix}{node.op}{idx} [id {label(var)}]{name}{typ}\n")
        if seen or level == depth:
            return
        for inp in node.inputs:
            walk(inp, prefix + " |", level + 1)

    for r in roots:
        walk(r, "", 0)
    text = out.getvalue()
    if file == "str":
        return text
    (file or sys.stdout).write(text)
    return file


def pp(var) -> str:
    """A one-line infix rendering of a variable's graph."""
    if var.owner is None:
        return str(var)
    return f"{var.owner.op}({', '.join(pp(i) for i in var.owner.inputs)})"
