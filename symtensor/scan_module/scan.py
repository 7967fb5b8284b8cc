"""``scan``: Theano's symbolic loop, traced once into a :class:`Scan` op.

``scan`` calls the step function once on fresh symbolic variables (one per sequence
tap, per previous output value and per non-sequence) and turns the graph it returns
into the body of a Scan op.  Variables the step function reads without being given
them (shared weights, outer expressions) become extra non-sequence inputs, evaluated
once outside the loop.  Shared variables created while tracing that carry a
``default_update`` (the generators behind ``RandomStreams`` draws) and the shared
variables of the updates the step function returns are threaded through the loop;
their final values come back in ``updates``.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import reduce as _reduce

from symtensor.compile.sharedvalue import SharedVariable
from symtensor.graph.basic import Constant, Variable, _ids
from symtensor.graph.traversal import clone_graph
from symtensor.scan_module.scan_op import Scan
from symtensor.tensor.type import INT_DTYPES, TensorType


class until:  # noqa: N801  (Theano's name)
    """Return ``until(condition)`` from the step function (alone or with the outputs and
    updates) to stop the loop after the first step where ``condition`` is true."""

    def __init__(self, condition):
        from symtensor.tensor.basic import as_tensor_variable
        self.condition = as_tensor_variable(condition)
        if self.condition.ndim != 0:
            raise TypeError(f"until: the condition must be a scalar, got {self.condition.type}")


def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, list | tuple) else [x]


def _vid(var) -> int:
    """Creation order of a variable (its ``auto_name`` counter)."""
    return int(var.auto_name.rsplit("_", 1)[1])


def _is_update_pairs(x) -> bool:
    return isinstance(x, list | tuple) and len(x) > 0 and all(
        isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], SharedVariable) for p in x)


def _parse_return(ret):
    """Split what the step function returned into (outputs, updates, condition)."""
    outputs, updates, cond = None, OrderedDict(), None
    items = list(ret) if isinstance(ret, tuple) or (isinstance(ret, list) and (
        any(isinstance(r, dict | until) for r in ret) or any(_is_update_pairs(r) for r in ret)))\
        else [ret]
    for item in items:
        if isinstance(item, dict):
            updates.update(item)
        elif _is_update_pairs(item):
            updates.update(item)
        elif isinstance(item, until):
            cond = item.condition
        elif item is None:
            continue
        elif outputs is None:
            outputs = list(item) if isinstance(item, list | tuple) else [item]
        elif isinstance(item, list | tuple):
            raise ValueError("scan: the step function returned two lists of outputs; return "
                             "outputs, updates (a dict) and until(...) only")
        else:
            outputs.append(item)
    return outputs or [], updates, cond


def _sequences(seqs, go_backwards):
    """Outer slices and inner variables, one per (sequence, tap)."""
    from symtensor.tensor.basic import as_tensor_variable
    outer, inner = [], []
    for k, seq in enumerate(seqs):
        if isinstance(seq, dict):
            x, taps = seq["input"], seq.get("taps", [0])
            taps = [0] if taps is None else _as_list(taps)
        else:
            x, taps = seq, [0]
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise TypeError(f"scan: sequence {k} ({x}) is a scalar; sequences are iterated on "
                            "their first axis")
        if go_backwards:
            x = x[::-1]
        lo, hi = -min(min(taps), 0), max(max(taps), 0)
        for tap in taps:
            stop = tap - hi
            outer.append(x[lo + tap: stop if stop else None] if (lo + tap or stop) else x)
            name = f"{x.name}[t{tap:+d}]" if x.name else None
            inner.append(TensorType(x.dtype, x.broadcastable[1:])(name))
    return outer, inner


def _outputs_info(infos):
    """For each entry: ('free', None, None) or (kind, initial, taps)."""
    from symtensor.tensor.basic import as_tensor_variable
    specs = []
    for k, info in enumerate(infos):
        taps = [-1]
        if isinstance(info, dict):
            taps = info.get("taps", [-1])
            info = info.get("initial")
            if taps is None:
                info = None
        if info is None:
            specs.append(("free", None, None))
            continue
        taps = _as_list(taps)
        if not taps or any(t >= 0 for t in taps):
            raise ValueError(f"scan: outputs_info[{k}] taps must be negative, got {taps}")
        init = as_tensor_variable(info)
        if taps == [-1]:
            specs.append(("sitsot", init, taps))
        else:
            if init.ndim == 0:
                raise TypeError(f"scan: outputs_info[{k}] with taps {taps} needs an initial "
                                f"value with a leading axis of length {-taps[0]}")
            specs.append(("mitsot", init[: -min(taps)], taps))
    return specs


def _check_state(k, out, state_type, what):
    """``out`` as ``state_type`` or a TypeError that says why not."""
    from symtensor.tensor.basic import as_tensor_variable, patternbroadcast
    out = as_tensor_variable(out)
    if out.dtype != state_type.dtype:
        raise TypeError(f"scan: output {k} of the step function has dtype {out.dtype}, but its "
                        f"{what} has dtype {state_type.dtype}; cast one of them (e.g. "
                        f"T.cast(..., '{state_type.dtype}'))")
    if out.ndim != state_type.ndim:
        raise TypeError(f"scan: output {k} of the step function has {out.ndim} dims, but its "
                        f"{what} has {state_type.ndim}")
    if out.broadcastable != state_type.broadcastable:
        if any(s and not o for s, o in zip(state_type.broadcastable, out.broadcastable)):
            raise TypeError(f"scan: output {k} of the step function has broadcastable pattern "
                            f"{out.broadcastable}, its {what} {state_type.broadcastable}; make "
                            "the initial state non-broadcastable with T.unbroadcast")
        out = patternbroadcast(out, state_type.broadcastable)
    return out


def _frontier(roots, placeholders, updates, marker):
    """Walk the traced graph from ``roots``; return (carried {shared: update}, implicit
    inputs): outer variables read inside the body become implicit non-sequences."""
    carry = OrderedDict(updates)
    implicit, seen = [], set()
    stack = list(roots) + list(carry.values())
    while stack:
        var = stack.pop()
        if id(var) in seen:
            continue
        seen.add(id(var))
        if var in placeholders or isinstance(var, Constant):
            continue
        if isinstance(var, SharedVariable):
            if var in carry:
                continue
            update = getattr(var, "default_update", None)
            if update is not None and _vid(var) >= marker:
                carry[var] = update
                stack.append(update)
            else:
                implicit.append(var)
            continue
        if var.owner is None or _vid(var) < marker:
            implicit.append(var)
            continue
        stack.extend(var.owner.inputs)
    return carry, implicit


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None,
         truncate_gradient=-1, go_backwards=False, mode=None, name=None, profile=False,
         allow_gc=None, strict=False, return_list=False):
    """Loop ``fn`` over sequences and recurrent states (Theano's ``theano.scan``).

    Parameters
    ----------
    fn : callable
        Called once with symbolic variables, in order: one per sequence (and tap),
        one per recurrent output's previous value (and tap), then the
        non-sequences.  Returns the outputs of one step, optionally with a dict of
        shared-variable updates and an :class:`until` condition.
    sequences : variable, dict(input=x, taps=[...]) or a list of them
        Iterated on their first axis.
    outputs_info : list of initial states, ``None`` or dict(initial=x, taps=[...])
        An initial state makes the output recurrent (``fn`` receives its previous
        value); ``None`` marks an output that is not fed back.
    non_sequences : list
        Passed unchanged to every step.
    n_steps : int or integer scalar
        Number of steps; by default the length of the shortest sequence.
    truncate_gradient : int
        Backpropagate through at most this many steps (-1: all of them).
    go_backwards : bool
        Iterate the sequences from the end.

    Returns
    -------
    outputs : variable or list of variables
        Each output stacked over the steps (``(n_steps, ...)``); a single output is
        returned alone unless ``return_list``.
    updates : OrderedDict
        Shared variable -> new value, for ``function(..., updates=updates)``: the
        random generators used inside ``fn`` and the updates ``fn`` returned.

    Examples
    --------
    >>> import numpy as np, symtensor as theano, symtensor.tensor as T
    >>> x = T.dvector('x')
    >>> s, _ = theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=T.constant(0.0))
    >>> theano.function([x], s)(np.array([1.0, 2.0, 3.0]))
    array([1., 3., 6.])
    """
    from symtensor.tensor import basic as T

    infos_given = outputs_info is not None and _as_list(outputs_info) != []
    specs = _outputs_info(_as_list(outputs_info))
    declared = [v if isinstance(v, Variable) else T.as_tensor_variable(v)
                for v in _as_list(non_sequences)]
    if n_steps is not None and isinstance(n_steps, int) and n_steps < 0:
        n_steps, go_backwards = -n_steps, not go_backwards
    outer_seqs, inner_seqs = _sequences(_as_list(sequences), go_backwards)

    if n_steps is None:
        if not outer_seqs:
            raise ValueError("scan: give n_steps when there are no sequences")
        n = _reduce(T.minimum, [s.shape[0] for s in outer_seqs])
    else:
        n = T.as_tensor_variable(n_steps)
        if n.ndim != 0 or n.dtype not in INT_DTYPES:
            raise TypeError(f"scan: n_steps must be an integer scalar, got {n_steps!r}")
    n = T.cast(n, "int64")

    marker = next(_ids)
    rec_inner, args = [], []
    for kind, init, taps in specs:
        if kind == "sitsot":
            var = init.type()
            rec_inner.append(var)
            args.append(var)
        elif kind == "mitsot":
            var = TensorType(init.dtype, (False,) + init.broadcastable[1:])()
            rec_inner.append(var)
            args.extend(var[t - min(taps)] for t in taps)
    ret = fn(*(inner_seqs + args + declared))
    outputs, updates, cond = _parse_return(ret)
    if infos_given and len(outputs) != len(specs):
        raise ValueError(f"scan: the step function returned {len(outputs)} outputs but "
                         f"outputs_info has {len(specs)} entries; give None in outputs_info "
                         "for each output that is not fed back")
    if not infos_given:
        specs = [("free", None, None)] * len(outputs)

    rec_out, free_out, inits = [], [], []
    for k, ((kind, init, _), out) in enumerate(zip(specs, outputs)):
        if kind == "free":
            free_out.append(T.as_tensor_variable(out))
        elif kind == "sitsot":
            rec_out.append(_check_state(k, out, init.type, "initial state (outputs_info)"))
            inits.append(init)
        else:
            var = rec_inner[len(rec_out)]
            elem = TensorType(init.dtype, init.broadcastable[1:])
            out = _check_state(k, out, elem, "initial state (outputs_info, one tap)")
            rec_out.append(T.concatenate([var[1:], T.shape_padleft(out)]))
            inits.append(init)
    for shared_var in updates:
        if not isinstance(shared_var, SharedVariable):
            raise TypeError(f"scan: the step function's updates must be keyed by shared "
                            f"variables, got {shared_var}")
    updates = OrderedDict((s, _update_expr(s, e)) for s, e in updates.items())

    roots = rec_out + free_out + ([cond] if cond is not None else [])
    placeholders = set(inner_seqs) | set(rec_inner)
    carry, implicit = _frontier(roots, placeholders, updates, marker)
    if strict:
        missing = [v for v in implicit if v not in declared]
        if missing:
            raise ValueError(f"scan(strict=True): the step function reads {missing[0]}, which "
                             "is not among the non_sequences")
    implicit = [v for v in declared if v in implicit] + [v for v in implicit
                                                         if v not in declared]
    carry_inner = [s.type() for s in carry]
    ns_inner = [v.type() for v in implicit]
    replace = dict(zip(carry, carry_inner))
    replace.update(zip(implicit, ns_inner))
    body = rec_out + free_out + list(carry.values()) + ([cond] if cond is not None else [])
    memo = clone_graph(body, replace)
    body = [memo.get(v, v) for v in body]

    op = Scan(inner_seqs + rec_inner + carry_inner + ns_inner, body, len(inner_seqs),
              len(rec_inner), len(free_out), len(carry), len(implicit), cond is not None,
              truncate_gradient, mode, name)
    outs = op(n, *outer_seqs, *inits, *carry, *implicit)
    outs = outs if isinstance(outs, list) else [outs]
    rec_res, free_res = outs[:len(rec_out)], outs[len(rec_out):len(rec_out) + len(free_out)]
    finals = outs[len(rec_out) + len(free_out):]

    results, r, f = [], iter(rec_res), iter(free_res)
    for kind, _, _ in specs:
        if kind == "free":
            results.append(next(f))
        elif kind == "sitsot":
            results.append(next(r))
        else:
            results.append(next(r)[:, -1])
    new_updates = OrderedDict()
    for shared_var, final in zip(carry, finals):
        new_updates[shared_var] = final
        if shared_var not in updates:  # a generator made inside fn: advance it by default
            shared_var.default_update = final
    if return_list:
        return results, new_updates
    if len(results) == 1:
        return results[0], new_updates
    return (results or None), new_updates


def _update_expr(shared_var, expr):
    from symtensor.tensor.basic import as_tensor_variable
    expr = expr if isinstance(expr, Variable) else as_tensor_variable(expr)
    if expr.type != shared_var.type:
        converted = shared_var.type.convert_variable(expr)
        if converted is None:
            raise TypeError(f"scan: the update of {shared_var} has type {expr.type}, expected "
                            f"{shared_var.type}")
        expr = converted
    return expr


def map(fn, sequences, non_sequences=None, truncate_gradient=-1,  # noqa: A001
        go_backwards=False, mode=None, name=None):
    """``scan`` with no recurrent output: ``fn`` applied to each step of the sequences."""
    return scan(fn, sequences=sequences, outputs_info=None, non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, mode=mode,
                name=name)


def reduce(fn, sequences, outputs_info, non_sequences=None, go_backwards=False,  # noqa: A001
           mode=None, name=None):
    """``scan`` keeping only the last value of each output."""
    outs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info,
                         non_sequences=non_sequences, go_backwards=go_backwards, mode=mode,
                         name=name, return_list=True)
    outs = [o[-1] for o in outs]
    return (outs[0] if len(outs) == 1 else outs), updates


def foldl(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """``reduce`` from the first step to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, False, mode, name)


def foldr(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """``reduce`` from the last step to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, True, mode, name)
