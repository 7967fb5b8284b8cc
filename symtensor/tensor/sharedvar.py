"""Shared variables: symbolic variables with a value that functions read and update."""

from __future__ import annotations

import numpy as np

from symtensor.compile.sharedvalue import SharedVariable, shared_constructor
from symtensor.tensor.type import TensorType
from symtensor.tensor.variable import _TensorOperators


class TensorSharedVariable(_TensorOperators, SharedVariable):
    """A tensor whose value lives between calls.

    Functions that use it read the current value; ``updates`` write new ones.
    """

    def get_value(self, borrow=False, return_internal_type=False):
        value = self.container.storage[0]
        if not isinstance(value, np.ndarray) and hasattr(value, "get"):
            if return_internal_type:  # a GPU array under device=cuda
                return value if borrow else value.copy()
            return value.get()
        return value if borrow else value.copy()

    def set_value(self, new_value, borrow=False):
        if not borrow:
            new_value = np.array(new_value, copy=True)
        super().set_value(new_value, borrow=True)

    @property
    def value(self):
        return self.get_value()

    def zero(self, borrow=False):
        self.container.storage[0] = np.zeros_like(self.container.storage[0])


@shared_constructor
def tensor_constructor(value, name=None, strict=False, allow_downcast=None, borrow=False,
                       broadcastable=None):
    """A TensorSharedVariable for an array or a Python/NumPy scalar; Python floats become
    float64 and ints int64, as ``numpy.asarray`` gives."""
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    if arr.dtype.kind in "OUSV":
        raise TypeError(f"shared: cannot store a value of dtype {arr.dtype}")
    if broadcastable is None:
        broadcastable = (False,) * arr.ndim
    ttype = TensorType(arr.dtype.name, broadcastable)
    return TensorSharedVariable(ttype, arr, name=name, borrow=borrow, strict=strict,
                                allow_downcast=allow_downcast)


shared = tensor_constructor  # the tensor-only entry point; symtensor.shared tries all types
