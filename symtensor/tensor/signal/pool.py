"""``pool_2d`` (Theano 1.0's ``theano.tensor.signal.pool`` interface)."""

from __future__ import annotations

import warnings

from symtensor.tensor.ops.pool import (  # noqa: F401  (re-exported, as in Theano)
    AveragePoolGrad,
    MaxPoolGrad,
    MaxPoolGradGrad,
    Pool,
    pool_output_shape,
)


def _renamed(old_name, old, new_name, new):
    if old is None:
        return new
    if new is not None and (new_name != "pad" or tuple(new) != (0, 0)):
        raise ValueError(f"pool_2d: give {new_name} or its deprecated name {old_name}, not both")
    warnings.warn(f"pool_2d: the {old_name} parameter is deprecated, use {new_name}",
                  DeprecationWarning, stacklevel=3)
    return old


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode="max",
            ds=None, st=None, padding=None):
    """Pool each (H, W) plane of the last two axes of ``input``.

    Parameters
    ----------
    input : tensor of ndim >= 2, e.g. (N, C, H, W)
    ws : (int, int)
        Window size (deprecated name: ``ds``).
    ignore_border : bool
        True: windows that would cross the border are dropped; False keeps a last,
        partial window.  Leaving it unset warns (Theano's default, False, is kept).
    stride : (int, int), optional
        Defaults to ``ws`` (deprecated name: ``st``).
    pad : (int, int)
        Zero padding on each side, needs ``ignore_border=True`` (deprecated: ``padding``).
    mode : {'max', 'sum', 'average_inc_pad', 'average_exc_pad'}

    Examples
    --------
    >>> import numpy as np, symtensor as theano, symtensor.tensor as T
    >>> from symtensor.tensor.signal import pool
    >>> x = T.dmatrix('x')
    >>> f = theano.function([x], pool.pool_2d(x, (2, 2), ignore_border=True))
    >>> f(np.arange(16.0).reshape(4, 4))
    array([[ 5.,  7.],
           [13., 15.]])
    """
    ws = _renamed("ds", ds, "ws", ws)
    stride = _renamed("st", st, "stride", stride)
    pad = _renamed("padding", padding, "pad", pad)
    if ws is None:
        raise ValueError("pool_2d: the window size ws is required")
    if input.ndim < 2:
        raise NotImplementedError(f"pool_2d: input needs at least 2 dimensions, got "
                                  f"{input.type}")
    if ignore_border is None:
        warnings.warn("pool_2d: ignore_border is unset; it defaults to False as in Theano, "
                      "whose later versions change it to True. Pass ignore_border explicitly.",
                      stacklevel=2)
        ignore_border = False
    return Pool(ws, ignore_border, stride, pad, mode)(input)
