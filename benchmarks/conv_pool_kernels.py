"""Which conv2d / pool_2d kernels are fastest at the LeNet tutorial's shapes?

    python benchmarks/conv_pool_kernels.py [--batch 500] [--rounds 5] [--dtype float32]

Candidates run interleaved, round after round; the table gives the median
milliseconds and the speed-up over the NumPy reference (``perform``).
Conv candidates for the forward pass:

* ``blas1``: im2col per image + BLAS GEMM, ``prange`` over images, SciPy's
  OpenBLAS held to one thread (what ``symtensor.backends.numba.conv`` does);
* ``blasN``: the same kernel with OpenBLAS' own threads left on;
* ``own_gemm``: the same im2col with a register-blocked Numba GEMM;
* ``direct``: six nested loops, ``prange`` over images;
* ``chunk16``: im2col of 16 images at once and one larger GEMM per chunk.

Gradients and pooling compare the shipped kernel with the reference only.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
from numba import prange

from symtensor.backends.numba import conv as nconv
from symtensor.backends.numba import pool as npool
from symtensor.tensor.ops import conv as rconv
from symtensor.tensor.ops import pool as rpool


@numba.njit(cache=True, fastmath=True)
def _gemm_acc(a, b, c):
    """c += a @ b, four rows of ``a`` at a time."""
    rows, inner = a.shape
    k0 = 0
    while k0 + 4 <= rows:
        for r in range(inner):
            a0, a1, a2, a3 = a[k0, r], a[k0 + 1, r], a[k0 + 2, r], a[k0 + 3, r]
            for j in range(b.shape[1]):
                v = b[r, j]
                c[k0, j] += a0 * v
                c[k0 + 1, j] += a1 * v
                c[k0 + 2, j] += a2 * v
                c[k0 + 3, j] += a3 * v
        k0 += 4
    for k in range(k0, rows):
        for r in range(inner):
            for j in range(b.shape[1]):
                c[k, j] += a[k, r] * b[r, j]


@numba.njit(parallel=True, cache=True)
def own_gemm_forward(x, w2, kh, kw, out):
    n_img, chans = x.shape[0], x.shape[1]
    k_out, h_out, w_out = out.shape[1], out.shape[2], out.shape[3]
    for n in prange(n_img):
        col = np.empty((chans * kh * kw, h_out * w_out), dtype=x.dtype)
        nconv.im2col(x[n], kh, kw, h_out, w_out, 1, 1, 1, 1, col)
        acc = np.zeros((k_out, h_out * w_out), dtype=x.dtype)
        _gemm_acc(w2, col, acc)
        out[n] = acc.reshape(k_out, h_out, w_out)


@numba.njit(parallel=True, cache=True)
def direct_forward(x, wf, out):
    n_img, chans = x.shape[0], x.shape[1]
    k_out, _, kh, kw = wf.shape
    for n in prange(n_img):
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


@numba.njit(parallel=True, cache=True)
def chunk_forward(x, w2, kh, kw, chunk, out):
    n_img, chans = x.shape[0], x.shape[1]
    k_out, h_out, w_out = out.shape[1], out.shape[2], out.shape[3]
    pix = h_out * w_out
    for t in prange((n_img + chunk - 1) // chunk):
        n0 = t * chunk
        nb = min(n_img, n0 + chunk) - n0
        col = np.empty((chans * kh * kw, nb * pix), dtype=x.dtype)
        one = np.empty((chans * kh * kw, pix), dtype=x.dtype)
        for q in range(nb):
            nconv.im2col(x[n0 + q], kh, kw, h_out, w_out, 1, 1, 1, 1, one)
            col[:, q * pix : (q + 1) * pix] = one
        res = np.dot(w2, col)
        for q in range(nb):
            out[n0 + q] = np.ascontiguousarray(res[:, q * pix : (q + 1) * pix]).reshape(
                k_out, h_out, w_out
            )


def conv_candidates(x, w):
    flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1])
    w2 = flipped.reshape(w.shape[0], -1)
    kh, kw = w.shape[2:]
    out = np.empty(rconv.conv2d_output_shape(x.shape, w.shape), dtype=x.dtype)

    def blas_n():
        nconv.conv2d_forward_kernel(x, w2, kh, kw, 0, 0, 1, 1, 1, 1, out)

    return {
        "reference": lambda: rconv.conv2d_reference(x, w),
        "blas1": lambda: nconv.conv2d_forward(x, w),
        "blasN": blas_n,
        "own_gemm": lambda: own_gemm_forward(x, w2, kh, kw, out),
        "direct": lambda: direct_forward(x, flipped, out),
        "chunk16": lambda: chunk_forward(x, w2, kh, kw, 16, out),
    }


def conv_grad_candidates(x, w):
    gy = np.ones(rconv.conv2d_output_shape(x.shape, w.shape), dtype=x.dtype)
    return {
        "grad_input reference": lambda: rconv.conv2d_grad_input_reference(w, gy, x.shape),
        "grad_input blas1": lambda: nconv.conv2d_grad_input(w, gy, x.shape),
        "grad_weights reference": lambda: rconv.conv2d_grad_weights_reference(x, gy, w.shape),
        "grad_weights blas1": lambda: nconv.conv2d_grad_weights(x, gy, w.shape),
    }


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    opts = parser.parse_args()
    rng = np.random.default_rng(0)
    dtype = np.dtype(opts.dtype)
    print(f"batch {opts.batch}, {opts.dtype}, {opts.rounds} rounds, "
          f"{numba.get_num_threads()} numba threads")
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
