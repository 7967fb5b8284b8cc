# ruff: noqa: I001, UP004, UP031, B006, B905, N806, E501
# (kept as in the Theano original: object base classes, %-formatting, the
# mutable default layer sizes, zip without strict and its long print line)
"""
 Deep belief networks (DBN) on symtensor.

 A DBN stacks restricted Boltzmann machines (see rbm.py): each RBM is
 trained by contrastive divergence on the hidden activations of the one
 below, and their weights then initialise a deep MLP that is fine-tuned by
 supervised gradient descent on the labels.

 Run ``python DBN.py --dataset PATH`` (``mnist.pkl.gz`` or an IDX folder).
"""
import argparse
import os
import sys
import timeit

import numpy

import symtensor as theano
import symtensor.tensor as T
from symtensor.sandbox.rng_mrg import MRG_RandomStreams

from logistic_sgd import LogisticRegression, load_data
from mlp import HiddenLayer
from rbm import RBM


# start-snippet-1
class DBN(object):
    """Deep Belief Network

    The hidden layer of the RBM of layer `i` is the input of the RBM of
    layer `i+1`; the first RBM reads the input of the network and the
    hidden layer of the last one is its output. For classification, a
    logistic regression layer on top turns the DBN into an MLP.
    """

    def __init__(self, numpy_rng, theano_rng=None, n_ins=784,
                 hidden_layers_sizes=[500, 500], n_outs=10):
        """Build a DBN with any number of layers.

        :type numpy_rng: numpy.random.RandomState
        :param numpy_rng: generator for the initial weights

        :type theano_rng: symtensor.tensor.shared_randomstreams.RandomStreams
        :param theano_rng: symbolic random generator; when None, one is
                           seeded from `numpy_rng`

        :type n_ins: int
        :param n_ins: dimension of the input of the DBN

        :type hidden_layers_sizes: list of ints
        :param hidden_layers_sizes: the size of each hidden layer (at least
                                    one)

        :type n_outs: int
        :param n_outs: dimension of the output of the network
        """

        self.sigmoid_layers = []
        self.rbm_layers = []
        self.params = []
        self.n_layers = len(hidden_layers_sizes)

        assert self.n_layers > 0

        if not theano_rng:
            theano_rng = MRG_RandomStreams(numpy_rng.randint(2 ** 30))

        # symbolic variables for the data

        # the images, one flattened image per row
        self.x = T.matrix('x')

        # their labels, as a vector of ints
        self.y = T.ivector('y')
        # end-snippet-1
        # The DBN is built as a deep MLP whose sigmoid layers share their
        # weights with one RBM each. Pretraining trains the RBMs (and so
        # changes the MLP's weights); fine-tuning then trains the MLP by
        # stochastic gradient descent on the labels.

        for i in range(self.n_layers):
            # a sigmoid layer

            # it reads the layer below, or the input for the first layer
            if i == 0:
                input_size = n_ins
            else:
                input_size = hidden_layers_sizes[i - 1]

            # its input is the layer below's output, or the DBN's input
            if i == 0:
                layer_input = self.x
            else:
                layer_input = self.sigmoid_layers[-1].output

            sigmoid_layer = HiddenLayer(rng=numpy_rng,
                                        input=layer_input,
                                        n_in=input_size,
                                        n_out=hidden_layers_sizes[i],
                                        activation=T.nnet.sigmoid)

            # keep it
            self.sigmoid_layers.append(sigmoid_layer)

            # only the sigmoid layers' parameters are the DBN's: the RBMs'
            # visible biases belong to the RBMs alone
            self.params.extend(sigmoid_layer.params)

            # the RBM that shares this layer's weights and hidden biases
            rbm_layer = RBM(numpy_rng=numpy_rng,
                            theano_rng=theano_rng,
                            input=layer_input,
                            n_visible=input_size,
                            n_hidden=hidden_layers_sizes[i],
                            W=sigmoid_layer.W,
                            hbias=sigmoid_layer.b)
            self.rbm_layers.append(rbm_layer)

        # a logistic regression layer on top of the MLP
        self.logLayer = LogisticRegression(
            input=self.sigmoid_layers[-1].output,
            n_in=hidden_layers_sizes[-1],
            n_out=n_outs)
        self.params.extend(self.logLayer.params)

        # the fine-tuning cost: the negative log-likelihood of the labels
        # under the logistic regression (output) layer
        self.finetune_cost = self.logLayer.negative_log_likelihood(self.y)

        # the fraction of the minibatch self.x, self.y that the model
        # labels wrongly
        self.errors = self.logLayer.errors(self.y)

    def pretraining_functions(self, train_set_x, batch_size, k):
        '''One function per layer, each doing one CD-k step of that layer's
        RBM on the minibatch whose index it is given; training an RBM
        means calling its function on every minibatch index.

        :type train_set_x: symtensor.tensor.TensorType
        :param train_set_x: the shared variable holding the training inputs
        :type batch_size: int
        :param batch_size: size of a [mini]batch
        :param k: number of Gibbs steps of CD-k / PCD-k

        '''

        # index of a [mini]batch
        index = T.lscalar('index')  # index of a minibatch
        learning_rate = T.scalar('lr')  # learning rate

        # first example of the batch `index`
        batch_begin = index * batch_size
        # one past its last example
        batch_end = batch_begin + batch_size

        pretrain_fns = []
        for rbm in self.rbm_layers:

            # the cost and the updates of CD-k (persistent=None) for this
            # RBM
            cost, updates = rbm.get_cost_updates(learning_rate,
                                                 persistent=None, k=k)

            # its training function
            fn = theano.function(
                inputs=[index, theano.In(learning_rate, value=0.1)],
                outputs=cost,
                updates=updates,
                givens={
                    self.x: train_set_x[batch_begin:batch_end]
                }
            )
            # keep it
            pretrain_fns.append(fn)

        return pretrain_fns

    def build_finetune_functions(self, datasets, batch_size, learning_rate):
        '''Return `train`, one step of fine-tuning on a training minibatch,
        and `validate` and `test`, which compute the error on every
        minibatch of the validation and test sets.

        :type datasets: list of pairs of symtensor.tensor.TensorType
        :param datasets: the `train`, `valid` and `test` sets, in this
                         order, each a pair of shared variables (inputs,
                         labels)
        :type batch_size: int
        :param batch_size: size of a minibatch
        :type learning_rate: float
        :param learning_rate: learning rate of fine-tuning

        '''

        (train_set_x, train_set_y) = datasets[0]
        (valid_set_x, valid_set_y) = datasets[1]
        (test_set_x, test_set_y) = datasets[2]

        # number of minibatches in the validation and test sets
        n_valid_batches = valid_set_x.get_value(borrow=True).shape[0]
        n_valid_batches //= batch_size
        n_test_batches = test_set_x.get_value(borrow=True).shape[0]
        n_test_batches //= batch_size

        index = T.lscalar('index')  # index of a [mini]batch

        # gradients of the cost with respect to the parameters
        gparams = T.grad(self.finetune_cost, self.params)

        # the fine-tuning updates
        updates = []
        for param, gparam in zip(self.params, gparams):
            updates.append((param, param - gparam * learning_rate))

        train_fn = theano.function(
            inputs=[index],
            outputs=self.finetune_cost,
            updates=updates,
            givens={
                self.x: train_set_x[
                    index * batch_size: (index + 1) * batch_size
                ],
                self.y: train_set_y[
                    index * batch_size: (index + 1) * batch_size
                ]
            }
        )

        test_score_i = theano.function(
            [index],
            self.errors,
            givens={
                self.x: test_set_x[
                    index * batch_size: (index + 1) * batch_size
                ],
                self.y: test_set_y[
                    index * batch_size: (index + 1) * batch_size
                ]
            }
        )

        valid_score_i = theano.function(
            [index],
            self.errors,
            givens={
                self.x: valid_set_x[
                    index * batch_size: (index + 1) * batch_size
                ],
                self.y: valid_set_y[
                    index * batch_size: (index + 1) * batch_size
                ]
            }
        )

        # the errors on every validation minibatch
        def valid_score():
            return [valid_score_i(i) for i in range(n_valid_batches)]

        # the errors on every test minibatch
        def test_score():
            return [test_score_i(i) for i in range(n_test_batches)]

        return train_fn, valid_score, test_score


def test_DBN(finetune_lr=0.1, pretraining_epochs=100,
             pretrain_lr=0.01, k=1, training_epochs=1000,
             dataset='mnist.pkl.gz', batch_size=10):
    """
    Pretrain and fine-tune a deep belief network on MNIST, then report its
    test error.

    :type finetune_lr: float
    :param finetune_lr: learning rate of fine-tuning
    :type pretraining_epochs: int
    :param pretraining_epochs: number of pretraining epochs of each layer
    :type pretrain_lr: float
    :param pretrain_lr: learning rate of pretraining
    :type k: int
    :param k: number of Gibbs steps of CD/PCD
    :type training_epochs: int
    :param training_epochs: maximal number of fine-tuning epochs
    :type dataset: string
    :param dataset: path of mnist.pkl.gz (or of a folder of IDX files)
    :type batch_size: int
    :param batch_size: size of a minibatch
    """

    datasets = load_data(dataset)

    train_set_x, train_set_y = datasets[0]
    valid_set_x, valid_set_y = datasets[1]
    test_set_x, test_set_y = datasets[2]

    # number of minibatches in the training set
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    # the generator for the initial weights
    numpy_rng = numpy.random.RandomState(123)
    print('... building the model')
    # the deep belief network
    dbn = DBN(numpy_rng=numpy_rng, n_ins=28 * 28,
              hidden_layers_sizes=[1000, 1000, 1000],
              n_outs=10)

    # start-snippet-2
    #########################
    # PRETRAINING THE MODEL #
    #########################
    print('... getting the pretraining functions')
    pretraining_fns = dbn.pretraining_functions(train_set_x=train_set_x,
                                                batch_size=batch_size,
                                                k=k)

    print('... pre-training the model')
    start_time = timeit.default_timer()
    # pretrain one layer after the other
    for i in range(dbn.n_layers):
        # all the epochs of layer i
        for epoch in range(pretraining_epochs):
            # one pass over the training set
            c = []
            for batch_index in range(n_train_batches):
                c.append(pretraining_fns[i](index=batch_index,
                                            lr=pretrain_lr))
            print('Pre-training layer %i, epoch %d, cost ' % (i, epoch), end=' ')
            print(numpy.mean(c, dtype='float64'))

    end_time = timeit.default_timer()
    # end-snippet-2
    print('The pretraining code for file ' + os.path.split(__file__)[1] +
          ' ran for %.2fm' % ((end_time - start_time) / 60.), file=sys.stderr)
    ########################
    # FINETUNING THE MODEL #
    ########################

    # the training, validation and test functions of the model
    print('... getting the finetuning functions')
    train_fn, validate_model, test_model = dbn.build_finetune_functions(
        datasets=datasets,
        batch_size=batch_size,
        learning_rate=finetune_lr
    )

    print('... finetuning the model')
    # early-stopping parameters

    # train on at least this many minibatches
    patience = 4 * n_train_batches

    # on a new best, wait this many times longer
    patience_increase = 2.

    # a relative improvement of this much is considered significant
    improvement_threshold = 0.995

    # minibatches between two checks on the validation set; here, once an
    # epoch
    validation_frequency = min(n_train_batches, patience / 2)

    best_validation_loss = numpy.inf
    test_score = 0.
    start_time = timeit.default_timer()

    done_looping = False
    epoch = 0

    while (epoch < training_epochs) and (not done_looping):
        epoch = epoch + 1
        for minibatch_index in range(n_train_batches):

            train_fn(minibatch_index)
            iter = (epoch - 1) * n_train_batches + minibatch_index

            if (iter + 1) % validation_frequency == 0:

                validation_losses = validate_model()
                this_validation_loss = numpy.mean(validation_losses, dtype='float64')
                print('epoch %i, minibatch %i/%i, validation error %f %%' % (
                    epoch,
                    minibatch_index + 1,
                    n_train_batches,
                    this_validation_loss * 100.
                    )
                )

                # a new best validation score
                if this_validation_loss < best_validation_loss:

                    # a clear enough improvement buys more patience
                    if (this_validation_loss < best_validation_loss *
                            improvement_threshold):
                        patience = max(patience, iter * patience_increase)

                    # remember the best score and its iteration
                    best_validation_loss = this_validation_loss
                    best_iter = iter

                    # and measure the test error of this model
                    test_losses = test_model()
                    test_score = numpy.mean(test_losses, dtype='float64')
                    print(('     epoch %i, minibatch %i/%i, test error of '
                           'best model %f %%') %
                          (epoch, minibatch_index + 1, n_train_batches,
                          test_score * 100.))

            if patience <= iter:
                done_looping = True
                break

    end_time = timeit.default_timer()
    print(('Optimization complete with best validation score of %f %%, '
           'obtained at iteration %i, '
           'with test performance %f %%'
           ) % (best_validation_loss * 100., best_iter + 1, test_score * 100.))
    print('The fine tuning code for file ' + os.path.split(__file__)[1] +
          ' ran for %.2fm' % ((end_time - start_time) / 60.), file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Deep belief network on MNIST.')
    parser.add_argument('--dataset', default='mnist.pkl.gz',
                        help='mnist.pkl.gz or a folder with the 4 MNIST IDX '
                             'files (default: %(default)s, downloaded if '
                             'missing)')
    parser.add_argument('--pretraining-epochs', type=int, default=100)
    parser.add_argument('--training-epochs', type=int, default=1000)
    args = parser.parse_args(argv)
    test_DBN(pretraining_epochs=args.pretraining_epochs,
             training_epochs=args.training_epochs, dataset=args.dataset)


if __name__ == '__main__':
    main()
