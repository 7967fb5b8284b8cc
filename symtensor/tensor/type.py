"""TensorType: an n-d array of one dtype, with per-dimension broadcastable flags."""

from __future__ import annotations

import numpy as np

from symtensor.config import config
from symtensor.graph.type import Type

DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "complex64", "complex128")
FLOAT_DTYPES = ("float16", "float32", "float64")
DISCRETE_DTYPES = DTYPES[:9]
INT_DTYPES = DTYPES[1:9]
_NDIM_NAMES = {(): "scalar", (False,): "vector", (False, True): "col", (True, False): "row",
               (False, False): "matrix"}


def upcast(*dtypes: str) -> str:
    """The dtype NumPy gives to an operation on arrays of ``dtypes`` (Theano's rule)."""
    return np.result_type(*[np.dtype(d) for d in dtypes]).name


def upgrade_to_float(*dtypes: str) -> str:
    """Theano's output dtype for float-valued ops on discrete inputs (true_div, exp, ...)."""
    conv = {"bool": "float32", "int8": "float32", "int16": "float32", "uint8": "float32",
            "uint16": "float32", "int32": "float64", "int64": "float64", "uint32": "float64",
            "uint64": "float64"}
    return upcast(*[conv.get(d, d) for d in dtypes])


class TensorType(Type):
    """``TensorType(dtype, broadcastable)``; call it to make a variable.

    Parameters
    ----------
    dtype : str
        A NumPy dtype name such as ``'float32'``; ``'floatX'`` means ``config.floatX``.
    broadcastable : tuple of bool
        One flag per dimension: True where the dimension always has length 1 and
        broadcasts against any length.
    """

    def __init__(self, dtype: str, broadcastable=()):
        if dtype == "floatX":
            dtype = config.floatX
        try:
            dtype = np.dtype(dtype).name
        except TypeError:
            raise TypeError(f"TensorType: unknown dtype {dtype!r}") from None
        if dtype not in DTYPES:
            raise TypeError(f"TensorType: unsupported dtype {dtype!r}; expected one of {DTYPES}")
        if isinstance(broadcastable, int):
            raise TypeError("TensorType: broadcastable must be a tuple of bools, not an int; "
                            f"for {broadcastable} dimensions use (False,) * {broadcastable}")
        self.dtype = dtype
        self.broadcastable = tuple(bool(b) for b in broadcastable)

    ndim = property(lambda self: len(self.broadcastable))

    def __eq__(self, other):
        return (type(other) is type(self) and other.dtype == self.dtype
                and other.broadcastable == self.broadcastable)

    def __hash__(self):
        return hash((type(self), self.dtype, self.broadcastable))

    def __str__(self):
        kind = _NDIM_NAMES.get(self.broadcastable)
        if kind is None:
            kind = str(self.broadcastable) if any(self.broadcastable) else f"{self.ndim}D"
        return f"TensorType({self.dtype}, {kind})"

    __repr__ = __str__

    @property
    def variable_class(self):
        from symtensor.tensor.variable import TensorVariable
        return TensorVariable

    @property
    def constant_class(self):
        from symtensor.tensor.variable import TensorConstant
        return TensorConstant

    def clone(self, dtype=None, broadcastable=None) -> TensorType:
        return TensorType(dtype or self.dtype,
                          self.broadcastable if broadcastable is None else broadcastable)

    def filter(self, data, strict: bool = False, allow_downcast: bool | None = None):
        """``data`` as an ndarray of this type, or a TypeError saying what is wrong.

        Without ``allow_downcast`` only lossless conversions are made (Theano's rule);
        a Python float is accepted for a ``floatX`` tensor.
        """
        from symtensor.graph.basic import Variable

        if isinstance(data, Variable):
            raise TypeError(f"{self}: expected an array-like value but got the symbolic variable "
                            f"{data}; call the function on numbers, not on (shared) variables")
        if isinstance(data, np.ndarray) and data.dtype.name == self.dtype:
            pass
        elif strict:
            raise TypeError(f"{self}: expected an ndarray of dtype {self.dtype}, got "
                            f"{type(data).__name__} of dtype {getattr(data, 'dtype', '?')}")
        elif allow_downcast:
            data = np.asarray(data, dtype=self.dtype)
        elif allow_downcast is None and type(data) is float and self.dtype == config.floatX:
            data = np.asarray(data, dtype=self.dtype)
        else:
            arr = np.asarray(data)
            if isinstance(data, np.ndarray | np.generic):
                ok = upcast(self.dtype, arr.dtype.name) == self.dtype
            else:
                converted = np.asarray(data, dtype=self.dtype)
                ok = arr.dtype.kind not in "OUS" and np.array_equal(converted, arr)
            if not ok:
                raise TypeError(
                    f"{self} cannot store a value of dtype {arr.dtype} without risking loss of "
                    f"precision; cast it to {self.dtype} first or pass allow_input_downcast=True "
                    "to function")
            data = np.asarray(data, dtype=self.dtype)
        if data.ndim != self.ndim:
            raise TypeError(f"{self}: wrong number of dimensions: expected {self.ndim}, got "
                            f"{data.ndim} with shape {data.shape}")
        for dim, (bc, size) in enumerate(zip(self.broadcastable, data.shape)):
            if bc and size != 1:
                raise TypeError(f"{self}: dimension {dim} is broadcastable so it must have "
                                f"length 1, got shape {data.shape}")
        return data

    def convert_variable(self, var):
        """``var`` as this type when only broadcastable flags differ and ``var``'s are
        stricter (it is broadcastable wherever this type is)."""
        vt = var.type
        if (isinstance(vt, TensorType) and vt.dtype == self.dtype and vt.ndim == self.ndim
                and all(ob or not sb for sb, ob in zip(self.broadcastable, vt.broadcastable))):
            from symtensor.tensor.ops.shape import patternbroadcast
            return patternbroadcast(var, self.broadcastable)
        return None

    def constant_signature(self, data):
        return (self, data.shape, data.tobytes()) if data.size < 4096 else (self, id(data))

    def values_eq(self, a, b) -> bool:
        return a.shape == b.shape and np.array_equal(a, b)

    def values_eq_approx(self, a, b, rtol=None, atol=None) -> bool:
        tight = self.dtype in ("float64", "complex128")
        return a.shape == b.shape and np.allclose(
            a, b, rtol=rtol or (1e-5 if tight else 1e-3), atol=atol or (1e-8 if tight else 1e-5),
            equal_nan=True)
