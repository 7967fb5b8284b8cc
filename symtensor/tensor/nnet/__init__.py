"""``symtensor.tensor.nnet``: activations, softmax, losses and (``conv2d``) convolution."""

from __future__ import annotations

from symtensor.tensor import basic as _T
from symtensor.tensor.nnet import abstract_conv, conv  # noqa: F401
from symtensor.tensor.nnet.abstract_conv import conv2d  # noqa: F401
from symtensor.tensor.ops.nnet import Softmax, SoftmaxGrad  # noqa: F401

sigmoid = _T.nnet_sigmoid
softplus = _T.softplus
_softmax = Softmax()


def softmax(x, axis=None):
    """Softmax of each row of a matrix; a vector is treated as one row and, as in
    Theano 1.0, gives a (1, n) row matrix."""
    x = _T.as_tensor_variable(x)
    if axis not in (None, -1, x.ndim - 1):
        raise ValueError(f"softmax: only the last axis is supported, got axis={axis}")
    if x.ndim == 1:
        return _softmax(x.dimshuffle("x", 0))
    return _softmax(x)


def relu(x, alpha=0):
    """Rectified linear unit, ``max(x, alpha * x)`` for ``alpha < 1`` (Theano's form)."""
    x = _T.as_tensor_variable(x)
    if alpha == 0:
        return 0.5 * (x + abs(x))
    f1, f2 = 0.5 * (1 + alpha), 0.5 * (1 - alpha)
    return f1 * x + f2 * abs(x)


def categorical_crossentropy(coding_dist, true_dist):
    """Cross-entropy of each row: ``-log(coding_dist[i, true_dist[i]])`` for integer
    labels, ``-sum(true_dist * log(coding_dist), axis=1)`` for a distribution matrix."""
    coding_dist = _T.as_tensor_variable(coding_dist)
    true_dist = _T.as_tensor_variable(true_dist)
    if true_dist.ndim == coding_dist.ndim:
        return -_T.sum(true_dist * _T.log(coding_dist), axis=coding_dist.ndim - 1)
    if true_dist.ndim == coding_dist.ndim - 1 and true_dist.dtype in _T.DISCRETE_DTYPES:
        if coding_dist.ndim != 2:
            raise TypeError("categorical_crossentropy: integer labels need a matrix of "
                            f"probabilities, got {coding_dist.type}")
        return -_T.log(coding_dist[_T.arange(true_dist.shape[0]), true_dist])
    raise TypeError(f"categorical_crossentropy: true_dist {true_dist.type} must be integer "
                    f"labels of ndim {coding_dist.ndim - 1} or a distribution like "
                    f"{coding_dist.type}")


def binary_crossentropy(output, target):
    """``-(target * log(output) + (1 - target) * log(1 - output))``."""
    return -(target * _T.log(output) + (1.0 - target) * _T.log(1.0 - output))
