# ruff: noqa: I001, UP004, UP031, B006, B905, F841
# (kept as in the Theano original: object base classes, %-formatting,
# the mutable nkerns default, unused minibatch costs, local imports last)
"""LeNet5-style convolutional network on MNIST (the "lenet" tutorial, on
symtensor). Two convolution + max-pooling layers feed a fully-connected
tanh layer and a logistic-regression classifier, trained by minibatch SGD
with early stopping.

Compared with the network of the paper, this one is simpler:

 - the convolution + pooling layers have no per-location gain and bias
 - pooling takes the maximum, not the average
 - the classifier is a logistic regression, not an RBF network
 - the second convolution layer connects every input map to every output
   map (LeNet5 used a sparse connection table)

References:
 - Y. LeCun, L. Bottou, Y. Bengio and P. Haffner:
   Gradient-Based Learning Applied to Document
   Recognition, Proceedings of the IEEE, 86(11):2278-2324, November 1998.
   http://yann.lecun.com/exdb/publis/pdf/lecun-98.pdf

Run ``python convolutional_mlp.py --dataset PATH``; ``--max-batches N``
trains on only N minibatches per epoch (a quick smoke run).
"""

import argparse
import os
import sys
import timeit

import numpy

import symtensor as theano
import symtensor.tensor as T
from symtensor.tensor.signal import pool
from symtensor.tensor.nnet import conv2d

from logistic_sgd import LogisticRegression, load_data
from mlp import HiddenLayer


class LeNetConvPoolLayer(object):
    """Pool Layer of a convolutional network """

    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2)):
        """
        Create a convolution + max-pooling layer with its shared weights.

        :type rng: numpy.random.RandomState
        :param rng: random number generator for the initial weights

        :type input: theano.tensor.dtensor4
        :param input: symbolic image tensor, of shape image_shape

        :type filter_shape: tuple or list of length 4
        :param filter_shape: (number of filters, num input feature maps,
                              filter height, filter width)

        :type image_shape: tuple or list of length 4
        :param image_shape: (batch size, num input feature maps,
                             image height, image width)

        :type poolsize: tuple or list of length 2
        :param poolsize: the downsampling (pooling) factor (#rows, #cols)
        """

        assert image_shape[1] == filter_shape[1]
        self.input = input

        # each hidden unit sees "input maps * filter height * filter width"
        # inputs
        fan_in = numpy.prod(filter_shape[1:])
        # and each input unit sends its gradient to "output maps * filter
        # height * filter width" units, divided by the pooling area
        fan_out = (filter_shape[0] * numpy.prod(filter_shape[2:]) //
                   numpy.prod(poolsize))
        # draw the weights uniformly in +-sqrt(6 / (fan_in + fan_out))
        W_bound = numpy.sqrt(6. / (fan_in + fan_out))
        self.W = theano.shared(
            numpy.asarray(
                rng.uniform(low=-W_bound, high=W_bound, size=filter_shape),
                dtype=theano.config.floatX
            ),
            borrow=True
        )

        # one bias per output feature map, starting at zero
        b_values = numpy.zeros((filter_shape[0],), dtype=theano.config.floatX)
        self.b = theano.shared(value=b_values, borrow=True)

        # convolve input feature maps with filters
        conv_out = conv2d(
            input=input,
            filters=self.W,
            filter_shape=filter_shape,
            input_shape=image_shape
        )

        # max-pool each feature map on its own
        pooled_out = pool.pool_2d(
            input=conv_out,
            ds=poolsize,
            ignore_border=True
        )

        # add the bias: dimshuffle turns the vector b into a tensor of shape
        # (1, n_filters, 1, 1), which broadcasts over the minibatch and over
        # the rows and columns of each feature map
        self.output = T.tanh(pooled_out + self.b.dimshuffle('x', 0, 'x', 'x'))

        # store parameters of this layer
        self.params = [self.W, self.b]


def evaluate_lenet5(learning_rate=0.1, n_epochs=200,
                    dataset='mnist.pkl.gz',
                    nkerns=[20, 50], batch_size=500, max_batches=None,
                    draw_graph=None):
    """ Demonstrates lenet on MNIST dataset

    :type learning_rate: float
    :param learning_rate: step size of the stochastic gradient

    :type n_epochs: int
    :param n_epochs: maximal number of passes over the training set

    :type dataset: string
    :param dataset: path of ``mnist.pkl.gz`` or of a folder with the IDX files

    :type nkerns: list of ints
    :param nkerns: number of kernels on each layer

    :type batch_size: int
    :param batch_size: number of examples per minibatch

    :type max_batches: int or None
    :param max_batches: if given, train on at most this many minibatches per
                        epoch (for quick smoke runs); None trains on all
    """

    rng = numpy.random.RandomState(23455)

    datasets = load_data(dataset)

    train_set_x, train_set_y = datasets[0]
    valid_set_x, valid_set_y = datasets[1]
    test_set_x, test_set_y = datasets[2]

    # compute number of minibatches for training, validation and testing
    n_train_batches = train_set_x.get_value(borrow=True).shape[0]
    n_valid_batches = valid_set_x.get_value(borrow=True).shape[0]
    n_test_batches = test_set_x.get_value(borrow=True).shape[0]
    n_train_batches //= batch_size
    n_valid_batches //= batch_size
    n_test_batches //= batch_size
    if max_batches is not None:
        n_train_batches = min(n_train_batches, max_batches)

    # allocate symbolic variables for the data
    index = T.lscalar()  # index to a [mini]batch

    # start-snippet-1
    x = T.matrix('x')   # the data is presented as rasterized images
    y = T.ivector('y')  # the labels are presented as 1D vector of
                        # [int] labels

    ######################
    # BUILD ACTUAL MODEL #
    ######################
    print('... building the model')

    # view each row of 28 * 28 pixels as a one-channel 28x28 image: a 4D
    # tensor (batch_size, 1, 28, 28), the layout LeNetConvPoolLayer expects
    layer0_input = x.reshape((batch_size, 1, 28, 28))

    # First convolution + pooling layer:
    # a 5x5 filter leaves (28-5+1, 28-5+1) = (24, 24) positions,
    # 2x2 max-pooling halves that to (12, 12),
    # so the output has shape (batch_size, nkerns[0], 12, 12)
    layer0 = LeNetConvPoolLayer(
        rng,
        input=layer0_input,
        image_shape=(batch_size, 1, 28, 28),
        filter_shape=(nkerns[0], 1, 5, 5),
        poolsize=(2, 2)
    )

    # Second convolution + pooling layer:
    # (12-5+1, 12-5+1) = (8, 8) positions, pooled to (4, 4),
    # so the output has shape (batch_size, nkerns[1], 4, 4)
    layer1 = LeNetConvPoolLayer(
        rng,
        input=layer0.output,
        image_shape=(batch_size, nkerns[0], 12, 12),
        filter_shape=(nkerns[1], nkerns[0], 5, 5),
        poolsize=(2, 2)
    )

    # The fully-connected layer works on matrices, one example per row:
    # flatten each example's feature maps into a single row, giving shape
    # (batch_size, nkerns[1] * 4 * 4), i.e. (500, 800) by default.
    layer2_input = layer1.output.flatten(2)

    # construct a fully-connected sigmoidal layer
    layer2 = HiddenLayer(
        rng,
        input=layer2_input,
        n_in=nkerns[1] * 4 * 4,
        n_out=500,
        activation=T.tanh
    )

    # classify the values of the fully-connected sigmoidal layer
    layer3 = LogisticRegression(input=layer2.output, n_in=500, n_out=10)

    # the cost we minimize during training is the NLL of the model
    cost = layer3.negative_log_likelihood(y)

    # compiled functions giving the error rate on one minibatch
    test_model = theano.function(
        [index],
        layer3.errors(y),
        givens={
            x: test_set_x[index * batch_size: (index + 1) * batch_size],
            y: test_set_y[index * batch_size: (index + 1) * batch_size]
        }
    )

    validate_model = theano.function(
        [index],
        layer3.errors(y),
        givens={
            x: valid_set_x[index * batch_size: (index + 1) * batch_size],
            y: valid_set_y[index * batch_size: (index + 1) * batch_size]
        }
    )

    # every parameter the gradient descent adjusts
    params = layer3.params + layer2.params + layer1.params + layer0.params

    # and the gradient of the cost with respect to each of them
    grads = T.grad(cost, params)

    # With this many parameters, writing one update per parameter by hand
    # would be tedious: build the SGD step for every (param, grad) pair in
    # one loop.
    updates = [
        (param_i, param_i - learning_rate * grad_i)
        for param_i, grad_i in zip(params, grads)
    ]

    train_model = theano.function(
        [index],
        cost,
        updates=updates,
        givens={
            x: train_set_x[index * batch_size: (index + 1) * batch_size],
            y: train_set_y[index * batch_size: (index + 1) * batch_size]
        }
    )
    # end-snippet-1
    if draw_graph:
        # a picture of the compiled training graph (needs graphviz)
        theano.printing.pydotprint(train_model, outfile=draw_graph,
                                   format=draw_graph.rsplit('.', 1)[-1])

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

            iter = (epoch - 1) * n_train_batches + minibatch_index

            if iter % 100 == 0:
                print('training @ iter = ', iter)
            cost_ij = train_model(minibatch_index)

            if (iter + 1) % validation_frequency == 0:

                # compute zero-one loss on validation set
                validation_losses = [validate_model(i) for i
                                     in range(n_valid_batches)]
                this_validation_loss = numpy.mean(validation_losses)
                print('epoch %i, minibatch %i/%i, validation error %f %%' %
                      (epoch, minibatch_index + 1, n_train_batches,
                       this_validation_loss * 100.))

                # if we got the best validation score until now
                if this_validation_loss < best_validation_loss:

                    # a clear enough improvement buys more patience
                    if this_validation_loss < best_validation_loss *  \
                       improvement_threshold:
                        patience = max(patience, iter * patience_increase)

                    # save best validation score and iteration number
                    best_validation_loss = this_validation_loss
                    best_iter = iter

                    # test it on the test set
                    test_losses = [
                        test_model(i)
                        for i in range(n_test_batches)
                    ]
                    test_score = numpy.mean(test_losses)
                    print(('     epoch %i, minibatch %i/%i, test error of '
                           'best model %f %%') %
                          (epoch, minibatch_index + 1, n_train_batches,
                           test_score * 100.))

            if patience <= iter:
                done_looping = True
                break

    end_time = timeit.default_timer()
    print('Optimization complete.')
    print('Best validation score of %f %% obtained at iteration %i, '
          'with test performance %f %%' %
          (best_validation_loss * 100., best_iter + 1, test_score * 100.))
    print(('The code for file ' +
           os.path.split(__file__)[1] +
           ' ran for %.2fm' % ((end_time - start_time) / 60.)), file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='LeNet5-style convolutional network on MNIST.')
    parser.add_argument('--dataset', default='mnist.pkl.gz',
                        help='mnist.pkl.gz or a folder with the 4 MNIST IDX '
                             'files (default: %(default)s, downloaded if '
                             'missing)')
    parser.add_argument('--n-epochs', type=int, default=200)
    parser.add_argument('--batch-size', type=int, default=500)
    parser.add_argument('--nkerns', type=int, nargs=2, default=[20, 50],
                        metavar=('N0', 'N1'),
                        help='kernels in the two convolution layers '
                             '(default: 20 50)')
    parser.add_argument('--learning-rate', type=float, default=0.1)
    parser.add_argument('--max-batches', type=int, default=None,
                        help='train on at most this many minibatches per '
                             'epoch (smoke runs; default: all)')
    parser.add_argument('--draw-graph', default=None, metavar='FILE.png|svg|pdf',
                        help='save a drawing of the compiled training graph')
    args = parser.parse_args(argv)
    evaluate_lenet5(learning_rate=args.learning_rate,
                    n_epochs=args.n_epochs,
                    dataset=args.dataset,
                    nkerns=args.nkerns,
                    batch_size=args.batch_size,
                    max_batches=args.max_batches,
                    draw_graph=args.draw_graph)


if __name__ == '__main__':
    main()
