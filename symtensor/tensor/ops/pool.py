"""Two-dimensional pooling (Theano 1.0 ``pool_2d`` semantics).

Pure pieces of the pool family: the parameter check, the shape helper used by
``make_node``, ``infer_shape``, ``perform`` and every kernel, and the readable
NumPy references that the ops' ``perform`` runs.  Inputs are N-d (N >= 2);
the last two axes are pooled.

Semantics (Theano 1.0, ``theano.tensor.signal.pool``):

* Window ``j`` covers padded rows ``[j * s, j * s + ws)``, clipped to the
  padded image.  Zero padding ``pad < ws`` needs ``ignore_border=True``.
* ``max`` and ``sum`` only see real pixels (padding never wins a max).
* ``average_inc_pad`` divides by the window size in the padded image (``ws_h
  * ws_w`` with ``ignore_border=True``; truncated windows at the border with
  ``ignore_border=False`` divide by their truncated size).
* ``average_exc_pad`` divides by the number of real pixels in the window.
* Output size per axis (``v`` = padded size): with ``ignore_border`` it is
  ``max((v - ws) // s + 1, 0)``; without, ``(v - 1) // s + 1`` when ``s >=
  ws``, else ``max((v - 1 - ws + s) // s, 0) + 1`` (a last, partial window is
  kept).
* The max gradient goes to every input equal to its window's max (ties all
  receive it), as Theano's CPU implementation does.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from symtensor.graph.basic import Apply
from symtensor.graph.op import Op
from symtensor.tensor.type import TensorType

POOL_MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _maximum(a: Any, b: Any) -> Any:
    """``max`` for ints, ``T.maximum`` for symbolic scalars."""
    if _is_int(a) and _is_int(b):
        return max(a, b)
    import symtensor.tensor as T

    return T.maximum(a, b)


def _pair(name: str, value: Any, minimum: int) -> tuple[int, int]:
    if (
        not isinstance(value, Sequence)
        or len(value) != 2
        or not all(_is_int(v) and v >= minimum for v in value)
    ):
        raise ValueError(
            f"pool_2d: {name} must be a pair of ints >= {minimum}, got {value!r}"
        )
    return int(value[0]), int(value[1])


def check_pool_params(
    ws: Sequence[int],
    ignore_border: bool,
    stride: Sequence[int] | None = None,
    pad: Sequence[int] = (0, 0),
    mode: str = "max",
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Validate static pool parameters; return ``(ws, stride, pad)`` as int pairs.

    ``stride=None`` means ``stride = ws``.  Raises ValueError for malformed
    values and NotImplementedError, as Theano does, for padding without
    ``ignore_border`` and for ``pad >= ws``.

    >>> check_pool_params((2, 2), True)
    ((2, 2), (2, 2), (0, 0))
    """
    ws = _pair("ws", ws, 1)
    stride = ws if stride is None else _pair("stride", stride, 1)
    pad = (0, 0) if pad is None else _pair("pad", pad, 0)
    if mode not in POOL_MODES:
        raise ValueError(f"pool_2d: mode must be one of {POOL_MODES}, got {mode!r}")
    if not isinstance(ignore_border, (bool, np.bool_)):
        raise ValueError(f"pool_2d: ignore_border must be a bool, got {ignore_border!r}")
    if pad != (0, 0) and not ignore_border:
        raise NotImplementedError(
            f"pool_2d: padding {pad} needs ignore_border=True, got ignore_border=False"
        )
    if pad[0] >= ws[0] or pad[1] >= ws[1]:
        raise NotImplementedError(f"pool_2d: pad {pad} must be smaller than ws {ws}")
    return ws, stride, pad


def _pool_out_1d(size: Any, ws: int, stride: int, pad: int, ignore_border: bool) -> Any:
    if size is None:
        return None
    v = size + 2 * pad if pad else size
    if ignore_border:
        if ws == stride:
            return v // stride
        return _maximum((v - ws) // stride + 1, 0)
    if stride >= ws:
        return (v - 1) // stride + 1
    return _maximum((v - 1 - ws + stride) // stride, 0) + 1


def pool_output_shape(
    image_shape: Sequence[Any],
    ws: Sequence[int],
    ignore_border: bool,
    stride: Sequence[int] | None = None,
    pad: Sequence[int] = (0, 0),
) -> tuple[Any, ...]:
    """Shape of ``pool_2d`` output for an N-d input shape (N >= 2).

    Entries may be ints, symbolic scalars or None (unknown: gives None).

    >>> pool_output_shape((3, 2, 5, 5), (2, 2), True)
    (3, 2, 2, 2)
    >>> pool_output_shape((3, 2, 5, 5), (2, 2), False)
    (3, 2, 3, 3)
    """
    if len(image_shape) < 2:
        raise ValueError(
            f"pool_2d: input must have at least 2 dimensions, got shape {tuple(image_shape)}"
        )
    (wh, ww), (sh, sw), (ph, pw) = check_pool_params(ws, ignore_border, stride, pad)
    *lead, h, w = image_shape
    return (
        *lead,
        _pool_out_1d(h, wh, sh, ph, ignore_border),
        _pool_out_1d(w, ww, sw, pw, ignore_border),
    )


def pool_windows(size: int, n_out: int, ws: int, stride: int, pad: int):
    """Per output index along one axis: ``(start, end, padded_extent)``.

    ``[start, end)`` are the real (unpadded) input rows of the window and
    ``padded_extent`` its length in the padded image (the inc_pad divisor).
    """
    windows = []
    for j in range(n_out):
        lo = j * stride
        hi = min(lo + ws, size + 2 * pad)
        windows.append((max(lo - pad, 0), min(hi - pad, size), hi - lo))
    return windows


def _regions(x_shape, out_hw, ws, stride, pad):
    """Yield ``(i, j, rows, cols, inc_count, exc_count)`` for every window."""
    rows = pool_windows(x_shape[-2], out_hw[0], ws[0], stride[0], pad[0])
    cols = pool_windows(x_shape[-1], out_hw[1], ws[1], stride[1], pad[1])
    for i, (r0, r1, rext) in enumerate(rows):
        for j, (c0, c1, cext) in enumerate(cols):
            yield i, j, slice(r0, r1), slice(c0, c1), rext * cext, (r1 - r0) * (c1 - c0)


def _setup(x, ws, ignore_border, stride, pad, mode="max"):
    """Checked ``(out_shape, ws, stride, pad)`` for a reference call."""
    ws, stride, pad = check_pool_params(ws, ignore_border, stride, pad, mode)
    return pool_output_shape(x.shape, ws, ignore_border, stride, pad), ws, stride, pad


def pool_2d_reference(
    x: np.ndarray,
    ws: Sequence[int],
    ignore_border: bool,
    stride: Sequence[int] | None = None,
    pad: Sequence[int] = (0, 0),
    mode: str = "max",
) -> np.ndarray:
    """Readable NumPy pool_2d over the last two axes of ``x``.

    >>> x = np.arange(16.0).reshape(4, 4)
    >>> pool_2d_reference(x, (3, 3), False, (2, 2), mode="average_exc_pad")
    array([[ 5. ,  6.5],
           [11. , 12.5]])
    """
    out_shape, ws, stride, pad = _setup(x, ws, ignore_border, stride, pad, mode)
    out = np.zeros(out_shape, dtype=x.dtype)
    for i, j, rows, cols, inc, exc in _regions(x.shape, out_shape[-2:], ws, stride, pad):
        window = x[..., rows, cols]
        if mode == "max":
            out[..., i, j] = window.max(axis=(-2, -1))
        else:
            total = window.sum(axis=(-2, -1))
            divisor = {"sum": 1, "average_inc_pad": inc, "average_exc_pad": exc}[mode]
            out[..., i, j] = total / divisor
    return out


def max_pool_grad_reference(
    x: np.ndarray,
    maxout: np.ndarray,
    gz: np.ndarray,
    ws: Sequence[int],
    ignore_border: bool,
    stride: Sequence[int] | None = None,
    pad: Sequence[int] = (0, 0),
) -> np.ndarray:
    """Gradient of max pooling: ``gz`` routed to every input equal to its window max."""
    out_shape, ws, stride, pad = _setup(x, ws, ignore_border, stride, pad)
    _check_same_shape("maxout", maxout, out_shape)
    _check_same_shape("gz", gz, out_shape)
    gx = np.zeros(x.shape, dtype=x.dtype)
    for i, j, rows, cols, _, _ in _regions(x.shape, out_shape[-2:], ws, stride, pad):
        hit = x[..., rows, cols] == maxout[..., i, j, None, None]
        gx[..., rows, cols] += hit * gz[..., i, j, None, None]
    return gx


def average_pool_grad_reference(
    x: np.ndarray,
    gz: np.ndarray,
    ws: Sequence[int],
    ignore_border: bool,
    stride: Sequence[int] | None = None,
    pad: Sequence[int] = (0, 0),
    mode: str = "average_inc_pad",
) -> np.ndarray:
    """Gradient of sum / average pooling (``x`` only supplies the shape and dtype).

    Unlike Theano's CPU op, ``average_exc_pad`` with padding is supported:
    this is the exact adjoint of the forward pass.
    """
    if mode == "max":
        raise ValueError("pool_2d average grad: mode must not be 'max'")
    out_shape, ws, stride, pad = _setup(x, ws, ignore_border, stride, pad, mode)
    _check_same_shape("gz", gz, out_shape)
    gx = np.zeros(x.shape, dtype=x.dtype)
    for i, j, rows, cols, inc, exc in _regions(x.shape, out_shape[-2:], ws, stride, pad):
        divisor = {"sum": 1, "average_inc_pad": inc, "average_exc_pad": exc}[mode]
        gx[..., rows, cols] += gz[..., i, j, None, None] / divisor
    return gx


def max_pool_grad_grad_reference(
    x: np.ndarray,
    maxout: np.ndarray,
    ggx: np.ndarray,
    ws: Sequence[int],
    ignore_border: bool,
    stride: Sequence[int] | None = None,
    pad: Sequence[int] = (0, 0),
) -> np.ndarray:
    """Gradient of ``max_pool_grad`` w.r.t. ``gz``: sums ``ggx`` over each window's maxima.

    Result has the shape of ``maxout``; it is the adjoint of
    ``max_pool_grad_reference`` in ``gz``.
    """
    out_shape, ws, stride, pad = _setup(x, ws, ignore_border, stride, pad)
    _check_same_shape("maxout", maxout, out_shape)
    _check_same_shape("ggx", ggx, x.shape)
    ggz = np.zeros(out_shape, dtype=x.dtype)
    for i, j, rows, cols, _, _ in _regions(x.shape, out_shape[-2:], ws, stride, pad):
        hit = x[..., rows, cols] == maxout[..., i, j, None, None]
        ggz[..., i, j] = np.where(hit, ggx[..., rows, cols], 0).sum(axis=(-2, -1))
    return ggz


def _check_same_shape(name: str, arr: np.ndarray, expected: Sequence[int]) -> None:
    if tuple(arr.shape) != tuple(expected):
        raise ValueError(f"pool_2d: {name} must have shape {tuple(expected)}, got {arr.shape}")


# ------------------------------------------------------------------------------- ops


def _tensor(op: Any, name: str, var: Any, ndim: int | None = None) -> Any:
    from symtensor.tensor.basic import as_tensor_variable

    var = as_tensor_variable(var)
    if var.ndim < 2 or (ndim is not None and var.ndim != ndim):
        want = ">= 2" if ndim is None else str(ndim)
        raise TypeError(f"{op}: {name} must have {want} dimensions, got {var.type}")
    return var


class _PoolBase:
    """Props and validation shared by the pool ops (static ws, stride and pad)."""

    __props__ = ("ws", "ignore_border", "stride", "pad", "mode")

    def __init__(
        self,
        ws: Sequence[int],
        ignore_border: bool = False,
        stride: Sequence[int] | None = None,
        pad: Sequence[int] = (0, 0),
        mode: str = "max",
    ):
        self.ws, self.stride, self.pad = check_pool_params(ws, ignore_border, stride, pad, mode)
        self.ignore_border, self.mode = bool(ignore_border), mode

    def _args(self) -> tuple:
        return self.ws, self.ignore_border, self.stride, self.pad

    def _family(self, cls: type, mode: str | None = None) -> Any:
        return cls(*self._args(), mode or self.mode)


class Pool(_PoolBase, Op):
    """pool_2d over the last two axes of an N-d tensor (N >= 2).

    ``mode`` is 'max', 'sum', 'average_inc_pad' or 'average_exc_pad'; ``stride``
    None means ``ws``; ``pad`` needs ``ignore_border=True`` and ``pad < ws``.
    """

    def make_node(self, x):
        x = _tensor(self, "input", x)
        out = TensorType(x.dtype, x.broadcastable[:-2] + (False, False))()
        return Apply(self, [x], [out])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = pool_2d_reference(inputs[0], *self._args(), self.mode)

    def infer_shape(self, fgraph, node, input_shapes):
        return [pool_output_shape(input_shapes[0], *self._args())]

    def grad(self, inputs, outputs, output_grads):
        (x,), (out,), (gz,) = inputs, outputs, output_grads
        if self.mode == "max":
            return [self._family(MaxPoolGrad)(x, out, gz)]
        return [self._family(AveragePoolGrad)(x, gz)]


class MaxPoolGrad(_PoolBase, Op):
    """Gradient of max pooling: ``(x, maxout, gz) -> gx``, gz routed to every window max."""

    def __init__(self, ws, ignore_border=False, stride=None, pad=(0, 0), mode="max"):
        if mode != "max":
            raise ValueError(f"MaxPoolGrad: mode must be 'max', got {mode!r}")
        super().__init__(ws, ignore_border, stride, pad, mode)

    def make_node(self, x, maxout, gz):
        x = _tensor(self, "input", x)
        maxout = _tensor(self, "maxout", maxout, x.ndim)
        gz = _tensor(self, "output gradient", gz, x.ndim)
        return Apply(self, [x, maxout, gz], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = max_pool_grad_reference(*inputs, *self._args())

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, output_grads):
        # Piecewise linear in gz with the window maxima fixed: x and maxout get zero.
        from symtensor.tensor.basic import zeros_like

        (x, maxout, _), ggx = inputs, output_grads[0]
        ggz = self._family(MaxPoolGradGrad)(x, maxout, ggx)
        return [zeros_like(x), zeros_like(maxout), ggz]


class AveragePoolGrad(_PoolBase, Op):
    """Gradient of sum / average pooling: ``(x, gz) -> gx`` (x gives only the shape)."""

    def __init__(self, ws, ignore_border=False, stride=None, pad=(0, 0),
                 mode="average_inc_pad"):
        if mode == "max":
            raise ValueError("AveragePoolGrad: mode must not be 'max'")
        super().__init__(ws, ignore_border, stride, pad, mode)

    def make_node(self, x, gz):
        x = _tensor(self, "input", x)
        gz = _tensor(self, "output gradient", gz, x.ndim)
        return Apply(self, [x, gz], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = average_pool_grad_reference(*inputs, *self._args(), self.mode)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, output_grads):
        # Linear in gz; its adjoint is the forward pooling.  x only supplies a shape.
        from symtensor.tensor.basic import zeros_like

        x, ggx = inputs[0], output_grads[0]
        return [zeros_like(x), self._family(Pool)(ggx)]


class MaxPoolGradGrad(_PoolBase, Op):
    """Gradient of MaxPoolGrad w.r.t. gz: ``(x, maxout, ggx) -> ggz`` (maxout's shape)."""

    def __init__(self, ws, ignore_border=False, stride=None, pad=(0, 0), mode="max"):
        if mode != "max":
            raise ValueError(f"MaxPoolGradGrad: mode must be 'max', got {mode!r}")
        super().__init__(ws, ignore_border, stride, pad, mode)

    def make_node(self, x, maxout, ggx):
        x = _tensor(self, "input", x)
        maxout = _tensor(self, "maxout", maxout, x.ndim)
        ggx = _tensor(self, "ggx", ggx, x.ndim)
        return Apply(self, [x, maxout, ggx], [maxout.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = max_pool_grad_grad_reference(*inputs, *self._args())

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[1]]

    def grad(self, inputs, outputs, output_grads):
        from symtensor.tensor.basic import zeros_like

        (x, maxout, _), gz = inputs, output_grads[0]
        return [zeros_like(x), zeros_like(maxout), self._family(MaxPoolGrad)(x, maxout, gz)]
