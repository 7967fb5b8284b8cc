"""The cuda linker end to end: graphs compiled with Mode("cuda") run through the active
runtime (the emulator here, a GPU under the ``cuda`` marker) and agree with the NumPy
backend; every op is covered or listed; missing PyCUDA / device errors are clear."""


import numpy as np
import pytest

import symtensor as theano
import symtensor.tensor as T
from symtensor.compile.mode import Mode
from symtensor.tensor.nnet import conv2d
from symtensor.tensor.signal import pool
from symtensor_cuda import linker
from symtensor_cuda.array import DeviceArray
from symtensor_cuda.runtime import use_runtime

CUDA, PY = Mode("cuda"), Mode("py")


@pytest.fixture
def on(rt):
    with use_runtime(rt):
        yield rt


def _lenet_like(mode, batch=3):
    """A two-conv-layer LeNet on 14x14 images: conv, max pool, tanh, dot, softmax, NLL,
    gradients and SGD updates; minibatches sliced from shared data through givens."""
    theano.config.floatX = "float32"
    r = np.random.RandomState(0)

    def param(*shape):
        return theano.shared((r.standard_normal(shape) * 0.3).astype("float32"))

    data_x = theano.shared(np.random.RandomState(1).rand(2 * batch, 196).astype("float32"))
    labels = np.random.RandomState(2).randint(0, 5, 2 * batch).astype("float32")
    data_y = T.cast(theano.shared(labels), "int32")
    w0, b0, w1, b1 = param(4, 1, 3, 3), param(4), param(6, 4, 3, 3), param(6)
    w2, b2, w3, b3 = param(24, 7), param(7), param(7, 5), param(5)
    index, x, y = T.lscalar(), T.matrix("x"), T.ivector("y")
    h = x.reshape((batch, 1, 14, 14))
    for w, b in ((w0, b0), (w1, b1)):
        pooled = pool.pool_2d(conv2d(h, w), (2, 2), ignore_border=True)
        h = T.tanh(pooled + b.dimshuffle("x", 0, "x", "x"))
    h = T.tanh(T.dot(h.flatten(2), w2) + b2)
    p = T.nnet.softmax(T.dot(h, w3) + b3)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    errors = T.mean(T.neq(T.argmax(p, axis=1), y))
    params = [w0, b0, w1, b1, w2, b2, w3, b3]
    givens = {x: data_x[index * batch:(index + 1) * batch],
              y: data_y[index * batch:(index + 1) * batch]}
    updates = [(q, q - 0.1 * g) for q, g in zip(params, T.grad(cost, params), strict=True)]
    train = theano.function([index], cost, updates=updates, givens=givens, mode=mode)
    test = theano.function([index], errors, givens=givens, mode=mode)
    return train, test, params


def test_lenet_training_steps_match_the_numpy_backend(on):
    train_gpu, test_gpu, params_gpu = _lenet_like(CUDA)
    train_cpu, test_cpu, params_cpu = _lenet_like(PY)
    ops = {type(n.op).__name__ for n in train_gpu.order}
    assert {"Conv2d", "Conv2dGradWeights", "MaxPoolGrad", "Dot", "Softmax"} <= ops
    for step in range(2):
        cost = train_gpu(step)
        assert isinstance(cost, np.ndarray) and cost.shape == ()  # outputs come back
        np.testing.assert_allclose(linker.to_host(cost), train_cpu(step), rtol=1e-5)
    np.testing.assert_allclose(linker.to_host(test_gpu(1)), test_cpu(1))
    for q_gpu, q_cpu in zip(params_gpu, params_cpu, strict=True):
        value = q_gpu.container.storage[0]
        assert isinstance(value, DeviceArray)  # updates stay on the device
        np.testing.assert_allclose(value.get(), q_cpu.get_value(), rtol=1e-4, atol=1e-6)


def test_indexing_shapes_and_reductions_match(on):
    theano.config.floatX = "float32"
    m = T.matrix("m")
    v = T.vector("v")
    i = T.lscalar("i")
    outs = [
        m[1:, ::2], m[i], m.T * 2, m.dimshuffle(1, "x", 0),
        T.set_subtensor(m[:, 1], v[:3]), T.inc_subtensor(m[::2], 1.5),
        T.inc_subtensor(m[T.arange(3), T.arange(3)], v[:3]),
        T.concatenate([m, m * 2], axis=0), T.zeros_like(m) + v[:3].dimshuffle(0, "x"),
        m.sum(axis=0), m.max(axis=1), T.argmax(m, axis=0), m.mean(), T.dot(m, v[:4]),
        T.nnet.softmax(m), (m > 0).sum(), T.cast(m, "int32") // 2, m.reshape((4, 3)),
    ]
    f_gpu = theano.function([m, v, i], outs, mode=CUDA)
    f_cpu = theano.function([m, v, i], outs, mode=PY)
    mv = np.random.RandomState(0).standard_normal((3, 4)).astype("float32")
    vv = np.arange(5, dtype="float32")
    for k, (a, b) in enumerate(zip(f_gpu(mv, vv, 2), f_cpu(mv, vv, 2), strict=True)):
        a = linker.to_host(a)
        assert a.shape == b.shape and a.dtype == b.dtype, (k, outs[k])
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=str(outs[k]))


def test_every_op_runs_on_the_gpu_or_is_listed():
    tables = (linker.IMPLS, linker.METADATA_OPS, linker.HOST_OPS, linker.NOT_ON_GPU)
    from symtensor.testing import all_op_classes
    names = {c.__name__ for c in all_op_classes()}
    # user-defined ops (the tutorials' PReLU) may register GPU kernels too
    everywhere = {c.__name__ for c in all_op_classes(packages=("",))}
    missing = sorted(n for n in names if not any(n in t for t in tables))
    assert not missing, (f"ops with no GPU implementation and no entry in linker.NOT_ON_GPU: "
                         f"{missing}")
    stale = sorted(n for t in tables for n in t if n not in everywhere)
    assert not stale, f"symtensor_cuda.linker lists ops that do not exist: {stale}"
    twice = sorted(n for n in names if sum(n in t for t in tables) > 1)
    assert not twice, f"ops listed in more than one linker table: {twice}"


def test_unsupported_graphs_fail_at_link_time_naming_the_op(on):
    m = T.matrix("m")
    with pytest.raises(NotImplementedError, match="index vectors"):
        theano.function([m], m[m > 0], mode=CUDA)
    with pytest.raises(NotImplementedError, match="Any.*no GPU kernel"):
        theano.function([m], T.any(m), mode=CUDA)


def test_clear_errors_without_pycuda_or_device(monkeypatch):
    import symtensor_cuda
    monkeypatch.setattr(symtensor_cuda, "pycuda_missing_reason",
                        lambda: "PyCUDA is not installed: pip install -e '.[cuda]'")
    with pytest.raises(symtensor_cuda.CudaUnavailableError, match=r"pip install -e '\.\[cuda\]'"):
        symtensor_cuda.require_cuda()
    monkeypatch.setattr(symtensor_cuda, "pycuda_missing_reason", lambda: None)
    monkeypatch.setattr(symtensor_cuda, "device_missing_reason",
                        lambda: "no CUDA device found: the CUDA driver sees 0 devices")
    with pytest.raises(symtensor_cuda.CudaUnavailableError, match="no CUDA device found"):
        symtensor_cuda.require_cuda()


def test_pycuda_missing_reason_is_accurate():
    import symtensor_cuda
    try:
        import pycuda.driver  # noqa: F401
    except ImportError:
        assert "PyCUDA is not installed" in symtensor_cuda.pycuda_missing_reason()
        assert not symtensor_cuda.is_available()
    else:
        assert symtensor_cuda.pycuda_missing_reason() is None
