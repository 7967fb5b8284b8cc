"""TensorVariable and TensorConstant: Python operators, dimshuffle and indexing."""

from __future__ import annotations

import numpy as np

from symtensor.graph.basic import Constant, Variable


def _T():
    from symtensor.tensor import basic
    return basic


def _comparison(fn):
    def op(self, other):
        out = fn(self, other)
        out._is_nonzero = False  # `a < b < c` must fail, as in Theano
        return out
    return op


class _TensorOperators:
    """Operators shared by tensor variables and constants (Theano's semantics)."""

    __array_ufunc__ = None  # numpy scalars/arrays defer to our reflected operators
    _is_nonzero = True

    def __bool__(self):
        if self._is_nonzero:
            return True
        raise TypeError("symbolic comparisons have no truth value; use T.and_/T.or_ or "
                        "T.switch instead of Python's and/or/if")

    def __iter__(self):
        raise TypeError(f"{self} is symbolic and cannot be iterated; maybe you used "
                        "Python's builtin sum/max on it instead of T.sum/T.max")

    def __len__(self):
        raise TypeError(f"{self} is symbolic and has no len(); use x.shape[0]")

    # arithmetic
    def __add__(self, o): return _T().add(self, o)
    def __radd__(self, o): return _T().add(o, self)
    def __sub__(self, o): return _T().sub(self, o)
    def __rsub__(self, o): return _T().sub(o, self)
    def __mul__(self, o): return _T().mul(self, o)
    def __rmul__(self, o): return _T().mul(o, self)
    def __truediv__(self, o): return _T().true_div(self, o)
    def __rtruediv__(self, o): return _T().true_div(o, self)
    def __floordiv__(self, o): return _T().int_div(self, o)
    def __rfloordiv__(self, o): return _T().int_div(o, self)
    def __mod__(self, o): return _T().mod(self, o)
    def __rmod__(self, o): return _T().mod(o, self)
    def __pow__(self, o): return _T().pow(self, o)
    def __rpow__(self, o): return _T().pow(o, self)
    def __neg__(self): return _T().neg(self)
    def __abs__(self): return _T().abs_(self)
    def __invert__(self): return _T().invert(self)
    def __and__(self, o): return _T().and_(self, o)
    def __rand__(self, o): return _T().and_(o, self)
    def __or__(self, o): return _T().or_(self, o)
    def __ror__(self, o): return _T().or_(o, self)
    def __xor__(self, o): return _T().xor(self, o)
    def __rxor__(self, o): return _T().xor(o, self)
    def __matmul__(self, o): return _T().dot(self, o)
    def __rmatmul__(self, o): return _T().dot(o, self)

    __lt__ = _comparison(lambda a, b: _T().lt(a, b))
    __le__ = _comparison(lambda a, b: _T().le(a, b))
    __gt__ = _comparison(lambda a, b: _T().gt(a, b))
    __ge__ = _comparison(lambda a, b: _T().ge(a, b))

    __hash__ = Variable.__hash__  # == stays identity, as in Theano (use T.eq)

    # attributes
    dtype = property(lambda self: self.type.dtype)
    broadcastable = property(lambda self: self.type.broadcastable)
    ndim = property(lambda self: self.type.ndim)
    shape = property(lambda self: _T().shape(self))
    size = property(lambda self: _T().prod(self.shape))
    T = property(lambda self: _T().transpose(self))

    def dimshuffle(self, *pattern):
        """Reorder dims, with ``'x'`` for new broadcastable ones (see DimShuffle)."""
        from symtensor.tensor.ops.elemwise import DimShuffle
        if len(pattern) == 1 and isinstance(pattern[0], list | tuple):
            pattern = tuple(pattern[0])
        if pattern == tuple(range(self.ndim)):
            return self
        return DimShuffle(self.broadcastable, pattern)(self)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], list | tuple):
            axes = axes[0]
        return _T().transpose(self, axes or None)

    def reshape(self, shape, ndim=None):
        return _T().reshape(self, shape, ndim)

    def flatten(self, ndim=1, outdim=None):
        return _T().flatten(self, ndim if outdim is None else outdim)

    def astype(self, dtype):
        return _T().cast(self, dtype)

    def __getitem__(self, key):
        from symtensor.tensor.ops.subtensor import Subtensor, parse_index
        idx_list, inputs = parse_index(self.ndim, key)
        if idx_list and all(e == ("s", None, None, None) for e in idx_list):
            return self
        return Subtensor(idx_list)(self, *inputs)

    def sum(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _T().mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def var(self, axis=None, ddof=0, keepdims=False):
        return _T().var(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def std(self, axis=None, ddof=0, keepdims=False):
        return _T().std(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def max(self, axis=None, keepdims=False):
        return _T().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _T().min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return _T().argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return _T().argmin(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return _T().all(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return _T().any(self, axis=axis, keepdims=keepdims)

    def dot(self, other):
        return _T().dot(self, other)

    def clip(self, a_min, a_max):
        return _T().clip(self, a_min, a_max)

    def round(self, mode="half_away_from_zero"):
        return _T().round(self, mode)

    def exp(self): return _T().exp(self)
    def log(self): return _T().log(self)
    def sqrt(self): return _T().sqrt(self)

    def zeros_like(self, dtype=None):
        return _T().zeros_like(self, dtype)

    def ones_like(self, dtype=None):
        return _T().ones_like(self, dtype)

    def copy(self, name=None):
        out = _T().identity(self)
        out.name = name
        return out

    def nonzero_values(self):
        return self.flatten()[_T().neq(self.flatten(), 0)]


class TensorVariable(_TensorOperators, Variable):
    """A symbolic tensor."""


class TensorConstant(_TensorOperators, Constant):
    """A tensor with a fixed value."""

    def __str__(self):
        if self.name is not None:
            return self.name
        d = self.data
        if d.ndim == 0:
            return str(d.item())
        return f"TensorConstant{{{np.array2string(d, threshold=6)}}}"

    @property
    def value(self):
        return self.data
