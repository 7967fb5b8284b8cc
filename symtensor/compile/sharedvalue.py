"""SharedVariable: a symbolic variable whose value lives in a container between calls.

Any type can be shared (tensors, random generator states); functions read the
container's cell directly and write updates into it.
"""

from __future__ import annotations

import copy

from symtensor.graph.basic import Variable


class Container:
    """The storage cell a shared variable and the functions using it share."""

    __slots__ = ("storage",)

    def __init__(self, value):
        self.storage = [value]

    def __getstate__(self):
        return self.storage

    def __setstate__(self, state):
        self.storage = state


class SharedVariable(Variable):
    """A variable of ``type`` holding ``value`` across function calls.

    ``default_update``, when set, is used as the update of functions that read this
    variable and give it no explicit update.
    """

    def __init__(self, type, value, name=None, borrow=False, strict=False,
                 allow_downcast=None):
        super().__init__(type, None, None, name)
        value = type.filter(value if borrow else copy.deepcopy(value), strict=strict,
                            allow_downcast=allow_downcast)
        self.container = Container(value)

    def get_value(self, borrow=False, return_internal_type=False):
        """The current value; a copy unless ``borrow=True``."""
        value = self.container.storage[0]
        return value if borrow else copy.deepcopy(value)

    def set_value(self, new_value, borrow=False):
        """Replace the value (copied unless ``borrow=True``); it must fit the type."""
        if not borrow:
            new_value = copy.deepcopy(new_value)
        try:
            value = self.type.filter(new_value, allow_downcast=None)
        except TypeError as err:
            raise TypeError(f"shared variable {self.name or self}: {err}") from None
        self.container.storage[0] = value

    def clone(self):
        cp = super().clone()
        cp.container = self.container
        return cp

    def __str__(self):
        return self.name if self.name is not None else f"<shared {self.type}>"


_CONSTRUCTORS: list = []


def shared_constructor(ctor):
    """Register ``ctor(value, name, strict, allow_downcast, borrow, **kw)``; it returns a
    SharedVariable or raises TypeError when it does not handle ``value``.  The most
    recently registered constructor is tried first."""
    _CONSTRUCTORS.insert(0, ctor)
    return ctor


def shared(value, name=None, strict=False, allow_downcast=None, borrow=False, **kwargs):
    """A shared variable holding ``value`` (``theano.shared``).

    Parameters
    ----------
    value : array_like or another value a registered constructor accepts
        (e.g. a NumPy random generator for random streams).
    name : str, optional
    borrow : bool
        If True, use ``value`` itself as storage instead of a copy.
    broadcastable : tuple of bool, optional (tensors)
        By default no dimension is broadcastable.
    """
    if isinstance(value, Variable):
        raise TypeError(f"shared: expected a value, got the symbolic variable {value}")
    errors = []
    for ctor in _CONSTRUCTORS:
        try:
            return ctor(value, name=name, strict=strict, allow_downcast=allow_downcast,
                        borrow=borrow, **kwargs)
        except TypeError as err:
            errors.append(f"{ctor.__name__}: {err}")
    raise TypeError(f"shared: no constructor accepts a value of type {type(value).__name__} "
                    f"({'; '.join(errors)})")
