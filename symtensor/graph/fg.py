"""FunctionGraph: a graph with fixed inputs and outputs that owns its clients.

It changes only through :meth:`FunctionGraph.replace`, which keeps the clients lists
right and drops applies nobody uses any more.  The compiler clones the user's graph
before building one, so rewrites never touch the user's variables.
"""

from __future__ import annotations

import os

from symtensor.graph.basic import Apply, Constant, Variable
from symtensor.graph.traversal import toposort

_TRACE = "rewrites" in os.environ.get("SYMTENSOR_DEBUG", "").split(",")


class MissingInputError(ValueError):
    """A graph needs a free variable that is not among the function's inputs."""


class FunctionGraph:
    """Inputs, outputs and every apply between them, with each variable's clients.

    ``clients[var]`` lists ``(apply, input_index)`` pairs, or ``("output", i)`` when
    ``var`` is the i-th output.
    """

    def __init__(self, inputs: list[Variable], outputs: list[Variable]):
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.apply_nodes: set[Apply] = set()
        self.clients: dict[Variable, list] = {v: [] for v in self.inputs}
        for idx, out in enumerate(self.outputs):
            self._import(out)
            self.clients[out].append(("output", idx))

    def _import(self, var: Variable) -> None:
        self.clients.setdefault(var, [])
        known = [v for v in self.clients if v.owner is None or v.owner in self.apply_nodes]
        for node in toposort([var], known):
            if node in self.apply_nodes:
                continue
            for idx, inp in enumerate(node.inputs):
                if inp.owner is None and inp not in self.clients and not isinstance(inp, Constant):
                    raise MissingInputError(
                        f"the graph needs input {inp} (type {inp.type}) that is not among the "
                        f"function's inputs {self.inputs}; add it to the inputs or to givens")
                self.clients.setdefault(inp, []).append((node, idx))
            for out in node.outputs:
                self.clients.setdefault(out, [])
            self.apply_nodes.add(node)

    def replace(self, var: Variable, new_var: Variable, reason: str = "") -> None:
        """Make every client of ``var`` use ``new_var`` instead."""
        if var is new_var:
            return
        if var.type != new_var.type:
            converted = var.type.convert_variable(new_var)
            if converted is None:
                raise TypeError(
                    f"rewrite {reason or '?'}: cannot replace {var} of type {var.type} by "
                    f"{new_var} of type {new_var.type}")
            new_var = converted
        if _TRACE and reason:
            print(f"[rewrite] {reason}: {var.owner.op if var.owner else var} -> "
                  f"{new_var.owner.op if new_var.owner else new_var}")
        self._import(new_var)
        for client, idx in self.clients[var]:
            if client == "output":
                self.outputs[idx] = new_var
            else:
                client.inputs[idx] = new_var
            self.clients[new_var].append((client, idx))
        self.clients[var] = []
        self._prune(var)

    def replace_all(self, pairs, reason: str = "") -> None:
        for var, new_var in pairs:
            self.replace(var, new_var, reason)

    def _prune(self, var: Variable) -> None:
        node = var.owner
        if node is None or node not in self.apply_nodes:
            return
        if any(self.clients.get(o) for o in node.outputs):
            return
        self.apply_nodes.discard(node)
        for out in node.outputs:
            self.clients.pop(out, None)
        for idx, inp in enumerate(node.inputs):
            clients = self.clients.get(inp, [])
            clients[:] = [c for c in clients if not (c[0] is node and c[1] == idx)]
            if not clients and inp not in self.inputs:
                self._prune(inp)

    def toposort(self) -> list[Apply]:
        return toposort(self.outputs, self.inputs)

    def variables(self) -> list[Variable]:
        return list(self.clients)
