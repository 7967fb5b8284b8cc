"""``conv2d`` (Theano 1.0's ``theano.tensor.nnet.conv2d`` interface)."""

from __future__ import annotations

import warnings

from symtensor.tensor.ops.conv import Conv2d


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode="valid",
           subsample=(1, 1), filter_flip=True, image_shape=None, filter_dilation=(1, 1),
           num_groups=1, unshared=False, **kwargs):
    """2-D convolution of a batch of multi-channel images with a bank of filters.

    Parameters
    ----------
    input : (N, C, H, W) tensor4
    filters : (K, C, kh, kw) tensor4
    input_shape, filter_shape : 4-tuples of ints or None, optional
        Shape hints; checked against the runtime shapes (an error names the op, the
        hint and the actual shape).  ``image_shape`` is the deprecated name of
        ``input_shape``.
    border_mode : 'valid', 'full', 'half', int or (int, int)
        'valid': no padding; 'full': pad by the dilated kernel size - 1; 'half': pad by
        half the dilated kernel size (same-size output for odd kernels); ints: explicit
        zero padding.
    subsample : (int, int)
        Strides.
    filter_flip : bool
        True (default) flips the filters: a true convolution.  False: cross-correlation.
    filter_dilation : (int, int)

    Returns
    -------
    (N, K, H_out, W_out) tensor4

    Examples
    --------
    >>> import numpy as np, symtensor as theano, symtensor.tensor as T
    >>> from symtensor.tensor.nnet import conv2d
    >>> x, w = T.dtensor4('x'), T.dtensor4('w')
    >>> f = theano.function([x, w], conv2d(x, w, border_mode='half'))
    >>> f(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))).shape
    (1, 1, 4, 4)
    """
    if "imshp_logical" in kwargs or "kshp_logical" in kwargs:
        raise ValueError("conv2d: the imshp_logical/kshp_logical keywords are not supported")
    if kwargs:
        raise TypeError(f"conv2d: unexpected keyword arguments {sorted(kwargs)}")
    if num_groups != 1 or unshared:
        raise NotImplementedError("conv2d: grouped (num_groups > 1) and unshared convolutions "
                                  "are not implemented in symtensor")
    if image_shape is not None:
        if input_shape is not None:
            raise ValueError("conv2d: give input_shape or its deprecated name image_shape, "
                             "not both")
        warnings.warn("conv2d: image_shape is deprecated; use input_shape",
                      DeprecationWarning, stacklevel=2)
        input_shape = image_shape
    op = Conv2d(border_mode=border_mode, subsample=subsample, filter_flip=filter_flip,
                filter_dilation=filter_dilation, imshp=input_shape, kshp=filter_shape)
    return op(input, filters)
