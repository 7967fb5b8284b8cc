"""The Scan op: a loop whose body is a symbolic graph, compiled once and run per step.

Inputs, in order::

    n_steps, sequences..., recurrent initial states..., carried states..., non-sequences...

and outputs::

    recurrent traces (n_steps, ...)..., free outputs (n_steps, ...)..., final carried states...

The inner graph has one input per outer input (less ``n_steps``): for a sequence, its
entry at step ``t``; for a recurrent state, its value after step ``t - 1``; for a carried
state (a random generator, a shared variable's update), its current value.  Its outputs
are the recurrent states' new values, the free (non-recurrent) outputs and the carried
states' new values, plus a stop condition when the loop has one (``until``).

Recurrent states return their whole trace, carried states only their final value (which
is what ``scan`` returns as the shared variable's update).

The gradient is a second Scan that runs the inner graph's vector-Jacobian product over
the reversed steps, carrying the gradient of each recurrent state and accumulating the
gradients of the non-sequences.
"""

from __future__ import annotations

import itertools

import numpy as np

from symtensor.graph.basic import Apply, Variable
from symtensor.graph.op import Op
from symtensor.graph.traversal import ancestors, clone_graph, toposort
from symtensor.tensor.type import DISCRETE_DTYPES, TensorType


def _is_float(var) -> bool:
    return isinstance(var.type, TensorType) and var.type.dtype not in DISCRETE_DTYPES


def _as_type(var, ttype):
    """``var`` cast and rebroadcast to the tensor type ``ttype``."""
    from symtensor.tensor import basic as T
    var = T.cast(var, ttype.dtype)
    if var.broadcastable != ttype.broadcastable:
        var = T.patternbroadcast(var, ttype.broadcastable)
    return var


def _trace_type(ttype):
    return TensorType(ttype.dtype, (False,) + ttype.broadcastable)


class Scan(Op):
    """A symbolic loop; see the module docstring for its inputs and outputs.

    Parameters
    ----------
    inner_inputs, inner_outputs : lists of variables
        The body: free variables in the order sequences, recurrent, carried,
        non-sequences; outputs in the order recurrent, free, carried (, condition).
    n_seqs, n_rec, n_free, n_carry, n_nonseq : int
        How many of each kind.
    has_until : bool
        The last inner output is a scalar that stops the loop when true (the step
        that makes it true is kept).
    truncate_gradient : int
        Backpropagate through at most this many steps (-1: all).
    mode : the mode the body is compiled with (None: ``config.mode``)
    """

    __props__ = ("name", "uid")
    _uids = itertools.count()

    def __init__(self, inner_inputs, inner_outputs, n_seqs, n_rec, n_free, n_carry, n_nonseq,
                 has_until=False, truncate_gradient=-1, mode=None, name=None):
        if len(inner_inputs) != n_seqs + n_rec + n_carry + n_nonseq:
            raise ValueError(f"Scan: {len(inner_inputs)} inner inputs, expected "
                             f"{n_seqs + n_rec + n_carry + n_nonseq}")
        if len(inner_outputs) != n_rec + n_free + n_carry + int(has_until):
            raise ValueError(f"Scan: {len(inner_outputs)} inner outputs, expected "
                             f"{n_rec + n_free + n_carry + int(has_until)}")
        self.n_seqs, self.n_rec, self.n_free = n_seqs, n_rec, n_free
        self.n_carry, self.n_nonseq, self.has_until = n_carry, n_nonseq, bool(has_until)
        self.inner_inputs = list(inner_inputs)
        outs = list(inner_outputs)
        states = self.inner_inputs[n_seqs:n_seqs + n_rec + n_carry]
        state_outs = list(range(n_rec)) + list(range(n_rec + n_free, n_rec + n_free + n_carry))
        for var, k in zip(states, state_outs):
            if outs[k].type != var.type:
                converted = var.type.convert_variable(outs[k])
                if converted is None:
                    raise TypeError(f"Scan {name}: the new value of state {var} has type "
                                    f"{outs[k].type}, expected {var.type}")
                outs[k] = converted
        self.inner_outputs = outs
        self.truncate_gradient = int(truncate_gradient)
        self.mode = mode
        self.name = name or "scan_fn"
        self.uid = next(Scan._uids)
        self._fn = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fn"] = None
        return state

    # ------------------------------------------------------------ layout helpers

    def _split(self, items):
        """(seqs, recurrent, carried, non-sequences) of an input-ordered list."""
        a = self.n_seqs
        b = a + self.n_rec
        c = b + self.n_carry
        return items[:a], items[a:b], items[b:c], items[c:]

    def _split_outputs(self, items):
        a = self.n_rec
        b = a + self.n_free
        return items[:a], items[a:b], items[b:b + self.n_carry]

    # ------------------------------------------------------------ the node

    def make_node(self, n_steps, *outer):
        from symtensor.tensor import basic as T
        n_steps = T.as_tensor_variable(n_steps)
        if n_steps.ndim != 0 or n_steps.dtype not in DISCRETE_DTYPES:
            raise TypeError(f"{self}: n_steps must be an integer scalar, got {n_steps.type}")
        n_steps = T.cast(n_steps, "int64")
        if len(outer) != len(self.inner_inputs):
            raise ValueError(f"{self}: expected {len(self.inner_inputs)} inputs after n_steps, "
                             f"got {len(outer)}")
        outer = [v if isinstance(v, Variable) else T.as_tensor_variable(v) for v in outer]
        inputs = []
        for k, (var, inner) in enumerate(zip(outer, self.inner_inputs)):
            want = _trace_type(inner.type) if k < self.n_seqs else inner.type
            if var.type != want:
                converted = want.convert_variable(var)
                if converted is None and isinstance(var.type, TensorType) and \
                        var.type.dtype == want.dtype and var.type.ndim == want.ndim:
                    converted = T.patternbroadcast(var, want.broadcastable)
                if converted is None:
                    raise TypeError(f"{self}: input {k + 1} ({var}) has type {var.type}, "
                                    f"expected {want}")
                var = converted
            inputs.append(var)
        rec_out, free_out, _ = self._split_outputs(self.inner_outputs)
        _, _, carry_in, _ = self._split(self.inner_inputs)
        outputs = ([_trace_type(o.type)() for o in rec_out]
                   + [_trace_type(o.type)() for o in free_out]
                   + [v.type() for v in carry_in])
        return Apply(self, [n_steps, *inputs], outputs)

    def _compiled(self):
        if self._fn is None:
            from symtensor.compile.function import function
            self._fn = function(self.inner_inputs, self.inner_outputs, mode=self.mode,
                                on_unused_input="ignore", name=self.name)
        return self._fn

    def perform(self, node, inputs, output_storage):
        fn = self._compiled()
        n = int(inputs[0])
        if n < 0:
            raise ValueError(f"{self}: n_steps must be >= 0, got {n}")
        seqs, recs, carry, nonseqs = self._split(list(inputs[1:]))
        for i, s in enumerate(seqs):
            if len(s) < n:
                raise ValueError(f"{self}: sequence {i} has {len(s)} entries but the loop runs "
                                 f"{n} steps")
        rec_nodes, free_nodes, _ = self._split_outputs(node.outputs)
        traces = [np.empty((n,) + np.shape(r), dtype=o.dtype) for r, o in zip(recs, rec_nodes)]
        free = [[] for _ in range(self.n_free)]
        state, nonseqs, steps = list(recs), list(nonseqs), n
        for t in range(n):
            outs = fn(*([s[t] for s in seqs] + state + carry + nonseqs))
            state = outs[:self.n_rec]
            for i, value in enumerate(state):
                if np.shape(value) != traces[i].shape[1:]:
                    raise ValueError(
                        f"{self}: recurrent output {i} has shape {np.shape(value)} at step {t}, "
                        f"but its initial state has shape {traces[i].shape[1:]}; a recurrent "
                        "state must keep its shape")
                traces[i][t] = value
            for j in range(self.n_free):
                free[j].append(outs[self.n_rec + j])
            carry = outs[self.n_rec + self.n_free:self.n_rec + self.n_free + self.n_carry]
            if self.has_until and outs[-1]:
                steps = t + 1
                break
        k = 0
        for trace in traces:
            output_storage[k][0] = trace[:steps]
            k += 1
        for values, out in zip(free, free_nodes):
            if values:
                try:
                    output_storage[k][0] = np.stack(values).astype(out.dtype, copy=False)
                except ValueError:
                    raise ValueError(f"{self}: output {k} changes shape between steps: "
                                     f"{[np.shape(v) for v in values]}") from None
            else:
                output_storage[k][0] = np.zeros((0,) * out.ndim, dtype=out.dtype)
            k += 1
        for value in carry:
            output_storage[k][0] = value
            k += 1

    def infer_shape(self, fgraph, node, input_shapes):
        n = node.inputs[0]
        _, rec_shapes, carry_shapes, _ = self._split(input_shapes[1:])
        if self.n_free or self.has_until:
            raise NotImplementedError(f"{self}.infer_shape with free outputs or until")
        return [(n,) + tuple(s) for s in rec_shapes] + [tuple(s) if s is not None else None
                                                        for s in carry_shapes]

    # ------------------------------------------------------------ gradient

    def _draws(self):
        """Tensor outputs of the body's nodes that read a non-tensor carried state (the
        samples of random draws): the backward pass is given their per-step values,
        since a generator's states cannot be replayed inside it."""
        _, _, carry_in, _ = self._split(self.inner_inputs)
        rngs = [c for c in carry_in if not isinstance(c.type, TensorType)]
        out = []
        for node in toposort(self.inner_outputs, self.inner_inputs):
            if any(c in node.inputs for c in rngs):
                out.extend(o for o in node.outputs if isinstance(o.type, TensorType))
        return out

    def grad(self, inputs, outputs, output_grads):
        """A backward Scan over the reversed steps.

        Its sequences are the forward sequences, the states before each step and the
        gradients of the traces; its carried states are the gradients of the states
        (from later steps) and of the non-sequences (accumulated).  Tensor carried
        states are differentiated like recurrent ones; the per-step values the body
        needs but cannot recompute (tensor carried states, random draws) come from a
        replay of the forward loop that also returns them.
        """
        from symtensor.gradient import grad as symbolic_grad
        from symtensor.tensor import basic as T

        if self.has_until:
            raise NotImplementedError(f"{self}: no gradient through a scan stopped by until")
        n = inputs[0]
        o_seqs, o_recs, o_carry, o_ns = self._split(list(inputs[1:]))
        i_seqs, i_recs, i_carry, i_ns = self._split(self.inner_inputs)
        rec_out, free_out, carry_out = self._split_outputs(self.inner_outputs)
        g_rec, g_free, g_carry = self._split_outputs(list(output_grads))

        draws = self._draws()
        fresh = {e: e.type() for e in draws}
        memo = clone_graph(rec_out + free_out + carry_out, replace=fresh)
        rec_out, free_out, carry_out = (
            [memo.get(o, o) for o in outs] for outs in (rec_out, free_out, carry_out))

        # states: recurrent ones, then tensor carried ones; d_*: the differentiable ones
        tc = [i for i, c in enumerate(i_carry) if isinstance(c.type, TensorType)]
        st_in = list(i_recs) + [i_carry[i] for i in tc]
        st_out = list(rec_out) + [carry_out[i] for i in tc]
        d_st = [k for k, v in enumerate(st_in) if _is_float(v)]
        d_seq = [i for i, v in enumerate(i_seqs) if _is_float(v)]
        d_ns = [i for i, v in enumerate(i_ns) if _is_float(v)]
        d_free = [j for j, v in enumerate(free_out) if _is_float(v)]
        d_rec = [k for k in d_st if k < self.n_rec]

        gy_in = {k: st_out[k].type() for k in d_rec}  # d cost / d trace entry of step t
        gc_in = {k: st_in[k].type() for k in d_st}  # d cost / d state, from later steps
        gf_in = {j: free_out[j].type() for j in d_free}
        acc_in = {j: i_ns[j].type() for j in d_ns}
        known: dict = {}

        def seed(var, g):
            known[var] = known[var] + g if var in known else g

        for k in d_st:
            seed(st_out[k], gy_in[k] + gc_in[k] if k in gy_in else gc_in[k])
        for j in d_free:
            seed(free_out[j], gf_in[j])
        wrt = [i_seqs[i] for i in d_seq] + [st_in[k] for k in d_st] + [i_ns[j] for j in d_ns]
        grads = symbolic_grad(None, wrt, known_grads=known, disconnected_inputs="ignore")
        g_seq = grads[:len(d_seq)]
        g_state = grads[len(d_seq):len(d_seq) + len(d_st)]
        new_acc = [acc_in[j] + g for j, g in zip(d_ns, grads[len(d_seq) + len(d_st):])]
        body_out = g_seq + g_state + new_acc

        needed = set(ancestors(body_out))
        leaks = [c for c in i_carry if not isinstance(c.type, TensorType) and c in needed]
        if leaks:
            raise NotImplementedError(f"{self}: the gradient needs the carried state {leaks[0]} "
                                      "inside the loop, which cannot be replayed")
        carry_seen = [i for i in tc if i_carry[i] in needed]
        draws_seen = [e for e in draws if fresh[e] in needed]

        # the forward loop again, also returning the per-step values the body needs
        replayed = []
        if carry_seen or draws_seen:
            extra = [i_carry[i] for i in carry_seen] + draws_seen
            n_rf = self.n_rec + self.n_free
            fwd = Scan(self.inner_inputs, self.inner_outputs[:n_rf] + extra
                       + self.inner_outputs[n_rf:], self.n_seqs, self.n_rec,
                       self.n_free + len(extra), self.n_carry, self.n_nonseq, False,
                       self.truncate_gradient, self.mode, f"{self.name}_replay")
            res = fwd(n, *inputs[1:])
            replayed = (res if isinstance(res, list) else [res])[n_rf:n_rf + len(extra)]

        def rev(x):
            return x[:n][::-1]

        hprev = [T.concatenate([T.shape_padleft(init), trace[:-1]])
                 for init, trace in zip(o_recs, outputs[:self.n_rec])]
        b_seq_in = (list(i_seqs) + list(i_recs) + [i_carry[i] for i in carry_seen]
                    + [fresh[e] for e in draws_seen]
                    + [gy_in[k] for k in d_rec] + [gf_in[j] for j in d_free])
        b_seq_out = ([rev(x) for x in o_seqs] + [rev(h) for h in hprev]
                     + [rev(tr) for tr in replayed]
                     + [rev(_as_type(g_rec[k], _trace_type(gy_in[k].type))) for k in d_rec]
                     + [rev(_as_type(g_free[j], _trace_type(gf_in[j].type))) for j in d_free])
        o_states = list(o_recs) + [o_carry[i] for i in tc]
        g_final = [None] * self.n_rec + [g_carry[i] for i in tc]
        b_carry_in = [gc_in[k] for k in d_st] + [acc_in[j] for j in d_ns]
        b_carry_out = [
            T.zeros_like(o_states[k]) if g_final[k] is None or not hasattr(g_final[k].type,
                                                                             "dtype")
            else _as_type(g_final[k], gc_in[k].type) for k in d_st
        ] + [T.zeros_like(o_ns[j]) for j in d_ns]
        back = Scan(b_seq_in + b_carry_in + list(i_ns), body_out, len(b_seq_in), 0, len(d_seq),
                    len(b_carry_in), len(i_ns), False, -1, self.mode, f"grad_of_{self.name}")
        n_back = n if self.truncate_gradient < 0 else T.minimum(n, self.truncate_gradient)
        res = back(n_back, *b_seq_out, *b_carry_out, *o_ns)
        res = res if isinstance(res, list) else [res]

        result = [None] * len(inputs)
        base_seq, base_rec = 1, 1 + self.n_seqs
        base_carry = base_rec + self.n_rec
        base_ns = base_carry + self.n_carry
        for k, i in enumerate(d_seq):
            x = o_seqs[i]
            result[base_seq + i] = T.set_subtensor(T.zeros_like(x)[n - n_back:n],
                                                   res[k][::-1])
        for k, s in enumerate(d_st):
            g = res[len(d_seq) + k]
            if self.truncate_gradient >= 0:
                g = T.switch(T.lt(n_back, n), T.zeros_like(g), g)
            result[base_rec + s if s < self.n_rec else base_carry + tc[s - self.n_rec]] = g
        for k, j in enumerate(d_ns):
            result[base_ns + j] = res[len(d_seq) + len(d_st) + k]
        return result
