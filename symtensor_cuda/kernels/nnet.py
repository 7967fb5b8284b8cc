"""Launchers for ``nnet.cu``: softmax, log-softmax, the softmax gradient, and softmax +
NLL with integer labels (CrossentropySoftmax1Hot) with its gradient."""

from __future__ import annotations

from symtensor_cuda.kernels.elemwise import _grid
from symtensor_cuda.kernels.subtensor import as_index


def _rows(name, *arrays):
    for a in arrays:
        if a.ndim != 2 or a.dtype.name not in ("float32", "float64") or a.dtype != arrays[0].dtype:
            got = [(x.shape, x.dtype.name) for x in arrays]
            raise NotImplementedError(f"{name}: the GPU kernel needs float32/float64 matrices "
                                      f"of one dtype, got {got}")
    rt = arrays[0].runtime
    return rt, [rt.contiguous(a) for a in arrays]


def _row_grid(rows: int) -> int:
    return max(1, min(rows, 8192))


def softmax(x):
    """Row-wise softmax of a matrix."""
    rt, (x,) = _rows("softmax", x)
    sm = rt.empty(x.shape, x.dtype)
    if sm.size:
        rt.launch("nnet", f"st_softmax_rows_{x.dtype.name}", (_row_grid(x.shape[0]),), (256,),
                  x, sm, *x.shape)
    return sm


def log_softmax(x):
    """Row-wise ``log(softmax(x))``, computed without forming the softmax."""
    rt, (x,) = _rows("log_softmax", x)
    out = rt.empty(x.shape, x.dtype)
    if out.size:
        rt.launch("nnet", f"st_log_softmax_rows_{x.dtype.name}", (_row_grid(x.shape[0]),),
                  (256,), x, out, *x.shape)
    return out


def softmax_grad(dy, sm):
    """``(dy - sum(dy * sm, axis=1)) * sm``."""
    rt, (dy, sm) = _rows("softmax_grad", dy, sm)
    if dy.shape != sm.shape:
        raise ValueError(f"softmax_grad: dy {dy.shape} and sm {sm.shape} differ")
    dx = rt.empty(sm.shape, sm.dtype)
    if dx.size:
        rt.launch("nnet", f"st_softmax_grad_rows_{sm.dtype.name}", (_row_grid(sm.shape[0]),),
                  (256,), dy, sm, dx, *sm.shape)
    return dx


def softmax_nll(x, y):
    """``(nll, sm)``: ``sm = softmax(x)`` and ``nll[i] = -log(sm[i, y[i]])``."""
    rt, (x,) = _rows("softmax_nll", x)
    y = as_index(rt, y)
    rows, cols = x.shape
    if y.shape != (rows,):
        raise ValueError(f"softmax_nll: expected {rows} labels, got shape {y.shape}")
    sm, nll = rt.empty(x.shape, x.dtype), rt.empty((rows,), x.dtype)
    err = rt.zeros((1,), "int32")
    if rows:
        rt.launch("nnet", f"st_softmax_nll_rows_{x.dtype.name}", (_row_grid(rows),), (256,),
                  x, y, sm, nll, rows, cols, err)
    if int(err.get()[0]):
        raise IndexError(f"softmax_nll: a label is outside [0, {cols})")
    return nll, sm


def softmax_nll_grad(gnll, sm, y):
    """``gnll[:, None] * (sm - one_hot(y))``."""
    from symtensor_cuda.kernels.reduce import cast
    rt, (sm,) = _rows("softmax_nll_grad", sm)
    gnll, y = rt.contiguous(cast(rt.to_device(gnll), sm.dtype.name)), as_index(rt, y)
    dx = rt.empty(sm.shape, sm.dtype)
    if dx.size:
        rt.launch("nnet", f"st_softmax_nll_grad_{sm.dtype.name}", (_grid(dx.size),), (256,),
                  gnll, sm, y, dx, *sm.shape)
    return dx
