"""``RandomStreams``: symbolic random draws whose generators advance on every call.

Each draw gets its own shared ``numpy.random.RandomState``, seeded from the streams'
seed, whose ``default_update`` is the draw's new state: ``function`` picks it up, so
every call of a compiled function gives fresh samples.  Seeds are drawn as in Theano
(``RandomState(seed).randint(2 ** 30)`` per stream), so a seed gives the same samples
in every process.
"""

from __future__ import annotations

import numpy as np

from symtensor.compile.sharedvalue import shared
from symtensor.tensor.ops import random as raw


class RandomStreams:
    """A source of symbolic random variables (Theano's ``RandomStreams``).

    Parameters
    ----------
    seed : int or None
        Seeds the generator that seeds each new stream; None draws from the OS.

    Examples
    --------
    >>> import symtensor as theano
    >>> from symtensor.tensor.shared_randomstreams import RandomStreams
    >>> srng = RandomStreams(seed=234)
    >>> f = theano.function([], srng.uniform((2,)))
    >>> bool((f() != f()).all())
    True
    """

    def __init__(self, seed: int | None = None):
        self.state_updates: list = []
        self.default_instance_seed = seed
        self.gen_seedgen = np.random.RandomState(seed)

    def updates(self) -> list:
        """The ``(state, new_state)`` pairs of every draw made so far."""
        return list(self.state_updates)

    def _new_state(self, index: int):
        return np.random.RandomState(int(self.gen_seedgen.randint(2 ** 30)))

    def _reseed_states(self, seed):
        seedgen = np.random.RandomState(seed)
        return [np.random.RandomState(int(seedgen.randint(2 ** 30))) for _ in self.state_updates]

    def seed(self, seed: int | None = None) -> None:
        """Re-seed every stream made so far from ``seed`` (default: the constructor's).

        Re-seeding with the constructor's seed restores the states the streams had
        when they were created.
        """
        if seed is None:
            seed = self.default_instance_seed
        for (state, _), value in zip(self.state_updates, self._reseed_states(seed)):
            state.set_value(value, borrow=True)

    def __getitem__(self, item):
        """The generator held by the state variable ``item`` (``sample.rng``)."""
        return item.get_value(borrow=True)

    def __setitem__(self, item, value):
        item.set_value(value, borrow=True)

    def gen(self, op, *args, **kwargs):
        """Draw with ``op(state, *args, **kwargs)`` on a new shared state; return the sample.

        The sample gets ``.rng`` (the shared state) and ``.update`` (the pair
        ``(state, new_state)``).
        """
        state = shared(self._new_state(len(self.state_updates)))
        state.tag.is_rng = True
        new_state, out = op(state, *args, **kwargs)
        out.rng = state
        out.update = (state, new_state)
        self.state_updates.append(out.update)
        state.default_update = new_state
        return out

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        """Uniform draws in ``[low, high)`` of shape ``size`` (dtype: floatX by default)."""
        return self.gen(raw.uniform, size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        """Normal draws of mean ``avg`` and standard deviation ``std``."""
        return self.gen(raw.normal, size, avg, std, ndim=ndim, dtype=dtype)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
        """Successes out of ``n`` trials of probability ``p`` (``prob`` is Theano's old name)."""
        return self.gen(raw.binomial, size, n, p, ndim=ndim, dtype=dtype, prob=prob)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64"):
        """Integers in ``[low, high]``, both ends included."""
        return self.gen(raw.random_integers, size, low, high, ndim=ndim, dtype=dtype)

    def poisson(self, size=None, lam=1.0, ndim=None, dtype="int64"):
        """Poisson draws of mean ``lam``."""
        return self.gen(raw.poisson, size, lam, ndim=ndim, dtype=dtype)

    def permutation(self, size=None, n=1, ndim=None, dtype="int64"):
        """Permutations of ``range(n)``, one per entry of ``size`` (shape ``size + (n,)``)."""
        return self.gen(raw.permutation, size, n, ndim=ndim, dtype=dtype)

    def multinomial(self, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
        """Multinomial counts over ``pvals[..., :]`` (one more dimension than ``size``)."""
        return self.gen(raw.multinomial, size, n, pvals, ndim=ndim, dtype=dtype)
