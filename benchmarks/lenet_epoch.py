"""How long does one LeNet training epoch take in symtensor, PyTorch and plain NumPy?

    python -m benchmarks.lenet_epoch [--epochs 3] [--batches 100] [--dataset PATH | --synthetic]
                                     [--profile] [--json PATH] [--compile-only]

Builds the tutorial's network exactly as ``tutorials/convolutional_mlp.py`` does (its
``LeNetConvPoolLayer``, ``HiddenLayer``, ``LogisticRegression``; batch 500, nkerns 20, 50,
rng seed 23455), copies the initial weights into the PyTorch and NumPy models, times the
compile of ``train_model`` (saying whether Numba's on-disk cache was warm: a cold and a
warm compile cannot both be measured in one process), then trains ``--epochs`` epochs of
``--batches`` minibatches in each framework, interleaved epoch by epoch.  Prints per-epoch
times, medians and the ratios torch/symtensor and numpy/symtensor (> 1: symtensor is
faster), and checks that all three costs still agree after the same steps.

Torch's max-pool gradient goes to one of a window's tied maxima, Theano's (symtensor's,
numpy_lenet's) to all of them; MNIST's blank background makes ties, so the torch costs
drift from symtensor's by ~1e-4..1e-3 over an epoch while NumPy's stay ~1e-5 away.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    DEFAULT_DATASET,
    cuda_status,
    machine_info,
    median,
    numba_cache_files,
    progress,
    setup,
)

BATCH, NKERNS, LR = 500, (20, 50), 0.1


def lenet_graph(batch_size=BATCH, nkerns=NKERNS, lr=LR) -> dict:
    """The tutorial's network built from ``tutorials/`` (rng seed 23455): a dict with the
    symbolic ``index``, ``x``, ``y``, ``cost``, ``errors``, SGD ``updates`` and the
    ``named`` shared parameters (W0, b0, ... W3, b3)."""
    from convolutional_mlp import LeNetConvPoolLayer
    from logistic_sgd import LogisticRegression
    from mlp import HiddenLayer

    import symtensor.tensor as T

    rng = np.random.RandomState(23455)
    index = T.lscalar()
    x, y = T.matrix("x"), T.ivector("y")
    layer0_input = x.reshape((batch_size, 1, 28, 28))
    layer0 = LeNetConvPoolLayer(rng, input=layer0_input, image_shape=(batch_size, 1, 28, 28),
                                filter_shape=(nkerns[0], 1, 5, 5), poolsize=(2, 2))
    layer1 = LeNetConvPoolLayer(rng, input=layer0.output,
                                image_shape=(batch_size, nkerns[0], 12, 12),
                                filter_shape=(nkerns[1], nkerns[0], 5, 5), poolsize=(2, 2))
    layer2 = HiddenLayer(rng, input=layer1.output.flatten(2), n_in=nkerns[1] * 4 * 4,
                         n_out=500, activation=T.tanh)
    layer3 = LogisticRegression(input=layer2.output, n_in=500, n_out=10)
    cost = layer3.negative_log_likelihood(y)
    params = layer3.params + layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    updates = [(p, p - lr * g) for p, g in zip(params, grads, strict=True)]
    named = {"W0": layer0.W, "b0": layer0.b, "W1": layer1.W, "b1": layer1.b,
             "W2": layer2.W, "b2": layer2.b, "W3": layer3.W, "b3": layer3.b}
    return {"index": index, "x": x, "y": y, "cost": cost, "errors": layer3.errors(y),
            "updates": updates, "named": named}


def minibatch_givens(g: dict, data_x, data_y, batch_size=BATCH) -> dict:
    """``givens`` that feed minibatch ``index`` of shared ``data_x`` / ``data_y``."""
    i = g["index"]
    return {g["x"]: data_x[i * batch_size: (i + 1) * batch_size],
            g["y"]: data_y[i * batch_size: (i + 1) * batch_size]}


def build_symtensor(train_x, train_y, batch_size=BATCH, nkerns=NKERNS, lr=LR, profile=False,
                    mode=None):
    """The tutorial's model and ``train_model``; returns (train_model, params, seconds)."""
    import symtensor as theano

    g = lenet_graph(batch_size, nkerns, lr)
    t0 = time.perf_counter()
    train_model = theano.function(
        [g["index"]], g["cost"], updates=g["updates"], profile=profile, mode=mode,
        givens=minibatch_givens(g, train_x, train_y, batch_size))
    seconds = time.perf_counter() - t0
    return train_model, g["named"], seconds


def load_arrays(dataset, synthetic, n_rows):
    """Training (x float32 (n, 784), y int32 (n,)) from MNIST or random data."""
    if synthetic:
        rng = np.random.default_rng(0)
        return (rng.random((n_rows, 784), dtype=np.float32),
                rng.integers(0, 10, n_rows).astype(np.int32))
    from logistic_sgd import load_data
    (train_x, train_y), _, _ = load_data(str(dataset))
    x = train_x.get_value(borrow=True)
    y_shared = train_y.owner.inputs[0]  # load_data hands out cast(shared floats, 'int32')
    y = y_shared.get_value(borrow=True).astype(np.int32)
    if len(x) < n_rows:
        raise SystemExit(f"lenet_epoch: the dataset has {len(x)} training rows, "
                         f"{n_rows} needed for the requested batches")
    return x[:n_rows], y[:n_rows]


def shared_data(x, y):
    """Shared x and an int32 cast of shared float labels, as the tutorial's load_data."""
    import symtensor as theano
    import symtensor.tensor as T
    return (theano.shared(x, borrow=True),
            T.cast(theano.shared(y.astype(np.float32), borrow=True), "int32"))


def run(opts) -> dict:
    setup()
    import torch

    from benchmarks.numpy_lenet import NumpyLeNet
    from benchmarks.torch_lenet import TorchTrainer

    batches, bs = opts.batches, opts.batch_size
    n_rows = batches * bs
    progress(f"epoch: loading {'synthetic data' if opts.synthetic else opts.dataset}")
    x_np, y_np = load_arrays(opts.dataset, opts.synthetic, n_rows)
    train_x, train_y = shared_data(x_np, y_np)

    progress("epoch: compiling symtensor train_model (FAST_RUN)")
    before = numba_cache_files()
    train_model, named, compile_s = build_symtensor(train_x, train_y, batch_size=bs)
    initial = {k: v.get_value().copy() for k, v in named.items()}
    # the first call JIT-compiles (or loads) the kernels: time it, then undo its update
    t0 = time.perf_counter()
    first_cost = float(train_model(0))
    first_call_s = time.perf_counter() - t0
    written = numba_cache_files() - before
    for k, v in named.items():
        v.set_value(initial[k].copy())
    state = "cold" if not before else "warm" if not written else "partly warm"
    compile_info = {"compile_s": compile_s, "first_call_s": first_call_s,
                    "numba_cache_files_before": len(before),
                    "numba_cache_files_written": len(written),
                    "numba_cache_warm": state == "warm", "numba_cache_state": state}
    print(f"symtensor train_model: function() {compile_s:.2f} s, first call "
          f"{first_call_s:.2f} s; Numba on-disk cache {state} "
          f"({len(before)} cached files before, {len(written)} written)")
    result = {"command": " ".join(sys.argv), "machine": machine_info(), "batch_size": bs,
              "batches": batches, "epochs": opts.epochs,
              "data": "synthetic" if opts.synthetic else str(opts.dataset),
              "compile": compile_info}
    if opts.compile_only:
        return result

    trainer = TorchTrainer(initial)
    ref = NumpyLeNet(initial)
    xt, yt = torch.from_numpy(x_np), torch.from_numpy(y_np.astype(np.int64))

    def epoch_symtensor(fn=train_model):
        return [float(fn(i)) for i in range(batches)]

    def epoch_torch(tr=trainer, x=xt, y=yt):
        out = [tr.step(x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs]) for i in range(batches)]
        tr.sync()
        return [float(c) for c in out]

    def epoch_numpy():
        return [float(ref.step(x_np[i * bs:(i + 1) * bs], y_np[i * bs:(i + 1) * bs], LR))
                for i in range(batches)]

    runs = {"symtensor": epoch_symtensor, "torch": epoch_torch, "numpy": epoch_numpy}
    runs.update(cuda_runs(opts, train_x, train_y, initial, xt, yt, epoch_symtensor, epoch_torch))
    result["cuda"] = cuda_status()
    times = {k: [] for k in runs}
    costs = {k: [] for k in runs}
    for e in range(opts.epochs):
        for name, fn in runs.items():
            progress(f"epoch {e + 1}/{opts.epochs}: {name} ({batches} batches)")
            t0 = time.perf_counter()
            c = fn()
            times[name].append(time.perf_counter() - t0)
            costs[name].append(c)

    med = {k: median(v) for k, v in times.items()}
    result["epoch_times_s"] = times
    result["median_s"] = med
    result["ratio_vs_symtensor"] = {k: med[k] / med["symtensor"] for k in med if k != "symtensor"}
    print_table(times, med, batches, bs)
    result["agreement"] = agreement(costs, named, trainer, ref, first_cost)
    if opts.profile:
        result["profile"] = profile_step(train_x, train_y, min(batches, 20), bs)
    return result


def agreement(costs, named, trainer, ref, first_cost) -> dict:
    """Costs and weights of the three frameworks after the same steps from equal weights."""
    if not costs["symtensor"]:
        return {}
    flat = {k: np.concatenate([np.asarray(c) for c in v]) for k, v in costs.items()}
    diff_t = float(np.max(np.abs(flat["torch"] - flat["symtensor"])))
    diff_n = float(np.max(np.abs(flat["numpy"] - flat["symtensor"])))
    sym_params = {k: v.get_value() for k, v in named.items()}
    wt = trainer.model.params_numpy()
    wdiff_t = max(float(np.max(np.abs(wt[k] - sym_params[k]))) for k in sym_params)
    wdiff_n = max(float(np.max(np.abs(ref.params[k] - sym_params[k]))) for k in sym_params)
    steps = len(flat["symtensor"])
    print(f"\nagreement after {steps} steps from equal weights (first cost "
          f"{first_cost:.6f}; last: symtensor {flat['symtensor'][-1]:.6f}, "
          f"torch {flat['torch'][-1]:.6f}, numpy {flat['numpy'][-1]:.6f})")
    print(f"  max |cost diff|  torch-symtensor {diff_t:.2e}  numpy-symtensor {diff_n:.2e}"
          f"   [{'ok' if max(diff_t, diff_n) < 1e-3 else 'MISMATCH > 1e-3'}]")
    print(f"  max |param diff| torch-symtensor {wdiff_t:.2e}  numpy-symtensor {wdiff_n:.2e}")
    print("  (torch routes a max-pool window's gradient to one of its tied maxima, Theano, "
          "symtensor and numpy_lenet to all of them; MNIST's blank borders tie, so torch "
          "drifts slowly: ~5e-4 after 60 steps; numpy should stay ~1e-5)")
    return {"steps": steps, "first_cost": first_cost,
            "last_cost": {k: float(v[-1]) for k, v in flat.items()},
            "max_cost_diff": {"torch": diff_t, "numpy": diff_n},
            "max_param_diff": {"torch": wdiff_t, "numpy": wdiff_n}}


def cuda_runs(opts, train_x, train_y, initial, xt, yt, epoch_symtensor, epoch_torch) -> dict:
    """Extra epoch runners on the GPU ('symtensor cuda', 'torch cuda') when one is usable."""
    if opts.cuda == "off":
        return {}
    status = cuda_status()
    if opts.cuda == "on" and not (status["symtensor_cuda"] or status["torch_cuda"]):
        raise SystemExit(f"lenet_epoch: --cuda on, but no usable GPU: {status['reason']}")
    runs = {}
    if status["symtensor_cuda"]:
        from symtensor.compile.mode import Mode

        progress("epoch: compiling symtensor train_model (cuda)")
        fn, named, _ = build_symtensor(train_x, train_y, batch_size=opts.batch_size,
                                       mode=Mode("cuda"))
        for k, v in named.items():
            v.set_value(initial[k].copy())
        runs["symtensor cuda"] = lambda: epoch_symtensor(fn)
    if status["torch_cuda"]:
        from benchmarks.torch_lenet import TorchTrainer

        tr = TorchTrainer(initial, device="cuda")
        xg, yg = xt.cuda(), yt.cuda()
        runs["torch cuda"] = lambda: epoch_torch(tr, xg, yg)
    return runs


def print_table(times, med, batches, bs):
    names = list(times)
    width = max(10, *(len(n) for n in names))
    print(f"\nLeNet epoch ({batches} batches of {bs}), seconds")
    print(f"{'epoch':>6} " + " ".join(f"{n:>{width}}" for n in names))
    for e in range(len(times[names[0]])):
        print(f"{e + 1:>6} " + " ".join(f"{times[n][e]:>{width}.2f}" for n in names))
    print(f"{'median':>6} " + " ".join(f"{med[n]:>{width}.2f}" for n in names))
    print(f"{'ms/bat':>6} " + " ".join(f"{1e3 * med[n] / batches:>{width}.1f}" for n in names))
    base = med["symtensor"]
    print("ratios (time / symtensor time; > 1 means symtensor is faster): "
          + ", ".join(f"{n}/symtensor {med[n] / base:.2f}" for n in names if n != "symtensor"))


def profile_step(train_x, train_y, n, bs) -> dict:
    """Per-op profile of a separately compiled (profiled) train step over ``n`` batches."""
    progress(f"epoch: profiling the symtensor train step ({n} calls)")
    train_model, _, _ = build_symtensor(train_x, train_y, batch_size=bs, profile=True)
    train_model(0)
    for entry in train_model.profile.times.values():  # drop the warm-up call
        entry[0], entry[1] = 0, 0.0
    train_model.profile.calls = 0
    for i in range(n):
        train_model(i)
    text = train_model.profile.summary()
    print("\n" + text)
    return {"calls": train_model.profile.calls,
            "ops": {k: {"calls": c, "total_s": t} for k, (c, t)
                    in train_model.profile.times.items()}}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batches", type=int, default=100,
                   help="minibatches of 500 per epoch (default 100 = one MNIST epoch)")
    p.add_argument("--batch-size", type=int, default=BATCH,
                   help="examples per minibatch (default %(default)s, the tutorial's)")
    p.add_argument("--dataset", default=str(DEFAULT_DATASET))
    p.add_argument("--cuda", choices=("auto", "on", "off"), default="auto",
                   help="add GPU columns (auto: when symtensor_cuda / torch see a GPU)")
    p.add_argument("--synthetic", action="store_true", help="random data instead of MNIST")
    p.add_argument("--profile", action="store_true", help="print symtensor's per-op profile")
    p.add_argument("--compile-only", action="store_true")
    p.add_argument("--json", help="write the results here")
    return p


def main(argv=None) -> dict:
    opts = parser().parse_args(argv)
    result = run(opts)
    if opts.json:
        Path(opts.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
