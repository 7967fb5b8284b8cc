"""How fast is one core's single-precision GEMM at the shapes LeNet's layers produce?

    python -m benchmarks.gemm_shapes [--rounds 5]

Each case runs ``symtensor.backends.numba.blas.gemm`` (SciPy's OpenBLAS, one thread)
enough times for 800 M multiply-adds (conv2's forward pass at batch 500) and prints the
median time and GMAC/s, rounds interleaved.  The conv kernels' GEMMs are the ``K = 50``
rows; the hidden layer's product is the reference for a well-shaped GEMM.
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

from symtensor.backends.numba.blas import blas_threads, gemm

TOTAL = 800e6


@numba.njit(nogil=True, cache=True)
def _repeat(trans_a, trans_b, a, b, beta, c, n):
    for _ in range(n):
        gemm(trans_a, trans_b, 1.0, a, b, beta, c)


def cases(rng):
    def r(*shape):
        return rng.standard_normal(shape, dtype=np.float32)
    out = []
    for g in (1, 4, 16):
        p = 64 * g
        out += [(f"conv2 forward, {g} image(s): (50x500) @ (500x{p})", False, False,
                 r(50, 500), r(500, p), r(50, p), 0.0),
                (f"conv2 forward rows, {g} image(s): (50x500) @ ({p}x500)^T", False, True,
                 r(50, 500), r(p, 500), r(50, p), 0.0),
                (f"conv2 grad input rows, {g} image(s): (50x{p})^T @ (50x500)", True, False,
                 r(50, p), r(50, 500), r(p, 500), 0.0),
                (f"conv2 grad weights rows, {g} image(s): += (50x{p}) @ ({p}x500)", False, False,
                 r(50, p), r(p, 500), r(50, 500), 1.0)]
    out += [("conv1 forward: (20x25) @ (25x576)", False, False, r(20, 25), r(25, 576),
             r(20, 576), 0.0),
            ("hidden layer: (500x800) @ (800x500)", False, False, r(500, 800), r(800, 500),
             r(500, 500), 0.0)]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    todo = cases(rng)
    times = {c[0]: [] for c in todo}
    with blas_threads(1):
        for _name, ta, tb, a, b, c, beta in todo:
            _repeat(ta, tb, a, b, beta, c, 1)  # compile, warm up
        for _ in range(opts.rounds):
            for name, ta, tb, a, b, c, beta in todo:
                macs = c.size * (a.shape[0] if ta else a.shape[1])
                n = max(1, int(TOTAL / macs))
                t0 = time.perf_counter()
                _repeat(ta, tb, a, b, beta, c, n)
                times[name].append((time.perf_counter() - t0, n * macs))
    print(f"one thread, float32, median of {opts.rounds} interleaved rounds")
    for name, ts in times.items():
        sec = float(np.median([t for t, _ in ts]))
        macs = ts[0][1]
        print(f"  {name:58s} {1e3 * sec:8.2f} ms for {macs / 1e6:5.0f} M MAC  "
              f"{macs / sec / 1e9:6.1f} GMAC/s")


if __name__ == "__main__":
    main()
