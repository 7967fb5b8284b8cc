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

BATCH = 500


def train_one_epoch(mode, datasets, batches, batch=BATCH, eval_batches=None):
    """(costs, validation error, test error, parameter values) after ``batches`` steps."""
    from convolutional_mlp import LeNetConvPoolLayer
    from logistic_sgd import LogisticRegression
    from mlp import HiddenLayer

    import symtensor as theano
    import symtensor.tensor as T

    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = datasets
    rng = np.random.RandomState(23455)
    index, x, y = T.lscalar(), T.matrix("x"), T.ivector("y")
    layer0 = LeNetConvPoolLayer(rng, input=x.reshape((batch, 1, 28, 28)),
                                image_shape=(batch, 1, 28, 28), filter_shape=(20, 1, 5, 5),
                                poolsize=(2, 2))
    layer1 = LeNetConvPoolLayer(rng, input=layer0.output, image_shape=(batch, 20, 12, 12),
                                filter_shape=(50, 20, 5, 5), poolsize=(2, 2))
    layer2 = HiddenLayer(rng, input=layer1.output.flatten(2), n_in=800, n_out=500,
                         activation=T.tanh)
    layer3 = LogisticRegression(input=layer2.output, n_in=500, n_out=10)
    cost = layer3.negative_log_likelihood(y)
    params = layer3.params + layer2.params + layer1.params + layer0.params
    updates = [(p, p - 0.1 * g) for p, g in zip(params, T.grad(cost, params), strict=True)]

    def batch_of(data_x, data_y):
        return {x: data_x[index * batch:(index + 1) * batch],
                y: data_y[index * batch:(index + 1) * batch]}
    train = theano.function([index], cost, updates=updates, mode=mode,
                            givens=batch_of(train_x, train_y))
    valid = theano.function([index], layer3.errors(y), mode=mode,
                            givens=batch_of(valid_x, valid_y))
    test = theano.function([index], layer3.errors(y), mode=mode,
                           givens=batch_of(test_x, test_y))
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
            float(np.mean([test(i) for i in range(n_test)])), [p.get_value() for p in params])


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
