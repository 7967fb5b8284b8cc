"""The base class of types: what values a variable may hold."""

from __future__ import annotations

from typing import Any

from symtensor.graph.basic import Variable


class Type:
    """A set of values.  Subclasses define ``filter`` and equality."""

    variable_class = None
    constant_class = None

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None):
        """Return ``data`` converted to a valid value of this type or raise TypeError."""
        raise NotImplementedError

    def is_valid_value(self, data: Any) -> bool:
        try:
            self.filter(data, strict=True)
            return True
        except (TypeError, ValueError):
            return False

    def make_variable(self, name: str | None = None):
        return self.variable_class(self, None, None, name)

    def __call__(self, name: str | None = None):
        return self.make_variable(name)

    def make_constant(self, data, name: str | None = None):
        return self.constant_class(self, data, name)

    def constant_signature(self, data):
        return (self, data)

    def values_eq(self, a, b) -> bool:
        return a == b

    def convert_variable(self, var):
        """``var`` as a variable of this type if that needs no conversion, else None."""
        return var if var.type == self else None


class NullType(Type):
    """The type of an undefined gradient; carries the reason why."""

    variable_class = Variable

    def __init__(self, why: str = ""):
        self.why = why

    def filter(self, data, strict=False, allow_downcast=None):
        raise TypeError(f"No values can be given to a NullType variable ({self.why})")

    def __eq__(self, other):
        return type(other) is NullType

    def __hash__(self):
        return hash(NullType)

    def __str__(self):
        return "NullType"


class DisconnectedType(Type):
    """The type of the gradient of an output that does not depend on an input."""

    variable_class = Variable

    def filter(self, data, strict=False, allow_downcast=None):
        raise TypeError("No values can be given to a DisconnectedType variable")

    def __eq__(self, other):
        return type(other) is DisconnectedType

    def __hash__(self):
        return hash(DisconnectedType)

    def __str__(self):
        return "DisconnectedType"
