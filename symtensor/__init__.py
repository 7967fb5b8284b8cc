"""symtensor: a small, fast, Theano-compatible symbolic tensor framework.

``import symtensor as theano`` and ``import symtensor.tensor as T`` give Theano 1.0's
names: ``theano.function``, ``theano.shared``, ``theano.config``, ``T.grad``, ...
"""

import symtensor.tensor.ops.random  # noqa: E402,F401  (registers the random-state constructor)
import symtensor.tensor.rewriting  # noqa: E402,F401  (registers the rewrites)
import symtensor.tensor.sharedvar  # noqa: E402,F401  (registers the tensor constructor)
from symtensor import (
    printing,  # noqa: E402
    tensor,  # noqa: E402
)
from symtensor.compile.function import In, function  # noqa: E402
from symtensor.compile.mode import Mode  # noqa: E402
from symtensor.compile.sharedvalue import shared  # noqa: E402
from symtensor.config import config
from symtensor.gradient import grad  # noqa: E402
from symtensor.scan_module import scan  # noqa: E402

__version__ = "0.1.0"
__all__ = ["In", "Mode", "config", "function", "grad", "printing", "scan", "shared", "tensor"]
