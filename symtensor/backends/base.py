"""The linker: storage cells, one thunk per apply, and the loop that runs them.

Every variable gets a one-element list (a cell).  Inputs are written into their cells,
shared variables use their container's cell directly, constants are filled once, and
each thunk reads its inputs' cells and writes its outputs' cells.
"""

from __future__ import annotations

import time

from symtensor.graph.basic import Constant


def thunk_maker(linker: str):
    if linker == "py":
        from symtensor.backends.python import perform_thunk
        return perform_thunk
    if linker == "numba":
        from symtensor.backends.numba import numba_thunk
        return numba_thunk
    if linker == "cuda":
        try:
            from symtensor_cuda.linker import cuda_thunk
        except ImportError as err:
            raise RuntimeError(f"the cuda linker needs symtensor_cuda and PyCUDA: {err}") from None
        return cuda_thunk
    raise ValueError(f"unknown linker {linker!r}")


def schedule(fgraph):
    """A topological order in which every node that overwrites a buffer (destroy_map)
    runs after all other readers of that buffer and of its views."""
    from symtensor.graph.traversal import buffer_root
    order = fgraph.toposort()
    destroyers = [n for n in order if n.op.destroy_map]
    if not destroyers:
        return order
    readers: dict = {}
    for node in order:
        for inp in node.inputs:
            readers.setdefault(buffer_root(inp, False), set()).add(node)
    extra = {n: set() for n in order}  # node -> nodes that must run before it
    for d in destroyers:
        for idxs in d.op.destroy_map.values():
            for i in idxs:
                extra[d] |= readers.get(buffer_root(d.inputs[i], False), set()) - {d}
    position = {n: k for k, n in enumerate(order)}
    preds = {n: {i.owner for i in n.inputs if i.owner in position} | extra[n] for n in order}
    done, result = set(), []
    pending = list(order)
    while pending:
        ready = [n for n in pending if preds[n] <= done]
        if not ready:
            raise RuntimeError("schedule: in-place ops form a cycle; this is a rewrite bug")
        for n in ready:
            done.add(n)
            result.append(n)
        pending = [n for n in pending if n not in done]
    return result


def link(fgraph, linker: str, cells_of_inputs: dict):
    """Build cells and thunks for ``fgraph``; returns ``(order, thunks, cells)``.

    ``cells_of_inputs`` maps input variables to the cells they must use (shared
    variables pass their container's cell).
    """
    cells: dict = dict(cells_of_inputs)
    for var in fgraph.variables():
        if var not in cells:
            cells[var] = [var.data] if isinstance(var, Constant) else [None]
    make = thunk_maker(linker)
    order = schedule(fgraph)
    thunks = [make(node, [cells[i] for i in node.inputs], [cells[o] for o in node.outputs])
              for node in order]
    return order, thunks, cells


class Profile:
    """Per-op time table collected by ``function(..., profile=True)``."""

    def __init__(self, name):
        self.name = name
        self.calls = 0
        self.times: dict = {}

    def wrap(self, thunk, node):
        key = str(node.op)
        self.times.setdefault(key, [0, 0.0])

        def timed():
            t0 = time.perf_counter()
            thunk()
            entry = self.times[key]
            entry[0] += 1
            entry[1] += time.perf_counter() - t0
        return timed

    def summary(self, file=None) -> str:
        total = sum(t for _, t in self.times.values()) or 1e-12
        lines = [f"Profile of {self.name or 'function'}: {self.calls} calls, "
                 f"{total:.4f} s in ops",
                 f"{'op':<48} {'calls':>7} {'total s':>9} {'mean ms':>9} {'share':>6}"]
        for key, (n, t) in sorted(self.times.items(), key=lambda kv: -kv[1][1]):
            lines.append(f"{key[:48]:<48} {n:>7} {t:>9.4f} {1e3 * t / max(n, 1):>9.3f} "
                         f"{100 * t / total:>5.1f}%")
        text = "\n".join(lines)
        if file is not None:
            print(text, file=file)
        return text
