"""Numba kernels for pool_2d and its gradients (float32 / float64).

The kernels see the input as ``(planes, H, W)``: every leading axis of the
N-d input is one image plane, pooled independently, and chunks of planes are
spread over threads (serial ``nogil`` kernels on ``dispatch.run_chunks``).
Window bounds per output row / column are computed once (``pool_windows``) with
the same rule as the NumPy references in ``symtensor.tensor.ops.pool``.  The
common 2x2 / stride-2 / unpadded max pool has its own straight-line kernels
(forward and gradient): the generic loops spend most of their time on the
variable-length window loops (about 5x slower there,
``benchmarks/conv_pool_kernels.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np
from numba import uint64

from symtensor.backends.numba.dispatch import chunk_count, run_chunks
from symtensor.tensor.ops.pool import check_pool_params, pool_output_shape

MAX, SUM, AVERAGE_INC_PAD, AVERAGE_EXC_PAD = 0, 1, 2, 3
MODE_CODES = {"max": MAX, "sum": SUM, "average_inc_pad": AVERAGE_INC_PAD,
              "average_exc_pad": AVERAGE_EXC_PAD}

# --------------------------------------------------------------------------- kernels


@numba.njit(cache=True)
def pool_windows(size, n_out, ws, stride, pad):
    """``(start, end, padded_extent)`` arrays: real rows ``[start, end)`` of each window."""
    start = np.empty(n_out, dtype=np.int64)
    end = np.empty(n_out, dtype=np.int64)
    extent = np.empty(n_out, dtype=np.int64)
    for j in range(n_out):
        lo = j * stride
        hi = min(lo + ws, size + 2 * pad)
        start[j] = max(lo - pad, 0)
        end[j] = min(hi - pad, size)
        extent[j] = hi - lo
    return start, end, extent


@numba.njit(nogil=True, cache=True)
def pool_forward_kernel(x, wh, ww, sh, sw, ph, pw, mode, lo, hi, out):
    """x : (P, H, W) -> out : (P, H_out, W_out); ``mode`` is a MODE_CODES value."""
    r0, r1, rext = pool_windows(x.shape[1], out.shape[1], wh, sh, ph)
    c0, c1, cext = pool_windows(x.shape[2], out.shape[2], ww, sw, pw)
    for p in range(lo, hi):
        plane = x[p]
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                if mode == MAX:
                    acc = plane[r0[i], c0[j]]
                    for r in range(r0[i], r1[i]):
                        for c in range(c0[j], c1[j]):
                            if plane[r, c] > acc:
                                acc = plane[r, c]
                else:
                    acc = plane[r0[i], c0[j]] * 0
                    for r in range(r0[i], r1[i]):
                        for c in range(c0[j], c1[j]):
                            acc += plane[r, c]
                    if mode == AVERAGE_INC_PAD:
                        acc /= rext[i] * cext[j]
                    elif mode == AVERAGE_EXC_PAD:
                        acc /= (r1[i] - r0[i]) * (c1[j] - c0[j])
                out[p, i, j] = acc


@numba.njit(nogil=True, cache=True)
def max_pool_grad_kernel(x, maxout, gz, wh, ww, sh, sw, ph, pw, lo, hi, gx):
    """``gx[window] += gz`` wherever ``x == maxout`` of that window."""
    r0, r1, _ = pool_windows(x.shape[1], maxout.shape[1], wh, sh, ph)
    c0, c1, _ = pool_windows(x.shape[2], maxout.shape[2], ww, sw, pw)
    for p in range(lo, hi):
        gx[p] = 0
        for i in range(maxout.shape[1]):
            for j in range(maxout.shape[2]):
                m = maxout[p, i, j]
                g = gz[p, i, j]
                for r in range(r0[i], r1[i]):
                    for c in range(c0[j], c1[j]):
                        if x[p, r, c] == m:
                            gx[p, r, c] += g


@numba.njit(nogil=True, cache=True)
def average_pool_grad_kernel(gz, wh, ww, sh, sw, ph, pw, mode, lo, hi, gx):
    """``gx[window] += gz / divisor`` (divisor 1 for SUM)."""
    r0, r1, rext = pool_windows(gx.shape[1], gz.shape[1], wh, sh, ph)
    c0, c1, cext = pool_windows(gx.shape[2], gz.shape[2], ww, sw, pw)
    for p in range(lo, hi):
        gx[p] = 0
        for i in range(gz.shape[1]):
            for j in range(gz.shape[2]):
                g = gz[p, i, j]
                if mode == AVERAGE_INC_PAD:
                    g = g / (rext[i] * cext[j])
                elif mode == AVERAGE_EXC_PAD:
                    g = g / ((r1[i] - r0[i]) * (c1[j] - c0[j]))
                for r in range(r0[i], r1[i]):
                    for c in range(c0[j], c1[j]):
                        gx[p, r, c] += g


@numba.njit(nogil=True, cache=True)
def max_pool_grad_grad_kernel(x, maxout, ggx, wh, ww, sh, sw, ph, pw, lo, hi, ggz):
    """``ggz[window] = sum of ggx`` where ``x == maxout`` of that window."""
    r0, r1, _ = pool_windows(x.shape[1], maxout.shape[1], wh, sh, ph)
    c0, c1, _ = pool_windows(x.shape[2], maxout.shape[2], ww, sw, pw)
    for p in range(lo, hi):
        for i in range(maxout.shape[1]):
            for j in range(maxout.shape[2]):
                m = maxout[p, i, j]
                acc = ggx[p, r0[i], c0[j]] * 0
                for r in range(r0[i], r1[i]):
                    for c in range(c0[j], c1[j]):
                        if x[p, r, c] == m:
                            acc += ggx[p, r, c]
                ggz[p, i, j] = acc


@numba.njit(nogil=True, cache=True)
def max_pool_2x2_kernel(x, lo, hi, out):
    """Fast path: 2x2 max pool, stride 2, no padding, only full windows (C-contiguous
    planes, indexed flat with unsigned offsets so that LLVM vectorizes the loop)."""
    h, w = x.shape[1], x.shape[2]
    ho, wo = out.shape[1], out.shape[2]
    xf, of = x.reshape(x.size), out.reshape(out.size)
    for p in range(lo, hi):
        for i in range(ho):
            top = (p * h + 2 * i) * w
            bottom = top + w
            o = (p * ho + i) * wo
            for j in range(wo):
                c = 2 * j
                of[uint64(o + j)] = max(max(xf[uint64(top + c)], xf[uint64(top + c + 1)]),
                                        max(xf[uint64(bottom + c)], xf[uint64(bottom + c + 1)]))


@numba.njit(nogil=True, cache=True)
def max_pool_2x2_grad_kernel(x, maxout, gz, lo, hi, gx):
    """Fast path of ``max_pool_grad_kernel`` for ``max_pool_2x2_kernel``."""
    h_cov, w_cov = 2 * maxout.shape[1], 2 * maxout.shape[2]
    for p in range(lo, hi):
        for r in range(gx.shape[1]):  # the row / column past the last full window
            for c in range(w_cov if r < h_cov else 0, gx.shape[2]):
                gx[p, r, c] = 0
        for i in range(maxout.shape[1]):
            for r in range(2 * i, 2 * i + 2):
                xr, gr = x[p, r], gx[p, r]
                for j in range(maxout.shape[2]):
                    m, g, c = maxout[p, i, j], gz[p, i, j], 2 * j
                    gr[c] = g if xr[c] == m else 0
                    gr[c + 1] = g if xr[c + 1] == m else 0


# -------------------------------------------------------------------------- adapters

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _planes(name: str, arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``arr`` as a C-contiguous ``(planes, H, W)`` array of ``dtype``."""
    arr = np.asarray(arr)
    if arr.ndim < 2:
        raise ValueError(f"pool_2d kernel: {name} needs >= 2 dimensions, got {arr.shape}")
    return _as_planes(np.ascontiguousarray(arr, dtype=dtype))


def _spread(planes: int, work: int, call) -> None:
    """``call(lo, hi)`` over chunks of the image planes, on threads when it pays."""
    run_chunks(planes, lambda lo, hi, _: call(lo, hi), chunk_count(planes, work))


def _as_planes(arr: np.ndarray) -> np.ndarray:
    """Reshape (a view for C-contiguous input) to ``(planes, H, W)``."""
    return arr.reshape(int(np.prod(arr.shape[:-2])), *arr.shape[-2:])


def _dtype(x: np.ndarray) -> np.dtype:
    dtype = np.asarray(x).dtype
    if dtype not in _FLOAT_DTYPES:
        raise TypeError(f"pool_2d kernel: expected float32 or float64, got {dtype}")
    return dtype


def _setup(x, ws, ignore_border, stride, pad, mode="max"):
    ws, stride, pad = check_pool_params(ws, ignore_border, stride, pad, mode)
    out_shape = pool_output_shape(np.shape(x), ws, ignore_border, stride, pad)
    if 0 in np.shape(x)[-2:] and 0 not in out_shape[-2:]:
        raise ValueError(f"pool_2d kernel: input {np.shape(x)} has an empty image plane")
    return out_shape, (*ws, *stride, *pad)


def _is_2x2(params, x_shape, out_shape, mode="max") -> bool:
    """2x2 windows, stride 2, no padding, and every window full (no partial one)."""
    full = tuple(out_shape[-2:]) == (x_shape[-2] // 2, x_shape[-1] // 2)
    return mode == "max" and params == (2, 2, 2, 2, 0, 0) and full


def _check_shape(name: str, arr: np.ndarray, expected: Sequence[int]) -> None:
    if np.shape(arr) != tuple(expected):
        raise ValueError(f"pool_2d kernel: {name} has shape {np.shape(arr)}, expected {expected}")


def pool_forward(
    x: np.ndarray,
    ws: Sequence[int],
    ignore_border: bool,
    stride: Sequence[int] | None = None,
    pad: Sequence[int] = (0, 0),
    mode: str = "max",
) -> np.ndarray:
    """pool_2d over the last two axes of an N-d ``x``; contract of ``pool_2d_reference``."""
    dtype = _dtype(x)
    out_shape, params = _setup(x, ws, ignore_border, stride, pad, mode)
    out = np.empty(out_shape, dtype=dtype)
    xp, outp = _planes("x", x, dtype), _as_planes(out)
    if _is_2x2(params, np.shape(x), out_shape, mode):
        _spread(len(xp), xp.size, lambda lo, hi: max_pool_2x2_kernel(xp, lo, hi, outp))
    else:
        code = MODE_CODES[mode]
        _spread(len(xp), xp.size,
                lambda lo, hi: pool_forward_kernel(xp, *params, code, lo, hi, outp))
    return out


def max_pool_grad(x, maxout, gz, ws, ignore_border, stride=None, pad=(0, 0)) -> np.ndarray:
    """Gradient of max pooling w.r.t. ``x`` (ties all receive the gradient)."""
    dtype = _dtype(x)
    out_shape, params = _setup(x, ws, ignore_border, stride, pad)
    _check_shape("maxout", maxout, out_shape)
    _check_shape("gz", gz, out_shape)
    gx = np.empty(np.shape(x), dtype=dtype)
    planes = [_planes(name, a, dtype) for name, a in (("x", x), ("maxout", maxout), ("gz", gz))]
    gxp = _as_planes(gx)
    if _is_2x2(params, np.shape(x), out_shape):
        _spread(len(gxp), gxp.size,
                lambda lo, hi: max_pool_2x2_grad_kernel(*planes, lo, hi, gxp))
    else:
        _spread(len(gxp), gxp.size,
                lambda lo, hi: max_pool_grad_kernel(*planes, *params, lo, hi, gxp))
    return gx


def average_pool_grad(
    x, gz, ws, ignore_border, stride=None, pad=(0, 0), mode="average_inc_pad"
) -> np.ndarray:
    """Gradient of sum / average pooling w.r.t. ``x`` (``x`` gives shape and dtype)."""
    if mode == "max":
        raise ValueError("pool_2d average grad kernel: mode must not be 'max'")
    dtype = _dtype(x)
    out_shape, params = _setup(x, ws, ignore_border, stride, pad, mode)
    _check_shape("gz", gz, out_shape)
    gx = np.empty(np.shape(x), dtype=dtype)
    gzp, gxp, code = _planes("gz", gz, dtype), _as_planes(gx), MODE_CODES[mode]
    _spread(len(gxp), gxp.size,
            lambda lo, hi: average_pool_grad_kernel(gzp, *params, code, lo, hi, gxp))
    return gx


def max_pool_grad_grad(x, maxout, ggx, ws, ignore_border, stride=None, pad=(0, 0)) -> np.ndarray:
    """Gradient of ``max_pool_grad`` w.r.t. ``gz``; has the shape of ``maxout``."""
    dtype = _dtype(x)
    out_shape, params = _setup(x, ws, ignore_border, stride, pad)
    _check_shape("maxout", maxout, out_shape)
    _check_shape("ggx", ggx, np.shape(x))
    ggz = np.empty(out_shape, dtype=dtype)
    planes = [_planes(name, a, dtype) for name, a in (("x", x), ("maxout", maxout), ("ggx", ggx))]
    ggzp = _as_planes(ggz)
    _spread(len(ggzp), planes[0].size,
            lambda lo, hi: max_pool_grad_grad_kernel(*planes, *params, lo, hi, ggzp))
    return ggz


# ------------------------------------------------------------------ registration
from symtensor.backends.numba.dispatch import numba_funcify  # noqa: E402
from symtensor.tensor.ops import pool as opool  # noqa: E402

_FLOATS = ("float32", "float64")

# non-float inputs fall back to perform (return None)
@numba_funcify.register(opool.Pool)
def _funcify_pool(op, node):
    if node.inputs[0].dtype not in _FLOATS:
        return None
    return lambda x: (pool_forward(x, *op._args(), op.mode),)


@numba_funcify.register(opool.MaxPoolGrad)
def _funcify_max_pool_grad(op, node):
    if node.inputs[0].dtype not in _FLOATS:
        return None
    return lambda x, maxout, gz: (max_pool_grad(x, maxout, gz, *op._args()),)


@numba_funcify.register(opool.AveragePoolGrad)
def _funcify_average_pool_grad(op, node):
    if node.inputs[0].dtype not in _FLOATS:
        return None
    return lambda x, gz: (average_pool_grad(x, gz, *op._args(), op.mode),)


@numba_funcify.register(opool.MaxPoolGradGrad)
def _funcify_max_pool_grad_grad(op, node):
    if node.inputs[0].dtype not in _FLOATS:
        return None
    return lambda x, maxout, ggx: (max_pool_grad_grad(x, maxout, ggx, *op._args()),)
