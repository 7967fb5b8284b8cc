"""BLAS for the Numba backend: thread control, ``gemm`` for kernels, Dot and Gemm.

NumPy and SciPy (which Numba's ``np.dot`` calls) each bundle an OpenBLAS with its
own thread pool.  Its threads spin while they wait, so when other threads (ours,
or another process) share the cores, a small product on two BLAS threads runs tens
of times slower than on one (benchmarks/RESULTS.md).  BLAS therefore runs on one
thread inside our kernels, and large products are split by rows over our own threads
(``matmul_split``), which sleep when idle.  ``gemm`` is the one entry to xGEMM from
Numba code: it scales, accumulates and writes into strided views, which ``np.dot``
cannot.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os

import numba
import numpy as np
from numba.core import types
from numba.np.linalg import ensure_blas

from symtensor.backends.numba.dispatch import n_threads, numba_funcify, run_chunks
from symtensor.tensor.ops.blas import Dot, Gemm, check_gemm_shapes

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


ensure_blas()  # binds Numba's GEMM helper to SciPy's BLAS (cached kernels skip np.dot's typing)
_XXGEMM = types.ExternalFunction("numba_xxgemm", types.intc(
    types.char, types.char, types.char, types.intp, types.intp, types.intp,  # kind, ta, tb, m, n, k
    types.voidptr, types.voidptr, types.intp, types.voidptr, types.intp,  # alpha, a, lda, b, ldb
    types.voidptr, types.voidptr, types.intp))  # beta, c, ldc


@numba.njit(nogil=True, cache=True)
def _leading(arr, size):
    """BLAS leading dimension of a row-major 2-d view (its row stride, in elements)."""
    if arr.shape[0] <= 1:
        return max(arr.shape[1], 1)
    if arr.strides[0] % size or arr.strides[0] < arr.shape[1] * size:
        raise ValueError("gemm: operand rows overlap or are misaligned")
    return max(arr.strides[0] // size, 1)


@numba.njit(nogil=True, cache=True)
def gemm(trans_a, trans_b, alpha, a, b, beta, c):
    """``c = alpha * op(a) @ op(b) + beta * c`` in place, ``op`` transposing when asked.

    For Numba kernels: unlike ``np.dot`` it accumulates (``beta``), writes into views
    and takes row-strided 2-d views of a larger buffer.  Every operand must be 2-d with
    unit stride along its last axis and share ``c``'s dtype (float32 or float64).
    """
    m, n = c.shape
    am, k = (a.shape[1], a.shape[0]) if trans_a else (a.shape[0], a.shape[1])
    bk, bn = (b.shape[1], b.shape[0]) if trans_b else (b.shape[0], b.shape[1])
    if am != m or bk != k or bn != n:
        raise ValueError("gemm: operand shapes do not match")
    size = c.itemsize
    if a.itemsize != size or b.itemsize != size:
        raise ValueError("gemm: operands must share the output's dtype")
    if a.strides[1] != size or b.strides[1] != size or c.strides[1] != size:
        raise ValueError("gemm: operands need unit stride along their last axis")
    if m == 0 or n == 0:
        return
    lda, ldb, ldc = _leading(a, size), _leading(b, size), _leading(c, size)
    scalars = np.empty(2, c.dtype)
    scalars[0] = alpha
    scalars[1] = beta
    if k == 0:  # BLAS may skip the beta scaling when k == 0
        for i in range(m):
            for j in range(n):  # beta == 0 must not keep NaN garbage: no c *= 0
                c[i, j] = 0 if beta == 0 else c[i, j] * scalars[1]
        return
    # row-major c = op(a) op(b) is column-major c^T = op(b)^T op(a)^T
    status = _XXGEMM(ord("s") if size == 4 else ord("d"),
                     ord("t") if trans_b else ord("n"), ord("t") if trans_a else ord("n"),
                     n, m, k, scalars[0:1].ctypes, b.ctypes, ldb, a.ctypes, lda,
                     scalars[1:2].ctypes, c.ctypes, ldc)
    if status < 0:
        raise RuntimeError("gemm: SciPy's BLAS is not available")


def dot_threads(m: int, k: int, n: int) -> int:
    return 1 if m * k * n < SMALL_PRODUCT else n_threads()


#: multiply-adds from which a matrix product is split by rows over our threads
SPLIT_PRODUCT = 1 << 22


@numba.njit(nogil=True, cache=True)
def _gemm_rows(trans_a, trans_b, alpha, a, b, beta, c, lo, hi):
    """Rows ``lo:hi`` of ``c = alpha * op(a) @ op(b) + beta * c``.  Every view is sliced
    on both axes ('A' layout), so one compiled ``gemm`` serves every call (see conv.py)."""
    if trans_a:
        av = a[:, lo:hi]
    else:
        av = a[lo:hi, :a.shape[1]]
    gemm(trans_a, trans_b, alpha, av, b[:, :b.shape[1]], beta, c[lo:hi, :c.shape[1]])


def _blas_operand(m: np.ndarray) -> tuple[np.ndarray, bool]:
    """``(stored, transposed)`` with ``op(stored) == m`` and ``stored`` row-major."""
    size = m.itemsize
    if m.strides[1] == size and (m.shape[0] <= 1 or m.strides[0] >= m.shape[1] * size):
        return m, False
    if m.strides[0] == size and (m.shape[1] <= 1 or m.strides[1] >= m.shape[0] * size):
        return m.T, True
    return np.ascontiguousarray(m), False


def matmul_split(x: np.ndarray, y: np.ndarray, out: np.ndarray | None = None,
                 alpha: float = 1.0, beta: float = 0.0) -> np.ndarray:
    """``alpha * x @ y + beta * out`` (into ``out``; a new array when it is None) for 2-d
    float arrays of one dtype, rows spread over ``n_threads()`` threads each running
    single-threaded BLAS: unlike OpenBLAS' own threads, ours sleep when idle, so a busy
    machine costs a share of the time, not 5x.  ``beta == 0`` ignores ``out``'s values."""
    m, n = x.shape[0], y.shape[1]
    if out is None:
        out, beta = np.empty((m, n), dtype=x.dtype), 0.0
    target = out
    stored, transposed = _blas_operand(out)
    if transposed or stored is not out:  # BLAS cannot write there: go through a copy
        target = np.ascontiguousarray(out) if beta != 0 else np.empty((m, n), out.dtype)
    (a, ta), (b, tb) = _blas_operand(x), _blas_operand(y)
    chunks = min(n_threads(), max(1, m // 64)) if m * x.shape[1] * n >= SPLIT_PRODUCT else 1
    with blas_threads(1):
        run_chunks(m, lambda lo, hi, _: _gemm_rows(ta, tb, alpha, a, b, beta, target, lo, hi),
                   chunks)
    if target is not out:
        out[...] = target
    return out


@numba_funcify.register(Dot)
def _funcify_dot(op, node):
    dtype = node.outputs[0].dtype

    def kernel(x, y):
        if x.shape[-1] != y.shape[0]:
            raise ValueError(f"dot: shapes {x.shape} and {y.shape} are not aligned "
                             f"({x.shape[-1]} != {y.shape[0]})")
        m = x.shape[0] if x.ndim == 2 else 1
        n = y.shape[1] if y.ndim == 2 else 1
        if (x.ndim == 2 and y.ndim == 2 and x.dtype == y.dtype == dtype
                and dtype in ("float32", "float64") and m * x.shape[1] * n >= SPLIT_PRODUCT):
            return (matmul_split(x, y),)
        with blas_threads(dot_threads(m, x.shape[-1], n)):
            out = np.dot(x, y)
        return (np.asarray(out, dtype=dtype),)
    return kernel


@numba_funcify.register(Gemm)
def _funcify_gemm(op, node):
    def kernel(z, alpha, x, y, beta):
        check_gemm_shapes(z, x, y)
        alpha, beta = float(alpha), float(beta)
        if op.inplace:
            out = z
        else:
            out = z.copy() if beta != 0 else np.empty(z.shape, z.dtype)
        return (matmul_split(x, y, out, alpha, beta),)
    return kernel
