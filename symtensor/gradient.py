"""Reverse-mode differentiation (``grad``) and finite-difference checking (``verify_grad``)."""

from __future__ import annotations

import warnings

import numpy as np

from symtensor.graph.basic import Variable
from symtensor.graph.traversal import toposort
from symtensor.graph.type import DisconnectedType, NullType


class DisconnectedInputError(ValueError):
    """``grad`` was asked for a variable the cost does not depend on."""


class NullTypeGradError(TypeError):
    """A gradient on the path from the cost to a ``wrt`` variable is undefined."""


class GradientError(AssertionError):
    """``verify_grad`` found the symbolic gradient far from the numeric one."""


def _discrete(var):
    from symtensor.tensor.type import DISCRETE_DTYPES
    return getattr(var.type, "dtype", None) in DISCRETE_DTYPES


def _is_null(var):
    return var is not None and isinstance(var.type, NullType)


def _sum(terms):
    from symtensor.tensor import basic as T
    nulls = [t for t in terms if _is_null(t)]
    return nulls[0] if nulls else T.add(*terms)


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise",
         add_names=True, known_grads=None, return_disconnected="zero",
         null_gradients="raise"):
    """Symbolic gradient of a scalar ``cost`` with respect to ``wrt``.

    Parameters
    ----------
    cost : scalar float variable, or None with ``known_grads``
    wrt : variable or list of variables
    consider_constant : list of variables whose gradient is not propagated
    disconnected_inputs : {'raise', 'warn', 'ignore'}
        What to do for a ``wrt`` the cost does not depend on (its gradient is zeros).
    known_grads : dict {variable: gradient} to start from, besides (or instead of) cost

    Returns
    -------
    A variable (for a single ``wrt``) or a list, each of the ``wrt``'s type.
    """
    from symtensor.tensor import basic as T

    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError("grad: disconnected_inputs must be 'raise', 'warn' or 'ignore', got "
                         f"{disconnected_inputs!r}")
    single = not isinstance(wrt, list | tuple)
    wrt = [wrt] if single else list(wrt)
    for w in wrt:
        if not isinstance(w, Variable):
            raise TypeError(f"grad: wrt must be symbolic variables, got {w!r}")
    seeds: dict = {}
    if cost is not None:
        cost = T.as_tensor_variable(cost)
        if cost.ndim != 0:
            raise TypeError(f"grad: cost must be a scalar, got {cost} of type {cost.type}; "
                            "take .sum() or .mean() first, or pass known_grads")
        if _discrete(cost):
            raise TypeError(f"grad: cost must be a float, got dtype {cost.dtype}")
        seeds[cost] = T.ones_like(cost)
    for var, g in (known_grads or {}).items():
        seeds[var] = T.as_tensor_variable(g)
    if not seeds:
        raise ValueError("grad: give a cost or known_grads")

    constant = set(consider_constant or ())
    order = toposort(list(seeds))
    depends = set(wrt)
    for node in order:
        if any(i in depends and i not in constant for i in node.inputs):
            depends.update(node.outputs)

    grads: dict = {var: [g] for var, g in seeds.items()}
    for node in reversed(order):
        if not any(o in grads for o in node.outputs):
            continue
        if not any(i in depends and i not in constant and not _discrete(i) for i in node.inputs):
            continue
        out_grads = []
        for o in node.outputs:
            terms = grads.get(o)
            if terms and not _discrete(o):
                out_grads.append(_sum(terms))
            elif not hasattr(o.type, "dtype"):  # a random state, ...: nothing flows back
                out_grads.append(DisconnectedType()())
            else:
                out_grads.append(T.zeros_like(o, dtype=None if not _discrete(o) else "float64"))
        if any(_is_null(g) for g in out_grads):
            null = next(g for g in out_grads if _is_null(g))
            in_grads = [null] * len(node.inputs)
        else:
            in_grads = node.op.grad(node.inputs, node.outputs, out_grads)
            if len(in_grads) != len(node.inputs):
                raise ValueError(f"{node.op}.grad returned {len(in_grads)} gradients for "
                                 f"{len(node.inputs)} inputs")
        for inp, g in zip(node.inputs, in_grads):
            if g is None or inp not in depends or inp in constant or _discrete(inp):
                continue
            grads.setdefault(inp, []).append(g)

    result = []
    for w in wrt:
        terms = grads.get(w)
        if not terms:
            if disconnected_inputs == "raise":
                raise DisconnectedInputError(
                    f"grad: the cost does not depend on {w} (type {w.type}), or only through "
                    "non-differentiable ops; pass disconnected_inputs='ignore' or 'warn' to get "
                    "zeros")
            if disconnected_inputs == "warn":
                warnings.warn(f"grad: the cost does not depend on {w}", stacklevel=2)
            result.append(T.zeros_like(w) if return_disconnected == "zero" else None)
            continue
        g = _sum(terms)
        if _is_null(g):
            if null_gradients == "raise":
                raise NullTypeGradError(f"grad: the gradient with respect to {w} is undefined: "
                                        f"{g.type.why}")
            result.append(g)
            continue
        if _discrete(w):
            g = T.zeros_like(w, dtype="float64")
        else:
            g = T.cast(g, w.dtype)
            if g.broadcastable != w.broadcastable:
                g = T.patternbroadcast(g, w.broadcastable)
        if add_names and cost is not None and w.name and cost.name:
            g.name = f"(d{cost.name}/d{w.name})"
        result.append(g)
    return result[0] if single else result


def numeric_grad(f, pt, eps):
    """Central finite differences of the scalar function ``f`` at the arrays ``pt``."""
    grads = []
    for x in pt:
        g = np.zeros(x.shape, dtype="float64")
        flat = x.reshape(-1)
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = f(*pt)
            flat[j] = orig - eps
            minus = f(*pt)
            flat[j] = orig
            g.reshape(-1)[j] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


_EPS = {"float64": 1e-6, "float32": 1e-2, "float16": 1e-1}
_TOL = {"float64": 1e-4, "float32": 1e-2, "float16": 5e-2}


def verify_grad(fun, pt, n_tests=2, rng=None, eps=None, out_type=None, abs_tol=None,
                rel_tol=None, mode=None, cast_to_output_type=False, no_debug_ref=True):
    """Check ``grad`` of ``fun`` at ``pt`` against finite differences.

    ``fun`` maps symbolic tensors (one per array in ``pt``) to one output; the check
    uses a random projection ``sum(r * fun(*inputs))`` so every output element counts.
    Raises GradientError naming the input and the worst element when they disagree.
    """
    from symtensor.compile.function import function
    from symtensor.tensor import basic as T
    from symtensor.tensor.type import TensorType

    rng = rng if rng is not None else np.random.default_rng(42)
    pt = [np.array(p) for p in pt]
    for p in pt:
        if p.dtype.kind != "f":
            raise TypeError(f"verify_grad: points must be float arrays, got dtype {p.dtype}")
    inputs = [TensorType(p.dtype.name, (False,) * p.ndim)(f"input{i}") for i, p in enumerate(pt)]
    out = T.as_tensor_variable(fun(*inputs))
    f_out = function(inputs, out, mode=mode, on_unused_input="ignore")
    o_val = np.asarray(f_out(*pt))
    dtype = str(out.dtype)
    eps = eps or _EPS.get(dtype, 1e-6)
    abs_tol = abs_tol if abs_tol is not None else _TOL.get(dtype, 1e-4)
    rel_tol = rel_tol if rel_tol is not None else _TOL.get(dtype, 1e-4)
    for _ in range(n_tests):
        proj = rng.uniform(-1, 1, size=o_val.shape).astype(o_val.dtype)
        r = T.constant(proj)
        cost = T.sum(r * out)
        g_fn = function(inputs, grad(cost, inputs, disconnected_inputs="ignore"), mode=mode,
                        on_unused_input="ignore")
        cost_fn = function(inputs, cost, mode=mode, on_unused_input="ignore")
        sym = g_fn(*pt)
        num = numeric_grad(lambda *a, fn=cost_fn: float(fn(*a)), [p.copy() for p in pt], eps)
        for i, (s, n) in enumerate(zip(sym, num)):
            abs_err = np.abs(s - n)
            rel_err = abs_err / np.maximum(np.abs(s) + np.abs(n), 1e-8)
            bad = (abs_err > abs_tol) & (rel_err > rel_tol)
            if bad.any():
                j = np.unravel_index(np.argmax(np.where(bad, abs_err, -1)), bad.shape)
                raise GradientError(
                    f"verify_grad: gradient of input {i} (shape {s.shape}) disagrees with finite "
                    f"differences at {j}: symbolic {s[j]!r}, numeric {n[j]!r} (abs err "
                    f"{abs_err[j]:.3g} > {abs_tol}, rel err {rel_err[j]:.3g} > {rel_tol})")
