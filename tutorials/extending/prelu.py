"""PReLU, a leaky ReLU with a learnable slope: a worked example of a new op family.

``y = x`` where ``x > 0``, else ``alpha[c] * x``, with one slope per channel ``c`` of
an ``(N, C, ...)`` input (``alpha : (C,)``), or one slope for every element (a 0-d
``alpha``).  He et al., "Delving Deep into Rectifiers", 2015.

Everything an op family needs, in the order ``docs/extending.rst`` walks through it:

1. the shape helpers (ints or symbolic scalars; no shape arithmetic elsewhere);
2. the NumPy references, which the ops' ``perform`` runs;
3. the op classes: ``PReLU`` (x, alpha) -> y and ``PReLUGrad`` (x, alpha, gz) ->
   (gx, galpha), whose own gradient is built from existing ops;
4. the user function :func:`prelu`;
5. the Numba kernels and their registration with ``numba_funcify``;
6. the CUDA launchers for ``prelu.cu`` and their registration with the cuda linker.

>>> import numpy as np, symtensor as theano, symtensor.tensor as T
>>> x, alpha = T.dmatrix("x"), T.dvector("alpha")
>>> f = theano.function([x, alpha], prelu(x, alpha))
>>> f([[-2.0, 3.0], [1.0, -4.0]], [0.1, 0.5])
array([[-0.2,  3. ],
       [ 1. , -2. ]])
"""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import Any

import numba
import numpy as np

from symtensor.backends.numba.dispatch import chunk_count, run_chunks
from symtensor.graph.basic import Apply, Variable
from symtensor.graph.op import Op

FLOAT_DTYPES = ("float32", "float64")

# ---------------------------------------------------------------- 1. shape helpers
# start-shape-helpers


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def prelu_output_shape(x_shape, alpha_shape, channel_axis: int = 1) -> tuple:
    """Shape of ``prelu(x, alpha)``: ``x``'s.  Checks ``alpha`` against ``x``.

    Entries may be ints or symbolic scalars; the channel length is compared only
    when both are ints (at run time).

    >>> prelu_output_shape((8, 3, 5, 5), (3,))
    (8, 3, 5, 5)
    >>> prelu_output_shape((8, 3), ())
    (8, 3)
    """
    x_shape, alpha_shape = tuple(x_shape), tuple(alpha_shape)
    if len(alpha_shape) > 1:
        raise ValueError(f"prelu: alpha must be 0-d or 1-d, got shape {alpha_shape}")
    if len(alpha_shape) == 1:
        if len(x_shape) <= channel_axis:
            raise ValueError(f"prelu: a per-channel alpha needs x with more than "
                             f"{channel_axis} dims (channel axis {channel_axis}), got shape "
                             f"{x_shape}")
        n_c, n_alpha = x_shape[channel_axis], alpha_shape[0]
        if _is_int(n_c) and _is_int(n_alpha) and n_c != n_alpha:
            raise ValueError(f"prelu: alpha has {n_alpha} slopes, x has {n_c} channels "
                             f"(axis {channel_axis} of shape {x_shape})")
    return x_shape


def prelu_alpha_axes(x_ndim: int, alpha_ndim: int, channel_axis: int = 1) -> tuple[int, ...]:
    """The axes of ``x`` that the gradient of ``alpha`` sums over: all but the channel.

    >>> prelu_alpha_axes(4, 1)
    (0, 2, 3)
    >>> prelu_alpha_axes(2, 0)
    (0, 1)
    """
    return tuple(d for d in range(x_ndim) if alpha_ndim == 0 or d != channel_axis)


def prelu_kernel_view(x_shape, alpha_ndim: int, channel_axis: int = 1) -> tuple[int, int, int]:
    """``(outer, C, inner)``: the 3-d view of ``x`` the kernels loop over.

    Element ``(o, c, i)`` has slope ``alpha[c]``; a 0-d alpha is the case ``C = 1``
    (every element its own ``outer`` index, so the outer loop spreads over threads).

    >>> prelu_kernel_view((8, 3, 5, 5), 1)
    (8, 3, 25)
    >>> prelu_kernel_view((8, 3), 0)
    (24, 1, 1)
    """
    sizes = [int(s) for s in x_shape]
    if alpha_ndim == 0:
        return int(np.prod(sizes, dtype=np.int64)), 1, 1
    return (int(np.prod(sizes[:channel_axis], dtype=np.int64)), sizes[channel_axis],
            int(np.prod(sizes[channel_axis + 1:], dtype=np.int64)))


# end-shape-helpers
# ---------------------------------------------------------------- 2. NumPy references
# start-references


def _per_channel(alpha: np.ndarray, x_ndim: int, channel_axis: int) -> np.ndarray:
    """``alpha`` reshaped to broadcast against ``x`` (a 0-d alpha stays 0-d)."""
    if alpha.ndim == 0:
        return alpha
    shape = [1] * x_ndim
    shape[channel_axis] = alpha.shape[0]
    return alpha.reshape(shape)


def prelu_reference(x: np.ndarray, alpha: np.ndarray, channel_axis: int = 1) -> np.ndarray:
    """Readable NumPy PReLU: ``where(x > 0, x, alpha[c] * x)``.

    >>> prelu_reference(np.array([[-2.0, 3.0]]), np.array([0.1, 0.5]))
    array([[-0.2,  3. ]])
    """
    x, alpha = np.asarray(x), np.asarray(alpha)
    prelu_output_shape(x.shape, alpha.shape, channel_axis)
    a = _per_channel(alpha, x.ndim, channel_axis)
    return np.where(x > 0, x, a * x).astype(x.dtype)


def prelu_grad_reference(x: np.ndarray, alpha: np.ndarray, gz: np.ndarray,
                         channel_axis: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``(gx, galpha)`` for the output gradient ``gz``.

    ``gx = gz`` where ``x > 0``, else ``alpha[c] * gz``; ``galpha[c]`` sums ``x * gz``
    over the elements of channel ``c`` where ``x <= 0`` (in float64, then cast).
    """
    x, alpha, gz = np.asarray(x), np.asarray(alpha), np.asarray(gz)
    prelu_output_shape(x.shape, alpha.shape, channel_axis)
    if gz.shape != x.shape:
        raise ValueError(f"prelu grad: gz must have x's shape {x.shape}, got {gz.shape}")
    positive = x > 0
    gx = np.where(positive, gz, _per_channel(alpha, x.ndim, channel_axis) * gz)
    axes = prelu_alpha_axes(x.ndim, alpha.ndim, channel_axis)
    galpha = np.where(positive, 0, x.astype(np.float64) * gz).sum(axis=axes)
    return gx.astype(x.dtype), np.asarray(galpha, dtype=alpha.dtype).reshape(alpha.shape)


# end-references
# ---------------------------------------------------------------- 3. ops
# start-ops


def _float_tensor(op: Op, name: str, var: Any) -> Variable:
    from symtensor.tensor.basic import as_tensor_variable

    var = as_tensor_variable(var)
    if var.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: {name} must be float32 or float64, got {var.type}")
    return var


class _PReLUBase(Op):
    """The static parameter shared by the family: which axis holds the channels."""

    __props__ = ("channel_axis",)

    def __init__(self, channel_axis: int = 1):
        if not _is_int(channel_axis) or channel_axis < 0:
            raise ValueError(f"{type(self).__name__}: channel_axis must be an int >= 0, got "
                             f"{channel_axis!r}")
        self.channel_axis = int(channel_axis)

    def _inputs(self, x, alpha) -> tuple[Variable, Variable]:
        x, alpha = _float_tensor(self, "x", x), _float_tensor(self, "alpha", alpha)
        if alpha.dtype != x.dtype:
            raise TypeError(f"{self}: alpha ({alpha.type}) must have x's dtype {x.dtype}; "
                            "prelu() casts it")
        if alpha.ndim > 1 or (alpha.ndim == 1 and x.ndim <= self.channel_axis):
            raise TypeError(f"{self}: alpha must be 0-d, or 1-d with x of more than "
                            f"{self.channel_axis} dims; got alpha {alpha.type}, x {x.type}")
        return x, alpha


class PReLU(_PReLUBase):
    """``(x, alpha) -> y``: ``y = x`` where ``x > 0``, else ``alpha[c] * x``.

    x : (N, C, ...) with ``C`` on ``channel_axis``; alpha : (C,) or 0-d, x's dtype.
    """

    def make_node(self, x, alpha):
        x, alpha = self._inputs(x, alpha)
        return Apply(self, [x, alpha], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = prelu_reference(*inputs, self.channel_axis)

    def infer_shape(self, fgraph, node, input_shapes):
        return [prelu_output_shape(*input_shapes, self.channel_axis)]

    def grad(self, inputs, outputs, output_grads):
        gx, galpha = PReLUGrad(self.channel_axis)(*inputs, output_grads[0])
        return [gx, galpha]


class PReLUGrad(_PReLUBase):
    """``(x, alpha, gz) -> (gx, galpha)``, the gradient of :class:`PReLU`."""

    def make_node(self, x, alpha, gz):
        x, alpha = self._inputs(x, alpha)
        gz = _float_tensor(self, "gz", gz)
        if gz.type != x.type:
            raise TypeError(f"{self}: gz must have x's type {x.type}, got {gz.type}")
        return Apply(self, [x, alpha, gz], [x.type(), alpha.type()])

    def perform(self, node, inputs, output_storage):
        gx, galpha = prelu_grad_reference(*inputs, self.channel_axis)
        output_storage[0][0], output_storage[1][0] = gx, galpha

    def infer_shape(self, fgraph, node, input_shapes):
        x_shape, alpha_shape, _ = input_shapes
        return [prelu_output_shape(x_shape, alpha_shape, self.channel_axis), alpha_shape]

    def grad(self, inputs, outputs, output_grads):
        # Second derivatives, from existing ops.  gx = gz * slope (slope 1 or alpha[c]) and
        # galpha = sum of x * gz over x <= 0: both are linear in gz, and piecewise linear
        # in x and alpha.
        import symtensor.tensor as T

        x, alpha, gz = inputs
        ggx, ggalpha = output_grads
        negative = T.le(x, 0)
        axes = prelu_alpha_axes(x.ndim, alpha.ndim, self.channel_axis)
        a, gga = (self._broadcast(v, x.ndim) for v in (alpha, ggalpha))
        zero = T.zeros_like(x)
        d_x = T.switch(negative, gz * gga, zero)
        d_alpha = T.sum(T.switch(negative, gz * ggx, zero), axis=axes)
        d_gz = T.switch(negative, a * ggx + x * gga, ggx)
        return [d_x, d_alpha, d_gz]

    def _broadcast(self, v: Variable, ndim: int) -> Variable:
        """A 1-d per-channel variable as a broadcastable ``ndim``-d one."""
        if v.ndim == 0:
            return v
        return v.dimshuffle(["x" if d != self.channel_axis else 0 for d in range(ndim)])


# end-ops
# ---------------------------------------------------------------- 4. user function
# start-user-function


def prelu(x, alpha, channel_axis: int = 1):
    """Parametric ReLU: ``x`` where ``x > 0``, else ``alpha * x`` (per channel).

    Parameters
    ----------
    x : float tensor, e.g. (N, C) or (N, C, H, W)
    alpha : tensor or array-like, (C,) or a scalar
        Slopes of the negative part; cast to ``x``'s dtype.  Usually a shared
        variable, so that it is learned.
    channel_axis : int
        The axis of ``x`` that ``alpha`` indexes (ignored for a scalar alpha);
        negative values count from the end.

    Examples
    --------
    >>> import numpy as np, symtensor as theano, symtensor.tensor as T
    >>> x = T.dtensor4("x")
    >>> y = prelu(x, np.full(3, 0.25))
    >>> theano.function([x], y)(-np.ones((1, 3, 1, 1)))[0, :, 0, 0]
    array([-0.25, -0.25, -0.25])
    """
    import symtensor.tensor as T

    x = T.as_tensor_variable(x)
    if x.dtype not in FLOAT_DTYPES:
        x = T.cast(x, "floatX")
    alpha = T.cast(alpha if isinstance(alpha, Variable) else np.asarray(alpha), x.dtype)
    if not _is_int(channel_axis):
        raise TypeError(f"prelu: channel_axis must be an int, got {channel_axis!r}")
    if alpha.ndim == 0:
        return PReLU()(x, alpha)  # one slope: the channel axis plays no part
    if not -x.ndim <= channel_axis < x.ndim:
        raise ValueError(f"prelu: channel_axis {channel_axis} is out of range for x of "
                         f"{x.ndim} dims")
    return PReLU(channel_axis % x.ndim)(x, alpha)


# end-user-function
# ---------------------------------------------------------------- 5. Numba kernels
# start-numba-kernels


@numba.njit(nogil=True, cache=True)
def prelu_forward_kernel(x, alpha, lo, hi, out):
    """Outer rows ``lo:hi`` of x, out : (O, C, I); alpha : (C,)."""
    for o in range(lo, hi):
        for c in range(x.shape[1]):
            a = alpha[c]
            for i in range(x.shape[2]):
                v = x[o, c, i]
                out[o, c, i] = v if v > 0 else a * v


@numba.njit(nogil=True, cache=True)
def prelu_grad_kernel(x, alpha, gz, lo, hi, gx, partial):
    """Outer rows ``lo:hi``: gx = gz * slope, and ``partial[c]`` += the rows' sum of
    x * gz over x <= 0, in float64."""
    for o in range(lo, hi):
        for c in range(x.shape[1]):
            a, acc = alpha[c], 0.0
            for i in range(x.shape[2]):
                v, g = x[o, c, i], gz[o, c, i]
                if v > 0:
                    gx[o, c, i] = g
                else:
                    gx[o, c, i] = a * g
                    acc += np.float64(v) * np.float64(g)
            partial[c] += acc


def _view(arr, shape3, dtype) -> np.ndarray:
    return np.ascontiguousarray(arr, dtype=dtype).reshape(shape3)


def prelu_forward(x, alpha, channel_axis: int = 1) -> np.ndarray:
    """Numba PReLU with the contract of :func:`prelu_reference`."""
    x, alpha = np.asarray(x), np.asarray(alpha)
    prelu_output_shape(x.shape, alpha.shape, channel_axis)
    o, c, i = prelu_kernel_view(x.shape, alpha.ndim, channel_axis)
    out = np.empty(x.shape, dtype=x.dtype)
    xv, av, outv = _view(x, (o, c, i), x.dtype), _view(alpha, (c,), x.dtype), out.reshape(o, c, i)
    # chunks of outer rows on the backend's threads; one chunk (no threads) when small
    run_chunks(o, lambda lo, hi, _: prelu_forward_kernel(xv, av, lo, hi, outv),
               chunk_count(o, x.size))
    return out


def prelu_grad(x, alpha, gz, channel_axis: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Numba PReLU gradient with the contract of :func:`prelu_grad_reference`."""
    x, alpha, gz = np.asarray(x), np.asarray(alpha), np.asarray(gz)
    prelu_output_shape(x.shape, alpha.shape, channel_axis)
    if gz.shape != x.shape:
        raise ValueError(f"prelu grad kernel: gz must have x's shape {x.shape}, got {gz.shape}")
    o, c, i = prelu_kernel_view(x.shape, alpha.ndim, channel_axis)
    gx = np.empty(x.shape, dtype=x.dtype)
    views = (_view(x, (o, c, i), x.dtype), _view(alpha, (c,), x.dtype),
             _view(gz, (o, c, i), x.dtype))
    chunks = chunk_count(o, x.size)
    partial = np.zeros((chunks, c))  # one row per chunk, summed in chunk order after
    run_chunks(o, lambda lo, hi, k: prelu_grad_kernel(*views, lo, hi, gx.reshape(o, c, i),
                                                      partial[k]), chunks)
    return gx, partial.sum(axis=0).astype(alpha.dtype).reshape(alpha.shape)


# end-numba-kernels
# ---------------------------------------------------------------- 6. CUDA launchers
# start-cuda-launchers

CUDA_SOURCE = Path(__file__).resolve().with_name("prelu.cu")
BLOCK = 256  # ST_BLOCK in common.cuh: prelu_grad_* reduce over exactly this many threads
_modules: dict = {}


def _cuda_module(rt):
    """``prelu.cu`` compiled for runtime ``rt`` (the emulator or PyCUDA), once."""
    if rt not in _modules:
        _modules[rt] = rt.compile(CUDA_SOURCE.read_text())
    return _modules[rt]


def _cuda_setup(x, alpha, channel_axis):
    if x.dtype.name not in FLOAT_DTYPES or alpha.dtype != x.dtype:
        raise NotImplementedError(f"prelu GPU kernel: x and alpha must both be float32 or "
                                  f"float64, got {x.dtype.name} and {alpha.dtype.name}")
    prelu_output_shape(x.shape, alpha.shape, channel_axis)
    return prelu_kernel_view(x.shape, alpha.ndim, channel_axis)


def prelu_forward_cuda(x, alpha, channel_axis: int = 1):
    """PReLU of device arrays ``x`` and ``alpha`` (symtensor_cuda DeviceArrays)."""
    from symtensor_cuda.kernels.elemwise import _grid

    rt = x.runtime
    o, c, i = _cuda_setup(x, alpha, channel_axis)
    out = rt.empty(x.shape, x.dtype)
    if out.size:
        _cuda_module(rt).launch(f"prelu_forward_{x.dtype.name}", (_grid(out.size),), (BLOCK,),
                                rt.contiguous(x), rt.contiguous(alpha), out, out.size, c, i)
    return out


def prelu_grad_cuda(x, alpha, gz, channel_axis: int = 1):
    """``(gx, galpha)`` of device arrays: one block per channel reduces galpha."""
    rt = x.runtime
    o, c, i = _cuda_setup(x, alpha, channel_axis)
    if tuple(gz.shape) != tuple(x.shape) or gz.dtype != x.dtype:
        raise ValueError(f"prelu grad: gz must match x {x.shape} {x.dtype}, got "
                         f"{gz.shape} {gz.dtype}")
    gx, galpha = rt.empty(x.shape, x.dtype), rt.zeros(alpha.shape, alpha.dtype)
    if gx.size:
        _cuda_module(rt).launch(f"prelu_grad_{x.dtype.name}", (c,), (BLOCK,),
                                rt.contiguous(x), rt.contiguous(alpha), rt.contiguous(gz),
                                gx, galpha, o, c, i)
    return gx, galpha


# end-cuda-launchers
# ---------------------------------------------------------------- registration
# start-registration
from symtensor.backends.numba.dispatch import numba_funcify  # noqa: E402


def _numba_prelu(op, node):
    return lambda x, alpha: (prelu_forward(x, alpha, op.channel_axis),)


def _numba_prelu_grad(op, node):
    return lambda x, alpha, gz: prelu_grad(x, alpha, gz, op.channel_axis)


def _cuda_prelu(op, node, rt):
    return lambda args: [prelu_forward_cuda(args.dev(0), args.dev(1), op.channel_axis)]


def _cuda_prelu_grad(op, node, rt):
    return lambda args: list(prelu_grad_cuda(args.dev(0), args.dev(1), args.dev(2),
                                             op.channel_axis))


def register_kernels() -> None:
    """Register the Numba kernels, and the GPU ones when symtensor_cuda is importable."""
    numba_funcify.register(PReLU, _numba_prelu)
    numba_funcify.register(PReLUGrad, _numba_prelu_grad)
    try:
        from symtensor_cuda.linker import register
    except ImportError:  # no GPU backend installed: the CPU kernels are enough
        return
    register("PReLU")(_cuda_prelu)
    register("PReLUGrad")(_cuda_prelu_grad)


register_kernels()
# end-registration
