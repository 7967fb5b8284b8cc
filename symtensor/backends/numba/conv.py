"""Numba kernels for conv2d and its two gradients (float32 / float64, 4-d).

Algorithm: im2col into a ``(C * kh * kw, G * H_out * W_out)`` matrix for a group of
``G`` images and one BLAS GEMM with the ``(K, C * kh * kw)`` kernel matrix; groups are
spread over threads with ``prange``.  ``benchmarks/conv_pool_kernels.py`` measured this
against direct loops and a hand-written Numba GEMM at the LeNet tutorial's shapes (BLAS
won); grouping images (``GEMM_COLUMNS``) gained 4-11% on the conv2 gradients and nothing
on the forward pass, where the GEMM runs at this machine's single-core SGEMM speed.

OpenBLAS' own threads fight Numba's when a GEMM is called inside ``prange``
(2x slower on 2 cores), so the adapters run the kernels with SciPy's OpenBLAS
(the one Numba calls) set to one thread, restoring the old count after.

Kernels work on explicit pads: 'half'/'full' are resolved by
``symtensor.tensor.ops.conv.normalize_border_mode`` before they run.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
from collections.abc import Iterator, Sequence

import numba
import numpy as np
from numba import prange

from symtensor.tensor.ops.conv import checked_output_shape

# --------------------------------------------------------------------------- kernels


@numba.njit(cache=True)
def _pad_image(x, n, ph, pw, buf):
    """Image ``n`` of ``x`` with zero padding, in ``buf`` when padding is needed."""
    if ph == 0 and pw == 0:
        return x[n]
    buf[:] = 0
    h, w = x.shape[2], x.shape[3]
    buf[:, ph : ph + h, pw : pw + w] = x[n]
    return buf


@numba.njit(cache=True)
def im2col(xp, kh, kw, h_out, w_out, sh, sw, dh, dw, col):
    """``col[(c, a, b), (i, j)] = xp[c, i * sh + a * dh, j * sw + b * dw]``."""
    for c in range(xp.shape[0]):
        for a in range(kh):
            for b in range(kw):
                row = (c * kh + a) * kw + b
                for i in range(h_out):
                    src = xp[c, i * sh + a * dh]
                    base = i * w_out
                    for j in range(w_out):
                        col[row, base + j] = src[j * sw + b * dw]


@numba.njit(cache=True)
def col2im(col, kh, kw, h_out, w_out, sh, sw, dh, dw, xp):
    """Adjoint of ``im2col``: accumulate ``col`` into the padded image ``xp``."""
    for c in range(xp.shape[0]):
        for a in range(kh):
            for b in range(kw):
                row = (c * kh + a) * kw + b
                for i in range(h_out):
                    dst = xp[c, i * sh + a * dh]
                    base = i * w_out
                    for j in range(w_out):
                        dst[j * sw + b * dw] += col[row, base + j]


@numba.njit(cache=True)
def _group_cols(x, n0, gs, kh, kw, ph, pw, h_out, w_out, sh, sw, dh, dw, buf, col):
    """im2col of images ``n0 .. n0 + gs - 1`` side by side: ``col : (C*kh*kw, gs*HW)``."""
    hw = h_out * w_out
    for t in range(gs):
        xp = _pad_image(x, n0 + t, ph, pw, buf)
        im2col(xp, kh, kw, h_out, w_out, sh, sw, dh, dw, col[:, t * hw:(t + 1) * hw])


@numba.njit(parallel=True, cache=True)
def conv2d_forward_kernel(x, w2, kh, kw, ph, pw, sh, sw, dh, dw, group, out):
    """``out[n] = w2 @ im2col(pad(x[n]))``; ``w2 : (K, C*kh*kw)`` is the (flipped) kernel.

    ``group`` images share one GEMM (a wider product keeps BLAS efficient when an
    image has few output pixels).  x : (N, C, H, W), out : (N, K, H_out, W_out).
    """
    n_img, chans, h, w = x.shape
    k_out, h_out, w_out = out.shape[1], out.shape[2], out.shape[3]
    hw = h_out * w_out
    for g in prange((n_img + group - 1) // group):
        n0 = g * group
        gs = min(group, n_img - n0)
        buf = np.empty((chans, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
        col = np.empty((chans * kh * kw, gs * hw), dtype=x.dtype)
        _group_cols(x, n0, gs, kh, kw, ph, pw, h_out, w_out, sh, sw, dh, dw, buf, col)
        res = np.dot(w2, col)
        for t in range(gs):
            out[n0 + t].reshape(k_out, hw)[:] = res[:, t * hw:(t + 1) * hw]


@numba.njit(cache=True)
def _group_grads(gy, n0, gs, gyb):
    """``gy`` of images ``n0 .. n0 + gs - 1`` side by side: ``gyb : (K, gs*HW)``."""
    k_out, hw = gy.shape[1], gy.shape[2] * gy.shape[3]
    for t in range(gs):
        gyb[:, t * hw:(t + 1) * hw] = gy[n0 + t].reshape(k_out, hw)


@numba.njit(parallel=True, cache=True)
def conv2d_grad_input_kernel(w2t, gy, kh, kw, ph, pw, sh, sw, dh, dw, group, gx):
    """``gx[n] = crop(col2im(w2t @ gy[n]))``; ``w2t : (C*kh*kw, K)``, ``group`` images
    per GEMM.  gy : (N, K, H_out, W_out), gx : (N, C, H, W)."""
    n_img, chans, h, w = gx.shape
    k_out, h_out, w_out = gy.shape[1], gy.shape[2], gy.shape[3]
    hw = h_out * w_out
    for g in prange((n_img + group - 1) // group):
        n0 = g * group
        gs = min(group, n_img - n0)
        gyb = np.empty((k_out, gs * hw), dtype=gy.dtype)
        _group_grads(gy, n0, gs, gyb)
        gcol = np.dot(w2t, gyb)
        gxp = np.empty((chans, h + 2 * ph, w + 2 * pw), dtype=gx.dtype)
        for t in range(gs):
            gxp[:] = 0
            col2im(gcol[:, t * hw:(t + 1) * hw], kh, kw, h_out, w_out, sh, sw, dh, dw, gxp)
            gx[n0 + t] = gxp[:, ph : ph + h, pw : pw + w]


@numba.njit(parallel=True, cache=True)
def conv2d_grad_weights_kernel(x, gy, kh, kw, ph, pw, sh, sw, dh, dw, group, n_chunks, gw2):
    """``gw2 = sum_n gy[n] @ im2col(pad(x[n])).T`` as ``(K, C*kh*kw)``.

    Each of ``n_chunks`` threads sums a contiguous slice of the batch, ``group``
    images per GEMM, into its own partial; the partials are then added in a fixed
    order (deterministic).
    """
    n_img, chans, h, w = x.shape
    k_out, h_out, w_out = gy.shape[1], gy.shape[2], gy.shape[3]
    hw = h_out * w_out
    partial = np.zeros((n_chunks, k_out, chans * kh * kw), dtype=gw2.dtype)
    for t in prange(n_chunks):
        buf = np.empty((chans, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
        hi = (t + 1) * n_img // n_chunks
        for n0 in range(t * n_img // n_chunks, hi, group):
            gs = min(group, hi - n0)
            col = np.empty((chans * kh * kw, gs * hw), dtype=x.dtype)
            _group_cols(x, n0, gs, kh, kw, ph, pw, h_out, w_out, sh, sw, dh, dw, buf, col)
            gyb = np.empty((k_out, gs * hw), dtype=gy.dtype)
            _group_grads(gy, n0, gs, gyb)
            partial[t] += np.dot(gyb, col.T)
    gw2[:] = 0
    for t in range(n_chunks):
        gw2 += partial[t]


# -------------------------------------------------------------------------- adapters

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _blas_thread_fns():
    """``(get, set)`` for SciPy's OpenBLAS thread count, or None if not found."""
    import scipy

    root = os.path.dirname(os.path.dirname(scipy.__file__))
    for path in sorted(glob.glob(os.path.join(root, "scipy.libs", "*openblas*"))):
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas", "openblas"):
            get = getattr(lib, prefix + "_get_num_threads", None)
            set_ = getattr(lib, prefix + "_set_num_threads", None)
            if get is not None and set_ is not None:
                return get, set_
    return None


_BLAS_THREADS = _blas_thread_fns()


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with Numba's BLAS on one thread (no-op if not OpenBLAS)."""
    if _BLAS_THREADS is None:
        yield
        return
    get, set_ = _BLAS_THREADS
    old = get()
    set_(1)
    try:
        yield
    finally:
        set_(old)


def _as_float(name: str, arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim != 4:
        raise ValueError(f"conv2d kernel: {name} must be 4-d, got shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=dtype)


def _common_dtype(*arrays: np.ndarray) -> np.dtype:
    dtype = np.result_type(*arrays)
    if dtype not in _FLOAT_DTYPES:
        raise TypeError(f"conv2d kernel: expected float32 or float64 inputs, got {dtype}")
    return dtype


def _params(pad, subsample, dilation) -> tuple[int, ...]:
    (ph, pw), (sh, sw), (dh, dw) = pad, subsample, dilation
    return int(ph), int(pw), int(sh), int(sw), int(dh), int(dw)


#: output pixels per GEMM column block the grouping aims at (benchmarks/RESULTS.md)
GEMM_COLUMNS = 256


def _group(h_out: int, w_out: int) -> int:
    """Images per GEMM: enough that the product has about GEMM_COLUMNS columns."""
    return max(1, GEMM_COLUMNS // max(1, h_out * w_out))


def _flipped(w: np.ndarray, filter_flip: bool) -> np.ndarray:
    return np.ascontiguousarray(w[:, :, ::-1, ::-1]) if filter_flip else w


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    pad: tuple[int, int] = (0, 0),
    subsample: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    filter_flip: bool = True,
) -> np.ndarray:
    """conv2d of ``x : (N, C, H, W)`` with ``w : (K, C, kh, kw)``; same contract as
    ``conv2d_reference``."""
    dtype = _common_dtype(x, w)
    x, w = _as_float("x", x, dtype), _as_float("w", w, dtype)
    out_shape = checked_output_shape(x.shape, w.shape, pad, subsample, dilation)
    out = np.empty(out_shape, dtype=dtype)
    w2 = _flipped(w, filter_flip).reshape(w.shape[0], -1)
    with single_threaded_blas():
        conv2d_forward_kernel(x, w2, *w.shape[2:], *_params(pad, subsample, dilation),
                              _group(*out_shape[2:]), out)
    return out


def conv2d_grad_input(
    w: np.ndarray,
    gy: np.ndarray,
    x_shape: Sequence[int],
    pad: tuple[int, int] = (0, 0),
    subsample: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    filter_flip: bool = True,
) -> np.ndarray:
    """Gradient w.r.t. the input; ``x_shape``'s last two entries are ``(H, W)``."""
    dtype = _common_dtype(w, gy)
    w, gy = _as_float("w", w, dtype), _as_float("gy", gy, dtype)
    full = (gy.shape[0], w.shape[1], int(x_shape[-2]), int(x_shape[-1]))
    expected = checked_output_shape(full, w.shape, pad, subsample, dilation)
    if tuple(gy.shape) != expected:
        raise ValueError(f"conv2d grad_input: gy has shape {gy.shape}, expected {expected}")
    gx = np.empty(full, dtype=dtype)
    w2t = np.ascontiguousarray(_flipped(w, filter_flip).reshape(w.shape[0], -1).T)
    with single_threaded_blas():
        conv2d_grad_input_kernel(w2t, gy, *w.shape[2:], *_params(pad, subsample, dilation),
                                 _group(*gy.shape[2:]), gx)
    return gx


def conv2d_grad_weights(
    x: np.ndarray,
    gy: np.ndarray,
    w_shape: Sequence[int],
    pad: tuple[int, int] = (0, 0),
    subsample: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    filter_flip: bool = True,
) -> np.ndarray:
    """Gradient w.r.t. the kernel; ``w_shape``'s last two entries are ``(kh, kw)``."""
    dtype = _common_dtype(x, gy)
    x, gy = _as_float("x", x, dtype), _as_float("gy", gy, dtype)
    full = (gy.shape[1], x.shape[1], int(w_shape[-2]), int(w_shape[-1]))
    expected = checked_output_shape(x.shape, full, pad, subsample, dilation)
    if tuple(gy.shape) != expected:
        raise ValueError(f"conv2d grad_weights: gy has shape {gy.shape}, expected {expected}")
    gw2 = np.empty((full[0], full[1] * full[2] * full[3]), dtype=dtype)
    n_chunks = max(1, min(numba.get_num_threads(), x.shape[0]))
    with single_threaded_blas():
        conv2d_grad_weights_kernel(
            x, gy, *full[2:], *_params(pad, subsample, dilation), _group(*gy.shape[2:]),
            n_chunks, gw2
        )
    return _flipped(gw2.reshape(full), filter_flip)


# ------------------------------------------------------------------ registration
from symtensor.backends.numba.dispatch import numba_funcify  # noqa: E402
from symtensor.tensor.ops import conv as oconv  # noqa: E402


@numba_funcify.register(oconv.Conv2d)
def _funcify_conv2d(op, node):
    dtype = node.outputs[0].dtype

    def kernel(x, w):
        oconv._check_value_shape(op, "input", x.shape, op.imshp)
        oconv._check_value_shape(op, "filters", w.shape, op.kshp)
        out = conv2d_forward(x, w, *op._numeric(w.shape[2:]))
        return (out.astype(dtype, copy=False),)
    return kernel


@numba_funcify.register(oconv.Conv2dGradInputs)
def _funcify_conv2d_grad_inputs(op, node):
    dtype = node.outputs[0].dtype

    def kernel(w, gy, shape):
        oconv._check_value_shape(op, "filters", w.shape, op.kshp)
        gx = conv2d_grad_input(w, gy, tuple(shape), *op._numeric(w.shape[2:]))
        oconv._check_value_shape(op, "input gradient", gx.shape, op.imshp)
        return (gx.astype(dtype, copy=False),)
    return kernel


@numba_funcify.register(oconv.Conv2dGradWeights)
def _funcify_conv2d_grad_weights(op, node):
    dtype = node.outputs[0].dtype

    def kernel(x, gy, shape):
        oconv._check_value_shape(op, "input", x.shape, op.imshp)
        gw = conv2d_grad_weights(x, gy, tuple(shape), *op._numeric(tuple(shape)))
        oconv._check_value_shape(op, "filter gradient", gw.shape, op.kshp)
        return (gw.astype(dtype, copy=False),)
    return kernel
