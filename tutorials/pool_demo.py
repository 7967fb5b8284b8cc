"""Max-pooling example from the LeNet tutorial.

``pool.pool_2d`` max-pools the two trailing dimensions of a tensor over
non-overlapping windows. With ``ignore_border=True`` a partial window at
the right or bottom edge is dropped (5x5 -> 2x2 for 2x2 windows); with
``ignore_border=False`` it is kept and pooled over what it holds
(5x5 -> 3x3).

Run ``python pool_demo.py``; the numbers match the tutorial's (NumPy's
array printing has changed since, so spacing may differ).
"""

import numpy

import symtensor as theano
import symtensor.tensor as T
from symtensor.tensor.signal import pool


def main():
    input = T.dtensor4('input')
    maxpool_shape = (2, 2)
    pool_out = pool.pool_2d(input, maxpool_shape, ignore_border=True)
    f = theano.function([input], pool_out)

    invals = numpy.random.RandomState(1).rand(3, 2, 5, 5)
    out_true = f(invals)
    print('With ignore_border set to True:')
    print('invals[0, 0, :, :] =\n', invals[0, 0, :, :])
    print('output[0, 0, :, :] =\n', out_true[0, 0, :, :])

    pool_out = pool.pool_2d(input, maxpool_shape, ignore_border=False)
    f = theano.function([input], pool_out)
    out_false = f(invals)
    print('With ignore_border set to False:')
    print('invals[1, 0, :, :] =\n ', invals[1, 0, :, :])
    print('output[1, 0, :, :] =\n ', out_false[1, 0, :, :])
    return invals, out_true, out_false


if __name__ == '__main__':
    main()
