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


def kernel_source(program, in_dtypes, ndim):
    """Python source of ``kernel(lo, hi, out, a0, a1, ...)``: rows ``lo:hi`` of ``out``."""
    n = len(in_dtypes)
    dtypes = program_dtypes(program, in_dtypes)
    idx = ", ".join(f"i{d}" for d in range(ndim))
    args = ", ".join(f"a{k}" for k in range(n))
    body = [f"v{k} = a{k}[{idx}]" for k in range(n)]
    for j, (name, refs) in enumerate(program):
        expr = get_scalar_op(name).expr.format(*[f"v{r}" for r in refs])
        body.append(f"v{n + j} = {_cast(dtypes[n + j], expr)}")
    body.append(f"out[{idx}] = v{n + len(program) - 1}")
    lines = ["import math", "import numpy as np", "from numba import njit", "",
             "@njit(cache=True, error_model='numpy', nogil=True)",
             f"def kernel(lo, hi, out, {args}):"]
    indent = "    "
    for d in range(ndim):
        rng = "range(lo, hi)" if d == 0 else f"range(out.shape[{d}])"
        lines.append(f"{indent}for i{d} in {rng}:")
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
    module = load_source("elemwise", kernel_source(program, in_dtypes, ndim))
    state = {"retried": False}

    def kernel(*inputs):
        check(op, node, inputs)
        out = _output(inputs)
        views = [np.broadcast_to(v, out.shape) for v in inputs]
        fn = module.kernel
        rows = out.shape[0]

        def run(lo, hi, _):
            fn(lo, hi, out, *views)
        try:
            fn(0, min(rows, 1), out, *views)  # compiles (or loads) on the calling thread
            if rows > 1:
                run_chunks(rows - 1, lambda lo, hi, i: run(lo + 1, hi + 1, i),
                           chunk_count(rows - 1, out.size))
        except (ValueError, TypeError, ZeroDivisionError):
            raise
        except Exception:
            if state["retried"]:
                raise
            state["retried"] = True  # a corrupt on-disk cache entry: drop it, compile anew
            forget(module)
            fn.recompile()
            fn(0, rows, out, *views)
        return (out,)
    return kernel


numba_funcify.register(Elemwise)(make_kernel)
numba_funcify.register(FusedElemwise)(make_kernel)
