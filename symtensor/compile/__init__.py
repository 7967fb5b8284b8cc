"""Compiling graphs into callable functions."""

from symtensor.compile.function import Function, In, function
from symtensor.compile.mode import Mode, get_mode

__all__ = ["Function", "In", "Mode", "function", "get_mode"]
