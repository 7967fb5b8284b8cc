"""``numba_funcify``: the single registry from op classes to Numba-backed kernels.

A registered function takes ``(op, node)`` and returns ``kernel(*input_arrays)`` that
returns a tuple of output arrays (static op parameters are bound in the closure).
"""

from __future__ import annotations

from functools import singledispatch

from symtensor.backends.python import perform_thunk


def n_threads() -> int:
    """Threads for kernels: config.numba_threads, or every core when it is 0."""
    import os

    from symtensor.config import config
    return config.numba_threads or os.cpu_count() or 1


@singledispatch
def numba_funcify(op, node):
    """The kernel for ``node``, or None when ``type(op)`` has none registered."""
    return None


def has_kernel(op_class) -> bool:
    return numba_funcify.dispatch(op_class) is not numba_funcify.dispatch(object)


def numba_thunk(node, in_cells, out_cells):
    """A thunk running the registered kernel, or the op's perform when there is none."""
    kernel = numba_funcify(node.op, node)
    if kernel is None:
        return perform_thunk(node, in_cells, out_cells)
    n_out = len(out_cells)

    def thunk():
        outs = kernel(*[c[0] for c in in_cells])
        for i in range(n_out):
            out_cells[i][0] = outs[i]
    thunk.op = node.op
    return thunk
