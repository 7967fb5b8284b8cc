"""Numba kernels for conv2d and its two gradients (float32 / float64, 4-d).

Algorithm: im2col into a ``(C * kh * kw, G * H_out * W_out)`` matrix for a group of
``G`` images and one BLAS GEMM with the ``(K, C * kh * kw)`` kernel matrix
(``blas.gemm``: it writes into views and accumulates, so no temporaries).  Kernels are
serial and release the GIL; ``dispatch.run_chunks`` spreads contiguous chunks of
groups over threads, each chunk allocating its work buffers once (allocating them per
group, in the old ``prange`` kernels, cost as much as the GEMMs) and running BLAS on
one thread (``blas_threads(1)``: OpenBLAS' own threads fight ours).  im2col / col2im
index flat buffers with unsigned offsets so LLVM vectorizes their copies.  Figures:
benchmarks/RESULTS.md.

Kernels work on explicit pads: 'half'/'full' are resolved by
``symtensor.tensor.ops.conv.normalize_border_mode`` before they run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np
from numba import uint64

from symtensor.backends.numba.blas import blas_threads, gemm
from symtensor.backends.numba.dispatch import chunk_count, run_chunks
from symtensor.tensor.ops.conv import checked_output_shape

# --------------------------------------------------------------------------- kernels


@numba.njit(nogil=True, cache=True)
def _valid_columns(off, sw, size, w_out):
    """``[j0, j1)``: the output columns ``j`` whose input column ``j * sw + off`` is in
    ``[0, size)`` (the others read zero padding)."""
    j0 = 0 if off >= 0 else (sw - 1 - off) // sw
    j1 = 0 if size - off <= 0 else (size - off + sw - 1) // sw
    j1 = min(j1, w_out)
    return min(j0, j1), j1


@numba.njit(nogil=True, cache=True)
def im2col(x, n0, gs, kh, kw, ph, pw, sh, sw, dh, dw, h_out, w_out, col):
    """Columns of images ``n0 .. n0 + gs - 1`` side by side, zero padding implied:
    ``col[(c, a, b), t * HW + i * W_out + j] = x[n0 + t, c, i*sh + a*dh - ph, j*sw + b*dw - pw]``.

    ``x`` and ``col`` are C-contiguous; ``col`` may be wider than ``gs`` images.
    """
    n_img, chans, h, w = x.shape
    xf = x.reshape(n_img * chans * h * w)
    cf = col.reshape(col.size)
    ncol, hw = col.shape[1], h_out * w_out
    for t in range(gs):
        for c in range(chans):
            plane = ((n0 + t) * chans + c) * h * w
            for a in range(kh):
                for b in range(kw):
                    off = b * dw - pw
                    j0, j1 = _valid_columns(off, sw, w, w_out)
                    d = ((c * kh + a) * kw + b) * ncol + t * hw
                    for i in range(h_out):
                        r = i * sh + a * dh - ph
                        if r < 0 or r >= h:
                            j0r, j1r = w_out, w_out
                        else:
                            j0r, j1r = j0, j1
                        for j in range(j0r):
                            cf[uint64(d + j)] = 0
                        s = plane + r * w + off
                        if sw == 1:
                            for j in range(j0r, j1r):
                                cf[uint64(d + j)] = xf[uint64(s + j)]
                        else:
                            for j in range(j0r, j1r):
                                cf[uint64(d + j)] = xf[uint64(s + j * sw)]
                        for j in range(j1r, w_out):
                            cf[uint64(d + j)] = 0
                        d += w_out


@numba.njit(nogil=True, cache=True)
def col2im(col, n0, gs, kh, kw, ph, pw, sh, sw, dh, dw, h_out, w_out, gx):
    """Adjoint of ``im2col``: ``gx[n0 .. n0 + gs - 1]`` = the columns summed back into
    their images (padding dropped).  ``gx`` is C-contiguous and overwritten."""
    n_img, chans, h, w = gx.shape
    gf = gx.reshape(n_img * chans * h * w)
    cf = col.reshape(col.size)
    ncol, hw = col.shape[1], h_out * w_out
    _zero(gf, n0 * chans * h * w, (n0 + gs) * chans * h * w)
    for t in range(gs):
        for c in range(chans):
            plane = ((n0 + t) * chans + c) * h * w
            for a in range(kh):
                for b in range(kw):
                    off = b * dw - pw
                    j0, j1 = _valid_columns(off, sw, w, w_out)
                    d = ((c * kh + a) * kw + b) * ncol + t * hw
                    for i in range(h_out):
                        r = i * sh + a * dh - ph
                        if 0 <= r < h:
                            s = plane + r * w + off
                            if sw == 1:
                                for j in range(j0, j1):
                                    gf[uint64(s + j)] += cf[uint64(d + j)]
                            else:
                                for j in range(j0, j1):
                                    gf[uint64(s + j * sw)] += cf[uint64(d + j)]
                        d += w_out


# _GEMM_TYPES: the kernels hand ``gemm`` typed bools (``np.bool_``; a literal True would
# make Numba compile gemm once per flag pair) and 'A'-layout views (``[:, :n]``), so that
# one compiled gemm serves them all: a cold LeNet compile went from 12 versions to 1.
#
# Copies and fills below are explicit loops over flat C-contiguous buffers: Numba's
# sliced array assignment compiles ~20x slower (seconds per kernel on a cold cache).


@numba.njit(nogil=True, cache=True)
def _gather(gy, n0, gs, gyb):
    """``gy`` of images ``n0 .. n0 + gs - 1`` side by side: ``gyb[:, :gs * HW]``."""
    k_out, hw = gy.shape[1], gy.shape[2] * gy.shape[3]
    src = gy.reshape(gy.size)
    dst = gyb.reshape(gyb.size)
    ncol = gyb.shape[1]
    for t in range(gs):
        for k in range(k_out):
            s, d = ((n0 + t) * k_out + k) * hw, k * ncol + t * hw
            for q in range(hw):
                dst[uint64(d + q)] = src[uint64(s + q)]


@numba.njit(nogil=True, cache=True)
def _scatter(res, n0, gs, out):
    """Inverse of ``_gather``: ``out[n0 + t]`` from ``res[:, t * HW:(t + 1) * HW]``."""
    k_out, hw = out.shape[1], out.shape[2] * out.shape[3]
    src = res.reshape(res.size)
    dst = out.reshape(out.size)
    ncol = res.shape[1]
    for t in range(gs):
        for k in range(k_out):
            s, d = k * ncol + t * hw, ((n0 + t) * k_out + k) * hw
            for q in range(hw):
                dst[uint64(d + q)] = src[uint64(s + q)]


@numba.njit(nogil=True, cache=True)
def _zero(flat, lo, hi):
    """``flat[lo:hi] = 0`` for a 1-d array."""
    for q in range(lo, hi):
        flat[uint64(q)] = 0


@numba.njit(nogil=True, cache=True)
def conv2d_forward_kernel(x, w2, kh, kw, ph, pw, sh, sw, dh, dw, group, lo, hi, out):
    """``out[n] = w2 @ im2col(x[n])`` for ``lo <= n < hi``, ``group`` images per GEMM.

    ``w2 : (K, C*kh*kw)`` is the (flipped) kernel; x : (N, C, H, W), out : (N, K, H_out,
    W_out), both C-contiguous.
    """
    no, ckk = np.bool_(False), w2.shape[1]  # see _GEMM_TYPES
    w2a = w2[:, :ckk]
    k_out, h_out, w_out = out.shape[1], out.shape[2], out.shape[3]
    hw = h_out * w_out
    col = np.empty((ckk, group * hw), dtype=x.dtype)
    res = np.empty((k_out, group * hw), dtype=x.dtype)
    for n0 in range(lo, hi, group):
        gs = min(group, hi - n0)
        im2col(x, n0, gs, kh, kw, ph, pw, sh, sw, dh, dw, h_out, w_out, col)
        if gs == 1:
            gemm(no, no, 1.0, w2a, col[:, :hw], 0.0, out[n0].reshape(k_out, hw)[:, :hw])
            continue
        gemm(no, no, 1.0, w2a, col[:, :gs * hw], 0.0, res[:, :gs * hw])
        _scatter(res, n0, gs, out)


@numba.njit(nogil=True, cache=True)
def conv2d_grad_input_kernel(w2, gy, kh, kw, ph, pw, sh, sw, dh, dw, group, lo, hi, gx):
    """``gx[n] = col2im(w2.T @ gy[n])`` for ``lo <= n < hi``, ``group`` images per GEMM.
    gy : (N, K, H_out, W_out), gx : (N, C, H, W), both C-contiguous."""
    no, yes, ckk = np.bool_(False), np.bool_(True), w2.shape[1]  # see _GEMM_TYPES
    w2a = w2[:, :ckk]
    k_out, h_out, w_out = gy.shape[1], gy.shape[2], gy.shape[3]
    hw = h_out * w_out
    gyb = np.empty((k_out, group * hw), dtype=gy.dtype)
    gcol = np.empty((ckk, group * hw), dtype=gy.dtype)
    for n0 in range(lo, hi, group):
        gs = min(group, hi - n0)
        if gs == 1:
            gemm(yes, no, 1.0, w2a, gy[n0].reshape(k_out, hw)[:, :hw], 0.0, gcol[:, :hw])
        else:
            _gather(gy, n0, gs, gyb)
            gemm(yes, no, 1.0, w2a, gyb[:, :gs * hw], 0.0, gcol[:, :gs * hw])
        col2im(gcol, n0, gs, kh, kw, ph, pw, sh, sw, dh, dw, h_out, w_out, gx)


@numba.njit(nogil=True, cache=True)
def conv2d_grad_weights_kernel(x, gy, kh, kw, ph, pw, sh, sw, dh, dw, group, lo, hi, gw2):
    """``gw2 += sum over lo <= n < hi of gy[n] @ im2col(x[n]).T``, ``gw2 : (K, C*kh*kw)``."""
    no, yes, ckk = np.bool_(False), np.bool_(True), gw2.shape[1]  # see _GEMM_TYPES
    gw2a = gw2[:, :ckk]
    k_out, h_out, w_out = gy.shape[1], gy.shape[2], gy.shape[3]
    hw = h_out * w_out
    col = np.empty((ckk, group * hw), dtype=x.dtype)
    gyb = np.empty((k_out, group * hw), dtype=gy.dtype)
    for n0 in range(lo, hi, group):
        gs = min(group, hi - n0)
        im2col(x, n0, gs, kh, kw, ph, pw, sh, sw, dh, dw, h_out, w_out, col)
        if gs == 1:
            gemm(no, yes, 1.0, gy[n0].reshape(k_out, hw)[:, :hw], col[:, :hw], 1.0, gw2a)
        else:
            _gather(gy, n0, gs, gyb)
            gemm(no, yes, 1.0, gyb[:, :gs * hw], col[:, :gs * hw], 1.0, gw2a)


# ------------------------------------------------- channels-last ("rows") variants
# With many channels, copying an image to (H, W, C) order first makes every patch row a
# few long runs (kw * C values when dw == 1) instead of kh * kw * C runs of W_out values:
# im2col's short runs do not vectorize.  The column matrix is then transposed,
# ``colT : (G * HW, kh * kw * C)``, and the kernel matrix ordered (K, kh, kw, C).


@numba.njit(nogil=True, cache=True)
def _to_hwc(x, n, ph, pw, buf):
    """``buf[r + ph, s + pw, c] = x[n, c, r, s]``; the pad border of ``buf`` is left as is."""
    chans, h, w = x.shape[1], x.shape[2], x.shape[3]
    for r in range(h):
        for s in range(w):
            for c in range(chans):
                buf[r + ph, s + pw, c] = x[n, c, r, s]


@numba.njit(nogil=True, cache=True)
def _from_hwc(gbuf, n, ph, pw, gx):
    """``gx[n, c, r, s] = gbuf[r + ph, s + pw, c]`` (the pad border dropped)."""
    chans, h, w = gx.shape[1], gx.shape[2], gx.shape[3]
    for c in range(chans):
        for r in range(h):
            for s in range(w):
                gx[n, c, r, s] = gbuf[r + ph, s + pw, c]


@numba.njit(nogil=True, cache=True)
def im2row(buf, t, kh, kw, sh, sw, dh, dw, h_out, w_out, colT):
    """``colT[t*HW + i*W_out + j, (a*kw + b)*C + c] = buf[i*sh + a*dh, j*sw + b*dw, c]``
    for a padded channels-last image ``buf : (Hp, Wp, C)``; both C-contiguous."""
    wp, chans = buf.shape[1], buf.shape[2]
    bf = buf.reshape(buf.size)
    cf = colT.reshape(colT.size)
    ckk = colT.shape[1]
    run, n_runs = (kw * chans, 1) if dw == 1 else (chans, kw)
    d = t * h_out * w_out * ckk
    for i in range(h_out):
        for j in range(w_out):
            for a in range(kh):
                for b in range(n_runs):
                    s = ((i * sh + a * dh) * wp + j * sw + b * dw) * chans
                    for q in range(run):
                        cf[uint64(d + q)] = bf[uint64(s + q)]
                    d += run


@numba.njit(nogil=True, cache=True)
def row2im(colT, t, kh, kw, sh, sw, dh, dw, h_out, w_out, gbuf):
    """Adjoint of ``im2row``: add image ``t``'s rows of ``colT`` into ``gbuf`` (zero it first)."""
    wp, chans = gbuf.shape[1], gbuf.shape[2]
    gf = gbuf.reshape(gbuf.size)
    cf = colT.reshape(colT.size)
    ckk = colT.shape[1]
    run, n_runs = (kw * chans, 1) if dw == 1 else (chans, kw)
    d = t * h_out * w_out * ckk
    for i in range(h_out):
        for j in range(w_out):
            for a in range(kh):
                for b in range(n_runs):
                    s = ((i * sh + a * dh) * wp + j * sw + b * dw) * chans
                    for q in range(run):
                        gf[uint64(s + q)] += cf[uint64(d + q)]
                    d += run


@numba.njit(nogil=True, cache=True)
def conv2d_forward_rows_kernel(x, w2r, kh, kw, ph, pw, sh, sw, dh, dw, group, lo, hi, out):
    """``conv2d_forward_kernel`` through channels-last rows; ``w2r : (K, kh*kw*C)``."""
    no, yes, ckk = np.bool_(False), np.bool_(True), w2r.shape[1]  # see _GEMM_TYPES
    w2a = w2r[:, :ckk]
    n_img, chans, h, w = x.shape
    k_out, h_out, w_out = out.shape[1], out.shape[2], out.shape[3]
    hw = h_out * w_out
    buf = np.zeros((h + 2 * ph, w + 2 * pw, chans), dtype=x.dtype)
    colT = np.empty((group * hw, w2r.shape[1]), dtype=x.dtype)
    res = np.empty((k_out, group * hw), dtype=x.dtype)
    for n0 in range(lo, hi, group):
        gs = min(group, hi - n0)
        for t in range(gs):
            _to_hwc(x, n0 + t, ph, pw, buf)
            im2row(buf, t, kh, kw, sh, sw, dh, dw, h_out, w_out, colT)
        if gs == 1:
            gemm(no, yes, 1.0, w2a, colT[:hw, :ckk], 0.0, out[n0].reshape(k_out, hw)[:, :hw])
            continue
        gemm(no, yes, 1.0, w2a, colT[:gs * hw, :ckk], 0.0, res[:, :gs * hw])
        _scatter(res, n0, gs, out)


@numba.njit(nogil=True, cache=True)
def conv2d_grad_input_rows_kernel(w2r, gy, kh, kw, ph, pw, sh, sw, dh, dw, group, lo, hi, gx):
    """``conv2d_grad_input_kernel`` through channels-last rows; ``w2r : (K, kh*kw*C)``."""
    no, yes, ckk = np.bool_(False), np.bool_(True), w2r.shape[1]  # see _GEMM_TYPES
    w2a = w2r[:, :ckk]
    n_img, chans, h, w = gx.shape
    k_out, h_out, w_out = gy.shape[1], gy.shape[2], gy.shape[3]
    hw = h_out * w_out
    gyb = np.empty((k_out, group * hw), dtype=gy.dtype)
    gcolT = np.empty((group * hw, w2r.shape[1]), dtype=gy.dtype)
    gbuf = np.empty((h + 2 * ph, w + 2 * pw, chans), dtype=gy.dtype)
    for n0 in range(lo, hi, group):
        gs = min(group, hi - n0)
        if gs == 1:
            gemm(yes, no, 1.0, gy[n0].reshape(k_out, hw)[:, :hw], w2a, 0.0, gcolT[:hw, :ckk])
        else:
            _gather(gy, n0, gs, gyb)
            gemm(yes, no, 1.0, gyb[:, :gs * hw], w2a, 0.0, gcolT[:gs * hw, :ckk])
        for t in range(gs):
            _zero(gbuf.reshape(gbuf.size), 0, gbuf.size)
            row2im(gcolT, t, kh, kw, sh, sw, dh, dw, h_out, w_out, gbuf)
            _from_hwc(gbuf, n0 + t, ph, pw, gx)


@numba.njit(nogil=True, cache=True)
def conv2d_grad_weights_rows_kernel(x, gy, kh, kw, ph, pw, sh, sw, dh, dw, group, lo, hi,
                                    gw2r):
    """``conv2d_grad_weights_kernel`` through channels-last rows: ``gw2r : (K, kh*kw*C)``
    (accumulated into)."""
    no, ckk = np.bool_(False), gw2r.shape[1]  # see _GEMM_TYPES
    gw2a = gw2r[:, :ckk]
    n_img, chans, h, w = x.shape
    k_out, h_out, w_out = gy.shape[1], gy.shape[2], gy.shape[3]
    hw = h_out * w_out
    buf = np.zeros((h + 2 * ph, w + 2 * pw, chans), dtype=x.dtype)
    colT = np.empty((group * hw, gw2r.shape[1]), dtype=x.dtype)
    gyb = np.empty((k_out, group * hw), dtype=gy.dtype)
    for n0 in range(lo, hi, group):
        gs = min(group, hi - n0)
        for t in range(gs):
            _to_hwc(x, n0 + t, ph, pw, buf)
            im2row(buf, t, kh, kw, sh, sw, dh, dw, h_out, w_out, colT)
        if gs == 1:
            gemm(no, no, 1.0, gy[n0].reshape(k_out, hw)[:, :hw], colT[:hw, :ckk], 1.0, gw2a)
        else:
            _gather(gy, n0, gs, gyb)
            gemm(no, no, 1.0, gyb[:, :gs * hw], colT[:gs * hw, :ckk], 1.0, gw2a)


# -------------------------------------------------------------------------- adapters

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


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


def _chunks(n_img: int, group: int, work: int) -> int:
    """Chunks of whole groups for ``work`` multiply-adds."""
    return chunk_count(-(-n_img // group), work)


def _spread(n_img: int, group: int, n_chunks: int, call) -> None:
    """``call(lo, hi, i)`` on ``n_chunks`` image ranges cut at group boundaries, spread
    over threads, with BLAS held to one thread."""
    n_groups = -(-n_img // group)

    def task(lo, hi, i):
        call(lo * group, min(hi * group, n_img), i)
    with blas_threads(1):
        run_chunks(n_groups, task, n_chunks)


def _flipped(w: np.ndarray, filter_flip: bool) -> np.ndarray:
    return np.ascontiguousarray(w[:, :, ::-1, ::-1]) if filter_flip else w


#: channels-last rows (``im2row``) when a patch row has at least this many contiguous
#: values, im2col below (benchmarks/RESULTS.md)
ROWS_MIN_RUN = 16


def _use_rows(chans: int, kw: int, dilation) -> bool:
    return chans * (kw if int(dilation[1]) == 1 else 1) >= ROWS_MIN_RUN


def _kernel_matrix(w: np.ndarray, filter_flip: bool, rows: bool) -> np.ndarray:
    """The (flipped) kernel as (K, C*kh*kw), or (K, kh*kw*C) for the rows kernels."""
    wf = _flipped(w, filter_flip)
    if rows:
        wf = wf.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(wf).reshape(w.shape[0], -1)


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
    rows = _use_rows(w.shape[1], w.shape[3], dilation)
    w2 = _kernel_matrix(w, filter_flip, rows)
    kernel = conv2d_forward_rows_kernel if rows else conv2d_forward_kernel
    args, group = _params(pad, subsample, dilation), _group(*out_shape[2:])
    chunks = _chunks(x.shape[0], group, out.size * w2.shape[1])
    _spread(x.shape[0], group, chunks, lambda lo, hi, _: (
        kernel(x, w2, *w.shape[2:], *args, group, lo, hi, out)))
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
    rows = _use_rows(w.shape[1], w.shape[3], dilation)
    w2 = _kernel_matrix(w, filter_flip, rows)
    kernel = conv2d_grad_input_rows_kernel if rows else conv2d_grad_input_kernel
    args, group = _params(pad, subsample, dilation), _group(*gy.shape[2:])
    chunks = _chunks(gx.shape[0], group, gy.size * w2.shape[1])
    _spread(gx.shape[0], group, chunks, lambda lo, hi, _: (
        kernel(w2, gy, *w.shape[2:], *args, group, lo, hi, gx)))
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
    rows = _use_rows(full[1], full[3], dilation)
    kernel = conv2d_grad_weights_rows_kernel if rows else conv2d_grad_weights_kernel
    args, group = _params(pad, subsample, dilation), _group(*gy.shape[2:])
    n_chunks = _chunks(x.shape[0], group, gy.size * full[1] * full[2] * full[3])
    partial = np.zeros((n_chunks, full[0], full[1] * full[2] * full[3]), dtype=dtype)
    _spread(x.shape[0], group, n_chunks, lambda lo, hi, i: (
        kernel(x, gy, *full[2:], *args, group, lo, hi, partial[i])))
    gw2 = partial[0]
    for i in range(1, n_chunks):  # in chunk order: the sum does not depend on timing
        gw2 += partial[i]
    if rows:
        gw = gw2.reshape(full[0], full[2], full[3], full[1]).transpose(0, 3, 1, 2)
    else:
        gw = gw2.reshape(full)
    return np.ascontiguousarray(_flipped(gw, filter_flip))


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
