"""Launchers for ``subtensor.cu``: strided copies and advanced indexing.

Basic indexing (ints, slices, newaxis) never launches anything: it is a
:class:`~symtensor_cuda.array.DeviceArray` view.  These kernels make views contiguous,
broadcast into place, and gather / scatter-add with integer index vectors.
"""

from __future__ import annotations

import numpy as np

from symtensor_cuda.kernels.elemwise import _grid, collapse_dims, elemwise_kernels

_SIZES = (1, 2, 4, 8)


def copy_into(dst, src) -> None:
    """``dst[...] = src`` (same dtype; ``src`` broadcast to ``dst.shape``; any strides)."""
    if src.dtype != dst.dtype:
        raise TypeError(f"copy_into: dtypes differ ({src.dtype} -> {dst.dtype}); cast first")
    n = dst.size
    if n == 0:
        return
    rt = dst.runtime
    src = src.broadcast_to(dst.shape)
    dims, strides = collapse_dims(dst.shape, [src.elem_strides, dst.elem_strides])
    meta = elemwise_kernels(rt).meta(dims, strides)
    rt.launch("subtensor", f"st_copy_strided_{dst.itemsize}", (_grid(n),), (256,),
              src, dst, meta, n)


def as_index(rt, idx):
    """An index vector as a C-contiguous int64 DeviceArray."""
    from symtensor.tensor.ops.scalar import cast_op
    from symtensor_cuda.kernels.elemwise import single_op_program
    idx = rt.to_device(idx)
    if idx.dtype.kind not in "iu":
        raise IndexError(f"advanced index: expected an integer array, got {idx.dtype}")
    if idx.dtype.name != "int64":
        prog = single_op_program(cast_op("int64"), (idx.dtype.name,), "int64")
        idx = elemwise_kernels(rt)(prog, [idx])
    return rt.contiguous(idx)


def _check(x, indices, what):
    if not 1 <= len(indices) <= 2 or len(indices) > x.ndim:
        raise NotImplementedError(f"{what}: the GPU kernel takes one or two index vectors on "
                                  f"the leading axes, got {len(indices)} for a {x.ndim}-d array")
    lengths = {i.shape for i in indices}
    if any(i.ndim != 1 for i in indices) or len(lengths) != 1:
        raise NotImplementedError(f"{what}: index arrays must be vectors of one length, got "
                                  f"shapes {[i.shape for i in indices]}")
    return indices[0].shape[0]


def _raise_on_error(err, x, what):
    if int(err.get()[0]):
        raise IndexError(f"{what}: an index is out of bounds for axes of length "
                         f"{x.shape[:2]}")


def take(x, indices):
    """``x[idx0, idx1]`` (NumPy advanced indexing with one or two leading index vectors)."""
    rt = x.runtime
    indices = [as_index(rt, i) for i in indices]
    n = _check(x, indices, "take")
    x = rt.contiguous(x)
    k = len(indices)
    inner = int(np.prod(x.shape[k:], dtype=np.int64))
    out = rt.empty((n,) + x.shape[k:], x.dtype)
    if out.size == 0:
        return out
    err = rt.zeros((1,), "int32")
    dim1 = x.shape[1] if k == 2 else 1
    rt.launch("subtensor", f"st_take_{x.itemsize}", (_grid(out.size),), (256,), x, indices[0],
              indices[1] if k == 2 else None, out, n, inner, x.shape[0], dim1, err)
    _raise_on_error(err, x, "take")
    return out


def take_inc(x, indices, y, set_instead_of_inc=False):
    """A copy of ``x`` with ``y`` added to (or stored into) ``x[idx0, idx1]``."""
    rt = x.runtime
    if x.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f"take_inc: the GPU kernel supports float32/float64, got "
                                  f"{x.dtype.name}")
    indices = [as_index(rt, i) for i in indices]
    n = _check(x, indices, "take_inc")
    k = len(indices)
    out = rt.copy(x)
    y = rt.contiguous(rt.to_device(y).broadcast_to((n,) + x.shape[k:]))
    if y.dtype != x.dtype:
        raise TypeError(f"take_inc: y has dtype {y.dtype}, x {x.dtype}")
    if y.size == 0:
        return out
    err = rt.zeros((1,), "int32")
    inner = int(np.prod(x.shape[k:], dtype=np.int64))
    dim1 = x.shape[1] if k == 2 else 1
    rt.launch("subtensor", f"st_take_inc_{x.dtype.name}", (_grid(y.size),), (256,), out,
              indices[0], indices[1] if k == 2 else None, y, n, inner, x.shape[0], dim1,
              int(set_instead_of_inc), err)
    _raise_on_error(err, x, "take_inc")
    return out


def arange_int64(rt, start: int, stop: int, step: int):
    """``np.arange(start, stop, step, dtype=int64)`` made on the device."""
    if step == 0:
        raise ValueError("arange: step must not be zero")
    n = max(0, -(-(stop - start) // step))
    out = rt.empty((n,), "int64")
    if n:
        rt.launch("subtensor", "st_arange_int64", (_grid(n),), (256,), start, step, out, n)
    return out


def join(rt, arrays, axis: int, dtype):
    """``np.concatenate(arrays, axis)`` on the device (inputs already of ``dtype``)."""
    first = arrays[0]
    axis = axis % first.ndim
    for a in arrays:
        if a.ndim != first.ndim or any(a.shape[d] != first.shape[d]
                                       for d in range(a.ndim) if d != axis):
            raise ValueError(f"join: cannot join shapes {[x.shape for x in arrays]} on axis "
                             f"{axis}")
    total = sum(a.shape[axis] for a in arrays)
    out = rt.empty(first.shape[:axis] + (total,) + first.shape[axis + 1:], dtype)
    start = 0
    for a in arrays:
        index = (slice(None),) * axis + (slice(start, start + a.shape[axis]),)
        copy_into(out[index], a)
        start += a.shape[axis]
    return out
