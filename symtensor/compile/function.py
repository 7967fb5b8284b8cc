"""``function``: compile symbolic inputs and outputs into a Python callable.

The pipeline:

1. normalize inputs (variables or :class:`In`), outputs, updates and givens;
2. clone the graph with givens applied and collect the shared variables it reads;
3. check update types against their shared variables;
4. build a :class:`~symtensor.graph.fg.FunctionGraph` over inputs + shared variables,
   whose outputs are the user's outputs followed by the update expressions;
5. run the mode's rewrite phases;
6. link: one storage cell per variable, one thunk per apply (``backends.base``);
7. on each call: validate and store the inputs, run the thunks, copy outputs that may
   alias inputs, shared or constant storage, then apply all updates together.
"""

from __future__ import annotations

import warnings

import numpy as np

from symtensor.backends.base import Profile, link
from symtensor.compile.mode import get_mode
from symtensor.compile.rebuild import check_givens, check_updates, rebuild
from symtensor.compile.sharedvalue import SharedVariable
from symtensor.graph.basic import Constant, Variable
from symtensor.graph.fg import FunctionGraph, MissingInputError
from symtensor.graph.rewriting import rewrite_graph
from symtensor.graph.traversal import buffer_root


class UnusedInputError(ValueError):
    """An explicit input is not needed to compute the outputs."""


class In:
    """An input with a name and an optional default value (``In(x, value=1.0)``)."""

    def __init__(self, variable, name=None, value=None, borrow=False, mutable=False,
                 strict=False, allow_downcast=None, implicit=False):
        if not isinstance(variable, Variable):
            raise TypeError(f"In: expected a symbolic variable, got {variable!r}")
        self.variable, self.name = variable, name or variable.name
        self.value, self.has_default = value, value is not None
        self.borrow, self.strict, self.allow_downcast = borrow, strict, allow_downcast


class Function:
    """A compiled function; call it with values for the inputs (positionally or by name)."""

    def __init__(self, inputs, outputs, updates, givens, mode, on_unused_input, name,
                 allow_input_downcast, profile, no_default_updates=False):
        self._spec = dict(inputs=inputs, outputs=outputs, updates=updates, givens=givens,
                          mode=mode, on_unused_input=on_unused_input, name=name,
                          allow_input_downcast=allow_input_downcast, profile=profile,
                          no_default_updates=no_default_updates)
        self.name = name
        self.mode = get_mode(mode)
        ins = [i if isinstance(i, In) else In(i) for i in (inputs or [])]
        for k, i in enumerate(ins):
            if isinstance(i.variable, SharedVariable):
                raise TypeError(f"function: input {k} ({i.variable}) is a shared variable; shared "
                                "variables are implicit inputs: replace it through givens instead")
            if isinstance(i.variable, Constant):
                raise TypeError(f"function: input {k} ({i.variable}) is a constant, not an input")
            if i.variable.owner is not None:
                raise TypeError(f"function: input {k} ({i.variable}) is computed by "
                                f"{i.variable.owner.op}; inputs must be free variables")
        variables = [i.variable for i in ins]
        if len(set(variables)) != len(variables):
            raise ValueError("function: the same variable appears twice among the inputs")
        self.ins = ins
        self.single = outputs is not None and not isinstance(outputs, list | tuple)
        from symtensor.tensor.basic import as_tensor_variable
        outs = [] if outputs is None else [outputs] if self.single else list(outputs)
        outs = [o if isinstance(o, Variable) else as_tensor_variable(o) for o in outs]
        upd = check_updates(updates)
        giv = check_givens(givens)
        new_outs, new_upd, shared, free = rebuild(variables, outs, upd, giv)
        # random streams and the like: updates the graph asks for itself (transitively)
        while defaults := self._default_updates(shared, upd, no_default_updates):
            upd = upd + check_updates(defaults)
            new_outs, new_upd, shared, free = rebuild(variables, outs, upd, giv)
        if free:
            raise MissingInputError(
                f"function{' ' + name if name else ''}: the outputs need {free[0]} (type "
                f"{free[0].type}) which is not among the inputs {variables}; add it to the "
                "inputs or replace it through givens")
        self._check_unused(variables, new_outs + new_upd, on_unused_input)
        self.shared = shared
        self.fgraph = FunctionGraph(variables + shared, new_outs + new_upd)
        self.fgraph.update_targets = {len(new_outs) + j: v for j, (v, _) in enumerate(upd)}
        exclude = self.mode.exclude
        if self.mode.linker == "cuda":
            from symtensor_cuda.linker import CPU_ONLY_REWRITES
            exclude = exclude + CPU_ONLY_REWRITES
        rewrite_graph(self.fgraph, self.mode.phases, exclude)
        self.n_out = len(new_outs)
        self.update_vars = [v for v, _ in upd]
        cells = {v: [None] for v in variables}
        cells.update({s: s.container.storage for s in shared})
        self.order, thunks, self.cells = link(self.fgraph, self.mode.linker, cells)
        from symtensor.config import config
        self.profile = Profile(name) if (profile or config.profile) else None
        if self.profile is not None:
            thunks = [self.profile.wrap(t, n) for t, n in zip(thunks, self.order)]
        self.thunks = thunks
        self.input_cells = [self.cells[v] for v in variables]
        self.output_cells = [self.cells[o] for o in self.fgraph.outputs]
        # an output whose memory belongs to an input, a shared variable or a constant is
        # copied, unless it is the update written into that same shared variable
        graph_inputs = set(self.fgraph.inputs)
        targets = self.fgraph.update_targets
        self.must_copy = []
        for i, o in enumerate(self.fgraph.outputs):
            root = buffer_root(o)
            self.must_copy.append((root in graph_inputs or isinstance(root, Constant))
                                  and root is not targets.get(i))
        self.allow_input_downcast = allow_input_downcast
        self._device = self.mode.linker == "cuda"
        if self._device:
            from symtensor_cuda import linker as cuda_linker
            from symtensor_cuda.runtime import get_runtime
            self._runtime, self._fetch = get_runtime(), cuda_linker.fetch_outputs
        self._names = {i.name: k for k, i in enumerate(ins) if i.name}

    @staticmethod
    def _default_updates(shared, updates, no_default_updates):
        """(shared, shared.default_update) for the shared variables the graph reads that
        have one and no explicit update (Theano's rule), transitively."""
        if no_default_updates is True:
            return []
        skip = set(no_default_updates or ()) | {v for v, _ in updates}
        return [(s, s.default_update) for s in shared
                if getattr(s, "default_update", None) is not None and s not in skip]

    def _check_unused(self, variables, exprs, on_unused_input):
        from symtensor.graph.traversal import ancestors
        if on_unused_input not in ("raise", "warn", "ignore", None):
            raise ValueError("function: on_unused_input must be 'raise', 'warn' or 'ignore', got "
                             f"{on_unused_input!r}")
        used = set(ancestors(exprs))
        for k, v in enumerate(variables):
            if v in used or on_unused_input == "ignore":
                continue
            msg = (f"function was asked to compute its outputs from input {k} ({v}), which is not "
                   "part of the graph needed for them; pass on_unused_input='warn' or 'ignore' "
                   "to allow it")
            if on_unused_input == "warn":
                warnings.warn(msg, stacklevel=3)
            else:
                raise UnusedInputError(msg)

    def _bind(self, args, kwargs):
        if len(args) > len(self.ins):
            raise TypeError(f"function{' ' + self.name if self.name else ''}: takes "
                            f"{len(self.ins)} inputs, got {len(args)}")
        values = list(args) + [None] * (len(self.ins) - len(args))
        given = [True] * len(args) + [False] * (len(self.ins) - len(args))
        for key, val in kwargs.items():
            if key not in self._names:
                raise TypeError(f"function: unknown input name {key!r}; names: "
                                f"{sorted(self._names)}")
            k = self._names[key]
            if given[k]:
                raise TypeError(f"function: input {key!r} given twice")
            values[k], given[k] = val, True
        for k, inp in enumerate(self.ins):
            if not given[k]:
                if not inp.has_default:
                    raise TypeError(f"function: missing a value for input {k} ({inp.variable})")
                values[k] = inp.value
        return values

    def __call__(self, *args, **kwargs):
        values = self._bind(args, kwargs) if (kwargs or len(args) != len(self.ins)) else args
        for k, (inp, cell, val) in enumerate(zip(self.ins, self.input_cells, values)):
            var = inp.variable
            if isinstance(val, np.ndarray) and val.dtype.name == var.type.dtype \
                    and val.ndim == var.type.ndim and not any(var.type.broadcastable):
                cell[0] = val
                continue
            try:
                cell[0] = var.type.filter(val, strict=inp.strict,
                                          allow_downcast=inp.allow_downcast
                                          if inp.allow_downcast is not None
                                          else self.allow_input_downcast)
            except TypeError as err:
                raise TypeError(f"function{' ' + self.name if self.name else ''}: bad value "
                                f"for input {k} ({var.name or var}): {err}") from None
        if self._device:  # shared values live on the GPU: upload any set from the host
            for s in self.shared:
                value = s.container.storage[0]
                if isinstance(value, np.ndarray) and value.ndim:
                    s.container.storage[0] = self._runtime.to_device(value)
        for thunk in self.thunks:
            thunk()
        if self.profile is not None:
            self.profile.calls += 1
        results = []
        for cell, copy in zip(self.output_cells, self.must_copy):
            v = cell[0]
            if copy or any(v is r for r in results):
                v = v.copy()
            results.append(v)
        for var, value in zip(self.update_vars, results[self.n_out:]):
            var.container.storage[0] = value
        outs = results[: self.n_out]
        if self._device:  # the device -> host edge; updates stay on the device
            outs = self._fetch(outs)
        if self.single:
            return outs[0]
        return outs

    def __reduce__(self):
        return (_rebuild, (self._spec,))

    def __str__(self):
        return f"Function({self.name or ''})"


def _rebuild(spec):
    return Function(**spec)


def function(inputs, outputs=None, mode=None, updates=None, givens=None,
             no_default_updates=False, accept_inplace=False, name=None,
             rebuild_strict=True, allow_input_downcast=None, profile=None,
             on_unused_input="raise"):
    """Compile a function from ``inputs`` to ``outputs`` (Theano's ``theano.function``).

    Parameters
    ----------
    inputs : list of variables or In
    outputs : variable or list of variables
        A single variable gives a function returning one array, a list a list.
    updates : dict or list of (shared variable, expression) pairs
        New values for shared variables, all applied after the outputs are computed.
    givens : dict or list of (variable, expression) pairs
        Substitutions made in the graph before compiling (e.g. minibatch slices of a
        shared dataset).
    mode : None, 'FAST_RUN', 'FAST_COMPILE' or a Mode
    on_unused_input : {'raise', 'warn', 'ignore'}
    allow_input_downcast : bool or None
        Accept inputs that lose precision when cast to the input's dtype.
    profile : bool
        Collect per-op times; ``f.profile.summary()`` prints them.

    Examples
    --------
    >>> import symtensor as theano, symtensor.tensor as T
    >>> x = T.dvector('x')
    >>> f = theano.function([x], (x ** 2).sum())
    >>> float(f([1.0, 2.0]))
    5.0
    """
    if inputs is not None and not isinstance(inputs, list | tuple):
        raise TypeError("function: inputs must be a list of variables, got "
                        f"{type(inputs).__name__}")
    return Function(list(inputs or []), outputs, updates, givens, mode, on_unused_input, name,
                    allow_input_downcast, profile, no_default_updates)
