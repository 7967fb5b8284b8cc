"""Launchers for ``reduce.cu``: CAReduce (sum, prod, max, min) and argmax/argmin."""

from __future__ import annotations

import numpy as np

from symtensor_cuda.kernels.elemwise import _grid, elemwise_kernels, single_op_program

_FLOAT_REDUCERS = ("sum", "prod", "max", "min")
_INT_SUM = ("bool", "int8", "int32", "int64")


def cast(x, dtype):
    """``x`` converted to ``dtype`` on the device (itself when it already has it)."""
    from symtensor.tensor.ops.scalar import cast_op
    if x.dtype.name == str(dtype):
        return x
    prog = single_op_program(cast_op(str(dtype)), (x.dtype.name,), str(dtype))
    return elemwise_kernels(x.runtime)(prog, [x])


def _kernel_dtype(reducer: str, dtype: str) -> tuple[str, str]:
    """(kernel suffix, kernel output dtype) for reducing ``dtype``."""
    if dtype in ("float32", "float64") and reducer in _FLOAT_REDUCERS:
        return dtype, dtype
    if reducer == "sum" and dtype in _INT_SUM:
        return dtype, "int64"
    raise NotImplementedError(f"GPU reduce: {reducer} of {dtype} has no kernel (float32/"
                              f"float64 sum/prod/max/min, and sums of {_INT_SUM})")


def supports(reducer: str, dtype: str) -> bool:
    try:
        _kernel_dtype(reducer, dtype)
    except NotImplementedError:
        return False
    return True


def _as_outer_red_inner(x, axes):
    """A C-contiguous array and (outer, red, inner) with the reduced axes in the middle."""
    keep = [d for d in range(x.ndim) if d not in axes]
    red = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    if x.is_c_contiguous and list(axes) == list(range(axes[0], axes[0] + len(axes))):
        outer = int(np.prod(x.shape[: axes[0]], dtype=np.int64))
        return x, outer, red, int(np.prod(x.shape[axes[-1] + 1:], dtype=np.int64))
    # otherwise move the reduced axes last in a contiguous copy
    outer = int(np.prod([x.shape[d] for d in keep], dtype=np.int64))
    return x.runtime.contiguous(x.transpose(keep + list(axes))), outer, red, 1


def reduce(x, reducer: str, axes, out_dtype=None):
    """``reducer`` of ``x`` over ``axes`` (sorted ints); the CAReduce semantics."""
    rt = x.runtime
    axes = tuple(sorted(int(a) for a in axes))
    out_shape = tuple(n for d, n in enumerate(x.shape) if d not in axes)
    suffix, kdtype = _kernel_dtype(reducer, x.dtype.name)
    out_dtype = str(out_dtype or kdtype)
    if not axes:
        return cast(rt.copy(x), out_dtype)
    red_size = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    if red_size == 0:
        if reducer in ("max", "min"):
            raise ValueError(f"GPU reduce: cannot {reducer} over an empty axis (input shape "
                             f"{x.shape})")
        out = rt.to_device(np.full(out_shape, 0 if reducer == "sum" else 1, dtype=out_dtype))
        return out
    out = rt.empty(out_shape, kdtype)
    if out.size:
        xc, outer, red, inner = _as_outer_red_inner(x, axes)
        if inner == 1:
            rt.launch("reduce", f"st_{reducer}_rows_{suffix}", (max(1, min(outer, 8192)),),
                      (256,), xc, out, outer, red)
        else:
            rt.launch("reduce", f"st_{reducer}_cols_{suffix}", (_grid(outer * inner),), (256,),
                      xc, out, outer, red, inner)
    return cast(out, out_dtype)


def argmax(x, axes, which: str = "max"):
    """Index (int64) of the max/min over ``axes``; over several axes, of the flattened
    reduced block (NumPy's rule for all axes)."""
    rt = x.runtime
    axes = tuple(sorted(int(a) for a in axes))
    keep = [d for d in range(x.ndim) if d not in axes]
    out_shape = tuple(x.shape[d] for d in keep)
    red = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    if red == 0:
        raise ValueError(f"GPU arg{which}: cannot reduce an empty axis (input shape {x.shape})")
    name = f"st_arg{which}_rows_{x.dtype.name}"
    if name not in rt.module("reduce").signatures:
        raise NotImplementedError(f"GPU arg{which}: no kernel for dtype {x.dtype.name}")
    xc = rt.contiguous(x.transpose(keep + list(axes)))
    out = rt.empty(out_shape, "int64")
    outer = out.size
    if outer:
        rt.launch("reduce", name, (max(1, min(outer, 8192)),), (256,), xc, out, outer, red)
    return out
