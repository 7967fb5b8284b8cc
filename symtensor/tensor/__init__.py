"""``symtensor.tensor`` (imported as ``T``): types, constructors and symbolic functions."""

from symtensor.gradient import grad  # noqa: E402,F401
from symtensor.tensor import nnet, signal  # noqa: E402,F401
from symtensor.tensor.basic import *  # noqa: F401,F403
from symtensor.tensor.basic import __all__ as _basic_all
from symtensor.tensor.sharedvar import TensorSharedVariable, shared  # noqa: F401
from symtensor.tensor.type import TensorType  # noqa: F401
from symtensor.tensor.variable import TensorConstant, TensorVariable  # noqa: F401

__all__ = list(_basic_all) + ["TensorType", "TensorVariable", "TensorConstant", "shared",
                               "nnet", "signal", "grad"]
