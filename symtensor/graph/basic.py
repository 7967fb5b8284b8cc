"""Variables, constants and applies: the nodes of a symbolic graph.

A :class:`Variable` is typed and either free (an input), a :class:`Constant`, or owned by
an :class:`Apply`, which records one use of an :class:`~symtensor.graph.op.Op` on inputs.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

_ids = itertools.count()


class Variable:
    """A symbolic value of a given :class:`~symtensor.graph.type.Type`.

    Parameters
    ----------
    type : Type
    owner : Apply or None
        The apply that computes this variable (None for inputs and constants).
    index : int or None
        Position among ``owner.outputs``.
    name : str or None
    """

    def __init__(self, type, owner: Apply | None = None, index: int | None = None,
                 name: str | None = None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag = SimpleNamespace()
        self.auto_name = f"auto_{next(_ids)}"

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            return f"{self.owner.op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self) -> str:
        return str(self)

    def clone(self) -> Variable:
        """A new free variable of the same type, name and class (no owner)."""
        cp = self.__class__.__new__(self.__class__)
        cp.__dict__.update(self.__dict__)
        cp.owner, cp.index = None, None
        cp.tag = SimpleNamespace(**vars(self.tag))
        cp.auto_name = f"auto_{next(_ids)}"
        return cp

    def get_parents(self) -> list:
        return [self.owner] if self.owner is not None else []

    def eval(self, inputs_to_values: dict | None = None):
        """Compile (cached per set of inputs) and evaluate this variable."""
        from symtensor.compile.function import function

        inputs_to_values = inputs_to_values or {}
        keys = tuple(inputs_to_values)
        cache = self.__dict__.setdefault("_eval_cache", {})
        if keys not in cache:
            cache[keys] = function(list(keys), self, on_unused_input="ignore")
        return cache[keys](*[inputs_to_values[k] for k in keys])

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_eval_cache", None)
        return state


class Constant(Variable):
    """A variable with a fixed value; ``signature()`` identifies equal constants."""

    def __init__(self, type, data: Any, name: str | None = None):
        super().__init__(type, None, None, name)
        self.data = type.filter(data, strict=False, allow_downcast=True)

    def signature(self):
        return self.type.constant_signature(self.data)

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        text = str(self.data)
        return text if len(text) < 20 else text[:10] + "..." + text[-5:]

    def clone(self) -> Constant:
        return self


class Apply:
    """One application of ``op`` to ``inputs``, producing ``outputs``.

    The outputs are given as variables without owner; the apply adopts them.
    """

    def __init__(self, op, inputs: list[Variable], outputs: list[Variable]):
        for i, var in enumerate(inputs):
            if not isinstance(var, Variable):
                raise TypeError(f"{op}: input {i} must be a Variable, got {type(var).__name__}")
        self.op = op
        self.inputs = list(inputs)
        self.outputs = []
        for i, out in enumerate(outputs):
            if out.owner is not None and (out.owner is not self or out.index != i):
                raise ValueError(f"{op}: output {i} is already owned by {out.owner.op}")
            out.owner, out.index = self, i
            self.outputs.append(out)
        self.tag = SimpleNamespace()

    @property
    def out(self) -> Variable:
        if len(self.outputs) != 1:
            raise AttributeError(f"{self.op} has {len(self.outputs)} outputs, not one")
        return self.outputs[0]

    def clone_with_new_inputs(self, inputs: list[Variable], strict: bool = True) -> Apply:
        """The same op on other inputs; re-made through make_node when types differ."""
        if all(a.type == b.type for a, b in zip(inputs, self.inputs)):
            outs = [Variable.clone(o) for o in self.outputs]
            for new, old in zip(outs, self.outputs):
                new.name = old.name
            return Apply(self.op, inputs, outs)
        if strict:
            changed = [(b.type, a.type) for a, b in zip(inputs, self.inputs) if a.type != b.type]
            raise TypeError(f"{self.op}: cannot replace inputs of types {changed}")
        return self.op.make_node(*inputs)

    def __str__(self) -> str:
        return f"{self.op}({', '.join(map(str, self.inputs))})"

    __repr__ = __str__
