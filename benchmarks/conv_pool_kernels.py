"""Which conv2d / pool_2d kernels are fastest at the LeNet tutorial's shapes?

    python -m benchmarks.conv_pool_kernels [--batch 500] [--rounds 5] [--dtype float32]

Candidates run interleaved, round after round; the table gives the median
milliseconds and the speed-up over the NumPy reference (``perform``).  Conv
candidates, forward and both gradients (``symtensor.backends.numba.conv``):

* ``im2col``: per group of images, an im2col matrix ``(C*kh*kw, G*HW)`` and one
  BLAS GEMM (forced with ``ROWS_MIN_RUN`` set out of reach);
* ``rows``: the image copied channels-last first, so that each patch row is a few
  long runs, and the transposed column matrix (forced with ``ROWS_MIN_RUN = 0``);
* ``shipped``: whichever of the two the kernel picks by shape;
* ``direct`` (forward only): six nested loops, no GEMM, chunks of the batch on
  the same threads as the others.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np

if __package__ in (None, ""):  # run as a file: Numba's cache names this module benchmarks.*
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from symtensor.backends.numba import conv as nconv
from symtensor.backends.numba import pool as npool
from symtensor.backends.numba.dispatch import n_threads, run_chunks
from symtensor.tensor.ops import conv as rconv
from symtensor.tensor.ops import pool as rpool


@numba.njit(nogil=True, cache=True)
def direct_forward(x, wf, lo, hi, out):
    """out[n] for lo <= n < hi: valid cross-correlation with the flipped kernel ``wf``."""
    chans = x.shape[1]
    k_out, _, kh, kw = wf.shape
    for n in range(lo, hi):
        for k in range(k_out):
            acc = np.zeros((out.shape[2], out.shape[3]), dtype=out.dtype)
            for c in range(chans):
                for a in range(kh):
                    for b in range(kw):
                        wv = wf[k, c, a, b]
                        for i in range(out.shape[2]):
                            for j in range(out.shape[3]):
                                acc[i, j] += wv * x[n, c, i + a, j + b]
            out[n, k] = acc


def _forced(rows_min_run, fn):
    """``fn`` run with the kernel family forced through ``ROWS_MIN_RUN``."""
    def run():
        saved = nconv.ROWS_MIN_RUN
        nconv.ROWS_MIN_RUN = rows_min_run
        try:
            return fn()
        finally:
            nconv.ROWS_MIN_RUN = saved
    return run


FAMILIES = {"im2col": 10**9, "rows": 0}


def conv_candidates(x, w):
    flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1])
    out = np.empty(rconv.conv2d_output_shape(x.shape, w.shape), dtype=x.dtype)

    def direct():
        run_chunks(len(x), lambda lo, hi, _: direct_forward(x, flipped, lo, hi, out),
                   4 * n_threads())
    cands = {"reference": lambda: rconv.conv2d_reference(x, w)}
    for name, limit in FAMILIES.items():
        cands[name] = _forced(limit, lambda: nconv.conv2d_forward(x, w))
    cands["shipped"] = lambda: nconv.conv2d_forward(x, w)
    cands["direct"] = direct
    return cands


def conv_grad_candidates(x, w):
    gy = np.ones(rconv.conv2d_output_shape(x.shape, w.shape), dtype=x.dtype)
    cands = {
        "grad_input reference": lambda: rconv.conv2d_grad_input_reference(w, gy, x.shape),
        "grad_weights reference": lambda: rconv.conv2d_grad_weights_reference(x, gy, w.shape),
    }
    for name, limit in FAMILIES.items():
        cands[f"grad_input {name}"] = _forced(
            limit, lambda: nconv.conv2d_grad_input(w, gy, x.shape))
        cands[f"grad_weights {name}"] = _forced(
            limit, lambda: nconv.conv2d_grad_weights(x, gy, w.shape))
    return cands


def pool_candidates(x):
    out = rpool.pool_2d_reference(x, (2, 2), True)
    args = ((2, 2), True)
    return {
        "pool reference": lambda: rpool.pool_2d_reference(x, *args),
        "pool numba": lambda: npool.pool_forward(x, *args),
        "max_grad reference": lambda: rpool.max_pool_grad_reference(x, out, out, *args),
        "max_grad numba": lambda: npool.max_pool_grad(x, out, out, *args),
        "grad_grad reference": lambda: rpool.max_pool_grad_grad_reference(x, out, x, *args),
        "grad_grad numba": lambda: npool.max_pool_grad_grad(x, out, x, *args),
    }


def run(title, candidates, rounds):
    for fn in candidates.values():  # compile and warm up
        fn()
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    medians = {name: float(np.median(t)) for name, t in times.items()}
    print(f"\n{title}")

    def group(name):
        return name.rsplit(" ", 1)[0] if " " in name else ""

    for name, med in medians.items():
        ref = next(v for k, v in medians.items()
                   if group(k) == group(name) and k.endswith("reference"))
        print(f"  {name:24s} {1e3 * med:9.1f} ms   x{ref / med:6.1f} vs reference")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    opts = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    dtype = np.dtype(opts.dtype)
    print(f"batch {opts.batch}, {opts.dtype}, {opts.rounds} rounds, {n_threads()} threads")
    layers = {"conv1": ((opts.batch, 1, 28, 28), (20, 1, 5, 5)),
              "conv2": ((opts.batch, 20, 12, 12), (50, 20, 5, 5))}
    for name, (xs, ws) in layers.items():
        x = rng.standard_normal(xs).astype(dtype)
        w = rng.standard_normal(ws).astype(dtype)
        run(f"{name} forward x{xs} w{ws}", conv_candidates(x, w), opts.rounds)
        run(f"{name} gradients", conv_grad_candidates(x, w), opts.rounds)
    for xs in [(opts.batch, 20, 24, 24), (opts.batch, 50, 8, 8)]:
        x = rng.standard_normal(xs).astype(dtype)
        run(f"2x2 max pool, ignore_border=True, x{xs}", pool_candidates(x), opts.rounds)


if __name__ == "__main__":
    main()
