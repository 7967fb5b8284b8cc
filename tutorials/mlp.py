# ruff: noqa: I001, UP004, UP031, B006, B905, F841
# (kept as in the Theano original: object base classes, %-formatting,
# the mutable nkerns default, unused minibatch costs, local imports last)
"""
A multilayer perceptron (MLP) on MNIST, trained by minibatch SGD with early
stopping (the "mlp" tutorial, on symtensor).

An MLP is a logistic regression whose input is first passed through a
learned non-linear transformation, the hidden layer (tanh or sigmoid units
here). Stacking more hidden layers makes the network deep. With one hidden
layer:

.. math::

    f(x) = G( b^{(2)} + W^{(2)}( s( b^{(1)} + W^{(1)} x))),

References:

    - textbooks: "Pattern Recognition and Machine Learning" -
                 Christopher M. Bishop, section 5

Run ``python mlp.py --dataset PATH`` (``mnist.pkl.gz`` or an IDX folder).
"""

__docformat__ = 'restructedtext en'


import argparse
import os
import sys
import timeit

import numpy

import symtensor as theano
import symtensor.tensor as T


from logistic_sgd import LogisticRegression, load_data


# start-snippet-1
class HiddenLayer(object):
    def __init__(self, rng, input, n_in, n_out, W=None, b=None,
                 activation=T.tanh):
        """
        A fully-connected hidden layer: every unit sees every input.
        ``W`` has shape (n_in, n_out), ``b`` shape (n_out,), and the
        output is ``activation(dot(input, W) + b)`` (tanh by default).

        :type rng: numpy.random.RandomState
        :param rng: random number generator for the initial weights

        :type input: theano.tensor.dmatrix
        :param input: symbolic minibatch of shape (n_examples, n_in)

        :type n_in: int
        :param n_in: number of inputs of each unit

        :type n_out: int
        :param n_out: number of hidden units

        :type activation: theano.Op or function
        :param activation: non-linearity applied to the affine output
                           (None for a linear layer)
        """
        self.input = input
        # end-snippet-1

        # Without given weights, draw W uniformly from
        # [-sqrt(6 / (n_in + n_out)), sqrt(6 / (n_in + n_out))], the range
        # suited to tanh units [Xavier10]; for sigmoid units that paper
        # suggests a range four times wider. The draw is cast to floatX so
        # that the same code runs on a GPU.
        if W is None:
            W_values = numpy.asarray(
                rng.uniform(
                    low=-numpy.sqrt(6. / (n_in + n_out)),
                    high=numpy.sqrt(6. / (n_in + n_out)),
                    size=(n_in, n_out)
                ),
                dtype=theano.config.floatX
            )
            if activation == theano.tensor.nnet.sigmoid:
                W_values *= 4

            W = theano.shared(value=W_values, name='W', borrow=True)

        if b is None:
            b_values = numpy.zeros((n_out,), dtype=theano.config.floatX)
            b = theano.shared(value=b_values, name='b', borrow=True)

        self.W = W
        self.b = b

        lin_output = T.dot(input, self.W) + self.b
        self.output = (
            lin_output if activation is None
            else activation(lin_output)
        )
        # parameters of the model
        self.params = [self.W, self.b]


# start-snippet-2
class MLP(object):
    """Multi-Layer Perceptron Class

    A feed-forward network with one hidden layer of non-linear units (a
    ``HiddenLayer``) topped by a softmax classifier (a
    ``LogisticRegression``).
    """

    def __init__(self, rng, input, n_in, n_hidden, n_out):
        """Build the two layers and the regularisation terms.

        :type rng: numpy.random.RandomState
        :param rng: random number generator for the initial weights

        :type input: theano.tensor.TensorType
        :param input: symbolic minibatch of inputs, one example per row

        :type n_in: int
        :param n_in: number of input features

        :type n_hidden: int
        :param n_hidden: number of hidden units

        :type n_out: int
        :param n_out: number of classes

        """

        # one tanh hidden layer (swap the activation for sigmoid or
        # another non-linearity if you like) ...
        self.hiddenLayer = HiddenLayer(
            rng=rng,
            input=input,
            n_in=n_in,
            n_out=n_hidden,
            activation=T.tanh
        )

        # ... feeding a logistic regression layer
        self.logRegressionLayer = LogisticRegression(
            input=self.hiddenLayer.output,
            n_in=n_hidden,
            n_out=n_out
        )
        # end-snippet-2 start-snippet-3
        # L1 norm of the weights, a regulariser that favours sparse weights
        self.L1 = (
            abs(self.hiddenLayer.W).sum()
            + abs(self.logRegressionLayer.W).sum()
        )

        # squared L2 norm of the weights, a regulariser that favours small
        # weights
        self.L2_sqr = (
            (self.hiddenLayer.W ** 2).sum()
            + (self.logRegressionLayer.W ** 2).sum()
        )

        # the network's likelihood and error rate are those of its output
        # layer
        self.negative_log_likelihood = (
            self.logRegressionLayer.negative_log_likelihood
        )
        self.errors = self.logRegressionLayer.errors

        # the parameters of both layers
        self.params = self.hiddenLayer.params + self.logRegressionLayer.params
        # end-snippet-3

        # keep track of model input
        self.input = input


def test_mlp(learning_rate=0.01, L1_reg=0.00, L2_reg=0.0001, n_epochs=1000,
             dataset='mnist.pkl.gz', batch_size=20, n_hidden=500):
    """
    Train the MLP on MNIST by minibatch stochastic gradient descent, with
    early stopping on the validation error.

    :type learning_rate: float
    :param learning_rate: step size of the stochastic gradient

    :type L1_reg: float
    :param L1_reg: weight of the L1 norm in the cost

    :type L2_reg: float
    :param L2_reg: weight of the squared L2 norm in the cost

    :type n_epochs: int
    :param n_epochs: maximal number of passes over the training set

    :type dataset: string
    :param dataset: path of ``mnist.pkl.gz`` or of a folder with the IDX files

   """
    datasets = load_data(dataset)

    train_set_x, train_set_y = datasets[0]
    valid_set_x, valid_set_y = datasets[1]
    test_set_x, test_set_y = datasets[2]

    # compute number of minibatches for training, validation and testing
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
    n_valid_batches = valid_set_x.get_value(borrow=True).shape[0] // batch_size
    n_test_batches = test_set_x.get_value(borrow=True).shape[0] // batch_size

    ######################
    # BUILD ACTUAL MODEL #
    ######################
    print('... building the model')

    # allocate symbolic variables for the data
    index = T.lscalar()  # index to a [mini]batch
    x = T.matrix('x')  # the data is presented as rasterized images
    y = T.ivector('y')  # the labels are presented as 1D vector of
                        # [int] labels

    rng = numpy.random.RandomState(1234)

    # construct the MLP class
    classifier = MLP(
        rng=rng,
        input=x,
        n_in=28 * 28,
        n_hidden=n_hidden,
        n_out=10
    )

    # start-snippet-4
    # the training cost: negative log-likelihood plus the weighted L1 and
    # L2 penalties, all symbolic
    cost = (
        classifier.negative_log_likelihood(y)
        + L1_reg * classifier.L1
        + L2_reg * classifier.L2_sqr
    )
    # end-snippet-4

    # compiled functions giving the error rate on one minibatch
    test_model = theano.function(
        inputs=[index],
        outputs=classifier.errors(y),
        givens={
            x: test_set_x[index * batch_size:(index + 1) * batch_size],
            y: test_set_y[index * batch_size:(index + 1) * batch_size]
        }
    )

    validate_model = theano.function(
        inputs=[index],
        outputs=classifier.errors(y),
        givens={
            x: valid_set_x[index * batch_size:(index + 1) * batch_size],
            y: valid_set_y[index * batch_size:(index + 1) * batch_size]
        }
    )

    # start-snippet-5
    # gradient of the cost with respect to each parameter, in the order of
    # classifier.params
    gparams = [T.grad(cost, param) for param in classifier.params]

    # one SGD step for every parameter, as (shared variable, new value)
    # pairs; zip pairs the i-th parameter with the i-th gradient
    updates = [
        (param, param - learning_rate * gparam)
        for param, gparam in zip(classifier.params, gparams)
    ]

    # `train_model` returns the minibatch cost and applies `updates`
    train_model = theano.function(
        inputs=[index],
        outputs=cost,
        updates=updates,
        givens={
            x: train_set_x[index * batch_size: (index + 1) * batch_size],
            y: train_set_y[index * batch_size: (index + 1) * batch_size]
        }
    )
    # end-snippet-5

    ###############
    # TRAIN MODEL #
    ###############
    print('... training')

    # early-stopping parameters
    patience = 10000  # train on at least this many minibatches
    patience_increase = 2  # on a clear improvement, extend patience to
                           # this many times the current iteration
    improvement_threshold = 0.995  # a relative improvement of this much is
                                   # considered significant
    validation_frequency = min(n_train_batches, patience // 2)
                                  # minibatches between two checks of the
                                  # validation error; here once an epoch

    best_validation_loss = numpy.inf
    best_iter = 0
    test_score = 0.
    start_time = timeit.default_timer()

    epoch = 0
    done_looping = False

    while (epoch < n_epochs) and (not done_looping):
        epoch = epoch + 1
        for minibatch_index in range(n_train_batches):

            minibatch_avg_cost = train_model(minibatch_index)
            # iteration number
            iter = (epoch - 1) * n_train_batches + minibatch_index

            if (iter + 1) % validation_frequency == 0:
                # compute zero-one loss on validation set
                validation_losses = [validate_model(i) for i
                                     in range(n_valid_batches)]
                this_validation_loss = numpy.mean(validation_losses)

                print(
                    'epoch %i, minibatch %i/%i, validation error %f %%' %
                    (
                        epoch,
                        minibatch_index + 1,
                        n_train_batches,
                        this_validation_loss * 100.
                    )
                )

                # if we got the best validation score until now
                if this_validation_loss < best_validation_loss:
                    # a clear enough improvement buys more patience
                    if (
                        this_validation_loss < best_validation_loss *
                        improvement_threshold
                    ):
                        patience = max(patience, iter * patience_increase)

                    best_validation_loss = this_validation_loss
                    best_iter = iter

                    # test it on the test set
                    test_losses = [test_model(i) for i
                                   in range(n_test_batches)]
                    test_score = numpy.mean(test_losses)

                    print(('     epoch %i, minibatch %i/%i, test error of '
                           'best model %f %%') %
                          (epoch, minibatch_index + 1, n_train_batches,
                           test_score * 100.))

            if patience <= iter:
                done_looping = True
                break

    end_time = timeit.default_timer()
    print(('Optimization complete. Best validation score of %f %% '
           'obtained at iteration %i, with test performance %f %%') %
          (best_validation_loss * 100., best_iter + 1, test_score * 100.))
    print(('The code for file ' +
           os.path.split(__file__)[1] +
           ' ran for %.2fm' % ((end_time - start_time) / 60.)), file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='One-hidden-layer MLP on MNIST by minibatch SGD.')
    parser.add_argument('--dataset', default='mnist.pkl.gz',
                        help='mnist.pkl.gz or a folder with the 4 MNIST IDX '
                             'files (default: %(default)s, downloaded if '
                             'missing)')
    parser.add_argument('--n-epochs', type=int, default=1000)
    args = parser.parse_args(argv)
    test_mlp(n_epochs=args.n_epochs, dataset=args.dataset)


if __name__ == '__main__':
    main()
