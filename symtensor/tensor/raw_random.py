"""Theano's ``theano.tensor.raw_random`` path: random ops on explicit state variables.

Each function takes a random state variable and returns ``(new_state, sample)``; see
:mod:`symtensor.tensor.ops.random`.  Most code wants :class:`RandomStreams` instead.
"""

from symtensor.tensor.ops.random import (  # noqa: F401  (re-exported)
    RandomFunction,
    RandomStateSharedVariable,
    RandomStateType,
    binomial,
    multinomial,
    normal,
    permutation,
    poisson,
    random_integers,
    random_state_type,
    uniform,
)

__all__ = ["RandomFunction", "RandomStateSharedVariable", "RandomStateType", "binomial",
           "multinomial", "normal", "permutation", "poisson", "random_integers",
           "random_state_type", "uniform"]
