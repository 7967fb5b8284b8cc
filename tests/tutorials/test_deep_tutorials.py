"""Smoke tests of the unsupervised tutorials (dA, SdA, RBM, DBN) on a slice of MNIST.

Each runs the tutorial's own entry point, shortened through its arguments, on the
first examples of the real data (written to a small mnist.pkl.gz of the same
layout), and checks the printed costs and the pictures it saves.
"""

import gzip
import importlib
import math
import pickle
import re

import numpy as np
import pytest

PIL_Image = pytest.importorskip("PIL.Image")

N_TRAIN, N_VALID, N_TEST = 200, 50, 50


@pytest.fixture(scope="module")
def subset(mnist_pkl, tmp_path_factory):
    """The first examples of each MNIST split, as a gzipped pickle like the original."""
    with gzip.open(mnist_pkl, "rb") as f:
        splits = pickle.load(f, encoding="latin1")
    small = [(x[:n], y[:n]) for (x, y), n in zip(splits, (N_TRAIN, N_VALID, N_TEST),
                                                  strict=True)]
    path = tmp_path_factory.mktemp("mnist") / "mnist_small.pkl.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        pickle.dump(small, f)
    return str(path)


@pytest.fixture(autouse=True)
def _float32_and_cwd(monkeypatch, tmp_path):
    import symtensor

    symtensor.config.floatX = "float32"  # as the tutorials are usually run
    monkeypatch.chdir(tmp_path)


def _costs(pattern, text):
    return [float(v) for v in re.findall(pattern, text)]


def _png(path, shape):
    assert path.is_file(), f"{path} was not written"
    with PIL_Image.open(path) as img:
        assert img.format == "PNG"
        assert img.size == (shape[1], shape[0])
        pixels = np.asarray(img)
    assert pixels.std() > 0  # not a blank picture


def test_tile_raster_images():
    utils = importlib.import_module("utils")
    x = np.arange(6 * 4, dtype="float64").reshape(6, 4)
    out = utils.tile_raster_images(x, img_shape=(2, 2), tile_shape=(2, 3), tile_spacing=(1, 1))
    assert out.shape == (5, 8) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[:2, :2], [[0, 84], [169, 254]])  # row 0 rescaled, floored
    assert (out[2, :] == 0).all() and (out[:, 2] == 0).all()  # the spacing
    rgba = utils.tile_raster_images((x, None, x, None), (2, 2), (2, 3), (1, 1))
    assert rgba.shape == (5, 8, 4) and (rgba[..., 3] == 255).all() and (rgba[..., 1] == 0).all()


def test_dA_trains_and_saves_filters(subset, tmp_path, capsys):
    dA = importlib.import_module("dA")
    dA.test_dA(training_epochs=2, dataset=subset, batch_size=20,
               output_folder=str(tmp_path / "dA_plots"))
    costs = _costs(r"Training epoch \d+, cost\s+([-\d.e+naif]+)", capsys.readouterr().out)
    assert len(costs) == 4 and all(math.isfinite(c) for c in costs)
    assert costs[1] < costs[0] and costs[3] < costs[2]  # without, then with corruption
    for name in ("filters_corruption_0.png", "filters_corruption_30.png"):
        _png(tmp_path / "dA_plots" / name, (289, 289))


def test_rbm_trains_samples_and_saves_pictures(subset, tmp_path, capsys):
    rbm = importlib.import_module("rbm")
    rbm.test_rbm(training_epochs=1, dataset=subset, batch_size=20, n_chains=4, n_samples=2,
                 output_folder=str(tmp_path / "rbm_plots"), n_hidden=64, plot_every=3)
    out = capsys.readouterr().out
    costs = _costs(r"Training epoch \d+, cost is\s+([-\d.e+naif]+)", out)
    assert len(costs) == 1 and math.isfinite(costs[0])
    assert out.count("... plotting sample") == 2
    _png(tmp_path / "rbm_plots" / "filters_at_epoch_0.png", (289, 289))
    _png(tmp_path / "rbm_plots" / "samples.png", (29 * 2 + 1, 29 * 4 - 1))


def test_rbm_cd1_reconstruction_improves(subset):
    import symtensor as theano
    import symtensor.tensor as T

    rbm_mod = importlib.import_module("rbm")
    logistic_sgd = importlib.import_module("logistic_sgd")
    train_x = logistic_sgd.load_data(subset)[0][0]
    index, x = T.lscalar(), T.matrix("x")
    rbm = rbm_mod.RBM(input=x, n_visible=784, n_hidden=64,
                      numpy_rng=np.random.RandomState(1))
    cost, updates = rbm.get_cost_updates(lr=0.1, persistent=None, k=1)
    train = theano.function([index], cost, updates=updates,
                            givens={x: train_x[index * 20:(index + 1) * 20]})
    costs = [float(train(i % 10)) for i in range(30)]
    assert all(math.isfinite(c) for c in costs)
    # the reconstruction log-likelihood (negative) rises towards 0
    assert np.mean(costs[-5:]) > np.mean(costs[:5]) + 20


def test_SdA_pretrains_and_finetunes(subset, capsys):
    SdA = importlib.import_module("SdA")
    SdA.test_SdA(pretraining_epochs=1, training_epochs=1, dataset=subset, batch_size=10)
    out = capsys.readouterr().out
    costs = _costs(r"Pre-training layer \d, epoch 0, cost ([-\d.e+naif]+)", out)
    assert len(costs) == 3 and all(math.isfinite(c) and c > 0 for c in costs)
    m = re.search(r"Optimization complete with best validation score of ([\d.]+) %", out)
    assert m and float(m.group(1)) < 100


def test_DBN_pretrains_and_finetunes(subset, capsys):
    DBN = importlib.import_module("DBN")
    DBN.test_DBN(pretraining_epochs=1, training_epochs=1, dataset=subset, batch_size=10, k=1)
    out = capsys.readouterr().out
    costs = _costs(r"Pre-training layer \d, epoch 0, cost\s+([-\d.e+naif]+)", out)
    assert len(costs) == 3 and all(math.isfinite(c) for c in costs)
    m = re.search(r"Optimization complete with best validation score of ([\d.]+) %", out)
    assert m and float(m.group(1)) <= 100
