"""``MRG_RandomStreams``: Theano's second random-stream class, on NumPy's Philox.

Theano's version runs the MRG31k3p combined recursive generator on the CPU and GPU.
This one keeps its interface (``uniform``, ``normal``, ``binomial``, ``multinomial``,
``seed``) but draws from ``numpy.random.Generator(Philox)`` streams: it does **not**
reproduce Theano's MRG31k3p numbers.  Stream ``i`` of seed ``s`` is seeded by
``SeedSequence(s, spawn_key=(i,))``, so a seed gives the same samples in every process.
"""

from __future__ import annotations

import numpy as np

from symtensor.tensor.ops import random as raw
from symtensor.tensor.shared_randomstreams import RandomStreams

#: Theano's bound on integer seeds (the second MRG31k3p modulus).
M2 = 2147462579


def _check_seed(seed):
    if isinstance(seed, int | np.integer):
        if seed == 0:
            raise ValueError("MRG_RandomStreams: seed should not be 0")
        if not 0 < seed < M2:
            raise ValueError(f"MRG_RandomStreams: seed should be in (0, {M2}), got {seed}")
        return int(seed)
    try:
        items = [int(s) for s in seed]
    except TypeError:
        raise TypeError("MRG_RandomStreams: seed must be an int or a sequence of 6 ints, got "
                        f"{seed!r}") from None
    if len(items) != 6 or any(s < 0 for s in items):
        raise ValueError(f"MRG_RandomStreams: a sequence seed needs 6 non-negative ints, got "
                         f"{items}")
    return items


def _stream(seed, index: int) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(seed, spawn_key=(index,))))


class MRG_RandomStreams(RandomStreams):  # noqa: N801  (Theano's name)
    """Symbolic random streams with Theano's ``MRG_RandomStreams`` interface.

    Parameters
    ----------
    seed : int in (0, 2147462579) or a sequence of 6 ints

    Notes
    -----
    The numbers differ from Theano's MRG31k3p streams (see the module docstring);
    ``nstreams`` is accepted and ignored.
    """

    def __init__(self, seed=12345):
        self.state_updates = []
        self.default_instance_seed = _check_seed(seed)
        self.rstate = self.default_instance_seed

    def _new_state(self, index):
        return _stream(self.rstate, index)

    def _reseed_states(self, seed):
        return [_stream(seed, i) for i in range(len(self.state_updates))]

    def seed(self, seed=None):
        """Re-seed every stream made so far; new streams also follow the new seed."""
        seed = self.default_instance_seed if seed is None else _check_seed(seed)
        self.rstate = seed
        super().seed(seed)

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None):
        """Uniform draws in ``[low, high)``."""
        return self.gen(raw.uniform, size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None,
               truncate=False):
        """Normal draws; ``truncate=True`` redraws values beyond two deviations."""
        return self.gen(raw.normal, size, avg, std, ndim=ndim, dtype=dtype, truncate=truncate)

    def binomial(self, size=None, p=0.5, n=1, ndim=None, dtype="int64", nstreams=None,
                 prob=None):
        """Successes out of ``n`` trials of probability ``p`` (note Theano's MRG argument
        order: ``p`` before ``n``)."""
        p = prob if prob is not None else p
        if size is None:
            from symtensor.tensor.basic import as_tensor_variable
            size = as_tensor_variable(p).shape
        return self.gen(raw.binomial, size, n, p, ndim=ndim, dtype=dtype)

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None):
        """One multinomial draw per row of the matrix ``pvals`` (shape of ``pvals``)."""
        if pvals is None:
            raise TypeError("MRG_RandomStreams.multinomial: pvals must be given")
        if size is not None:
            raise ValueError("MRG_RandomStreams.multinomial: size is taken from pvals; pass "
                             "size=None")
        return self.gen(raw.multinomial, None, n, pvals, ndim=ndim, dtype=dtype)
