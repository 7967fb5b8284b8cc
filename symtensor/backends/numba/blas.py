"""BLAS thread control and the Dot kernel.

NumPy and SciPy (which Numba's ``np.dot`` calls) each bundle an OpenBLAS with its
own thread pool.  Its threads spin while they wait, so when other threads (Numba's,
or another process) share the cores, a small product on two BLAS threads runs tens
of times slower than on one (benchmarks/RESULTS.md).  Kernels therefore say how many
BLAS threads each call may use, and small products use one.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os

import numpy as np

from symtensor.backends.numba.dispatch import n_threads, numba_funcify
from symtensor.tensor.ops.blas import Dot

#: multiply-adds below which a product runs on one BLAS thread
SMALL_PRODUCT = 1 << 28


def _openblas_handles():
    """(get, set) thread-count functions of every bundled OpenBLAS that is loaded."""
    import scipy
    handles = []
    for pkg in (np, scipy):
        root = os.path.dirname(os.path.dirname(pkg.__file__))
        libdir = os.path.join(root, f"{pkg.__name__}.libs")
        for path in sorted(glob.glob(os.path.join(libdir, "*openblas*"))):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for prefix in ("scipy_openblas", "openblas"):
                for suffix in ("64_", ""):
                    get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                    set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                    if get is not None and set_ is not None:
                        handles.append((get, set_))
                        break
                else:
                    continue
                break
    return handles


_HANDLES: list = []


def _handles():
    if not _HANDLES:
        _HANDLES.append(_openblas_handles())
    return _HANDLES[0]


@contextlib.contextmanager
def blas_threads(n: int):
    """Run the block with every bundled OpenBLAS limited to ``n`` threads."""
    handles = _handles()
    old = [get() for get, _ in handles]
    for _, set_ in handles:
        set_(n)
    try:
        yield
    finally:
        for (_, set_), k in zip(handles, old):
            set_(k)


def dot_threads(m: int, k: int, n: int) -> int:
    return 1 if m * k * n < SMALL_PRODUCT else n_threads()


@numba_funcify.register(Dot)
def _funcify_dot(op, node):
    dtype = node.outputs[0].dtype

    def kernel(x, y):
        if x.shape[-1] != y.shape[0]:
            raise ValueError(f"dot: shapes {x.shape} and {y.shape} are not aligned "
                             f"({x.shape[-1]} != {y.shape[0]})")
        m = x.shape[0] if x.ndim == 2 else 1
        n = y.shape[1] if y.ndim == 2 else 1
        with blas_threads(dot_threads(m, x.shape[-1], n)):
            out = np.dot(x, y)
        return (np.asarray(out, dtype=dtype),)
    return kernel
