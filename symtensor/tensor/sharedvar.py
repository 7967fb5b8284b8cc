"""Shared variables: symbolic variables with a value that functions read and update."""

from __future__ import annotations

import copy

import numpy as np

from symtensor.tensor.type import TensorType
from symtensor.tensor.variable import TensorVariable


class Container:
    """The storage cell a shared variable and the functions using it share."""

    __slots__ = ("storage",)

    def __init__(self, value):
        self.storage = [value]


class TensorSharedVariable(TensorVariable):
    """A tensor whose value lives between calls.

    Functions that use it read the current value; ``updates`` write new ones.
    """

    def __init__(self, type, value, name=None, borrow=False, strict=False,
                 allow_downcast=None):
        super().__init__(type, None, None, name)
        value = type.filter(value if borrow else copy.deepcopy(value), strict=strict,
                            allow_downcast=allow_downcast)
        self.container = Container(value)

    def get_value(self, borrow=False, return_internal_type=False):
        """The current value; a copy unless ``borrow=True``."""
        value = self.container.storage[0]
        return value if borrow else value.copy()

    def set_value(self, new_value, borrow=False):
        """Replace the value (copied unless ``borrow=True``); must fit the type."""
        if not borrow:
            new_value = np.array(new_value, copy=True)
        try:
            value = self.type.filter(new_value, allow_downcast=None)
        except TypeError as err:
            raise TypeError(f"shared variable {self.name or self}: {err}") from None
        self.container.storage[0] = value

    @property
    def value(self):
        return self.get_value()

    def clone(self):
        cp = super().clone()
        cp.container = self.container
        return cp

    def zero(self, borrow=False):
        self.container.storage[0] = np.zeros_like(self.container.storage[0])

    def __str__(self):
        return self.name if self.name is not None else f"<shared {self.type}>"


SharedVariable = TensorSharedVariable


def shared(value, name=None, strict=False, allow_downcast=None, borrow=False,
           broadcastable=None):
    """A shared variable holding ``value`` (an array or a Python/NumPy scalar).

    Parameters
    ----------
    value : array_like
        The initial value; its dtype is kept (Python floats become float64 arrays, as
        ``numpy.asarray`` gives; ints become int64).
    name : str, optional
    borrow : bool
        If True, use ``value`` itself as storage instead of a copy.
    broadcastable : tuple of bool, optional
        By default no dimension is broadcastable.
    """
    from symtensor.graph.basic import Variable
    if isinstance(value, Variable):
        raise TypeError(f"shared: expected a numeric value, got the symbolic variable {value}")
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    if arr.dtype.kind in "OUSV":
        raise TypeError(f"shared: cannot store a value of dtype {arr.dtype}")
    if broadcastable is None:
        broadcastable = (False,) * arr.ndim
    ttype = TensorType(arr.dtype.name, broadcastable)
    return TensorSharedVariable(ttype, arr if isinstance(value, np.ndarray) else arr,
                                name=name, borrow=borrow, strict=strict,
                                allow_downcast=allow_downcast)
