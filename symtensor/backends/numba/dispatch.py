"""``numba_funcify``: the single registry from op classes to Numba-backed kernels.

A registered function takes ``(op, node)`` and returns ``kernel(*input_arrays)`` that
returns a tuple of output arrays (static op parameters are bound in the closure).
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from functools import singledispatch

from symtensor.backends.python import perform_thunk


def n_threads() -> int:
    """Threads for kernels: config.numba_threads, or every core when it is 0."""
    from symtensor.config import config
    return config.numba_threads or os.cpu_count() or 1


_POOLS: dict[tuple[int, int], ThreadPoolExecutor] = {}


def thread_pool(n: int) -> ThreadPoolExecutor:
    """The shared pool of ``n`` worker threads (one per thread count asked for).

    Keyed by process id too: a forked child inherits the parent's pool object but not
    its threads, and work submitted there would wait forever."""
    key = (os.getpid(), n)
    pool = _POOLS.get(key)
    if pool is None:
        pool = _POOLS[key] = ThreadPoolExecutor(max_workers=n, thread_name_prefix="symtensor")
    return pool


#: below this many elements touched, a kernel runs on the calling thread
PARALLEL_MIN_WORK = 1 << 15
#: chunks per thread: a few, so that a worker on a busy core holds up less
CHUNKS_PER_THREAD = 4


def chunk_count(n_items: int, work: int) -> int:
    """How many chunks ``run_chunks`` should cut ``n_items`` into for ``work`` elements."""
    if work < PARALLEL_MIN_WORK:
        return 1
    return max(1, min(n_items, CHUNKS_PER_THREAD * n_threads()))


def run_chunks(n_items: int, task, n_chunks: int) -> None:
    """Run ``task(lo, hi, i)`` over ``n_chunks`` contiguous chunks ``i`` of ``range(n_items)``.

    Kernels are serial ``nogil`` Numba functions, so threads run them in parallel:
    the calling thread and ``n_threads() - 1`` pool workers take chunks in turn until
    none are left (a thread on a busy core takes fewer).  Exceptions propagate once
    every thread has stopped; ``i`` lets a task write to its own slot, so results
    combined in chunk order do not depend on timing.
    """
    n_chunks = max(1, min(n_chunks, n_items))
    bounds = [i * n_items // n_chunks for i in range(n_chunks + 1)]
    threads = min(n_threads(), n_chunks)
    if threads == 1:
        for i in range(n_chunks):
            task(bounds[i], bounds[i + 1], i)
        return
    next_chunk = itertools.count().__next__  # atomic under the GIL

    def drain():
        i = next_chunk()
        while i < n_chunks:
            task(bounds[i], bounds[i + 1], i)
            i = next_chunk()

    pool = thread_pool(threads - 1)
    futures = [pool.submit(drain) for _ in range(threads - 1)]
    try:
        drain()
    finally:
        for f in futures:
            f.exception()  # wait: the workers may still be writing
    for f in futures:
        f.result()


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
