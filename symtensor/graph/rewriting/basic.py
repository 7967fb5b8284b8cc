"""The rewrite registry, the phase runner and the merge (common subexpression) pass."""

from __future__ import annotations

from collections.abc import Callable

from symtensor.graph.basic import Constant
from symtensor.graph.fg import FunctionGraph

#: The phases, in the order they run.
PHASES = ("merge", "canonicalize", "stabilize", "specialize", "backend", "inplace", "merge2")

_REGISTRY: dict[str, list] = {phase: [] for phase in PHASES}


class NodeRewriter:
    """A function of (fgraph, node) that applies to nodes whose op is of ``tracks``."""

    def __init__(self, fn: Callable, tracks):
        self.fn = fn
        self.tracks = tuple(tracks) if tracks is not None else None
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def applies_to(self, node) -> bool:
        if self.tracks is None:
            return True
        op = node.op
        return any(op is t or (isinstance(t, type) and isinstance(op, t)) for t in self.tracks)

    def __call__(self, fgraph, node):
        return self.fn(fgraph, node)

    def __repr__(self):
        return f"NodeRewriter({self.name})"


def node_rewriter(tracks) -> Callable[[Callable], NodeRewriter]:
    """Decorate ``fn(fgraph, node)``; ``tracks`` lists op classes (or op instances)."""
    def deco(fn):
        return NodeRewriter(fn, tracks)
    return deco


def register(*phases: str, name: str | None = None) -> Callable[[NodeRewriter], NodeRewriter]:
    """Add a node rewriter to each of ``phases``."""
    for phase in phases:
        if phase not in _REGISTRY:
            raise ValueError(f"register: unknown phase {phase!r}; expected one of {PHASES}")

    def deco(rewriter):
        if not isinstance(rewriter, NodeRewriter):
            raise TypeError(f"register: expected a NodeRewriter, got {rewriter!r}")
        for phase in phases:
            _REGISTRY[phase].append(rewriter)
        return rewriter
    return deco


def registered(phase: str) -> list[NodeRewriter]:
    return list(_REGISTRY[phase])


def _run_phase(fgraph: FunctionGraph, rewriters: list[NodeRewriter], max_passes: int = 50) -> int:
    fired = 0
    for _ in range(max_passes):
        changed = False
        for node in fgraph.toposort():
            if node not in fgraph.apply_nodes:
                continue
            for rw in rewriters:
                if not rw.applies_to(node):
                    continue
                new = rw(fgraph, node)
                if new is None or new is False:
                    continue
                if isinstance(new, dict):
                    pairs = list(new.items())
                else:
                    pairs = [(o, n) for o, n in zip(node.outputs, new) if n is not None]
                if all(o is n for o, n in pairs):
                    continue
                fgraph.replace_all(pairs, reason=rw.name)
                fired += 1
                changed = True
                break
        if not changed:
            break
    return fired


def merge_graph(fgraph: FunctionGraph) -> None:
    """Merge equal constants and applies of equal ops on the same inputs (CSE)."""
    constants: dict = {}
    for var in list(fgraph.clients):
        if isinstance(var, Constant) and fgraph.clients.get(var):
            key = var.signature()
            try:
                hash(key)
            except TypeError:
                continue
            if key in constants:
                fgraph.replace(var, constants[key], reason="merge_constant")
            else:
                constants[key] = var
    seen: dict = {}
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes or node.op.destroy_map:
            continue
        key = (node.op, tuple(id(i) for i in node.inputs))
        other = seen.get(key)
        if other is None:
            seen[key] = node
        elif other is not node:
            fgraph.replace_all(zip(node.outputs, other.outputs), reason="merge")


def rewrite_graph(fgraph: FunctionGraph, phases=PHASES, exclude=()) -> FunctionGraph:
    """Run the named phases on ``fgraph`` in place; merge phases run the merge pass."""
    for phase in phases:
        if phase.startswith("merge"):
            merge_graph(fgraph)
        rewriters = [r for r in _REGISTRY[phase] if r.name not in exclude]
        if rewriters:
            _run_phase(fgraph, rewriters)
    return fgraph
