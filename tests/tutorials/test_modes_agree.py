"""The optimized (FAST_RUN: rewrites, fusion, in-place, Numba) and the unoptimized
(FAST_COMPILE: NumPy perform) compilations of the LeNet tutorial's training step give the
same costs and errors over a short training run on MNIST."""

import gzip
import pickle
import warnings

import numpy as np

import symtensor as theano
import symtensor.tensor as T


def _lenet_run(mode, data, steps, batch=100, nkerns=(4, 6)):
    from convolutional_mlp import LeNetConvPoolLayer
    from logistic_sgd import LogisticRegression
    from mlp import HiddenLayer

    (train_x, train_y), (valid_x, valid_y) = data
    rng = np.random.RandomState(23455)
    x, y, index = T.matrix("x"), T.ivector("y"), T.lscalar()
    sx, sy = theano.shared(train_x), T.cast(theano.shared(train_y), "int32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        l0 = LeNetConvPoolLayer(rng, x.reshape((batch, 1, 28, 28)), (nkerns[0], 1, 5, 5),
                                (batch, 1, 28, 28))
        l1 = LeNetConvPoolLayer(rng, l0.output, (nkerns[1], nkerns[0], 5, 5),
                                (batch, nkerns[0], 12, 12))
    l2 = HiddenLayer(rng, l1.output.flatten(2), nkerns[1] * 16, 50, activation=T.tanh)
    l3 = LogisticRegression(l2.output, 50, 10)
    cost = l3.negative_log_likelihood(y)
    params = l3.params + l2.params + l1.params + l0.params
    updates = [(p, p - 0.1 * g) for p, g in zip(params, T.grad(cost, params))]
    train = theano.function([index], cost, updates=updates, mode=mode, givens={
        x: sx[index * batch:(index + 1) * batch], y: sy[index * batch:(index + 1) * batch]})
    errors = theano.function([x, y], l3.errors(y), mode=mode)
    costs = [float(train(i)) for i in range(steps)]
    err = np.mean([errors(valid_x[i * batch:(i + 1) * batch], valid_y[i * batch:(i + 1) * batch])
                   for i in range(len(valid_x) // batch)])
    return np.array(costs), err, [p.get_value() for p in params]


def test_fast_run_and_fast_compile_agree_on_lenet(mnist_pkl):
    theano.config.floatX = "float32"
    with gzip.open(mnist_pkl) as f:
        (tx, ty), (vx, vy), _ = pickle.load(f, encoding="latin1")
    data = ((tx[:2000], ty[:2000].astype("float32")),
            (vx[:1000], vy[:1000].astype("int32")))
    fast = _lenet_run("FAST_RUN", data, steps=20)
    slow = _lenet_run("FAST_COMPILE", data, steps=20)
    assert fast[0][-1] < fast[0][0]  # it learns
    np.testing.assert_allclose(fast[0], slow[0], rtol=2e-4)
    assert abs(fast[1] - slow[1]) <= 0.002  # at most 2 of 1000 validation digits differ
    for a, b in zip(fast[2], slow[2]):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
