# ruff: noqa: I001, UP004, UP031, B905, N803, N806
# (kept as in the Theano original: object base classes, %-formatting and
# the W / hbias / vbias argument names)
"""Restricted Boltzmann machines (RBM) on symtensor.

A Boltzmann machine is an energy-based model with hidden variables; a
restricted one has no visible-visible and no hidden-hidden connections, so
the hidden units are independent given the visible ones and vice versa.
It is trained here by contrastive divergence (CD-k) or persistent CD
(PCD-k), whose negative phase runs k steps of block Gibbs sampling inside a
``scan``.

Run ``python rbm.py --dataset PATH`` (``mnist.pkl.gz`` or an IDX folder).
"""

import argparse
import timeit

try:
    import PIL.Image as Image
except ImportError:
    import Image

import numpy

import symtensor as theano
import symtensor.tensor as T
import os

from symtensor.tensor.shared_randomstreams import RandomStreams

from utils import tile_raster_images
from logistic_sgd import load_data


# start-snippet-1
class RBM(object):
    """Restricted Boltzmann Machine (RBM)  """
    def __init__(
        self,
        input=None,
        n_visible=784,
        n_hidden=500,
        W=None,
        hbias=None,
        vbias=None,
        numpy_rng=None,
        theano_rng=None
    ):
        """
        Create the parameters of an RBM and keep its input; the methods
        build the graphs for inference (hidden given visible and back) and
        for CD / PCD training.

        :param input: None for a standalone RBM, or the symbolic input when
        the RBM is part of a larger graph

        :param n_visible: number of visible units

        :param n_hidden: number of hidden units

        :param W: None for a standalone RBM, or a shared weight matrix to
        reuse (in a DBN, each RBM shares its weights with a layer of an MLP)

        :param hbias: None for a standalone RBM, or a shared vector of
        hidden biases to reuse

        :param vbias: None for a standalone RBM, or a shared vector of
        visible biases to reuse
        """

        self.n_visible = n_visible
        self.n_hidden = n_hidden

        if numpy_rng is None:
            # a generator for the initial weights
            numpy_rng = numpy.random.RandomState(1234)

        if theano_rng is None:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))

        if W is None:
            # W starts uniform in +/- 4 * sqrt(6 / (n_visible + n_hidden)),
            # stored as floatX so that the same code runs on a GPU
            initial_W = numpy.asarray(
                numpy_rng.uniform(
                    low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                    high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                    size=(n_visible, n_hidden)
                ),
                dtype=theano.config.floatX
            )
            # the weights and biases live in shared variables
            W = theano.shared(value=initial_W, name='W', borrow=True)

        if hbias is None:
            # one bias per hidden unit
            hbias = theano.shared(
                value=numpy.zeros(
                    n_hidden,
                    dtype=theano.config.floatX
                ),
                name='hbias',
                borrow=True
            )

        if vbias is None:
            # one bias per visible unit
            vbias = theano.shared(
                value=numpy.zeros(
                    n_visible,
                    dtype=theano.config.floatX
                ),
                name='vbias',
                borrow=True
            )

        # the input: given (layer 0 of a DBN, ...) or a fresh matrix
        self.input = input
        if not input:
            self.input = T.matrix('input')

        self.W = W
        self.hbias = hbias
        self.vbias = vbias
        self.theano_rng = theano_rng
        # only the shared variables created for this RBM belong here: they
        # are what training updates
        self.params = [self.W, self.hbias, self.vbias]
        # end-snippet-1

    def free_energy(self, v_sample):
        ''' The free energy of each visible configuration (row) '''
        wx_b = T.dot(v_sample, self.W) + self.hbias
        vbias_term = T.dot(v_sample, self.vbias)
        hidden_term = T.sum(T.log(1 + T.exp(wx_b)), axis=1)
        return -hidden_term - vbias_term

    def propup(self, vis):
        '''The hidden units' activation given the visible units.

        The pre-sigmoid activation is returned too: the reconstruction
        cost is computed from it, which keeps log(sigmoid(.)) stable (see
        ``get_reconstruction_cost``).

        '''
        pre_sigmoid_activation = T.dot(vis, self.W) + self.hbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_h_given_v(self, v0_sample):
        ''' Sample the hidden units given the visible units '''
        # the hidden activation for this visible sample
        pre_sigmoid_h1, h1_mean = self.propup(v0_sample)
        # a binary sample of the hidden units; binomial draws int64 unless
        # told otherwise, and floatX keeps the graph in floatX (for a GPU)
        h1_sample = self.theano_rng.binomial(size=h1_mean.shape,
                                             n=1, p=h1_mean,
                                             dtype=theano.config.floatX)
        return [pre_sigmoid_h1, h1_mean, h1_sample]

    def propdown(self, hid):
        '''The visible units' activation given the hidden units.

        As in ``propup``, the pre-sigmoid activation is returned as well,
        for a numerically stable reconstruction cost.

        '''
        pre_sigmoid_activation = T.dot(hid, self.W.T) + self.vbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_v_given_h(self, h0_sample):
        ''' Sample the visible units given the hidden units '''
        # the visible activation for this hidden sample
        pre_sigmoid_v1, v1_mean = self.propdown(h0_sample)
        # a binary sample of the visible units, in floatX as above
        v1_sample = self.theano_rng.binomial(size=v1_mean.shape,
                                             n=1, p=v1_mean,
                                             dtype=theano.config.floatX)
        return [pre_sigmoid_v1, v1_mean, v1_sample]

    # start-snippet-2
    def gibbs_hvh(self, h0_sample):
        ''' One step of Gibbs sampling from the hidden state:
            hidden -> visible -> hidden '''
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h0_sample)
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v1_sample)
        return [pre_sigmoid_v1, v1_mean, v1_sample,
                pre_sigmoid_h1, h1_mean, h1_sample]

    def gibbs_vhv(self, v0_sample):
        ''' One step of Gibbs sampling from the visible state:
            visible -> hidden -> visible '''
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v0_sample)
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h1_sample)
        return [pre_sigmoid_h1, h1_mean, h1_sample,
                pre_sigmoid_v1, v1_mean, v1_sample]

    # start-snippet-3
    def get_cost_updates(self, lr=0.1, persistent=None, k=1):
        """One step of CD-k or PCD-k.

        :param lr: learning rate of the RBM

        :param persistent: None for CD; for PCD, the shared variable that
            holds the state of the Gibbs chain between calls, of shape
            (batch size, number of hidden units)

        :param k: number of Gibbs steps of CD-k / PCD-k

        Returns a proxy for the cost and the updates: those of the weights
        and biases, of the random generators used by the chain and, for
        PCD, of the persistent chain.

        """

        # positive phase
        pre_sigmoid_ph, ph_mean, ph_sample = self.sample_h_given_v(self.input)

        # where the chain starts: at the fresh hidden sample for CD, at the
        # chain's previous state for PCD
        if persistent is None:
            chain_start = ph_sample
        else:
            chain_start = persistent
        # end-snippet-2
        # negative phase: k Gibbs steps, as a scan over one step; scan
        # returns the whole chain (one entry per step) and the updates of
        # the random generators used inside it
        (
            [
                pre_sigmoid_nvs,
                nv_means,
                nv_samples,
                pre_sigmoid_nhs,
                nh_means,
                nh_samples
            ],
            updates
        ) = theano.scan(
            self.gibbs_hvh,
            # None: the output is not fed back; chain_start is the initial
            # value of the sixth output (the hidden sample)
            outputs_info=[None, None, None, None, None, chain_start],
            n_steps=k,
            name="gibbs_hvh"
        )
        # start-snippet-3
        # the gradient only needs the end of the chain
        chain_end = nv_samples[-1]

        cost = T.mean(self.free_energy(self.input)) - T.mean(
            self.free_energy(chain_end))
        # the samples are treated as constants: no gradient through the
        # Gibbs chain
        gparams = T.grad(cost, self.params, consider_constant=[chain_end])
        # end-snippet-3 start-snippet-4
        # add the parameter updates to scan's
        for gparam, param in zip(gparams, self.params):
            # the learning rate cast to floatX keeps the update in floatX
            updates[param] = param - gparam * T.cast(
                lr,
                dtype=theano.config.floatX
            )
        if persistent:
            # (persistent must be a shared variable for this update)
            updates[persistent] = nh_samples[-1]
            # PCD is monitored by the pseudo-likelihood
            monitoring_cost = self.get_pseudo_likelihood_cost(updates)
        else:
            # CD by the reconstruction cross-entropy
            monitoring_cost = self.get_reconstruction_cost(updates,
                                                           pre_sigmoid_nvs[-1])

        return monitoring_cost, updates
        # end-snippet-4

    def get_pseudo_likelihood_cost(self, updates):
        """Stochastic approximation to the pseudo-likelihood"""

        # the index i of the bit flipped in p(x_i | x_{\\i}); each call moves
        # to the next bit
        bit_i_idx = theano.shared(value=0, name='bit_i_idx')

        # binary inputs: round each value to 0 or 1
        xi = T.round(self.input)

        # free energy of the binarized inputs
        fe_xi = self.free_energy(xi)

        # the same inputs with bit i flipped: xi[:, i] = 1 - xi[:, i] as a
        # new variable, leaving xi itself as it is
        xi_flip = T.set_subtensor(xi[:, bit_i_idx], 1 - xi[:, bit_i_idx])

        # free energy of the flipped inputs
        fe_xi_flip = self.free_energy(xi_flip)

        # log of e^(-FE(x_i)) / (e^(-FE(x_i)) + e^(-FE(x_{\\i}))), scaled
        # to all the bits
        cost = T.mean(self.n_visible * T.log(T.nnet.sigmoid(fe_xi_flip -
                                                            fe_xi)))

        # next call, next bit (modulo the number of bits)
        updates[bit_i_idx] = (bit_i_idx + 1) % self.n_visible

        return cost

    def get_reconstruction_cost(self, updates, pre_sigmoid_nv):
        """Approximation to the reconstruction error

        It takes the pre-sigmoid activation because log(sigmoid(x))
        overflows to -inf (and the cost to NaN) once sigmoid(x) rounds to 0
        or 1, which happens for |x| beyond about 30. A compiler can rewrite
        log(sigmoid(x)) as -softplus(-x), which stays finite, but only when
        it sees both in one graph; with the sigmoid applied inside the scan
        and the log outside, it cannot. So the scan also returns the
        pre-sigmoid activation, and the sigmoid and the log are both
        applied here, outside the loop.

        """

        cross_entropy = T.mean(
            T.sum(
                self.input * T.log(T.nnet.sigmoid(pre_sigmoid_nv)) +
                (1 - self.input) * T.log(1 - T.nnet.sigmoid(pre_sigmoid_nv)),
                axis=1
            )
        )

        return cross_entropy


def test_rbm(learning_rate=0.1, training_epochs=15,
             dataset='mnist.pkl.gz', batch_size=20,
             n_chains=20, n_samples=10, output_folder='rbm_plots',
             n_hidden=500, plot_every=1000):
    """
    Train an RBM on MNIST with PCD-15, then sample from it.

    :param learning_rate: learning rate of the RBM

    :param training_epochs: number of passes over the training set

    :param dataset: path of mnist.pkl.gz (or of a folder of IDX files)

    :param batch_size: size of a minibatch

    :param n_chains: number of Gibbs chains run in parallel for sampling

    :param n_samples: number of samples plotted for each chain

    :param plot_every: Gibbs steps between two plotted samples (not an
                       argument in the original, which fixes it at 1000)

    """
    datasets = load_data(dataset)

    train_set_x, train_set_y = datasets[0]
    test_set_x, test_set_y = datasets[2]

    # number of minibatches in the training set
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    # symbolic variables for the data
    index = T.lscalar()    # index of a [mini]batch
    x = T.matrix('x')  # the images, one flattened image per row

    rng = numpy.random.RandomState(123)
    theano_rng = RandomStreams(rng.randint(2 ** 30))

    # the state of the persistent chain (its hidden layer)
    persistent_chain = theano.shared(numpy.zeros((batch_size, n_hidden),
                                                 dtype=theano.config.floatX),
                                     borrow=True)

    # the RBM
    rbm = RBM(input=x, n_visible=28 * 28,
              n_hidden=n_hidden, numpy_rng=rng, theano_rng=theano_rng)

    # the cost and the updates of one step of PCD-15
    cost, updates = rbm.get_cost_updates(lr=learning_rate,
                                         persistent=persistent_chain, k=15)

    #################################
    #     Training the RBM          #
    #################################
    if not os.path.isdir(output_folder):
        os.makedirs(output_folder)
    os.chdir(output_folder)

    # start-snippet-5
    # train_rbm is called for its updates; its output (the monitoring
    # cost) is only printed
    train_rbm = theano.function(
        [index],
        cost,
        updates=updates,
        givens={
            x: train_set_x[index * batch_size: (index + 1) * batch_size]
        },
        name='train_rbm'
    )

    plotting_time = 0.
    start_time = timeit.default_timer()

    # one pass over the training set per epoch
    for epoch in range(training_epochs):

        # one PCD step per minibatch
        mean_cost = []
        for batch_index in range(n_train_batches):
            mean_cost += [train_rbm(batch_index)]

        print('Training epoch %d, cost is ' % epoch, numpy.mean(mean_cost))

        # the filters after this epoch
        plotting_start = timeit.default_timer()
        # one tile per hidden unit: its column of W as a 28x28 image
        image = Image.fromarray(
            tile_raster_images(
                X=rbm.W.get_value(borrow=True).T,
                img_shape=(28, 28),
                tile_shape=(10, 10),
                tile_spacing=(1, 1)
            )
        )
        image.save('filters_at_epoch_%i.png' % epoch)
        plotting_stop = timeit.default_timer()
        plotting_time += (plotting_stop - plotting_start)

    end_time = timeit.default_timer()

    pretraining_time = (end_time - start_time) - plotting_time

    print ('Training took %f minutes' % (pretraining_time / 60.))
    # end-snippet-5 start-snippet-6
    #################################
    #     Sampling from the RBM     #
    #################################
    # the number of test examples
    number_of_test_samples = test_set_x.get_value(borrow=True).shape[0]

    # the chains start from consecutive test examples at a random offset
    test_idx = rng.randint(number_of_test_samples - n_chains)
    persistent_vis_chain = theano.shared(
        numpy.asarray(
            test_set_x.get_value(borrow=True)[test_idx:test_idx + n_chains],
            dtype=theano.config.floatX
        )
    )
    # end-snippet-6 start-snippet-7
    # `plot_every` Gibbs steps per call: only the last sample (and its
    # mean-field activation, for the picture) is kept
    (
        [
            presig_hids,
            hid_mfs,
            hid_samples,
            presig_vis,
            vis_mfs,
            vis_samples
        ],
        updates
    ) = theano.scan(
        rbm.gibbs_vhv,
        outputs_info=[None, None, None, None, None, persistent_vis_chain],
        n_steps=plot_every,
        name="gibbs_vhv"
    )

    # the chain goes on from its last sample at the next call
    updates.update({persistent_vis_chain: vis_samples[-1]})
    # sample_fn returns the mean-field visible activation to plot and the
    # sample that carries the chain on
    sample_fn = theano.function(
        [],
        [
            vis_mfs[-1],
            vis_samples[-1]
        ],
        updates=updates,
        name='sample_fn'
    )

    # the picture: n_samples rows of n_chains digits, with a pixel of
    # spacing between tiles
    image_data = numpy.zeros(
        (29 * n_samples + 1, 29 * n_chains - 1),
        dtype='uint8'
    )
    for idx in range(n_samples):
        # the `plot_every` steps in between are thrown away: successive
        # samples of a chain are too alike
        vis_mf, vis_sample = sample_fn()
        print(' ... plotting sample %d' % idx)
        image_data[29 * idx:29 * idx + 28, :] = tile_raster_images(
            X=vis_mf,
            img_shape=(28, 28),
            tile_shape=(1, n_chains),
            tile_spacing=(1, 1)
        )

    # the picture of all samples
    image = Image.fromarray(image_data)
    image.save('samples.png')
    # end-snippet-7
    os.chdir('../')


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='RBM on MNIST trained by PCD-15; saves filters and '
                    'samples.')
    parser.add_argument('--dataset', default='mnist.pkl.gz',
                        help='mnist.pkl.gz or a folder with the 4 MNIST IDX '
                             'files (default: %(default)s, downloaded if '
                             'missing)')
    parser.add_argument('--training-epochs', type=int, default=15)
    parser.add_argument('--output-folder', default='rbm_plots')
    args = parser.parse_args(argv)
    test_rbm(training_epochs=args.training_epochs, dataset=args.dataset,
             output_folder=args.output_folder)


if __name__ == '__main__':
    main()
