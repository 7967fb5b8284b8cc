"""Launchers for ``pool.cu``: pool_2d forward, max / average gradients, max grad-grad.

Arguments mirror the NumPy references in :mod:`symtensor.tensor.ops.pool`; parameters
are checked and output shapes computed by that family's helpers.
"""

from __future__ import annotations

import numpy as np

from symtensor.tensor.ops.pool import POOL_MODES, check_pool_params, pool_output_shape
from symtensor_cuda.kernels.elemwise import _grid


def _setup(name, x_shape, arrays, ws, ignore_border, stride, pad, mode):
    """(output shape, kernel arguments after the pointers); checks dtypes and params."""
    if len(x_shape) < 2:
        raise ValueError(f"{name}: input must have at least 2 dimensions, got {x_shape}")
    dtypes = sorted({a.dtype.name for a in arrays})
    if len(dtypes) != 1 or dtypes[0] not in ("float32", "float64"):
        raise NotImplementedError(f"{name}: the GPU kernel needs float32 or float64 operands "
                                  f"of one dtype, got {dtypes}")
    (wh, ww), (sh, sw), (ph, pw) = check_pool_params(ws, ignore_border, stride, pad, mode)
    out_shape = tuple(int(s) for s in pool_output_shape(x_shape, (wh, ww), ignore_border,
                                                        (sh, sw), (ph, pw)))
    planes = int(np.prod(x_shape[:-2], dtype=np.int64))
    h, w = x_shape[-2:]
    args = [planes, h, w, out_shape[-2], out_shape[-1], wh, ww, sh, sw, ph, pw,
            POOL_MODES.index(mode)]
    return out_shape, args


def _expect(name, arr, shape):
    if tuple(arr.shape) != tuple(shape):
        raise ValueError(f"pool_2d: {name} must have shape {tuple(shape)}, got {arr.shape}")


def pool_2d(x, ws, ignore_border, stride=None, pad=(0, 0), mode="max"):
    rt = x.runtime
    out_shape, args = _setup("pool_2d", x.shape, [x], ws, ignore_border, stride, pad, mode)
    out = rt.empty(out_shape, x.dtype)
    if out.size:
        rt.launch("pool", f"st_pool_forward_{x.dtype.name}", (_grid(out.size),), (256,),
                  rt.contiguous(x), out, *args)
    return out


def max_pool_grad(x, maxout, gz, ws, ignore_border, stride=None, pad=(0, 0)):
    rt = x.runtime
    out_shape, args = _setup("max_pool_grad", x.shape, [x, maxout, gz], ws, ignore_border,
                             stride, pad, "max")
    _expect("maxout", maxout, out_shape)
    _expect("gz", gz, out_shape)
    gx = rt.empty(x.shape, x.dtype)
    if gx.size:
        rt.launch("pool", f"st_max_pool_grad_{x.dtype.name}", (_grid(gx.size),), (256,),
                  rt.contiguous(x), rt.contiguous(maxout), rt.contiguous(gz), gx, *args)
    return gx


def average_pool_grad(x_shape, gz, ws, ignore_border, stride=None, pad=(0, 0),
                      mode="average_inc_pad"):
    """Gradient of sum / average pooling; only the input's shape is needed."""
    if mode == "max":
        raise ValueError("average_pool_grad: mode must not be 'max'")
    rt = gz.runtime
    x_shape = tuple(int(s) for s in x_shape)
    out_shape, args = _setup("average_pool_grad", x_shape, [gz], ws, ignore_border, stride,
                             pad, mode)
    _expect("gz", gz, out_shape)
    gx = rt.empty(x_shape, gz.dtype)
    if gx.size:
        rt.launch("pool", f"st_average_pool_grad_{gz.dtype.name}", (_grid(gx.size),), (256,),
                  rt.contiguous(gz), gx, *args)
    return gx


def max_pool_grad_grad(x, maxout, ggx, ws, ignore_border, stride=None, pad=(0, 0)):
    rt = x.runtime
    out_shape, args = _setup("max_pool_grad_grad", x.shape, [x, maxout, ggx], ws, ignore_border,
                             stride, pad, "max")
    _expect("maxout", maxout, out_shape)
    _expect("ggx", ggx, x.shape)
    ggz = rt.empty(out_shape, x.dtype)
    if ggz.size:
        rt.launch("pool", f"st_max_pool_grad_grad_{x.dtype.name}", (_grid(ggz.size),), (256,),
                  rt.contiguous(x), rt.contiguous(maxout), rt.contiguous(ggx), ggz, *args)
    return ggz
