"""An independent pure-NumPy LeNet training step (im2col + BLAS), the tutorial's network.

conv 5x5 'valid' (true convolution) -> 2x2 max pool (ignore_border) -> +bias -> tanh, twice;
flatten; tanh hidden layer; softmax; mean NLL; hand-written backward; plain SGD.

Each layer's forward and backward is its own function, so ``benchmarks/ops.py`` can time
them one by one.  Max-pool's gradient follows Theano's rule (every input equal to its
window's max receives the gradient), as symtensor does; PyTorch routes it to one argmax.
Everything keeps the dtype of the parameters (float32 in the benchmarks, float64 in the
finite-difference test).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

PARAM_NAMES = ("W0", "b0", "W1", "b1", "W2", "b2", "W3", "b3")


# --------------------------------------------------------------------------- conv
def im2col(x: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """x : (N, C, H, W) -> cols : (N * Ho * Wo, C * kh * kw), one row per output pixel."""
    n, c, h, w = x.shape
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, Ho, Wo, kh, kw), a view
    ho, wo = h - kh + 1, w - kw + 1
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)


def conv_forward(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """'valid' convolution (flipped filters) of x : (N, C, H, W) by w : (K, C, kh, kw).

    Returns ``(y : (N, K, Ho, Wo), cols)``; ``cols`` is kept for :func:`conv_grad_weights`.
    """
    n, _, h, wd = x.shape
    k, c, kh, kw = w.shape
    cols = im2col(x, kh, kw)
    wf = w[:, :, ::-1, ::-1].reshape(k, c * kh * kw)  # true convolution = correlation
    y = np.dot(cols, wf.T)                              # (N*Ho*Wo, K)
    y = y.reshape(n, h - kh + 1, wd - kw + 1, k).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(y), cols


def _rows(gy: np.ndarray) -> np.ndarray:
    """gy : (N, K, Ho, Wo) -> (N * Ho * Wo, K), the layout of ``cols``' rows."""
    return gy.transpose(0, 2, 3, 1).reshape(-1, gy.shape[1])


def conv_grad_weights(cols: np.ndarray, gy: np.ndarray, w_shape) -> np.ndarray:
    """dL/dw : (K, C, kh, kw) from the forward's ``cols`` and gy : (N, K, Ho, Wo)."""
    gwf = np.dot(cols.T, _rows(gy)).T.reshape(w_shape)
    return np.ascontiguousarray(gwf[:, :, ::-1, ::-1])


def conv_grad_input(w: np.ndarray, gy: np.ndarray, x_shape) -> np.ndarray:
    """dL/dx : (N, C, H, W): one GEMM to columns, then col2im (kh * kw strided adds)."""
    n, c, h, wd = x_shape
    k, _, kh, kw = w.shape
    ho, wo = gy.shape[2:]
    wf = w[:, :, ::-1, ::-1].reshape(k, c * kh * kw)
    gcols = np.dot(_rows(gy), wf).reshape(n, ho, wo, c, kh, kw)
    gx = np.zeros(x_shape, dtype=gcols.dtype)
    for a in range(kh):
        for b in range(kw):
            gx[:, :, a:a + ho, b:b + wo] += gcols[:, :, :, :, a, b].transpose(0, 3, 1, 2)
    return gx


# --------------------------------------------------------------------------- pool
def _corners(x: np.ndarray):
    """The four strided (N, C, H//2, W//2) views of each 2x2 window's corners."""
    h, w = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
    return [(slice(a, h, 2), slice(b, w, 2)) for a in (0, 1) for b in (0, 1)]


def pool_forward(x: np.ndarray) -> np.ndarray:
    """2x2 max pool, stride 2, ignore_border=True: (N, C, H, W) -> (N, C, H//2, W//2)."""
    (r0, c0), (r1, c1), (r2, c2), (r3, c3) = _corners(x)
    return np.maximum(np.maximum(x[:, :, r0, c0], x[:, :, r1, c1]),
                      np.maximum(x[:, :, r2, c2], x[:, :, r3, c3]))


def pool_backward(x: np.ndarray, out: np.ndarray, gz: np.ndarray) -> np.ndarray:
    """Gradient of :func:`pool_forward`: gz to every input equal to its window's max."""
    gx = np.zeros_like(x)
    for rows, cols in _corners(x):
        gx[:, :, rows, cols] = np.where(x[:, :, rows, cols] == out, gz, 0)
    return gx


# --------------------------------------------------------------------------- the rest
def bias_tanh_forward(x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """tanh(x + b[None, :, None, None]) for x : (N, C, H, W)."""
    return np.tanh(x + b[None, :, None, None])


def bias_tanh_backward(out: np.ndarray, gout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dx, dL/db) of :func:`bias_tanh_forward` from its output."""
    gx = gout * (1 - out * out)
    return gx, gx.sum(axis=(0, 2, 3))


def softmax_nll_forward(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean NLL, softmax probabilities) of logits z : (N, K) and labels y : (N,)."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    cost = -np.mean(np.log(p[np.arange(len(y)), y]))
    return np.asarray(cost, dtype=z.dtype), p


def softmax_nll_backward(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dz of the mean NLL: (p - onehot(y)) / N."""
    gz = p.copy()
    gz[np.arange(len(y)), y] -= 1
    gz /= len(y)
    return gz


# --------------------------------------------------------------------------- network
class NumpyLeNet:
    """The tutorial's LeNet; ``params`` maps W0, b0 (conv0) ... W3, b3 (softmax) to arrays.

    ``W0 : (20, 1, 5, 5)``, ``W1 : (50, 20, 5, 5)`` are convolution filters (Theano's
    orientation), ``W2 : (800, 500)`` and ``W3 : (500, 10)`` multiply from the right.
    """

    def __init__(self, params: dict, batch_shape=(1, 28, 28)):
        self.params = {k: np.array(params[k]) for k in PARAM_NAMES}
        self.batch_shape = tuple(batch_shape)

    @classmethod
    def random(cls, rng, nkerns=(20, 50), n_hidden=500, image=(1, 28, 28), dtype="float32"):
        c, h, w = image
        k0, k1 = nkerns
        h1, w1 = (h - 4) // 2, (w - 4) // 2
        h2, w2 = (h1 - 4) // 2, (w1 - 4) // 2

        def u(*shape):
            return rng.uniform(-0.3, 0.3, size=shape).astype(dtype)

        params = {"W0": u(k0, c, 5, 5), "b0": u(k0), "W1": u(k1, k0, 5, 5), "b1": u(k1),
                  "W2": u(k1 * h2 * w2, n_hidden), "b2": u(n_hidden),
                  "W3": u(n_hidden, 10), "b3": u(10)}
        return cls(params, image)

    def forward(self, x: np.ndarray, y: np.ndarray):
        """x : (N, C*H*W) rows of pixels, y : (N,) int labels -> (cost, cache)."""
        p = self.params
        x0 = x.reshape((x.shape[0], *self.batch_shape)).astype(p["W0"].dtype, copy=False)
        c0, cols0 = conv_forward(x0, p["W0"])
        m0 = pool_forward(c0)
        o0 = bias_tanh_forward(m0, p["b0"])
        c1, cols1 = conv_forward(o0, p["W1"])
        m1 = pool_forward(c1)
        o1 = bias_tanh_forward(m1, p["b1"])
        f = o1.reshape(o1.shape[0], -1)
        h = np.tanh(np.dot(f, p["W2"]) + p["b2"])
        z = np.dot(h, p["W3"]) + p["b3"]
        cost, prob = softmax_nll_forward(z, y)
        cache = dict(y=y, cols0=cols0, c0=c0, m0=m0, o0=o0, cols1=cols1, c1=c1, m1=m1, o1=o1,
                     f=f, h=h, prob=prob)
        return cost, cache

    def backward(self, cache) -> dict:
        p, k = self.params, cache
        g = {}
        gz = softmax_nll_backward(k["prob"], k["y"])
        g["W3"], g["b3"] = np.dot(k["h"].T, gz), gz.sum(axis=0)
        ga = np.dot(gz, p["W3"].T) * (1 - k["h"] * k["h"])
        g["W2"], g["b2"] = np.dot(k["f"].T, ga), ga.sum(axis=0)
        go1 = np.dot(ga, p["W2"].T).reshape(k["o1"].shape)
        gm1, g["b1"] = bias_tanh_backward(k["o1"], go1)
        gc1 = pool_backward(k["c1"], k["m1"], gm1)
        g["W1"] = conv_grad_weights(k["cols1"], gc1, p["W1"].shape)
        go0 = conv_grad_input(p["W1"], gc1, k["o0"].shape)
        gm0, g["b0"] = bias_tanh_backward(k["o0"], go0)
        gc0 = pool_backward(k["c0"], k["m0"], gm0)
        g["W0"] = conv_grad_weights(k["cols0"], gc0, p["W0"].shape)
        return g

    def cost_and_grads(self, x, y):
        cost, cache = self.forward(x, y)
        return cost, self.backward(cache)

    def step(self, x, y, lr=0.1):
        """One SGD step; returns the cost before the update (as ``train_model`` does)."""
        cost, grads = self.cost_and_grads(x, y)
        for name, grad in grads.items():
            self.params[name] -= np.asarray(lr, dtype=grad.dtype) * grad
        return cost
