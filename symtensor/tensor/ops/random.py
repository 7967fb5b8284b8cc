"""Random sampling: a type for NumPy generator states and the op that draws from them.

A draw is a pure function of a generator state: ``RandomFunction`` copies the state it
is given, samples from the copy and returns ``(new_state, sample)``.  Two applies of the
same op on the same state therefore give the same sample, so merging them is safe, and
a function that does not write the new state back (``no_default_updates``) leaves the
shared state untouched.  ``RandomStreams`` gives each draw its own shared state whose
``default_update`` is the op's new state, so compiled functions advance it by themselves.

Samplers live in one table, ``SAMPLERS``: ``name -> fn(rng, size, *params)``, written for
both ``numpy.random.RandomState`` and ``numpy.random.Generator`` states.
"""

from __future__ import annotations

import copy

import numpy as np

from symtensor.compile.sharedvalue import SharedVariable, shared_constructor
from symtensor.config import config
from symtensor.graph.basic import Apply, Constant, Variable
from symtensor.graph.op import Op
from symtensor.graph.type import Type
from symtensor.tensor.type import INT_DTYPES, TensorType, upcast

_KINDS = {"RandomState": np.random.RandomState, "Generator": np.random.Generator}


class RandomStateType(Type):
    """The type of a NumPy random generator state.

    Parameters
    ----------
    kind : {'RandomState', 'Generator'}
        ``numpy.random.RandomState`` (Theano's ``RandomStreams``) or
        ``numpy.random.Generator`` (``MRG_RandomStreams``).
    """

    variable_class = Variable
    constant_class = Constant

    def __init__(self, kind: str = "RandomState"):
        if kind not in _KINDS:
            raise TypeError(f"RandomStateType: kind must be one of {sorted(_KINDS)}, got {kind!r}")
        self.kind = kind

    def filter(self, data, strict=False, allow_downcast=None):
        if isinstance(data, _KINDS[self.kind]):
            return data
        raise TypeError(f"{self}: expected a numpy.random.{self.kind}, got "
                        f"{type(data).__name__}")

    def __eq__(self, other):
        return type(other) is RandomStateType and other.kind == self.kind

    def __hash__(self):
        return hash((RandomStateType, self.kind))

    def __str__(self):
        return f"RandomStateType({self.kind})"

    __repr__ = __str__

    def constant_signature(self, data):
        return (self, id(data))

    def values_eq(self, a, b) -> bool:
        sa = a.get_state(legacy=False) if self.kind == "RandomState" else a.bit_generator.state
        sb = b.get_state(legacy=False) if self.kind == "RandomState" else b.bit_generator.state
        return _state_eq(sa, sb)


def _state_eq(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            _state_eq(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b


random_state_type = RandomStateType("RandomState")
random_generator_type = RandomStateType("Generator")


class RandomStateSharedVariable(SharedVariable):
    """A shared NumPy generator; ``get_value`` returns a copy unless ``borrow=True``."""


@shared_constructor
def randomstate_constructor(value, name=None, strict=False, allow_downcast=None, borrow=False):
    """Shared variables for ``numpy.random.RandomState`` and ``numpy.random.Generator``."""
    for kind, cls in _KINDS.items():
        if isinstance(value, cls):
            return RandomStateSharedVariable(RandomStateType(kind), value, name=name,
                                             borrow=borrow, strict=strict,
                                             allow_downcast=allow_downcast)
    raise TypeError(f"not a numpy random generator: {type(value).__name__}")


# ---------------------------------------------------------------- samplers


def _integers(rng, low, high, size):
    """Integers in [low, high], both ends included."""
    if isinstance(rng, np.random.Generator):
        return rng.integers(low, high, size=size, endpoint=True)
    return rng.randint(low, np.asarray(high) + 1, size=size)


def _permutation(rng, size, n):
    """One permutation of ``range(n)`` per entry of ``size`` (shape ``size + (n,)``)."""
    n = int(n)
    size = () if size is None else size
    out = np.empty(tuple(size) + (n,), dtype="int64")
    for idx in np.ndindex(*size):
        out[idx] = rng.permutation(n)
    return out


def _multinomial(rng, size, n, pvals):
    """One multinomial draw per entry of ``size`` (shape ``size + (len(pvals),)``)."""
    n, pvals = np.asarray(n), np.asarray(pvals, dtype="float64")
    if size is None:
        size = np.broadcast_shapes(n.shape, pvals.shape[:-1])
    n = np.broadcast_to(n, size)
    pvals = np.broadcast_to(pvals, tuple(size) + pvals.shape[-1:])
    out = np.empty(tuple(size) + pvals.shape[-1:], dtype="int64")
    for idx in np.ndindex(*size):
        p = pvals[idx]
        out[idx] = rng.multinomial(int(n[idx]), p / p.sum())
    return out


def _truncated_normal(rng, size, avg, std):
    """Normal draws redrawn until they fall within two standard deviations."""
    z = rng.standard_normal(size=size)
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(z) > 2
    return avg + std * z


SAMPLERS = {
    "uniform": lambda rng, size, low, high: rng.uniform(low, high, size),
    "normal": lambda rng, size, avg, std: rng.normal(avg, std, size),
    "truncated_normal": _truncated_normal,
    "binomial": lambda rng, size, n, p: rng.binomial(n, p, size),
    "random_integers": lambda rng, size, low, high: _integers(rng, low, high, size),
    "poisson": lambda rng, size, lam: rng.poisson(lam, size),
    "permutation": _permutation,
    "multinomial": _multinomial,
}
#: samplers whose draws have one more dimension than ``size`` (the last one)
_ADDED_DIMS = {"permutation": 1, "multinomial": 1}


class RandomFunction(Op):
    """``(new_state, sample) = RandomFunction(fn, dtype, ndim)(state, size, *params)``.

    ``size`` is an int64 vector: the sample's shape, or empty to take the shape from
    broadcasting the parameters.  ``ndim`` is the number of dimensions of ``size``; the
    sample has ``ndim`` dims, plus one for ``permutation`` and ``multinomial``.
    """

    __props__ = ("fn", "dtype", "ndim")

    def __init__(self, fn: str, dtype: str, ndim: int):
        if fn not in SAMPLERS:
            raise ValueError(f"RandomFunction: unknown sampler {fn!r}; known: {sorted(SAMPLERS)}")
        self.fn, self.dtype, self.ndim = fn, np.dtype(dtype).name, int(ndim)

    def make_node(self, rng, size, *params):
        if not isinstance(getattr(rng, "type", None), RandomStateType):
            raise TypeError(f"{self}: the first input must be a random state variable, got "
                            f"{rng!r}")
        from symtensor.tensor.basic import as_tensor_variable
        size = as_tensor_variable(size)
        if size.ndim != 1 or size.dtype not in INT_DTYPES:
            raise TypeError(f"{self}: size must be an integer vector, got {size.type}")
        params = [as_tensor_variable(p) for p in params]
        out_ndim = self.ndim + _ADDED_DIMS.get(self.fn, 0)
        sample = TensorType(self.dtype, (False,) * out_ndim)()
        return Apply(self, [rng, size, *params], [rng.type(), sample])

    def perform(self, node, inputs, output_storage):
        rng, size, *params = inputs
        rng = copy.deepcopy(rng)
        shape = tuple(int(s) for s in size) if len(size) == self.ndim else None
        if shape is None and len(size):
            raise ValueError(f"{self}: size {tuple(size)} has {len(size)} entries, expected "
                             f"{self.ndim}")
        try:
            sample = SAMPLERS[self.fn](rng, shape, *params)
        except ValueError as err:
            raise ValueError(f"{self}: cannot draw a sample of size {shape} with parameters of "
                             f"shapes {[np.shape(p) for p in params]}: {err}") from None
        sample = np.asarray(sample, dtype=self.dtype)
        expected = self.ndim + _ADDED_DIMS.get(self.fn, 0)
        if sample.ndim != expected:
            raise ValueError(f"{self}: the parameters of shapes {[np.shape(p) for p in params]} "
                             f"give a sample of {sample.ndim} dims, expected {expected}; pass "
                             "size or ndim")
        output_storage[0][0] = rng
        output_storage[1][0] = sample

    def infer_shape(self, fgraph, node, input_shapes):
        size = node.inputs[1]
        if self.fn in _ADDED_DIMS or not len(input_shapes[1]) or self.ndim == 0:
            raise NotImplementedError(f"{self}.infer_shape")
        return [None, tuple(size[i] for i in range(self.ndim))]

    def grad(self, inputs, outputs, output_grads):
        from symtensor.tensor.basic import grad_undefined
        return [None, None] + [grad_undefined(self, k + 2, p, "random draws have no gradient "
                                              "with respect to their parameters")
                               for k, p in enumerate(inputs[2:])]

    def do_constant_folding(self, node):
        return False


# ---------------------------------------------------------------- helpers


def _static_length(vec):
    """The number of entries of an int vector when known before running, else None."""
    from symtensor.tensor.ops.shape import MakeVector, Shape
    if isinstance(vec, Constant):
        return len(vec.data)
    if vec.owner is not None:
        if isinstance(vec.owner.op, MakeVector):
            return len(vec.owner.inputs)
        if isinstance(vec.owner.op, Shape):
            return vec.owner.inputs[0].ndim
    return None


def infer_size(size, ndim, params, what="random"):
    """``(size vector, ndim)`` from a user's ``size`` (None, int, tuple or int vector)."""
    from symtensor.tensor.basic import as_tensor_variable, constant
    from symtensor.tensor.ops.shape import as_shape_vector
    if size is None:
        nd = max((p.ndim for p in params), default=0)
        return constant(np.zeros(0, dtype="int64")), nd if ndim is None else int(ndim)
    if isinstance(size, int | np.integer):
        size = (int(size),)
    if isinstance(size, list | tuple):
        vec, n = as_shape_vector(tuple(size), what), len(size)
    else:
        vec = as_tensor_variable(size)
        if vec.ndim != 1 or vec.dtype not in INT_DTYPES:
            raise TypeError(f"{what}: size must be a tuple of ints or an integer vector, got "
                            f"{vec} of type {vec.type}")
        n = _static_length(vec)
        if n is None:
            if ndim is None:
                raise ValueError(f"{what}: the length of the symbolic size {vec} is unknown; "
                                 "pass ndim")
            n = int(ndim)
    if ndim is not None and int(ndim) != n:
        raise ValueError(f"{what}: ndim={ndim} disagrees with size of length {n}")
    for p in params:
        if p.ndim > n:
            raise ValueError(f"{what}: a parameter of {p.ndim} dims does not fit a size of "
                             f"{n} dims")
    from symtensor.tensor.basic import cast
    return cast(vec, "int64"), n


def _as_param(x):
    """A sampler parameter as a tensor (lists of numbers become one constant array)."""
    from symtensor.tensor.basic import as_tensor_variable
    if isinstance(x, list | tuple) and not any(isinstance(i, Variable) for i in x):
        x = np.asarray(x)
    return as_tensor_variable(x)


def _float_dtype(dtype, *params):
    if dtype is None:
        return upcast(config.floatX, *[p.dtype for p in params])
    return config.floatX if dtype == "floatX" else np.dtype(dtype).name


def _draw(fn, random_state, size, ndim, dtype, *params):
    params = [_as_param(p) for p in params]
    vec, nd = infer_size(size, ndim, params, fn)
    return RandomFunction(fn, dtype, nd)(random_state, vec, *params)


def uniform(random_state, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
    """``(new_state, sample)``: uniform draws in ``[low, high)``."""
    low, high = _as_param(low), _as_param(high)
    return _draw("uniform", random_state, size, ndim, _float_dtype(dtype, low, high), low, high)


def normal(random_state, size=None, avg=0.0, std=1.0, ndim=None, dtype=None, truncate=False):
    """``(new_state, sample)``: normal draws of mean ``avg`` and deviation ``std``."""
    avg, std = _as_param(avg), _as_param(std)
    fn = "truncated_normal" if truncate else "normal"
    return _draw(fn, random_state, size, ndim, _float_dtype(dtype, avg, std), avg, std)


def binomial(random_state, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
    """``(new_state, sample)``: the number of successes in ``n`` trials of probability ``p``."""
    p = prob if prob is not None else p
    return _draw("binomial", random_state, size, ndim, _float_dtype(dtype), n, p)


def random_integers(random_state, size=None, low=0, high=1, ndim=None, dtype="int64"):
    """``(new_state, sample)``: integers in ``[low, high]``, both ends included."""
    return _draw("random_integers", random_state, size, ndim, _float_dtype(dtype), low, high)


def poisson(random_state, size=None, lam=1.0, ndim=None, dtype="int64"):
    """``(new_state, sample)``: Poisson draws of mean ``lam``."""
    return _draw("poisson", random_state, size, ndim, _float_dtype(dtype), lam)


def permutation(random_state, size=None, n=1, ndim=None, dtype="int64"):
    """``(new_state, sample)``: a permutation of ``range(n)`` per entry of ``size``.

    ``n`` must be a constant or scalar; the sample has shape ``size + (n,)``.
    """
    from symtensor.tensor.basic import as_tensor_variable
    n = as_tensor_variable(n)
    if n.ndim != 0:
        raise TypeError(f"permutation: n must be a scalar, got {n.type}")
    if size is None:
        size = ()
    vec, nd = infer_size(size, ndim, [], "permutation")
    return RandomFunction("permutation", _float_dtype(dtype), nd)(random_state, vec, n)


def multinomial(random_state, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
    """``(new_state, sample)``: multinomial counts; the sample has one more dimension than
    ``size`` (or than the broadcast of ``n`` and ``pvals[..., 0]``), of length
    ``pvals.shape[-1]``."""
    n, pvals = _as_param(n), _as_param(pvals)
    if pvals.ndim < 1:
        raise TypeError(f"multinomial: pvals must have at least one dimension, got {pvals.type}")
    if size is None:
        nd = max(n.ndim, pvals.ndim - 1) if ndim is None else int(ndim)
        from symtensor.tensor.basic import constant
        vec = constant(np.zeros(0, dtype="int64"))
    else:
        vec, nd = infer_size(size, ndim, [n], "multinomial")
    return RandomFunction("multinomial", _float_dtype(dtype), nd)(random_state, vec, n, pvals)
