"""The Numba backend: ``numba_funcify`` turns an op into a kernel.

Registration is explicit: the family modules listed in ``_FAMILIES`` register their
kernels on import, and ``PERFORM_FALLBACK`` lists the op classes that knowingly run
their NumPy ``perform`` on this backend (a test checks that every op is in one or
the other).
"""

from __future__ import annotations

import importlib

from symtensor.backends.numba.dispatch import numba_funcify, numba_thunk  # noqa: F401

_FAMILIES = ("elemwise", "blas", "conv", "pool")

for _family in _FAMILIES:
    try:
        importlib.import_module(f"symtensor.backends.numba.{_family}")
    except ImportError as err:  # e.g. a broken numba install: say so, fall back to perform
        import warnings
        warnings.warn(f"symtensor: numba kernels for {_family} unavailable ({err}); ops run "
                      "their NumPy reference", stacklevel=2)

#: Op classes that run their NumPy perform under the numba backend, on purpose: NumPy
#: already calls an optimized C loop or BLAS for them, or they only move metadata.
PERFORM_FALLBACK = {
    "DimShuffle", "CAReduce", "Argmax", "Softmax", "SoftmaxGrad", "LogSoftmax",
    "CrossentropySoftmax1Hot", "CrossentropySoftmax1HotGrad",
    "Shape", "MakeVector", "Reshape", "Flatten", "Rebroadcast", "Alloc", "ARange", "Join",
    "Subtensor", "IncSubtensor",
    # NumPy's generators draw the samples; Scan runs its compiled inner function per step
    "RandomFunction", "Scan",
}
