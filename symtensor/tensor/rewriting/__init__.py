"""Tensor rewrites, registered into the phases on import (one module per op family)."""

from symtensor.tensor.rewriting import basic, elemwise, inplace, nnet, shape  # noqa: F401
