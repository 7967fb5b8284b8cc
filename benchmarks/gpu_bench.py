"""How fast is each LeNet op on the GPU kernels, against the CPU (Numba / NumPy) path?

    python benchmarks/gpu_bench.py [--batch 500] [--repeat 10] [--runtime pycuda]

Shapes are the LeNet tutorial's (convolutional_mlp.py) at batch 500: conv1 x (500, 1,
28, 28) w (20, 1, 5, 5); conv2 x (500, 20, 12, 12) w (50, 20, 5, 5); 2x2 max pooling;
the hidden layer (500, 800) @ (800, 500); the logistic layer (500, 500) @ (500, 10).
Each row times the forward op or one of its gradients: the GPU column is the median of
``--repeat`` launches on device-resident data (synchronised, no transfers), the CPU
column the median of the same op through symtensor's Numba kernels (conv, pool) or
NumPy (the rest), float32.  Each GPU result is checked against the CPU one first.

``--runtime emulator --batch 4 --repeat 1`` runs the same code on the CPU emulator: a
smoke test of the script, not a benchmark.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from symtensor.backends.numba import conv as nconv
from symtensor.backends.numba import pool as npool
from symtensor.tensor.ops.nnet import log_softmax_rows, softmax_rows
from symtensor.tensor.ops.scalar import TABLE
from symtensor_cuda.kernels import blas, conv, nnet, pool, reduce
from symtensor_cuda.kernels.elemwise import Program, Step, elemwise_kernels


def _median_ms(fn, repeat, sync=lambda: None):
    fn()  # warm up: compile, allocate
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def cases(batch, rng):
    """(name, cpu callable, gpu callable taking device arrays, host inputs)."""
    f32 = np.float32

    def r(*shape):
        return rng.standard_normal(shape).astype(f32)

    x1, w1, x2, w2 = r(batch, 1, 28, 28), r(20, 1, 5, 5), r(batch, 20, 12, 12), r(50, 20, 5, 5)
    y1, y2 = r(batch, 20, 24, 24), r(batch, 50, 8, 8)
    p1, p2 = npool.pool_forward(y1, (2, 2), True), npool.pool_forward(y2, (2, 2), True)
    h, wh, s, ws_ = r(batch, 800), r(800, 500), r(batch, 500), r(500, 10)
    logits, labels = r(batch, 10), rng.integers(0, 10, batch).astype("int32")
    b20 = r(20)
    tanh_add = Program((("float32",) * 2), (
        Step(TABLE["add"], (("in", 0), ("in", 1)), "float32"),
        Step(TABLE["tanh"], (("step", 0),), "float32")))
    return [
        ("conv1 forward", lambda: nconv.conv2d_forward(x1, w1),
         lambda d: conv.conv2d(d[0], d[1]), [x1, w1]),
        ("conv1 grad weights", lambda: nconv.conv2d_grad_weights(x1, y1, w1.shape),
         lambda d: conv.conv2d_grad_weights(d[0], d[1], w1.shape), [x1, y1]),
        ("pool1 max 2x2", lambda: npool.pool_forward(y1, (2, 2), True),
         lambda d: pool.pool_2d(d[0], (2, 2), True), [y1]),
        ("pool1 max grad", lambda: npool.max_pool_grad(y1, p1, p1, (2, 2), True),
         lambda d: pool.max_pool_grad(d[0], d[1], d[1], (2, 2), True), [y1, p1]),
        ("tanh(pool1 + b)", lambda: np.tanh(p1 + b20[None, :, None, None]),
         lambda d: elemwise_kernels(d[0].runtime)(
             tanh_add, [d[0], d[1].reshape(1, 20, 1, 1)]), [p1, b20]),
        ("conv2 forward", lambda: nconv.conv2d_forward(x2, w2),
         lambda d: conv.conv2d(d[0], d[1]), [x2, w2]),
        ("conv2 grad input", lambda: nconv.conv2d_grad_input(w2, y2, x2.shape),
         lambda d: conv.conv2d_grad_input(d[0], d[1], x2.shape), [w2, y2]),
        ("conv2 grad weights", lambda: nconv.conv2d_grad_weights(x2, y2, w2.shape),
         lambda d: conv.conv2d_grad_weights(d[0], d[1], w2.shape), [x2, y2]),
        ("pool2 max 2x2", lambda: npool.pool_forward(y2, (2, 2), True),
         lambda d: pool.pool_2d(d[0], (2, 2), True), [y2]),
        ("pool2 max grad", lambda: npool.max_pool_grad(y2, p2, p2, (2, 2), True),
         lambda d: pool.max_pool_grad(d[0], d[1], d[1], (2, 2), True), [y2, p2]),
        ("bias grad sum(0,2,3)", lambda: y1.sum(axis=(0, 2, 3)),
         lambda d: reduce.reduce(d[0], "sum", (0, 2, 3)), [y1]),
        ("hidden dot", lambda: h @ wh, lambda d: blas.dot(d[0], d[1]), [h, wh]),
        ("hidden grad dot(x.T, g)", lambda: h.T @ s,
         lambda d: blas.dot(d[0].T, d[1]), [h, s]),
        ("logistic dot", lambda: s @ ws_, lambda d: blas.dot(d[0], d[1]), [s, ws_]),
        ("softmax", lambda: softmax_rows(logits), lambda d: nnet.softmax(d[0]), [logits]),
        ("softmax + NLL", lambda: -log_softmax_rows(logits)[np.arange(batch), labels],
         lambda d: nnet.softmax_nll(d[0], d[1])[0], [logits, labels]),
        ("argmax rows", lambda: logits.argmax(axis=1),
         lambda d: reduce.argmax(d[0], (1,)), [logits]),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--runtime", default="pycuda", choices=("pycuda", "emulator"))
    args = parser.parse_args(argv)
    from symtensor_cuda import device_missing_reason
    if args.runtime == "pycuda" and (reason := device_missing_reason()):
        print(f"gpu_bench: cannot run on the GPU: {reason}", file=sys.stderr)
        return 2
    from symtensor_cuda.runtime import make_runtime
    rt = make_runtime(args.runtime)
    device = getattr(rt, "device", None)
    name = device.name() if device is not None else "CPU emulator (not a benchmark)"
    print(f"# gpu_bench.py --batch {args.batch} --repeat {args.repeat} on {name}, float32")
    print(f"{'op':<26} {'gpu ms':>9} {'cpu ms':>9} {'speed-up':>9}")
    rng = np.random.default_rng(0)
    for label, cpu_fn, gpu_fn, host in cases(args.batch, rng):
        dev = [rt.to_device(a) for a in host]
        want = np.asarray(cpu_fn())
        got = gpu_fn(dev).get()
        np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-3, err_msg=label)
        gpu = _median_ms(lambda f=gpu_fn, d=dev: f(d), args.repeat, rt.synchronize)
        cpu = _median_ms(cpu_fn, args.repeat)
        print(f"{label:<26} {gpu:>9.3f} {cpu:>9.3f} {cpu / gpu:>8.1f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
