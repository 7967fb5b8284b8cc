"""The base class of operations.

An op's ``__props__`` are the only source of its equality, hash, printed name and the
keys under which backends cache its kernels.  ``make_node`` checks and types the inputs,
``perform`` is the readable NumPy reference, ``infer_shape`` gives output shapes without
running it, and ``grad(inputs, outputs, output_grads)`` builds the gradient graph.
"""

from __future__ import annotations

from typing import Any

from symtensor.graph.basic import Apply, Variable


class Op:
    """Base class of all operations."""

    __props__: tuple[str, ...] = ()
    #: {output index: [input indices]} whose storage the output may share (views)
    view_map: dict[int, list[int]] = {}
    #: {output index: [input indices]} that the op overwrites
    destroy_map: dict[int, list[int]] = {}
    #: index of the output returned by ``__call__`` for multi-output ops (None: all)
    default_output: int | None = None

    def _props(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__props__)

    def __eq__(self, other: Any) -> bool:
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self) -> int:
        return hash((type(self), self._props()))

    def __str__(self) -> str:
        if not self.__props__:
            return type(self).__name__
        inner = ", ".join(f"{k}={v}" for k, v in zip(self.__props__, self._props()))
        return f"{type(self).__name__}{{{inner}}}"

    __repr__ = __str__

    def make_node(self, *inputs: Variable) -> Apply:
        raise NotImplementedError(f"{type(self).__name__}.make_node")

    def __call__(self, *inputs, **kwargs):
        node = self.make_node(*inputs, **kwargs)
        if self.default_output is not None:
            return node.outputs[self.default_output]
        return node.outputs[0] if len(node.outputs) == 1 else list(node.outputs)

    def perform(self, node: Apply, inputs: list, output_storage: list[list]) -> None:
        """Compute the outputs with NumPy: ``output_storage[i][0] = value``."""
        raise NotImplementedError(f"{type(self).__name__}.perform")

    def infer_shape(self, fgraph, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        raise NotImplementedError(f"{type(self).__name__}.infer_shape")

    def grad(self, inputs: list[Variable], outputs: list[Variable],
             output_grads: list[Variable]) -> list[Variable]:
        raise NotImplementedError(f"{type(self).__name__}.grad")

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        """[input][output]: whether the output depends differentiably on the input."""
        return [[True] * len(node.outputs) for _ in node.inputs]

    def do_constant_folding(self, node: Apply) -> bool:
        return True
