"""Kernels for Elemwise and FusedElemwise, generated from the scalar-op table.

Two strategies, chosen per program because measurements disagree by op kind
(benchmarks/elemwise_kernels.py):

- programs of arithmetic, comparisons and selects become one Numba loop nest per
  (program, dtypes, ndim), a serial ``nogil`` kernel over a range of the outer axis that
  ``dispatch.run_chunks`` spreads over threads; inputs are broadcast views, so
  broadcasting costs no copies; kernels are cached on disk;
- programs with transcendental functions (exp, tanh, log, ...) run blocked: the output
  is cut into cache-sized row blocks, each block runs the whole program with NumPy's
  SIMD ufuncs (Numba's llvmlite has no vector math library, so its scalar tanh is ~20x
  slower than NumPy's), and the blocks are shared between threads.
"""

from __future__ import annotations

import numpy as np

from symtensor.backends.numba.dispatch import chunk_count, n_threads, numba_funcify, run_chunks
from symtensor.backends.numba.kernel_cache import forget, load_source
from symtensor.tensor.ops.elemwise import Elemwise
from symtensor.tensor.ops.fusion import FusedElemwise, program_dtypes
from symtensor.tensor.ops.scalar import get_scalar_op

_BLOCK = 1 << 18  # elements per block of the blocked evaluator (measured: 1 << 14 was 3x slower)
_THREADED_MIN = 1 << 17  # below this, the blocked evaluator runs on the calling thread
#: rows LLVM vectorizes inside a Numba loop; the others run blocked through NumPy
ARITHMETIC = {"add", "sub", "mul", "true_div", "int_div", "mod", "maximum", "minimum", "neg",
              "abs", "sqr", "eq", "neq", "lt", "gt", "le", "ge", "and_", "or_", "xor", "invert",
              "switch", "clip", "second", "identity", "sgn"}


def blocked_eval(program, dtypes, inputs, out):
    """Evaluate ``program`` into ``out`` block by block (see the module docstring)."""
    n_in = len(inputs)
    impls = [(get_scalar_op(name).impl, refs, dt)
             for (name, refs), dt in zip(program, dtypes[n_in:])]
    rows = out.shape[0]
    per_row = max(out.size // max(rows, 1), 1)
    step = max(1, _BLOCK // per_row)

    def run(r0, r1):
        vals = [v[r0:r1] if v.shape[0] != 1 else v for v in inputs]
        with np.errstate(all="ignore"):
            for impl, refs, dt in impls:
                vals.append(np.asarray(impl(*[vals[r] for r in refs])).astype(dt, copy=False))
        out[r0:r1] = vals[-1]

    def run_range(lo, hi):
        for r in range(lo, hi, step):
            run(r, min(r + step, hi))

    chunks = 1 if out.size < _THREADED_MIN else n_threads()
    run_chunks(rows, lambda lo, hi, _: run_range(lo, hi), chunks)


def _cast(dtype, text):
    return f"np.{'bool_' if dtype == 'bool' else dtype}({text})"


def kernel_source(program, in_dtypes, ndim, hoist=None):
    """Python source of ``kernel(lo, hi, out, a0, a1, ...)``: rows ``lo:hi`` of ``out``.

    Inputs flagged in ``hoist`` are broadcast along the last axis: they are read once
    before the innermost loop, which then holds only unit-stride arrays that LLVM
    vectorizes (a stride-0 load inside it keeps the whole loop scalar, ~10x slower).
    """
    n = len(in_dtypes)
    hoist = tuple(hoist) if hoist is not None else (False,) * n
    dtypes = program_dtypes(program, in_dtypes)
    idx = ", ".join(f"i{d}" for d in range(ndim))
    outer = ", ".join([f"i{d}" for d in range(ndim - 1)] + ["uint64(0)"])
    args = ", ".join(f"a{k}" for k in range(n))
    before = [f"v{k} = a{k}[{outer}]" for k in range(n) if hoist[k]]
    body = [f"v{k} = a{k}[{idx}]" for k in range(n) if not hoist[k]]
    for j, (name, refs) in enumerate(program):
        expr = get_scalar_op(name).expr.format(*[f"v{r}" for r in refs])
        body.append(f"v{n + j} = {_cast(dtypes[n + j], expr)}")
    body.append(f"out[{idx}] = v{n + len(program) - 1}")
    lines = ["import math", "import numpy as np", "from numba import njit, uint64", "",
             "@njit(cache=True, error_model='numpy', nogil=True)",
             f"def kernel(lo, hi, out, {args}):"]
    indent = "    "
    for d in range(ndim):  # unsigned indices: no negative-index wraparound to test
        if d == ndim - 1:
            lines.extend(indent + b for b in before)
        rng = "range(lo, hi)" if d == 0 else f"range(out.shape[{d}])"
        lines.append(f"{indent}for j{d} in {rng}:")
        lines.append(f"{indent}    i{d} = uint64(j{d})")
        indent += "    "
    lines.extend(indent + b for b in body)
    lines.append("")
    return "\n".join(lines)


def make_kernel(op, node):
    program = op.program if isinstance(op, FusedElemwise) else (
        (op.scalar_op.name, tuple(range(op.scalar_op.nin))),)
    in_dtypes = [v.dtype for v in node.inputs]
    ndim = node.outputs[0].ndim
    out_dtype = node.outputs[0].dtype
    if ndim == 0:
        return None
    check = Elemwise._check_shapes
    inplace = getattr(op, "inplace", None)

    def _output(inputs):
        if inplace is not None:  # every element is read before it is written: safe
            return inputs[inplace]
        return np.empty(np.broadcast_shapes(*[np.shape(v) for v in inputs]), out_dtype)

    if any(name not in ARITHMETIC or "cast_" in name for name, _ in program):
        dtypes = program_dtypes(program, in_dtypes)

        def blocked(*inputs):
            check(op, node, inputs)
            out = _output(inputs)
            blocked_eval(program, dtypes, inputs, out)
            return (out,)
        return blocked
    modules: dict = {}  # by (axes left after collapsing, inputs broadcast along the last)
    state = {"retried": False}

    def kernel(*inputs):
        check(op, node, inputs)
        out = _output(inputs)
        if out.size == 0:
            return (out,)
        out_c, views = collapse_axes(out, [np.broadcast_to(v, out.shape) for v in inputs])
        k = (out_c.ndim, tuple(v.strides[-1] == 0 for v in views))
        if k not in modules:
            modules[k] = load_source("elemwise", kernel_source(program, in_dtypes, *k))
        fn = modules[k].kernel
        rows = out_c.shape[0]
        try:
            run_chunks(rows, lambda lo, hi, _: fn(lo, hi, out_c, *views),
                       chunk_count(rows, out.size))
        except (ValueError, TypeError, ZeroDivisionError):
            raise
        except Exception:
            if state["retried"]:
                raise
            state["retried"] = True  # a corrupt on-disk cache entry: drop it, compile anew
            forget(modules[k])
            fn.recompile()
            fn(0, rows, out_c, *views)
        return (out,)
    return kernel


def collapse_axes(out, views):
    """``out`` and its broadcast input ``views`` with adjacent axes merged wherever every
    array steps through both contiguously (a bias broadcast over (N, C, H, W) becomes
    (N, C, H*W); same-layout operands become 1-d): the inner loop gets longer, so
    LLVM's vector loop runs instead of its remainder.  Views share memory with their
    arrays."""
    shape = list(out.shape)
    strides = [list(a.strides) for a in (out, *views)]
    if 0 in shape:
        return out, views
    d = len(shape) - 2
    while d >= 0:
        if shape[d + 1] == 1:
            keep = d  # the inner axis has one element: drop it
        elif shape[d] == 1 or all(s[d] == s[d + 1] * shape[d + 1] for s in strides):
            keep = d + 1  # merged axis steps like the inner one
        else:
            d -= 1
            continue
        for s in strides:
            s[d] = s[keep]
            del s[d + 1]
        shape[d] *= shape[d + 1]
        del shape[d + 1]
        d = min(d, len(shape) - 2)
    if len(shape) == out.ndim:
        return out, views
    ast = np.lib.stride_tricks.as_strided
    return (ast(out, shape, strides[0]),
            [ast(v, shape, st, writeable=False) for v, st in zip(views, strides[1:])])


numba_funcify.register(Elemwise)(make_kernel)
numba_funcify.register(FusedElemwise)(make_kernel)
