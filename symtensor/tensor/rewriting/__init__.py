"""Tensor rewrites, registered into the phases on import (one module per op family)."""

# blas before elemwise: its rewrite must see z - a * dot(x, y) before fusion absorbs it
from symtensor.tensor.rewriting import basic, blas, elemwise, inplace, nnet, shape  # noqa: F401
