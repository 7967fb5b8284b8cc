"""Do the optimized and the unoptimized compilations train the tutorial's LeNet alike?

    python -m benchmarks.mode_agreement [--batches 100] [--dataset PATH]

Trains the tutorial's network (nkerns 20, 50; batch 500; learning rate 0.1; rng seed
23455) for one epoch of ``--batches`` minibatches twice from the same weights: in
FAST_RUN (every rewrite: fusion, Gemm, in-place updates; Numba kernels) and in
FAST_COMPILE (merge and canonicalize only; NumPy ``perform``), then prints the
validation and test errors of both, the largest cost difference along the way and the
largest parameter difference at the end.  floatX is float32.  FAST_COMPILE takes a few
minutes: its conv2d is the NumPy reference.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DEFAULT_DATASET, progress, setup  # noqa: E402
from benchmarks.lenet_epoch import BATCH, lenet_graph, minibatch_givens  # noqa: E402


def train_one_epoch(mode, datasets, batches, batch=BATCH, eval_batches=None):
    """(costs, validation error, test error, parameter values) after ``batches`` steps."""
    import symtensor as theano

    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = datasets
    g = lenet_graph(batch)
    train = theano.function([g["index"]], g["cost"], updates=g["updates"], mode=mode,
                            givens=minibatch_givens(g, train_x, train_y, batch))
    valid, test = (theano.function([g["index"]], g["errors"], mode=mode,
                                   givens=minibatch_givens(g, data_x, data_y, batch))
                   for data_x, data_y in ((valid_x, valid_y), (test_x, test_y)))
    costs = []
    for i in range(batches):
        costs.append(float(train(i)))
        if (i + 1) % 10 == 0:
            progress(f"mode_agreement: {mode} step {i + 1}/{batches}")
    n_valid = valid_x.get_value(borrow=True).shape[0] // batch
    n_test = test_x.get_value(borrow=True).shape[0] // batch
    if eval_batches is not None:
        n_valid, n_test = min(n_valid, eval_batches), min(n_test, eval_batches)
    return (np.array(costs), float(np.mean([valid(i) for i in range(n_valid)])),
            float(np.mean([test(i) for i in range(n_test)])),
            [p.get_value() for p in g["named"].values()])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--dataset", default=str(DEFAULT_DATASET))
    parser.add_argument("--eval-batches", type=int, default=None,
                        help="validation / test minibatches to score (default: all)")
    opts = parser.parse_args(argv)
    setup()
    from logistic_sgd import load_data

    import symtensor as theano

    theano.config.floatX = "float32"
    datasets = load_data(opts.dataset)
    runs = {}
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        t0 = time.perf_counter()
        runs[mode] = train_one_epoch(mode, datasets, opts.batches,
                                     eval_batches=opts.eval_batches)
        print(f"{mode:12s} {time.perf_counter() - t0:7.1f} s  last cost {runs[mode][0][-1]:.6f}"
              f"  validation error {100 * runs[mode][1]:.2f} %  test error "
              f"{100 * runs[mode][2]:.2f} %")
    fast, slow = runs["FAST_RUN"], runs["FAST_COMPILE"]
    cost_diff = float(np.max(np.abs(fast[0] - slow[0])))
    param_diff = max(float(np.max(np.abs(a - b))) for a, b in zip(fast[3], slow[3]))
    print(f"after {opts.batches} steps: max |cost diff| {cost_diff:.2e}, "
          f"max |param diff| {param_diff:.2e}, validation errors differ by "
          f"{100 * abs(fast[1] - slow[1]):.2f} points, test errors by "
          f"{100 * abs(fast[2] - slow[2]):.2f}")
    return {"cost_diff": cost_diff, "param_diff": param_diff,
            "errors": {m: r[1:3] for m, r in runs.items()}}


if __name__ == "__main__":
    main()
