"""Tests for the tutorial scripts in tutorials/ and their MNIST helpers.

The mnist_io tests need only NumPy; the others compile symtensor graphs and
are skipped (with the reason) while the needed part of the core is missing.
No test touches the network: downloads go through a fake fetcher.
"""

import gzip
import hashlib
import importlib
import pickle
import re
import struct

import numpy as np
import pytest

mnist_io = importlib.import_module("mnist_io")  # from tutorials/, see conftest


def _import_error(stmt):
    """None if ``stmt`` runs, else a one-line reason.

    Only a missing name (ImportError, AttributeError) counts as "not there
    yet"; any other failure is a bug, so the tests run and show it.
    """
    try:
        exec(stmt, {})
    except (ImportError, AttributeError) as exc:
        return f"{stmt!r} failed: {type(exc).__name__}: {exc}"
    except Exception:
        return None
    return None


_NO_CORE = _import_error(
    "import symtensor as theano, symtensor.tensor as T;"
    "theano.shared, theano.function, theano.grad, T.matrix, T.nnet.softmax"
)
_NO_POOL = _NO_CORE or _import_error("from symtensor.tensor.signal import pool")
_NO_CONV = _NO_CORE or _import_error("from symtensor.tensor.nnet import conv2d")

needs_core = pytest.mark.skipif(
    _NO_CORE is not None, reason=f"symtensor core not importable yet: {_NO_CORE}"
)
needs_pool = pytest.mark.skipif(
    _NO_POOL is not None, reason=f"pool_2d not importable yet: {_NO_POOL}"
)
needs_conv2d = pytest.mark.skipif(
    _NO_CONV is not None, reason=f"conv2d not importable yet: {_NO_CONV}"
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """Fail any real download and keep the download cache in tmp."""

    def refuse(url, dest):
        raise AssertionError(f"test tried to download {url}")

    monkeypatch.setattr(mnist_io, "_fetch", refuse)
    monkeypatch.setenv("SYMTENSOR_CACHE", str(tmp_path / "cache"))


def _write_idx(path, array, compress=True):
    codes = {np.uint8: 0x08, np.int32: 0x0C, np.float32: 0x0D}
    code = codes[array.dtype.type]
    header = struct.pack(">HBB", 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(payload)
    return path


def _load_pickle(path):
    with gzip.open(path, "rb") as f:
        return pickle.load(f, encoding="latin1")


# --------------------------------------------------------------- mnist_io


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32])
def test_read_idx_roundtrip(tmp_path, compress, dtype):
    a = (np.arange(2 * 3 * 4) * 7 % 251).astype(dtype).reshape(2, 3, 4)
    path = _write_idx(tmp_path / "a-idx3", a, compress=compress)
    b = mnist_io.read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_read_idx_corrupt_header_names_file(tmp_path):
    bad = tmp_path / "bad-images-idx3-ubyte.gz"
    with gzip.open(bad, "wb") as f:
        f.write(b"\x12\x34\x08\x03" + b"\x00" * 20)
    with pytest.raises(mnist_io.IDXFormatError, match="bad-images-idx3-ubyte.gz"):
        mnist_io.read_idx(bad)

    bad_type = tmp_path / "badtype-idx1"
    bad_type.write_bytes(b"\x00\x00\x42\x01\x00\x00\x00\x01\x05")
    with pytest.raises(mnist_io.IDXFormatError, match="badtype-idx1.*magic"):
        mnist_io.read_idx(bad_type)


def test_read_idx_wrong_length_names_file(tmp_path):
    short = tmp_path / "short-idx1-ubyte"
    short.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02")
    with pytest.raises(mnist_io.IDXFormatError, match=r"short-idx1-ubyte.*needs 5"):
        mnist_io.read_idx(short)
    tiny = tmp_path / "tiny"
    tiny.write_bytes(b"\x00\x00")
    with pytest.raises(mnist_io.IDXFormatError, match="tiny"):
        mnist_io.read_idx(tiny)
    notgz = tmp_path / "broken.gz"
    notgz.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(mnist_io.IDXFormatError, match="broken.gz"):
        mnist_io.read_idx(notgz)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere-idx1"):
        mnist_io.read_idx(tmp_path / "nothere-idx1")
    with pytest.raises(FileNotFoundError, match="nodir"):
        mnist_io.load_idx_dir(tmp_path / "nodir")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz"):
        mnist_io.load_idx_dir(tmp_path / "empty")


def test_idx_dir_matches_pickle(mnist_pkl, mnist_idx):
    """The IDX folder gives the pickle's split, dtypes, labels and pixels."""
    from_pkl = _load_pickle(mnist_pkl)
    from_idx = mnist_io.load_idx_dir(mnist_idx)
    sizes = [50000, 10000, 10000]
    for (px, py), (ix, iy), n in zip(from_pkl, from_idx, sizes, strict=True):
        assert ix.shape == px.shape == (n, 784)
        assert iy.shape == py.shape == (n,)
        assert ix.dtype == px.dtype == np.float32
        assert iy.dtype == np.int64 and py.dtype.kind == "i"
        np.testing.assert_array_equal(iy, py)
        assert 0.0 <= ix.min() and ix.max() < 1.0
        assert np.abs(ix - px).max() <= 1.0 / 255


def test_verify_checksum(tmp_path):
    f = tmp_path / "blob.gz"
    f.write_bytes(b"hello mnist")
    good = hashlib.md5(b"hello mnist").hexdigest()
    assert mnist_io.verify_checksum(f, good) == str(f)
    assert mnist_io.verify_checksum(f, good.upper()) == str(f)
    with pytest.raises(mnist_io.ChecksumError, match=rf"blob\.gz.*{good[:8]}") as exc:
        mnist_io.verify_checksum(f, mnist_io.MNIST_MD5["train-images-idx3-ubyte.gz"])
    assert "f68b3c2dcbeaaa9fbdd348bbdeb94873" in str(exc.value)


def test_official_md5_constants():
    assert set(mnist_io.MNIST_MD5) == set(mnist_io.MNIST_FILES.values())
    assert all(re.fullmatch(r"[0-9a-f]{32}", v) for v in mnist_io.MNIST_MD5.values())


def test_download_rejects_bad_file_and_deletes_it(tmp_path, monkeypatch):
    calls = []

    def fake_fetch(url, dest):
        calls.append(url)
        with open(dest, "wb") as f:
            f.write(b"this is not the MNIST file")

    monkeypatch.setattr(mnist_io, "_fetch", fake_fetch)
    dest = tmp_path / "mnist"
    with pytest.raises(mnist_io.ChecksumError, match="train-images-idx3-ubyte.gz"):
        mnist_io.download_mnist(dest, urls=["https://a.invalid/", "https://b.invalid/"])
    assert calls == [
        "https://a.invalid/train-images-idx3-ubyte.gz",
        "https://b.invalid/train-images-idx3-ubyte.gz",
    ]
    assert list(dest.iterdir()) == []  # neither the bad file nor a .part


def test_download_tries_mirrors_then_caches(tmp_path, monkeypatch):
    payloads = {name: f"fake {name}".encode() for name in mnist_io.MNIST_MD5}
    monkeypatch.setattr(
        mnist_io,
        "MNIST_MD5",
        {n: hashlib.md5(p).hexdigest() for n, p in payloads.items()},
    )
    calls = []

    def fake_fetch(url, dest):
        calls.append(url)
        if url.startswith("https://down.invalid/"):
            raise OSError("mirror down")
        with open(dest, "wb") as f:
            f.write(payloads[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(mnist_io, "_fetch", fake_fetch)
    dest = tmp_path / "mnist"
    urls = ["https://down.invalid/", "https://up.invalid/"]
    assert mnist_io.download_mnist(dest, urls=urls) == str(dest)
    assert sorted(p.name for p in dest.iterdir()) == sorted(payloads)
    assert len(calls) == 8
    for name, payload in payloads.items():
        assert (dest / name).read_bytes() == payload

    # a second call finds the verified files and fetches nothing
    calls.clear()
    mnist_io.download_mnist(dest, urls=urls)
    assert calls == []

    # a corrupted cached file is replaced
    (dest / "t10k-labels-idx1-ubyte.gz").write_bytes(b"corrupt")
    mnist_io.download_mnist(dest, urls=urls)
    assert calls == [
        "https://down.invalid/t10k-labels-idx1-ubyte.gz",
        "https://up.invalid/t10k-labels-idx1-ubyte.gz",
    ]
    assert (dest / "t10k-labels-idx1-ubyte.gz").read_bytes() == payloads[
        "t10k-labels-idx1-ubyte.gz"
    ]


def test_download_all_mirrors_down(tmp_path, monkeypatch):
    def fake_fetch(url, dest):
        raise OSError("no route")

    monkeypatch.setattr(mnist_io, "_fetch", fake_fetch)
    with pytest.raises(OSError, match="could not download 'train-images"):
        mnist_io.download_mnist(tmp_path / "m", urls=["https://x.invalid/"])
    assert list((tmp_path / "m").iterdir()) == []


# ----------------------------------------------------------- load_data


@pytest.fixture(scope="module")
def logistic_sgd():
    if _NO_CORE:
        pytest.skip(f"symtensor core not importable yet: {_NO_CORE}")
    return importlib.import_module("logistic_sgd")


@pytest.fixture(scope="module")
def datasets(logistic_sgd, mnist_pkl):
    return logistic_sgd.load_data(str(mnist_pkl))


def _value(theano, var):
    """Value of a shared variable or of a symbolic expression of shared ones."""
    if hasattr(var, "get_value"):
        return var.get_value(borrow=True)
    return theano.function([], var)()


def test_load_data_missing_path(logistic_sgd, tmp_path):
    missing = tmp_path / "nowhere" / "mnist.pkl.gz"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        logistic_sgd.load_data(str(missing))
    with pytest.raises(FileNotFoundError, match="other.pkl.gz"):
        logistic_sgd.load_data("other.pkl.gz")


def test_load_data_default_name_downloads(
    logistic_sgd, mnist_idx, tmp_path, monkeypatch
):
    """The bare default name, when absent, fetches the IDX files."""
    seen = []

    def fake_download(dest_dir=None, urls=None):
        seen.append(dest_dir)
        return str(mnist_idx)

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYMTENSOR_DATA", raising=False)
    monkeypatch.setattr(logistic_sgd.mnist_io, "download_mnist", fake_download)
    assert logistic_sgd._locate_dataset("mnist.pkl.gz") == str(mnist_idx)
    assert seen == [str(tmp_path / "cache" / "mnist")]


def test_load_data_pkl_and_idx_agree(logistic_sgd, datasets, mnist_idx):
    import symtensor as theano

    from_idx = logistic_sgd.load_data(str(mnist_idx))
    for (px, py), (ix, iy) in zip(datasets, from_idx, strict=True):
        a, b = px.get_value(borrow=True), ix.get_value(borrow=True)
        assert a.shape == b.shape and a.dtype == b.dtype == theano.config.floatX
        assert np.abs(a - b).max() <= 1.0 / 255
        la, lb = _value(theano, py), _value(theano, iy)
        assert la.dtype == lb.dtype == np.int32
        np.testing.assert_array_equal(la, lb)


# ------------------------------------------------------------- training


def _fixed_batch_cost(theano, x, y, cost, set_x, set_y, n=600):
    """Compile cost on the first n examples of a set (no updates)."""
    return theano.function([], cost, givens={x: set_x[:n], y: set_y[:n]})


def _train(theano, T, cost, params, x, y, set_x, set_y, batch_size, lr, n_batches):
    index = T.lscalar()
    grads = T.grad(cost, params)
    train_model = theano.function(
        [index],
        cost,
        updates=[(p, p - lr * g) for p, g in zip(params, grads, strict=True)],
        givens={
            x: set_x[index * batch_size : (index + 1) * batch_size],
            y: set_y[index * batch_size : (index + 1) * batch_size],
        },
    )
    return [float(train_model(i)) for i in range(n_batches)]


def test_logistic_regression_cost_falls(logistic_sgd, datasets):
    import symtensor as theano
    import symtensor.tensor as T

    (train_x, train_y), (valid_x, valid_y), _ = datasets
    x, y = T.matrix("x"), T.ivector("y")
    clf = logistic_sgd.LogisticRegression(input=x, n_in=28 * 28, n_out=10)
    cost = clf.negative_log_likelihood(y)
    valid_cost = _fixed_batch_cost(theano, x, y, cost, valid_x, valid_y)
    valid_err = theano.function(
        [], clf.errors(y), givens={x: valid_x[:600], y: valid_y[:600]}
    )
    before = float(valid_cost())
    assert before == pytest.approx(np.log(10), rel=1e-5)  # W = 0, b = 0

    costs = _train(theano, T, cost, clf.params, x, y, train_x, train_y, 600, 0.13, 30)
    assert all(np.isfinite(costs))
    assert np.mean(costs[-5:]) < np.mean(costs[:5])
    after = float(valid_cost())
    assert after < 0.6 * before
    assert float(valid_err()) < 0.3  # a NumPy reference gives 0.20 here


def test_mlp_cost_falls(datasets):
    if _NO_CORE:
        pytest.skip(f"symtensor core not importable yet: {_NO_CORE}")
    import symtensor as theano
    import symtensor.tensor as T

    mlp = importlib.import_module("mlp")
    (train_x, train_y), (valid_x, valid_y), _ = datasets
    x, y = T.matrix("x"), T.ivector("y")
    rng = np.random.RandomState(1234)
    clf = mlp.MLP(rng=rng, input=x, n_in=28 * 28, n_hidden=500, n_out=10)
    assert clf.hiddenLayer.W.get_value().shape == (784, 500)
    cost = clf.negative_log_likelihood(y) + 0.0 * clf.L1 + 0.0001 * clf.L2_sqr
    valid_nll = _fixed_batch_cost(
        theano, x, y, clf.negative_log_likelihood(y), valid_x, valid_y
    )
    before = float(valid_nll())

    costs = _train(theano, T, cost, clf.params, x, y, train_x, train_y, 20, 0.01, 30)
    assert all(np.isfinite(costs))
    after = float(valid_nll())
    assert after < before - 0.1


def test_sgd_optimization_one_epoch_then_predict(
    logistic_sgd, mnist_pkl, tmp_path, capsys
):
    best = tmp_path / "best_model.pkl"
    logistic_sgd.sgd_optimization_mnist(
        n_epochs=1, dataset=str(mnist_pkl), best_model_path=str(best)
    )
    out = capsys.readouterr()
    assert "... building the model" in out.out
    m = re.search(r"epoch 1, minibatch 83/83, validation error ([0-9.]+) %", out.out)
    assert m and float(m.group(1)) < 15.0
    assert "Optimization complete with best validation score of" in out.out
    assert re.search(r"ran for [0-9.]+s", out.err)
    assert best.is_file()

    predicted = logistic_sgd.predict(best_model_path=str(best), dataset=str(mnist_pkl))
    labels = _load_pickle(mnist_pkl)[2][1][:10]
    assert np.asarray(predicted).shape == (10,)
    assert (np.asarray(predicted) == labels).sum() >= 7
    assert (
        "Predicted values for the first 10 examples in test set:"
        in capsys.readouterr().out
    )


# ------------------------------------------------------------ LeNet demos


@needs_pool
def test_pool_demo_matches_tutorial(capsys):
    pool_demo = importlib.import_module("pool_demo")
    invals, out_true, out_false = pool_demo.main()
    printed = capsys.readouterr().out
    expected_true = np.array([[0.72032449, 0.39676747], [0.6852195, 0.87811744]])
    expected_false = np.array(
        [
            [0.67883553, 0.58930554, 0.69975836],
            [0.66379465, 0.94459476, 0.58655504],
            [0.90340192, 0.80739129, 0.39767684],
        ]
    )
    assert out_true.shape == (3, 2, 2, 2) and out_false.shape == (3, 2, 3, 3)
    np.testing.assert_allclose(out_true[0, 0], expected_true, atol=5e-9)
    np.testing.assert_allclose(out_false[1, 0], expected_false, atol=5e-9)
    # and the printed text shows the tutorial's numbers
    for v in list(expected_true.ravel()) + list(expected_false.ravel()):
        assert f"{v:.8f}".rstrip("0") in printed
    assert "With ignore_border set to True:" in printed
    assert "With ignore_border set to False:" in printed


@needs_conv2d
@needs_pool
def test_lenet_layers_cost_falls(datasets):
    import symtensor as theano
    import symtensor.tensor as T

    cmlp = importlib.import_module("convolutional_mlp")
    from logistic_sgd import LogisticRegression
    from mlp import HiddenLayer

    batch_size, nkerns = 50, [4, 6]
    (train_x, train_y), (valid_x, valid_y), _ = datasets
    rng = np.random.RandomState(23455)
    x, y = T.matrix("x"), T.ivector("y")
    layer0 = cmlp.LeNetConvPoolLayer(
        rng,
        input=x.reshape((batch_size, 1, 28, 28)),
        image_shape=(batch_size, 1, 28, 28),
        filter_shape=(nkerns[0], 1, 5, 5),
    )
    layer1 = cmlp.LeNetConvPoolLayer(
        rng,
        input=layer0.output,
        image_shape=(batch_size, nkerns[0], 12, 12),
        filter_shape=(nkerns[1], nkerns[0], 5, 5),
    )
    layer2 = HiddenLayer(
        rng,
        input=layer1.output.flatten(2),
        n_in=nkerns[1] * 16,
        n_out=500,
        activation=T.tanh,
    )
    layer3 = LogisticRegression(input=layer2.output, n_in=500, n_out=10)
    cost = layer3.negative_log_likelihood(y)
    params = layer3.params + layer2.params + layer1.params + layer0.params

    shapes = theano.function(
        [], [layer0.output.shape, layer1.output.shape], givens={x: valid_x[:batch_size]}
    )()
    assert [tuple(s) for s in shapes] == [(50, 4, 12, 12), (50, 6, 4, 4)]

    fixed = _fixed_batch_cost(theano, x, y, cost, valid_x, valid_y, n=batch_size)
    before = float(fixed())
    costs = _train(theano, T, cost, params, x, y, train_x, train_y, batch_size, 0.1, 10)
    assert all(np.isfinite(costs))
    after = float(fixed())
    assert after < before


@needs_conv2d
@needs_pool
def test_evaluate_lenet5_smoke(mnist_pkl, capsys, monkeypatch, tmp_path):
    import symtensor as theano
    import symtensor.tensor as T

    cmlp = importlib.import_module("convolutional_mlp")
    real_load_data = cmlp.load_data

    def small_load_data(dataset):
        """The real loader, with valid and test cut to 1000 examples each
        (the scoring passes dominate a 10-minibatch run)."""
        sets = real_load_data(dataset)
        out = [sets[0]]
        for set_x, set_y in sets[1:]:
            labels = theano.function([], set_y)()[:1000]
            small_x = theano.shared(set_x.get_value(borrow=True)[:1000])
            small_y = theano.shared(labels.astype(theano.config.floatX))
            out.append((small_x, T.cast(small_y, "int32")))
        return out

    monkeypatch.setattr(cmlp, "load_data", small_load_data)
    import shutil
    draw = ["--draw-graph", str(tmp_path / "train.svg")] if shutil.which("dot") else []
    cmlp.main(
        [
            "--dataset",
            str(mnist_pkl),
            "--n-epochs",
            "1",
            "--batch-size",
            "50",
            "--nkerns",
            "4",
            "6",
            "--max-batches",
            "10",
        ] + draw
    )
    out = capsys.readouterr()
    if draw:  # the drawing of the compiled training graph
        svg = (tmp_path / "train.svg").read_text()
        assert "Conv2dGradWeights" in svg and "update" in svg
    assert "... building the model" in out.out
    assert "training @ iter =  0" in out.out
    m = re.search(r"epoch 1, minibatch 10/10, validation error ([0-9.]+) %", out.out)
    assert m and float(m.group(1)) < 90.0
    assert "Optimization complete." in out.out
    assert re.search(
        r"Best validation score of [0-9.]+ % obtained at iteration 10, "
        r"with test performance [0-9.]+ %",
        out.out,
    )
    assert re.search(r"convolutional_mlp.py ran for [0-9.]+m", out.err)


@needs_conv2d
def test_conv_demo_writes_three_panels(data, tmp_path):
    conv_demo = importlib.import_module("conv_demo")
    out = tmp_path / "wolves.png"
    fig, filtered = conv_demo.main(
        ["--image", str(data / "3wolfmoon.jpg"), "--out", str(out)]
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 3
    # 639 x 516 image, 9x9 'valid' convolution, two feature maps
    assert filtered.shape == (1, 2, 631, 508)
    assert 0.0 < filtered.min() and filtered.max() < 1.0  # sigmoid outputs
    # The two maps differ and have structure (edges), not a constant.
    assert filtered[0, 0].std() > 1e-3 and filtered[0, 1].std() > 1e-3
    import matplotlib.pyplot as plt

    plt.close(fig)
