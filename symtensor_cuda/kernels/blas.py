"""Launcher for ``blas.cu``: ``gemm`` and ``dot`` (Theano's Dot for vectors and matrices)."""

from __future__ import annotations

import numpy as np

TILE = 64


def _operand(a):
    """(array, trans, ld): a 2-d view as the kernel reads it, copying only when neither
    its rows nor its columns are contiguous."""
    isz = a.itemsize
    rows, cols = a.shape
    s0, s1 = a.strides
    if (cols == 1 or s1 == isz) and s0 % isz == 0 and s0 >= cols * isz:
        return a, 0, s0 // isz
    if (rows == 1 or s0 == isz) and s1 % isz == 0 and s1 >= rows * isz:
        return a, 1, s1 // isz
    a = a.runtime.contiguous(a)
    return a, 0, cols


def gemm(a, b, out=None, alpha=1.0, beta=0.0):
    """``out = alpha * a @ b + beta * out`` for 2-d DeviceArrays (views welcome)."""
    rt = a.runtime
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"gemm: expected matrices, got shapes {a.shape} and {b.shape}")
    (m, k), (k2, n) = a.shape, b.shape
    if k != k2:
        raise ValueError(f"dot: shapes {a.shape} and {b.shape} are not aligned ({k} != {k2})")
    if a.dtype != b.dtype or a.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f"gemm: needs two float32 or two float64 matrices, got "
                                  f"{a.dtype} and {b.dtype}")
    if out is None:
        out, beta = rt.empty((m, n), a.dtype), 0.0
    if not out.is_c_contiguous or out.shape != (m, n):
        raise ValueError(f"gemm: out must be a C-contiguous ({m}, {n}) array")
    if out.size == 0:
        return out
    if k == 0:  # empty inner dimension: alpha * 0 + beta * out
        from symtensor_cuda.kernels.subtensor import copy_into
        copy_into(out, rt.to_device(np.zeros((), a.dtype)))
        return out
    a, ta, lda = _operand(a)
    b, tb, ldb = _operand(b)
    grid = ((n + TILE - 1) // TILE, (m + TILE - 1) // TILE)
    rt.launch("blas", f"st_gemm_{a.dtype.name}", grid, (16, 16), a, b, out, m, n, k, lda, ldb,
              n, ta, tb, alpha, beta)
    return out


def dot(x, y):
    """``numpy.dot`` of vectors / matrices on the device."""
    xm = x.reshape(1, x.shape[0]) if x.ndim == 1 else x
    ym = y.reshape(y.shape[0], 1) if y.ndim == 1 else y
    out = gemm(xm, ym)
    shape = x.shape[:-1] + y.shape[1:]
    return out.reshape(shape)
