"""Launchers for ``conv.cu``: conv2d forward and its input / weight gradients.

Arguments mirror the NumPy references in :mod:`symtensor.tensor.ops.conv`
(``conv2d_reference`` and friends): explicit symmetric pads, subsample, dilation and
``filter_flip``; shapes come from the family's shape helper.
"""

from __future__ import annotations

from symtensor.tensor.ops.conv import conv2d_output_shape
from symtensor_cuda.kernels.elemwise import _grid


def _check(name, *arrays):
    dtypes = {a.dtype.name for a in arrays}
    if len(dtypes) != 1 or not dtypes <= {"float32", "float64"}:
        raise NotImplementedError(f"{name}: the GPU kernel needs float32 or float64 operands of "
                                  f"one dtype, got {sorted(dtypes)}")
    for a in arrays:
        if a.ndim != 4:
            raise ValueError(f"{name}: expected 4-d arrays, got shape {a.shape}")


def _shape_args(x_shape, w_shape, pad, subsample, dilation, filter_flip):
    n, k, ho, wo = conv2d_output_shape(x_shape, w_shape, tuple(pad), subsample, dilation)
    if x_shape[1] != w_shape[1]:
        raise ValueError(f"conv2d: input has {x_shape[1]} channels but the kernel expects "
                         f"{w_shape[1]} (x {tuple(x_shape)}, w {tuple(w_shape)})")
    if ho <= 0 or wo <= 0:
        raise ValueError(f"conv2d: input {tuple(x_shape)} with kernel {tuple(w_shape)} gives "
                         f"an empty output ({ho}, {wo})")
    c, h, wd = x_shape[1:]
    kh, kw = w_shape[2:]
    return (n, k, ho, wo), [n, c, h, wd, k, kh, kw, ho, wo, pad[0], pad[1], subsample[0],
                            subsample[1], dilation[0], dilation[1], int(bool(filter_flip))]


def conv2d(x, w, pad=(0, 0), subsample=(1, 1), dilation=(1, 1), filter_flip=True):
    """y : (N, K, Ho, Wo) from x : (N, C, H, W) and w : (K, C, kh, kw)."""
    _check("conv2d", x, w)
    rt = x.runtime
    out_shape, args = _shape_args(x.shape, w.shape, pad, subsample, dilation, filter_flip)
    y = rt.empty(out_shape, x.dtype)
    if y.size:
        rt.launch("conv", f"st_conv2d_forward_{x.dtype.name}", (_grid(y.size),), (256,),
                  rt.contiguous(x), rt.contiguous(w), y, *args)
    return y


def conv2d_grad_input(w, gy, x_shape, pad=(0, 0), subsample=(1, 1), dilation=(1, 1),
                      filter_flip=True):
    """gx : (N, C, H, W), with H, W the last two entries of ``x_shape``."""
    _check("conv2d grad_input", w, gy)
    rt = w.runtime
    x_full = (gy.shape[0], w.shape[1], int(x_shape[-2]), int(x_shape[-1]))
    out_shape, args = _shape_args(x_full, w.shape, pad, subsample, dilation, filter_flip)
    if tuple(gy.shape) != out_shape:
        raise ValueError(f"conv2d grad_input: input shape {x_full} gives output {out_shape}, "
                         f"but the output gradient has shape {gy.shape}")
    gx = rt.empty(x_full, w.dtype)
    if gx.size:
        rt.launch("conv", f"st_conv2d_grad_input_{w.dtype.name}", (_grid(gx.size),), (256,),
                  rt.contiguous(w), rt.contiguous(gy), gx, *args)
    return gx


def conv2d_grad_weights(x, gy, w_shape, pad=(0, 0), subsample=(1, 1), dilation=(1, 1),
                        filter_flip=True):
    """gw : (K, C, kh, kw), with kh, kw the last two entries of ``w_shape``."""
    _check("conv2d grad_weights", x, gy)
    rt = x.runtime
    w_full = (gy.shape[1], x.shape[1], int(w_shape[-2]), int(w_shape[-1]))
    out_shape, args = _shape_args(x.shape, w_full, pad, subsample, dilation, filter_flip)
    if tuple(gy.shape) != out_shape:
        raise ValueError(f"conv2d grad_weights: kernel shape {w_full} gives output "
                         f"{out_shape}, but the output gradient has shape {gy.shape}")
    gw = rt.empty(w_full, x.dtype)
    if gw.size:
        rt.launch("conv", f"st_conv2d_grad_weights_{x.dtype.name}", (min(gw.size, 65535),),
                  (256,), rt.contiguous(x), rt.contiguous(gy), gw, *args)
    return gw
