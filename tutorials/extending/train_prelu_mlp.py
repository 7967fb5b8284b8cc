"""The tutorial MLP on MNIST with PReLU hidden units whose slopes are learned.

Same model as ``tutorials/mlp.py`` (one hidden layer, a softmax on top, minibatch SGD),
with the tanh replaced by :func:`prelu.prelu`: one slope ``alpha`` per hidden unit,
initialised to 0.25 and trained with the weights.  Prints the validation error after
every epoch.

Run ``python tutorials/extending/train_prelu_mlp.py --dataset PATH`` (``mnist.pkl.gz`` or
a folder with the IDX files); ``--train-size`` / ``--valid-size`` use the first examples
of each set only, for a quick run.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
for _path in (HERE, HERE.parent):  # prelu.py here; logistic_sgd.py and mlp.py one level up
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from logistic_sgd import LogisticRegression, load_data  # noqa: E402
from mlp import HiddenLayer  # noqa: E402
from prelu import prelu  # noqa: E402

import symtensor as theano  # noqa: E402
import symtensor.tensor as T  # noqa: E402


class PReLUMLP:
    """input -> dot(input, W) + b -> prelu(., alpha) -> LogisticRegression."""

    def __init__(self, rng, input, n_in, n_hidden, n_out, alpha_init=0.25):
        # a linear HiddenLayer (activation=None) gives W, b and Xavier's initial weights
        self.hiddenLayer = HiddenLayer(rng=rng, input=input, n_in=n_in, n_out=n_hidden,
                                       activation=None)
        self.alpha = theano.shared(np.full(n_hidden, alpha_init, dtype=theano.config.floatX),
                                   name="alpha", borrow=True)
        self.hidden = prelu(self.hiddenLayer.output, self.alpha)
        self.logRegressionLayer = LogisticRegression(input=self.hidden, n_in=n_hidden,
                                                     n_out=n_out)
        self.L2_sqr = (self.hiddenLayer.W ** 2).sum() + (self.logRegressionLayer.W ** 2).sum()
        self.negative_log_likelihood = self.logRegressionLayer.negative_log_likelihood
        self.errors = self.logRegressionLayer.errors
        # the slopes are learned, but (as in He et al. 2015) not weight-decayed
        self.params = self.hiddenLayer.params + [self.alpha] + self.logRegressionLayer.params
        self.input = input


def _first(set_xy, n):
    """The first ``n`` examples of a shared ``(x, cast(y))`` pair (all when n is None)."""
    set_x, set_y = set_xy
    if n is None:
        return set_x, set_y
    labels = theano.function([], set_y)()[:n]
    return (theano.shared(set_x.get_value(borrow=True)[:n], borrow=True),
            T.cast(theano.shared(labels.astype(theano.config.floatX), borrow=True), "int32"))


def train_prelu_mlp(dataset="mnist.pkl.gz", n_epochs=3, learning_rate=0.01, L2_reg=0.0001,
                    batch_size=20, n_hidden=500, train_size=None, valid_size=None, seed=1234):
    """Train by minibatch SGD; returns ``{"costs": [...], "valid_errors": [...], "alpha": a}``
    (the cost of every minibatch, the validation error of every epoch, the final slopes)."""
    datasets = load_data(dataset)
    train_x, train_y = _first(datasets[0], train_size)
    valid_x, valid_y = _first(datasets[1], valid_size)
    n_train_batches = train_x.get_value(borrow=True).shape[0] // batch_size
    n_valid_batches = valid_x.get_value(borrow=True).shape[0] // batch_size
    if n_train_batches == 0 or n_valid_batches == 0:
        raise ValueError(f"train_prelu_mlp: batch_size {batch_size} is larger than the "
                         f"training or validation set")

    print("... building the model")
    index, x, y = T.lscalar(), T.matrix("x"), T.ivector("y")
    classifier = PReLUMLP(np.random.RandomState(seed), x, 28 * 28, n_hidden, 10)
    cost = classifier.negative_log_likelihood(y) + L2_reg * classifier.L2_sqr
    gparams = T.grad(cost, classifier.params)

    def batch(set_x, set_y):
        return {x: set_x[index * batch_size:(index + 1) * batch_size],
                y: set_y[index * batch_size:(index + 1) * batch_size]}

    updates = [(p, p - learning_rate * g)
               for p, g in zip(classifier.params, gparams, strict=True)]
    train_model = theano.function([index], cost, updates=updates,
                                  givens=batch(train_x, train_y))
    validate_model = theano.function([index], classifier.errors(y),
                                     givens=batch(valid_x, valid_y))

    print("... training")
    costs, valid_errors = [], []
    start = timeit.default_timer()
    for epoch in range(1, n_epochs + 1):
        costs += [float(train_model(i)) for i in range(n_train_batches)]
        valid_errors.append(float(np.mean([validate_model(i) for i in range(n_valid_batches)])))
        alpha = classifier.alpha.get_value()
        print(f"epoch {epoch}, mean cost {np.mean(costs[-n_train_batches:]):.4f}, "
              f"validation error {valid_errors[-1] * 100:.2f} %, alpha mean {alpha.mean():.4f} "
              f"(min {alpha.min():.4f}, max {alpha.max():.4f})")
    print(f"The code ran for {timeit.default_timer() - start:.1f}s", file=sys.stderr)
    return {"costs": costs, "valid_errors": valid_errors,
            "alpha": classifier.alpha.get_value()}


def main(argv=None):
    parser = argparse.ArgumentParser(description="MLP with learned PReLU units on MNIST.")
    parser.add_argument("--dataset", default="mnist.pkl.gz",
                        help="mnist.pkl.gz or a folder with the 4 MNIST IDX files "
                             "(default: %(default)s, downloaded if missing)")
    parser.add_argument("--n-epochs", type=int, default=3)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--n-hidden", type=int, default=500)
    parser.add_argument("--train-size", type=int, default=None,
                        help="use the first N training examples only")
    parser.add_argument("--valid-size", type=int, default=None,
                        help="use the first N validation examples only")
    args = parser.parse_args(argv)
    return train_prelu_mlp(args.dataset, args.n_epochs, args.learning_rate,
                           batch_size=args.batch_size, n_hidden=args.n_hidden,
                           train_size=args.train_size, valid_size=args.valid_size)


if __name__ == "__main__":
    main()
