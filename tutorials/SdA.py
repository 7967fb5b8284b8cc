# ruff: noqa: I001, UP004, UP031, B006, B905, F402, F841, N801, N806, E501
# (kept as in the Theano original: object base classes, %-formatting, the
# mutable default layer sizes, zip without strict, the loop variable `dA`
# shadowing the class, the unused minibatch cost and its long print line)
"""
 Stacked denoising auto-encoders (SdA) on symtensor.

 A denoising auto-encoder (see dA.py) encodes a corrupted copy \\tilde{x} of
 its input x as y = s(W\\tilde{x} + b), decodes it as z = s(W'y + b') with
 W' = W^T, and is trained to make z close to the clean x under the
 cross-entropy

      - \\sum_{k=1}^d[ x_k \\log z_k + (1-x_k) \\log( 1-z_k)]

 An SdA stacks such auto-encoders: each is trained (greedily, one layer at
 a time) on the hidden code of the one below, and their weights then
 initialise a deep MLP that is fine-tuned by supervised gradient descent.


 References :
   - P. Vincent, H. Larochelle, Y. Bengio, P.A. Manzagol: Extracting and
   Composing Robust Features with Denoising Autoencoders, ICML'08, 1096-1103,
   2008
   - Y. Bengio, P. Lamblin, D. Popovici, H. Larochelle: Greedy Layer-Wise
   Training of Deep Networks, Advances in Neural Information Processing
   Systems 19, 2007

 Run ``python SdA.py --dataset PATH`` (``mnist.pkl.gz`` or an IDX folder).
"""

import argparse
import os
import sys
import timeit

import numpy

import symtensor as theano
import symtensor.tensor as T
from symtensor.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams

from logistic_sgd import LogisticRegression, load_data
from mlp import HiddenLayer
from dA import dA


# start-snippet-1
class SdA(object):
    """Stacked denoising auto-encoder class (SdA)

    The hidden layer of the dA of layer `i` is the input of the dA of layer
    `i+1`; the first dA reads the input of the SdA and the hidden layer of
    the last one is the SdA's output. After pretraining the SdA is used as
    an ordinary MLP: the dAs only provide its initial weights.
    """

    def __init__(
        self,
        numpy_rng,
        theano_rng=None,
        n_ins=784,
        hidden_layers_sizes=[500, 500],
        n_outs=10,
        corruption_levels=[0.1, 0.1]
    ):
        """ Build an SdA with any number of layers.

        :type numpy_rng: numpy.random.RandomState
        :param numpy_rng: generator for the initial weights

        :type theano_rng: symtensor.tensor.shared_randomstreams.RandomStreams
        :param theano_rng: symbolic random generator; when None, one is
                           seeded from `numpy_rng`

        :type n_ins: int
        :param n_ins: dimension of the input of the SdA

        :type hidden_layers_sizes: list of ints
        :param hidden_layers_sizes: the size of each hidden layer (at least
                                    one)

        :type n_outs: int
        :param n_outs: dimension of the output of the network

        :type corruption_levels: list of float
        :param corruption_levels: the corruption of each layer's dA
        """

        self.sigmoid_layers = []
        self.dA_layers = []
        self.params = []
        self.n_layers = len(hidden_layers_sizes)

        assert self.n_layers > 0

        if not theano_rng:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
        # symbolic variables for the data
        self.x = T.matrix('x')  # the images, one flattened image per row
        self.y = T.ivector('y')  # their labels, as a vector of ints
        # end-snippet-1

        # The SdA is built as a deep MLP whose sigmoid layers share their
        # weights with one dA each. Pretraining trains the dAs (and so
        # changes the MLP's weights); fine-tuning then trains the MLP by
        # stochastic gradient descent on the labels.

        # start-snippet-2
        for i in range(self.n_layers):
            # a sigmoid layer

            # it reads the layer below, or the input for the first layer
            if i == 0:
                input_size = n_ins
            else:
                input_size = hidden_layers_sizes[i - 1]

            # its input is the layer below's output, or the SdA's input
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
            # only the sigmoid layers' parameters are the SdA's: the dAs'
            # visible biases belong to the dAs alone
            self.params.extend(sigmoid_layer.params)

            # the dA that shares this layer's weights and hidden biases
            dA_layer = dA(numpy_rng=numpy_rng,
                          theano_rng=theano_rng,
                          input=layer_input,
                          n_visible=input_size,
                          n_hidden=hidden_layers_sizes[i],
                          W=sigmoid_layer.W,
                          bhid=sigmoid_layer.b)
            self.dA_layers.append(dA_layer)
        # end-snippet-2
        # a logistic regression layer on top of the MLP
        self.logLayer = LogisticRegression(
            input=self.sigmoid_layers[-1].output,
            n_in=hidden_layers_sizes[-1],
            n_out=n_outs
        )

        self.params.extend(self.logLayer.params)
        # what fine-tuning needs

        # the fine-tuning cost: the negative log-likelihood of the labels
        self.finetune_cost = self.logLayer.negative_log_likelihood(self.y)
        # the fraction of the minibatch self.x, self.y that the model
        # labels wrongly
        self.errors = self.logLayer.errors(self.y)

    def pretraining_functions(self, train_set_x, batch_size):
        ''' One function per layer, each doing one SGD step of that layer's
        dA on the minibatch whose index it is given; training a dA means
        calling its function on every minibatch index.

        :type train_set_x: symtensor.tensor.TensorType
        :param train_set_x: the shared variable holding the training inputs

        :type batch_size: int
        :param batch_size: size of a [mini]batch

        The corruption level and the learning rate are inputs of the
        functions (``corruption`` and ``lr``, with defaults 0.2 and 0.1).
        '''

        # index of a [mini]batch
        index = T.lscalar('index')  # index of a minibatch
        corruption_level = T.scalar('corruption')  # how much to corrupt
        learning_rate = T.scalar('lr')  # learning rate
        # first example of the batch `index`
        batch_begin = index * batch_size
        # one past its last example
        batch_end = batch_begin + batch_size

        pretrain_fns = []
        for dA in self.dA_layers:
            # the cost and the updates of this dA
            cost, updates = dA.get_cost_updates(corruption_level,
                                                learning_rate)
            # its training function
            fn = theano.function(
                inputs=[
                    index,
                    theano.In(corruption_level, value=0.2),
                    theano.In(learning_rate, value=0.1)
                ],
                outputs=cost,
                updates=updates,
                givens={
                    self.x: train_set_x[batch_begin: batch_end]
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
        updates = [
            (param, param - gparam * learning_rate)
            for param, gparam in zip(self.params, gparams)
        ]

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
            },
            name='train'
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
            },
            name='test'
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
            },
            name='valid'
        )

        # the errors on every validation minibatch
        def valid_score():
            return [valid_score_i(i) for i in range(n_valid_batches)]

        # the errors on every test minibatch
        def test_score():
            return [test_score_i(i) for i in range(n_test_batches)]

        return train_fn, valid_score, test_score


def test_SdA(finetune_lr=0.1, pretraining_epochs=15,
             pretrain_lr=0.001, training_epochs=1000,
             dataset='mnist.pkl.gz', batch_size=1):
    """
    Pretrain and fine-tune a stacked denoising auto-encoder on MNIST, then
    report its test error.

    :type finetune_lr: float
    :param finetune_lr: learning rate of fine-tuning

    :type pretraining_epochs: int
    :param pretraining_epochs: number of pretraining epochs of each layer

    :type pretrain_lr: float
    :param pretrain_lr: learning rate of pretraining

    :type training_epochs: int
    :param training_epochs: maximal number of fine-tuning epochs

    :type dataset: string
    :param dataset: path of mnist.pkl.gz (or of a folder of IDX files)

    """

    datasets = load_data(dataset)

    train_set_x, train_set_y = datasets[0]
    valid_set_x, valid_set_y = datasets[1]
    test_set_x, test_set_y = datasets[2]

    # number of minibatches in the training set
    n_train_batches = train_set_x.get_value(borrow=True).shape[0]
    n_train_batches //= batch_size

    # the generator for the initial weights
    # start-snippet-3
    numpy_rng = numpy.random.RandomState(89677)
    print('... building the model')
    # the stacked denoising auto-encoder
    sda = SdA(
        numpy_rng=numpy_rng,
        n_ins=28 * 28,
        hidden_layers_sizes=[1000, 1000, 1000],
        n_outs=10
    )
    # end-snippet-3 start-snippet-4
    #########################
    # PRETRAINING THE MODEL #
    #########################
    print('... getting the pretraining functions')
    pretraining_fns = sda.pretraining_functions(train_set_x=train_set_x,
                                                batch_size=batch_size)

    print('... pre-training the model')
    start_time = timeit.default_timer()
    # pretrain one layer after the other
    corruption_levels = [.1, .2, .3]
    for i in range(sda.n_layers):
        # all the epochs of layer i
        for epoch in range(pretraining_epochs):
            # one pass over the training set
            c = []
            for batch_index in range(n_train_batches):
                c.append(pretraining_fns[i](index=batch_index,
                         corruption=corruption_levels[i],
                         lr=pretrain_lr))
            print('Pre-training layer %i, epoch %d, cost %f' % (i, epoch, numpy.mean(c, dtype='float64')))

    end_time = timeit.default_timer()

    print(('The pretraining code for file ' +
           os.path.split(__file__)[1] +
           ' ran for %.2fm' % ((end_time - start_time) / 60.)), file=sys.stderr)
    # end-snippet-4
    ########################
    # FINETUNING THE MODEL #
    ########################

    # the training, validation and test functions of the model
    print('... getting the finetuning functions')
    train_fn, validate_model, test_model = sda.build_finetune_functions(
        datasets=datasets,
        batch_size=batch_size,
        learning_rate=finetune_lr
    )

    print('... finetunning the model')
    # early-stopping parameters
    patience = 10 * n_train_batches  # train on at least this many examples
    patience_increase = 2.  # on a new best, wait this many times longer
    improvement_threshold = 0.995  # a relative improvement of this much is
                                   # considered significant
    validation_frequency = min(n_train_batches, patience // 2)
                                  # minibatches between two checks on the
                                  # validation set; here, once an epoch

    best_validation_loss = numpy.inf
    test_score = 0.
    start_time = timeit.default_timer()

    done_looping = False
    epoch = 0

    while (epoch < training_epochs) and (not done_looping):
        epoch = epoch + 1
        for minibatch_index in range(n_train_batches):
            minibatch_avg_cost = train_fn(minibatch_index)
            iter = (epoch - 1) * n_train_batches + minibatch_index

            if (iter + 1) % validation_frequency == 0:
                validation_losses = validate_model()
                this_validation_loss = numpy.mean(validation_losses, dtype='float64')
                print('epoch %i, minibatch %i/%i, validation error %f %%' %
                      (epoch, minibatch_index + 1, n_train_batches,
                       this_validation_loss * 100.))

                # a new best validation score
                if this_validation_loss < best_validation_loss:

                    # a clear enough improvement buys more patience
                    if (
                        this_validation_loss < best_validation_loss *
                        improvement_threshold
                    ):
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
    print(
        (
            'Optimization complete with best validation score of %f %%, '
            'on iteration %i, '
            'with test performance %f %%'
        )
        % (best_validation_loss * 100., best_iter + 1, test_score * 100.)
    )
    print(('The training code for file ' +
           os.path.split(__file__)[1] +
           ' ran for %.2fm' % ((end_time - start_time) / 60.)), file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Stacked denoising auto-encoders on MNIST.')
    parser.add_argument('--dataset', default='mnist.pkl.gz',
                        help='mnist.pkl.gz or a folder with the 4 MNIST IDX '
                             'files (default: %(default)s, downloaded if '
                             'missing)')
    parser.add_argument('--pretraining-epochs', type=int, default=15)
    parser.add_argument('--training-epochs', type=int, default=1000)
    args = parser.parse_args(argv)
    test_SdA(pretraining_epochs=args.pretraining_epochs,
             training_epochs=args.training_epochs, dataset=args.dataset)


if __name__ == '__main__':
    main()
