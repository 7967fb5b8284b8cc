"""The older ``theano.tensor.nnet.conv.conv2d`` interface (``image_shape`` keyword)."""

from __future__ import annotations

from symtensor.tensor.ops.conv import Conv2d


def conv2d(input, filters, filter_shape=None, image_shape=None, border_mode="valid",
           subsample=(1, 1), **kargs):
    """Theano's legacy conv2d: a true convolution, ``border_mode`` 'valid' or 'full'.

    ``image_shape`` and ``filter_shape`` are optional shape hints, checked at run time.
    See :func:`symtensor.tensor.nnet.conv2d` for the full interface.
    """
    if border_mode not in ("valid", "full"):
        raise ValueError(f"nnet.conv.conv2d: border_mode must be 'valid' or 'full', got "
                         f"{border_mode!r}; use symtensor.tensor.nnet.conv2d for others")
    unknown = set(kargs) - {"unroll_batch", "unroll_kern", "unroll_patch", "verbose",
                            "openmp", "version", "direction_hint"}
    if unknown:
        raise TypeError(f"nnet.conv.conv2d: unexpected keyword arguments {sorted(unknown)}")
    op = Conv2d(border_mode=border_mode, subsample=subsample, filter_flip=True,
                imshp=image_shape, kshp=filter_shape)
    return op(input, filters)
