"""Random-filter demo from the LeNet tutorial.

A convolutional layer with two random 9x9 filters over the three colour
channels, a random bias and a sigmoid is applied to ``3wolfmoon.jpg``; the
original image and the two output feature maps are saved side by side.
Randomly initialised filters already behave much like edge detectors.

Run ``python conv_demo.py --image 3wolfmoon.jpg --out 3wolfmoon_output.png``.
"""

import argparse

import matplotlib

matplotlib.use('Agg')  # render to files only; no display is needed
import matplotlib.pyplot as pylab  # noqa: E402
import numpy  # noqa: E402
from PIL import Image  # noqa: E402

import symtensor as theano  # noqa: E402
from symtensor import tensor as T  # noqa: E402
from symtensor.tensor.nnet import conv2d  # noqa: E402


def build_filter(seed=23455):
    """Compile f(input) = sigmoid(conv2d(input, W) + b) with random W, b."""
    rng = numpy.random.RandomState(seed)

    # symbolic minibatch of images: (batch, channels, rows, columns)
    input = T.tensor4(name='input')

    # two filters over 3 input channels, 9x9 each, drawn uniformly in
    # +-1/sqrt(fan_in) with fan_in = 3 * 9 * 9
    w_shp = (2, 3, 9, 9)
    w_bound = numpy.sqrt(3 * 9 * 9)
    W = theano.shared(numpy.asarray(
                rng.uniform(
                    low=-1.0 / w_bound,
                    high=1.0 / w_bound,
                    size=w_shp),
                dtype=input.dtype), name='W')

    # A trained layer would start its biases at zero; this one is never
    # trained, so random biases stand in for learnt ones.
    b_shp = (2,)
    b = theano.shared(numpy.asarray(
                rng.uniform(low=-.5, high=.5, size=b_shp),
                dtype=input.dtype), name='b')

    # symbolic convolution of the input with the filters in W
    conv_out = conv2d(input, W)

    # b.dimshuffle('x', 0, 'x', 'x') views the vector b as a (1, 2, 1, 1)
    # tensor whose size-1 axes broadcast, so each feature map gets its own
    # bias at every position of every image
    output = T.nnet.sigmoid(conv_out + b.dimshuffle('x', 0, 'x', 'x'))

    # compiled function computing the filtered images
    return theano.function([input], output), input.dtype


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Filter an image with two random 9x9 filters.')
    parser.add_argument('--image', default='3wolfmoon.jpg',
                        help='input RGB image (default: %(default)s)')
    parser.add_argument('--out', default='3wolfmoon_output.png',
                        help='PNG to write the 3-panel figure to '
                             '(default: %(default)s)')
    args = parser.parse_args(argv)

    f, dtype = build_filter()

    # the array is laid out (height, width, channel)
    with Image.open(args.image) as im:
        img = numpy.asarray(im.convert('RGB'), dtype='float64') / 256.

    # Put the image in a 4D tensor of shape (1, 3, height, width). The
    # tutorial wrote reshape(1, 3, 639, 516): that hard-codes the size of
    # its image (639 rows x 516 columns) and, as a reshape never checks
    # what it is given, would silently scramble the pixels of an image of
    # any other shape with the same number of values. Moving the channel
    # axis first and adding a batch axis keeps the real (height, width).
    img_ = img.transpose(2, 0, 1)[None].astype(dtype)
    filtered_img = f(img_)

    # the original image, then the two feature maps of the output
    fig = pylab.figure(figsize=(9, 3.5))
    pylab.subplot(1, 3, 1); pylab.axis('off'); pylab.imshow(img)  # noqa: E702
    pylab.gray()
    # the output is a minibatch of one image: take index 0 of the first axis
    pylab.subplot(1, 3, 2); pylab.axis('off')  # noqa: E702
    pylab.imshow(filtered_img[0, 0, :, :])
    pylab.subplot(1, 3, 3); pylab.axis('off')  # noqa: E702
    pylab.imshow(filtered_img[0, 1, :, :])
    fig.savefig(args.out, bbox_inches='tight')
    print(f'wrote {args.out}')
    return fig, filtered_img


if __name__ == '__main__':
    main()
