""" Helpers that are not part of any model: they turn weights or samples into
pictures one can look at.

``tile_raster_images`` lays out rows of a matrix (each a flattened image, such
as the weights of one hidden unit of the first layer) as tiles of one image,
ready for ``PIL.Image.fromarray``.
"""


import numpy


def scale_to_unit_interval(ndar, eps=1e-8):
    """ Return a copy of ``ndar`` shifted and scaled into [0, 1] """
    ndar = ndar.copy()
    ndar -= ndar.min()
    ndar *= 1.0 / (ndar.max() + eps)
    return ndar


def tile_raster_images(X, img_shape, tile_shape, tile_spacing=(0, 0),
                       scale_rows_to_unit_interval=True,
                       output_pixel_vals=True):
    """
    Arrange the rows of ``X`` (flattened images) as tiles of one picture.

    :type X: a 2-D ndarray, or a tuple of 4 channels (R, G, B, alpha), each
             a 2-D ndarray or None
    :param X: one flattened image per row

    :type img_shape: tuple; (height, width)
    :param img_shape: the shape of each image

    :type tile_shape: tuple; (rows, cols)
    :param tile_shape: how many tiles down and across

    :type tile_spacing: tuple; (rows, cols)
    :param tile_spacing: blank pixels between neighbouring tiles

    :param scale_rows_to_unit_interval: rescale each image to [0, 1] before
                                        laying it out

    :param output_pixel_vals: give uint8 pixel values (0-255) instead of
                              values of X's dtype

    :returns: a 2-D array (or 3-D with 4 channels for a tuple X) for
              ``PIL.Image.fromarray``
    """

    assert len(img_shape) == 2
    assert len(tile_shape) == 2
    assert len(tile_spacing) == 2

    # each direction holds `tiles` images separated by `spacing` blank
    # pixels, with no spacing after the last one
    out_shape = [
        (ishp + tsp) * tshp - tsp
        for ishp, tshp, tsp in zip(img_shape, tile_shape, tile_spacing, strict=True)
    ]

    if isinstance(X, tuple):
        assert len(X) == 4
        # one plane per channel
        if output_pixel_vals:
            out_array = numpy.zeros((out_shape[0], out_shape[1], 4),
                                    dtype='uint8')
        else:
            out_array = numpy.zeros((out_shape[0], out_shape[1], 4),
                                    dtype=X[0].dtype)

        # a missing colour channel is black, a missing alpha opaque
        if output_pixel_vals:
            channel_defaults = [0, 0, 0, 255]
        else:
            channel_defaults = [0., 0., 0., 1.]

        for i in range(4):
            if X[i] is None:
                dt = out_array.dtype
                if output_pixel_vals:
                    dt = 'uint8'
                out_array[:, :, i] = numpy.zeros(
                    out_shape,
                    dtype=dt
                ) + channel_defaults[i]
            else:
                # each channel is tiled like a one-channel input
                out_array[:, :, i] = tile_raster_images(
                    X[i], img_shape, tile_shape, tile_spacing,
                    scale_rows_to_unit_interval, output_pixel_vals)
        return out_array

    else:
        # a single channel
        H, W = img_shape
        Hs, Ws = tile_spacing

        dt = X.dtype
        if output_pixel_vals:
            dt = 'uint8'
        out_array = numpy.zeros(out_shape, dtype=dt)

        for tile_row in range(tile_shape[0]):
            for tile_col in range(tile_shape[1]):
                index = tile_row * tile_shape[1] + tile_col
                if index < X.shape[0]:
                    this_x = X[index]
                    if scale_rows_to_unit_interval:
                        # stretch this image's values over [0, 1]
                        this_img = scale_to_unit_interval(
                            this_x.reshape(img_shape))
                    else:
                        this_img = this_x.reshape(img_shape)
                    # 0..1 becomes 0..255 for pixel output
                    c = 1
                    if output_pixel_vals:
                        c = 255
                    out_array[
                        tile_row * (H + Hs): tile_row * (H + Hs) + H,
                        tile_col * (W + Ws): tile_col * (W + Ws) + W
                    ] = this_img * c
        return out_array
