"""Hypothesis builders shared by the test suite: shapes, dtypes and arrays.

Shapes stay small (every side 1..4, at most 3 dims) so that many examples run fast;
float elements are finite and drawn at the dtype's own width, so the NumPy reference
sees exactly the values the compiled function sees.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FLOATS = ("float32", "float64")
SIGNED_INTS = ("int8", "int16", "int32", "int64")
INTS = ("int8", "int32", "int64")
ALL = FLOATS + INTS

#: Theano's dtype for float-valued ops (exp, log, true_div, ...) of each input dtype,
#: written out by hand so that tests do not reuse the code's own table.
FLOAT_OF = {"bool": "float32", "int8": "float32", "int16": "float32", "uint8": "float32",
            "uint16": "float32", "int32": "float64", "int64": "float64", "uint32": "float64",
            "uint64": "float64", "float32": "float32", "float64": "float64"}


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Array shapes with ``min_dims..max_dims`` dims of ``min_side..max_side`` each."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def dtypes(choices=ALL):
    """One dtype name out of ``choices``."""
    return st.sampled_from(tuple(choices))


def _inward(dt, bound, toward):
    """``bound`` rounded to ``dt``, stepped toward ``toward`` if rounding moved it out."""
    b = dt.type(bound)
    if (toward > 0 and b < bound) or (toward < 0 and b > bound):
        b = np.nextafter(b, dt.type(toward))
    return float(b)


def elements(dtype: str, lo: float | None = None, hi: float | None = None):
    """Scalar elements of ``dtype`` in ``[lo, hi]`` (finite; integers for int dtypes)."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return st.booleans()
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo = info.min if lo is None else max(int(np.ceil(lo)), info.min)
        hi = info.max if hi is None else min(int(np.floor(hi)), info.max)
        return st.integers(lo, hi)
    lo = _inward(dt, -1e3 if lo is None else lo, np.inf)
    hi = _inward(dt, 1e3 if hi is None else hi, -np.inf)
    return st.floats(lo, hi, width=dt.itemsize * 8, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False)


def arrays(dtype: str, shape, lo: float | None = None, hi: float | None = None,
           exclude_zero: bool = False):
    """Arrays of ``dtype`` and ``shape`` (a tuple or a strategy) with elements in [lo, hi].

    ``exclude_zero`` keeps every element away from 0 (divisors).
    """
    elems = elements(dtype, lo, hi)
    if exclude_zero:
        elems = elems.filter(lambda v: v != 0)
    return hnp.arrays(np.dtype(dtype), shape, elements=elems)


@st.composite
def same_shape_arrays(draw, n: int, dtype_choices=ALL, lo=None, hi=None, max_dims=3):
    """``(dtypes, arrays)``: ``n`` arrays of one drawn shape, each of a drawn dtype."""
    shape = draw(shapes(max_dims=max_dims))
    dts = [draw(dtypes(dtype_choices)) for _ in range(n)]
    return dts, [draw(arrays(d, shape, lo, hi)) for d in dts]


@st.composite
def broadcast_pair(draw, max_dims: int = 3):
    """``(shape, pattern)``: a shape and a random subset of its dims set to length 1,
    returned as the broadcastable flags of a second operand."""
    shape = draw(shapes(min_dims=1, max_dims=max_dims))
    pattern = tuple(draw(st.booleans()) for _ in shape)
    return shape, pattern


@st.composite
def axes(draw, ndim: int, allow_none: bool = True):
    """An ``axis`` argument for a reduction over ``ndim`` dims: None, an int (maybe
    negative) or a tuple of distinct ints."""
    kinds = ["int", "tuple"] + (["none"] if allow_none else [])
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


#: Settings for property tests: few, small examples, no deadline, no example database
#: (the suite must not write into the repository).
SETTINGS = dict(max_examples=30, deadline=None, database=None)
