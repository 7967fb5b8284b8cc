# ruff: noqa: I001, UP004, UP031, B905, N801, N803, N806
# (kept as in the Theano original: object base classes, %-formatting,
# the dA class name and the W / bhid / bvis arguments)
"""
 Denoising auto-encoders (dA), the building block of stacked denoising
 auto-encoders (SdA), on symtensor.

 An auto-encoder maps an input x to a hidden code y = f_{\\theta}(x) =
 s(Wx + b), with parameters \\theta = {W, b}, and maps the code back to a
 reconstruction z = g_{\\theta'}(y) = s(W'y + b') in input space. Here the
 weights are tied: W' = W^T. Training makes z close to x.

 A denoising auto-encoder first corrupts x into \\tilde{x} by a stochastic
 mapping (here: zeroing a random subset of the inputs), encodes \\tilde{x},
 and is scored on how well it rebuilds the clean x, with the
 cross-entropy

      - \\sum_{k=1}^d[ x_k \\log z_k + (1-x_k) \\log( 1-z_k)]


 References :
   - P. Vincent, H. Larochelle, Y. Bengio, P.A. Manzagol: Extracting and
   Composing Robust Features with Denoising Autoencoders, ICML'08, 1096-1103,
   2008
   - Y. Bengio, P. Lamblin, D. Popovici, H. Larochelle: Greedy Layer-Wise
   Training of Deep Networks, Advances in Neural Information Processing
   Systems 19, 2007

 Run ``python dA.py --dataset PATH`` (``mnist.pkl.gz`` or an IDX folder).
"""

import argparse
import os
import sys
import timeit

import numpy

import symtensor as theano
import symtensor.tensor as T
from symtensor.tensor.shared_randomstreams import RandomStreams

from logistic_sgd import load_data
from utils import tile_raster_images

try:
    import PIL.Image as Image
except ImportError:
    import Image


# start-snippet-1
class dA(object):
    """Denoising Auto-Encoder class (dA)

    The model rebuilds its input from a corrupted copy: it draws a
    partially destroyed version of x (1), projects it into the hidden space
    (2), projects the code back into input space (3), and measures the
    reconstruction error against the clean input (4).

    .. math::

        \\tilde{x} ~ q_D(\\tilde{x}|x)                                     (1)

        y = s(W \\tilde{x} + b)                                           (2)

        x = s(W' y  + b')                                                (3)

        L(x,z) = -sum_{k=1}^d [x_k \\log z_k + (1-x_k) \\log( 1-z_k)]      (4)

    """

    def __init__(
        self,
        numpy_rng,
        theano_rng=None,
        input=None,
        n_visible=784,
        n_hidden=500,
        W=None,
        bhid=None,
        bvis=None
    ):
        """
        Set up the parameters and the symbolic input of a dA.

        The weights and biases may be given as symbolic variables: an SdA
        builds each of its dAs on the output of the layer below and shares
        the dA's weights with a layer of an MLP.

        :type numpy_rng: numpy.random.RandomState
        :param numpy_rng: generator for the initial weights

        :type theano_rng: symtensor.tensor.shared_randomstreams.RandomStreams
        :param theano_rng: symbolic random generator for the corruption;
                           when None, one is seeded from `numpy_rng`

        :type input: symtensor.tensor.TensorType
        :param input: symbolic minibatch, one example per row, or None
                      for a standalone dA

        :type n_visible: int
        :param n_visible: number of visible units (input dimension)

        :type n_hidden: int
        :param n_hidden:  number of hidden units

        :type W: symtensor.tensor.TensorType
        :param W: weights to share with another model, or None to create
                  them here

        :type bhid: symtensor.tensor.TensorType
        :param bhid: hidden biases to share, or None to create them here

        :type bvis: symtensor.tensor.TensorType
        :param bvis: visible biases to share, or None to create them here

        """
        self.n_visible = n_visible
        self.n_hidden = n_hidden

        # the source of the symbolic random corruption masks
        if not theano_rng:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))

        # note : W' is written `W_prime` and b' `b_prime`
        if not W:
            # W starts uniform in +/- 4 * sqrt(6 / (n_visible + n_hidden))
            # (the range suited to sigmoid units), stored as floatX so the
            # same code runs on a GPU
            initial_W = numpy.asarray(
                numpy_rng.uniform(
                    low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                    high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                    size=(n_visible, n_hidden)
                ),
                dtype=theano.config.floatX
            )
            W = theano.shared(value=initial_W, name='W', borrow=True)

        if not bvis:
            bvis = theano.shared(
                value=numpy.zeros(
                    n_visible,
                    dtype=theano.config.floatX
                ),
                borrow=True
            )

        if not bhid:
            bhid = theano.shared(
                value=numpy.zeros(
                    n_hidden,
                    dtype=theano.config.floatX
                ),
                name='b',
                borrow=True
            )

        self.W = W
        # b: the biases of the hidden units
        self.b = bhid
        # b_prime: the biases of the visible units
        self.b_prime = bvis
        # tied weights: the decoder uses the transpose of the encoder
        self.W_prime = self.W.T
        self.theano_rng = theano_rng
        # a standalone dA makes its own input variable
        if input is None:
            # a matrix: a minibatch of examples, one per row
            self.x = T.dmatrix(name='input')
        else:
            self.x = input

        self.params = [self.W, self.b, self.b_prime]
    # end-snippet-1

    def get_corrupted_input(self, input, corruption_level):
        """Keep each entry of ``input`` with probability
        ``1 - corruption_level`` and set the others to zero.

        The mask comes from ``theano_rng.binomial``: its ``size`` is the
        shape of the draw, ``n`` the number of trials and ``p`` the
        probability of success, so with n=1 it is an array of 0s and 1s
        holding 1 with probability ``1 - corruption_level``.

        The binomial returns int64 by default, and int64 times a floatX
        input would give float64; asking for dtype floatX keeps the whole
        graph in floatX (the values are 0 and 1 either way), as a float32
        GPU needs.
        """
        return self.theano_rng.binomial(size=input.shape, n=1,
                                        p=1 - corruption_level,
                                        dtype=theano.config.floatX) * input

    def get_hidden_values(self, input):
        """ The hidden code of ``input`` """
        return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

    def get_reconstructed_input(self, hidden):
        """The reconstruction of the input from the hidden code

        """
        return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

    def get_cost_updates(self, corruption_level, learning_rate):
        """ The cost and the SGD updates of one training step of the dA """

        tilde_x = self.get_corrupted_input(self.x, corruption_level)
        y = self.get_hidden_values(tilde_x)
        z = self.get_reconstructed_input(y)
        # the cross-entropy sums over the units of an example; with a
        # minibatch, L is a vector holding one cost per example
        L = - T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        # the minibatch cost is the mean of the examples' costs
        cost = T.mean(L)

        # gradients of the cost with respect to the parameters
        gparams = T.grad(cost, self.params)
        # one (parameter, new value) pair per parameter
        updates = [
            (param, param - learning_rate * gparam)
            for param, gparam in zip(self.params, gparams)
        ]

        return (cost, updates)


def test_dA(learning_rate=0.1, training_epochs=15,
            dataset='mnist.pkl.gz',
            batch_size=20, output_folder='dA_plots'):

    """
    Train a dA on MNIST, without and with 30% corruption, and save the
    filters (the rows of W^T) of each as a PNG.

    :type learning_rate: float
    :param learning_rate: SGD learning rate of the dA

    :type training_epochs: int
    :param training_epochs: number of passes over the training set

    :type dataset: string
    :param dataset: path of mnist.pkl.gz (or of a folder of IDX files)

    """
    datasets = load_data(dataset)
    train_set_x, train_set_y = datasets[0]

    # number of minibatches in the training set
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    # symbolic variables for the data
    index = T.lscalar()    # index of a [mini]batch
    x = T.matrix('x')  # the images, one flattened image per row

    if not os.path.isdir(output_folder):
        os.makedirs(output_folder)
    os.chdir(output_folder)

    ####################################
    # BUILDING THE MODEL NO CORRUPTION #
    ####################################

    rng = numpy.random.RandomState(123)
    theano_rng = RandomStreams(rng.randint(2 ** 30))

    da = dA(
        numpy_rng=rng,
        theano_rng=theano_rng,
        input=x,
        n_visible=28 * 28,
        n_hidden=500
    )

    cost, updates = da.get_cost_updates(
        corruption_level=0.,
        learning_rate=learning_rate
    )

    train_da = theano.function(
        [index],
        cost,
        updates=updates,
        givens={
            x: train_set_x[index * batch_size: (index + 1) * batch_size]
        }
    )

    start_time = timeit.default_timer()

    ############
    # TRAINING #
    ############

    # one pass over the training set per epoch
    for epoch in range(training_epochs):
        # one SGD step per minibatch
        c = []
        for batch_index in range(n_train_batches):
            c.append(train_da(batch_index))

        print('Training epoch %d, cost ' % epoch, numpy.mean(c, dtype='float64'))

    end_time = timeit.default_timer()

    training_time = (end_time - start_time)

    print(('The no corruption code for file ' +
           os.path.split(__file__)[1] +
           ' ran for %.2fm' % ((training_time) / 60.)), file=sys.stderr)
    image = Image.fromarray(
        tile_raster_images(X=da.W.get_value(borrow=True).T,
                           img_shape=(28, 28), tile_shape=(10, 10),
                           tile_spacing=(1, 1)))
    image.save('filters_corruption_0.png')

    # start-snippet-3
    #####################################
    # BUILDING THE MODEL CORRUPTION 30% #
    #####################################

    rng = numpy.random.RandomState(123)
    theano_rng = RandomStreams(rng.randint(2 ** 30))

    da = dA(
        numpy_rng=rng,
        theano_rng=theano_rng,
        input=x,
        n_visible=28 * 28,
        n_hidden=500
    )

    cost, updates = da.get_cost_updates(
        corruption_level=0.3,
        learning_rate=learning_rate
    )

    train_da = theano.function(
        [index],
        cost,
        updates=updates,
        givens={
            x: train_set_x[index * batch_size: (index + 1) * batch_size]
        }
    )

    start_time = timeit.default_timer()

    ############
    # TRAINING #
    ############

    # one pass over the training set per epoch
    for epoch in range(training_epochs):
        # one SGD step per minibatch
        c = []
        for batch_index in range(n_train_batches):
            c.append(train_da(batch_index))

        print('Training epoch %d, cost ' % epoch, numpy.mean(c, dtype='float64'))

    end_time = timeit.default_timer()

    training_time = (end_time - start_time)

    print(('The 30% corruption code for file ' +
           os.path.split(__file__)[1] +
           ' ran for %.2fm' % (training_time / 60.)), file=sys.stderr)
    # end-snippet-3

    # start-snippet-4
    image = Image.fromarray(tile_raster_images(
        X=da.W.get_value(borrow=True).T,
        img_shape=(28, 28), tile_shape=(10, 10),
        tile_spacing=(1, 1)))
    image.save('filters_corruption_30.png')
    # end-snippet-4

    os.chdir('../')


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Denoising auto-encoder on MNIST; saves its filters.')
    parser.add_argument('--dataset', default='mnist.pkl.gz',
                        help='mnist.pkl.gz or a folder with the 4 MNIST IDX '
                             'files (default: %(default)s, downloaded if '
                             'missing)')
    parser.add_argument('--training-epochs', type=int, default=15)
    parser.add_argument('--output-folder', default='dA_plots')
    args = parser.parse_args(argv)
    test_dA(training_epochs=args.training_epochs, dataset=args.dataset,
            output_folder=args.output_folder)


if __name__ == '__main__':
    main()
