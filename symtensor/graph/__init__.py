"""The graph data structures: variables, applies, ops, types and the function graph."""

from symtensor.graph.basic import Apply, Constant, Variable
from symtensor.graph.op import Op
from symtensor.graph.type import Type

__all__ = ["Apply", "Constant", "Op", "Type", "Variable"]
