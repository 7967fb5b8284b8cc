# ruff: noqa: I001, UP004, UP031, B006, B905, F841
# (kept as in the Theano original: object base classes, %-formatting,
# the mutable nkerns default, unused minibatch costs, local imports last)
"""
Multi-class logistic regression on MNIST, trained by minibatch stochastic
gradient descent with early stopping (the "logreg" tutorial, on symtensor).

The model maps an input row x to class probabilities through an affine map
followed by a softmax:

.. math::
  P(Y=i|x, W,b) &= softmax_i(W x + b) \\\\
                &= \\frac {e^{W_i x + b_i}} {\\sum_j e^{W_j x + b_j}}

and predicts the most probable class:

.. math::

  y_{pred} = argmax_i P(Y=i|x,W,b)

Training minimises the mean negative log-likelihood of the labels over
minibatches; the validation error decides when to stop.

References:

    - textbooks: "Pattern Recognition and Machine Learning" -
                 Christopher M. Bishop, section 4.3.2

Run ``python logistic_sgd.py --dataset PATH`` where PATH is ``mnist.pkl.gz``
or a folder holding the four MNIST IDX files.
"""

__docformat__ = 'restructedtext en'

import argparse
import gzip
import os
import pickle
import sys
import timeit

import numpy

import symtensor as theano
import symtensor.tensor as T

import mnist_io


class LogisticRegression(object):
    """Multi-class logistic regression.

    Holds a weight matrix ``W`` and a bias vector ``b``; each column of
    ``W`` (with its bias) scores one class, and a softmax over the scores
    gives the class-membership probabilities.
    """

    def __init__(self, input, n_in, n_out):
        """Create the (zero-initialised) parameters and the symbolic outputs.

        :type input: theano.tensor.TensorType
        :param input: symbolic minibatch of inputs, one example per row

        :type n_in: int
        :param n_in: number of input features (the length of a row)

        :type n_out: int
        :param n_out: number of classes

        """
        # start-snippet-1
        # weights, one column per class: shape (n_in, n_out), all zeros
        self.W = theano.shared(
            value=numpy.zeros(
                (n_in, n_out),
                dtype=theano.config.floatX
            ),
            name='W',
            borrow=True
        )
        # one bias per class, all zeros
        self.b = theano.shared(
            value=numpy.zeros(
                (n_out,),
                dtype=theano.config.floatX
            ),
            name='b',
            borrow=True
        )

        # symbolic class probabilities, one row per example of the
        # minibatch and one column per class: softmax(x W + b)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)

        # symbolic prediction: the most probable class of each example
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        # end-snippet-1

        # parameters of the model
        self.params = [self.W, self.b]

        # keep track of model input
        self.input = input

    def negative_log_likelihood(self, y):
        """Mean negative log-likelihood of the labels ``y`` under the model.

        .. math::

            \\frac{1}{|\\mathcal{D}|} \\mathcal{L} (\\theta=\\{W,b\\}, \\mathcal{D}) =
            \\frac{1}{|\\mathcal{D}|} \\sum_{i=0}^{|\\mathcal{D}|}
                \\log(P(Y=y^{(i)}|x^{(i)}, W,b)) \\\\
            \\ell (\\theta=\\{W,b\\}, \\mathcal{D})

        :type y: theano.tensor.TensorType
        :param y: symbolic vector with the correct label of each example

        The mean (rather than the sum) keeps the size of a good learning
        rate roughly independent of the minibatch size.
        """
        # start-snippet-2
        # T.log(self.p_y_given_x) is an (n, n_classes) matrix of
        # log-probabilities. Indexing it with the pair of vectors
        # (T.arange(n), y) picks, for every row i, the entry of the true
        # class y[i]; n = y.shape[0] is only known when the function runs.
        # The mean over those n entries is the average log-likelihood.
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])
        # end-snippet-2

    def errors(self, y):
        """Fraction of the examples of the minibatch that are misclassified
        (the zero-one loss averaged over the minibatch).

        :type y: theano.tensor.TensorType
        :param y: symbolic vector with the correct label of each example
        """

        # y must be a vector, like y_pred
        if y.ndim != self.y_pred.ndim:
            raise TypeError(
                'y should have the same shape as self.y_pred',
                ('y', y.type, 'y_pred', self.y_pred.type)
            )
        # and it must hold integer labels
        if y.dtype.startswith('int'):
            # T.neq gives 1 where the prediction is wrong and 0 elsewhere
            return T.mean(T.neq(self.y_pred, y))
        else:
            raise NotImplementedError()


def _locate_dataset(dataset):
    """Resolve ``dataset`` to an existing file or folder, or fetch MNIST.

    A bare name that is not in the working directory is also looked for in
    ``../data`` next to this file (as the original tutorials do) and in
    ``$SYMTENSOR_DATA``. Only the default name ``mnist.pkl.gz`` given with
    no folder triggers a download (of the official IDX files, checked
    against their MD5 sums, into ``mnist_io.default_cache_dir()``); any
    other missing path is an error naming it.
    """
    dataset = os.fspath(dataset)
    data_dir, data_file = os.path.split(dataset)
    if os.path.exists(dataset):
        return dataset
    if data_dir == '':
        candidates = [os.path.join(os.path.split(__file__)[0], '..', 'data', dataset)]
        if os.environ.get('SYMTENSOR_DATA'):
            candidates.append(os.path.join(os.environ['SYMTENSOR_DATA'], dataset))
        for new_path in candidates:
            if os.path.exists(new_path):
                return new_path
        if data_file == 'mnist.pkl.gz':
            cache = mnist_io.default_cache_dir()
            return mnist_io.download_mnist(cache)
    raise FileNotFoundError(
        'MNIST dataset not found: %r (give the path of mnist.pkl.gz or of a '
        'folder holding the four MNIST IDX .gz files)' % dataset
    )


def load_data(dataset):
    ''' Loads the dataset

    :type dataset: string
    :param dataset: the path to the dataset (here MNIST): the gzipped pickle
                    ``mnist.pkl.gz`` or a folder holding the four IDX files
    '''

    #############
    # LOAD DATA #
    #############

    # find the data, downloading MNIST if the default name is missing
    dataset = _locate_dataset(dataset)

    print('... loading data')

    # Load the dataset
    if os.path.isdir(dataset):
        train_set, valid_set, test_set = mnist_io.load_idx_dir(dataset)
    else:
        # the pickle was written by Python 2: latin1 decodes its numpy
        # arrays byte for byte
        with gzip.open(dataset, 'rb') as f:
            train_set, valid_set, test_set = pickle.load(f, encoding='latin1')
    # each set is a pair (input, target): input is a 2-D array with one
    # example per row, target a 1-D array with the label of each row.

    def shared_dataset(data_xy, borrow=True):
        """ Wrap one (input, target) pair in shared variables.

        Keeping the whole dataset in shared variables lets it live on the
        device (the GPU, when there is one) once, instead of copying every
        minibatch over at each call.
        """
        data_x, data_y = data_xy
        shared_x = theano.shared(numpy.asarray(data_x,
                                               dtype=theano.config.floatX),
                                 borrow=borrow)
        shared_y = theano.shared(numpy.asarray(data_y,
                                               dtype=theano.config.floatX),
                                 borrow=borrow)
        # Device storage holds floats, so the labels are stored as floatX
        # too; the model needs integers (they are used as indices), so we
        # hand out a symbolic int32 cast of the shared floats instead.
        return shared_x, T.cast(shared_y, 'int32')

    test_set_x, test_set_y = shared_dataset(test_set)
    valid_set_x, valid_set_y = shared_dataset(valid_set)
    train_set_x, train_set_y = shared_dataset(train_set)

    rval = [(train_set_x, train_set_y), (valid_set_x, valid_set_y),
            (test_set_x, test_set_y)]
    return rval


def sgd_optimization_mnist(learning_rate=0.13, n_epochs=1000,
                           dataset='mnist.pkl.gz',
                           batch_size=600,
                           best_model_path='best_model.pkl'):
    """
    Train the log-linear model on MNIST by minibatch stochastic gradient
    descent, with early stopping on the validation error.

    :type learning_rate: float
    :param learning_rate: step size of the stochastic gradient

    :type n_epochs: int
    :param n_epochs: maximal number of passes over the training set

    :type dataset: string
    :param dataset: path of ``mnist.pkl.gz`` or of a folder with the IDX files

    :type batch_size: int
    :param batch_size: number of examples per minibatch

    :type best_model_path: string
    :param best_model_path: where the best model so far is pickled
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

    # symbolic minibatch: x holds the images (one flattened image per row),
    # y their int labels
    x = T.matrix('x')  # data, presented as rasterized images
    y = T.ivector('y')  # labels, presented as 1D vector of [int] labels

    # construct the logistic regression class
    # Each MNIST image has size 28*28
    classifier = LogisticRegression(input=x, n_in=28 * 28, n_out=10)

    # training minimises the (symbolic) negative log-likelihood
    cost = classifier.negative_log_likelihood(y)

    # compiled functions computing the error rate on one minibatch of the
    # test and validation sets; `givens` substitutes the minibatch slice of
    # the shared data for x and y
    test_model = theano.function(
        inputs=[index],
        outputs=classifier.errors(y),
        givens={
            x: test_set_x[index * batch_size: (index + 1) * batch_size],
            y: test_set_y[index * batch_size: (index + 1) * batch_size]
        }
    )

    validate_model = theano.function(
        inputs=[index],
        outputs=classifier.errors(y),
        givens={
            x: valid_set_x[index * batch_size: (index + 1) * batch_size],
            y: valid_set_y[index * batch_size: (index + 1) * batch_size]
        }
    )

    # gradients of the cost with respect to the parameters theta = (W, b)
    g_W = T.grad(cost=cost, wrt=classifier.W)
    g_b = T.grad(cost=cost, wrt=classifier.b)

    # start-snippet-3
    # one gradient step per call, written as (shared variable, new value)
    # pairs
    updates = [(classifier.W, classifier.W - learning_rate * g_W),
               (classifier.b, classifier.b - learning_rate * g_b)]

    # `train_model` returns the minibatch cost and applies `updates` to the
    # parameters as a side effect
    train_model = theano.function(
        inputs=[index],
        outputs=cost,
        updates=updates,
        givens={
            x: train_set_x[index * batch_size: (index + 1) * batch_size],
            y: train_set_y[index * batch_size: (index + 1) * batch_size]
        }
    )
    # end-snippet-3

    ###############
    # TRAIN MODEL #
    ###############
    print('... training the model')
    # early-stopping parameters
    patience = 5000  # train on at least this many minibatches
    patience_increase = 2  # on a clear improvement, extend patience to
                           # this many times the current iteration
    improvement_threshold = 0.995  # a relative improvement of this much is
                                   # considered significant
    validation_frequency = min(n_train_batches, patience // 2)
                                  # minibatches between two checks of the
                                  # validation error; here once an epoch

    best_validation_loss = numpy.inf
    test_score = 0.
    start_time = timeit.default_timer()

    done_looping = False
    epoch = 0
    while (epoch < n_epochs) and (not done_looping):
        epoch = epoch + 1
        for minibatch_index in range(n_train_batches):

            minibatch_avg_cost = train_model(minibatch_index)
            # iteration number
            iter = (epoch - 1) * n_train_batches + minibatch_index

            if (iter + 1) % validation_frequency == 0:
                # compute zero-one loss on validation set
                validation_losses = [validate_model(i)
                                     for i in range(n_valid_batches)]
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
                    if this_validation_loss < best_validation_loss *  \
                       improvement_threshold:
                        patience = max(patience, iter * patience_increase)

                    best_validation_loss = this_validation_loss
                    # test it on the test set

                    test_losses = [test_model(i)
                                   for i in range(n_test_batches)]
                    test_score = numpy.mean(test_losses)

                    print(
                        (
                            '     epoch %i, minibatch %i/%i, test error of'
                            ' best model %f %%'
                        ) %
                        (
                            epoch,
                            minibatch_index + 1,
                            n_train_batches,
                            test_score * 100.
                        )
                    )

                    # save the best model
                    with open(best_model_path, 'wb') as f:
                        pickle.dump(classifier, f)

            if patience <= iter:
                done_looping = True
                break

    end_time = timeit.default_timer()
    print(
        (
            'Optimization complete with best validation score of %f %%,'
            'with test performance %f %%'
        )
        % (best_validation_loss * 100., test_score * 100.)
    )
    print('The code run for %d epochs, with %f epochs/sec' % (
        epoch, 1. * epoch / (end_time - start_time)))
    print(('The code for file ' +
           os.path.split(__file__)[1] +
           ' ran for %.1fs' % ((end_time - start_time))), file=sys.stderr)


def predict(best_model_path='best_model.pkl', dataset='mnist.pkl.gz'):
    """
    Load a trained model and use it to label a few test examples.
    """

    # load the saved model
    with open(best_model_path, 'rb') as f:
        classifier = pickle.load(f)

    # compile a predictor function
    predict_model = theano.function(
        inputs=[classifier.input],
        outputs=classifier.y_pred)

    # label the first examples of the test set
    datasets = load_data(dataset)
    test_set_x, test_set_y = datasets[2]
    test_set_x = test_set_x.get_value()

    predicted_values = predict_model(test_set_x[:10])
    print("Predicted values for the first 10 examples in test set:")
    print(predicted_values)
    return predicted_values


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Logistic regression on MNIST by minibatch SGD.')
    parser.add_argument('--dataset', default='mnist.pkl.gz',
                        help='mnist.pkl.gz or a folder with the 4 MNIST IDX '
                             'files (default: %(default)s, downloaded if '
                             'missing)')
    parser.add_argument('--n-epochs', type=int, default=1000)
    parser.add_argument('--best-model', default='best_model.pkl',
                        help='where to pickle the best model '
                             '(default: %(default)s)')
    parser.add_argument('--predict', action='store_true',
                        help='after training, label 10 test examples with '
                             'the saved model')
    args = parser.parse_args(argv)
    sgd_optimization_mnist(n_epochs=args.n_epochs, dataset=args.dataset,
                           best_model_path=args.best_model)
    if args.predict:
        predict(best_model_path=args.best_model, dataset=args.dataset)


if __name__ == '__main__':
    main()
