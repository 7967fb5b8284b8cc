"""Symbolic loops: ``scan`` (Theano's ``theano.scan``) and the Scan op behind it."""

from symtensor.scan_module.scan import foldl, foldr, map, reduce, scan, until  # noqa: A004
from symtensor.scan_module.scan_op import Scan

__all__ = ["Scan", "foldl", "foldr", "map", "reduce", "scan", "until"]
