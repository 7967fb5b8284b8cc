"""Two-dimensional convolution (Theano 1.0 ``conv2d`` semantics).

This module holds the pure pieces of the conv family: the shape helper used by
``make_node``, ``infer_shape``, ``perform`` and every kernel, the border-mode
normaliser, and the readable NumPy references that the ops' ``perform`` runs.

Semantics (Theano 1.0, ``theano.tensor.nnet.conv2d``):

* ``x : (N, C, H, W)``, ``w : (K, C, kh, kw)``, output ``(N, K, H_out, W_out)``.
* A dilated kernel spans ``(k - 1) * d + 1`` pixels.
* ``border_mode`` pads the input with zeros on both sides: ``'valid'`` -> 0,
  ``'full'`` -> dilated kernel - 1, ``'half'`` -> dilated kernel // 2, an int
  ``p`` -> ``(p, p)``, a pair ``(ph, pw)`` -> itself.
* ``H_out = (H + 2 * ph - dilated_kh) // sh + 1`` (same for W).
* ``filter_flip=True`` (the default) is a true convolution: the kernel is
  flipped in both spatial axes before sliding; ``False`` is a correlation.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from symtensor.graph.basic import Apply
from symtensor.graph.op import Op
from symtensor.tensor.type import TensorType, upcast

_BORDER_MODES = ("valid", "full", "half")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _int_pair(name: str, value: Any, minimum: int) -> tuple[int, int]:
    """Validate a static pair of ints (subsample, filter_dilation)."""
    if _is_int(value):
        value = (value, value)
    if (
        not isinstance(value, Sequence)
        or len(value) != 2
        or not all(_is_int(v) and v >= minimum for v in value)
    ):
        raise ValueError(
            f"conv2d: {name} must be a pair of ints >= {minimum}, got {value!r}"
        )
    return int(value[0]), int(value[1])


def _dilated(k: Any, d: int) -> Any:
    """Extent of a kernel of size ``k`` dilated by ``d`` (keeps graphs small)."""
    return k if d == 1 else (k - 1) * d + 1


def normalize_border_mode(
    border_mode: str | int | tuple[int, int],
    kernel_hw: Sequence[Any],
    dilation: Sequence[int] = (1, 1),
) -> tuple[Any, Any]:
    """Map a Theano ``border_mode`` to explicit symmetric pads ``(pad_h, pad_w)``.

    ``kernel_hw`` may hold ints or symbolic scalars; 'half' and 'full' then
    return expressions built with ``-``, ``*`` and ``//`` only.

    >>> normalize_border_mode("half", (5, 4), (2, 1))
    (4, 2)
    >>> normalize_border_mode(3, (5, 5))
    (3, 3)
    """
    dh, dw = _int_pair("filter_dilation", dilation, 1)
    kh, kw = kernel_hw
    if isinstance(border_mode, str) and border_mode in _BORDER_MODES:
        return _string_pad(border_mode, kh, dh), _string_pad(border_mode, kw, dw)
    if _is_int(border_mode) and border_mode >= 0:
        return int(border_mode), int(border_mode)
    if (
        isinstance(border_mode, Sequence)
        and len(border_mode) == 2
        and all(_is_int(p) and p >= 0 for p in border_mode)
    ):
        return int(border_mode[0]), int(border_mode[1])
    raise ValueError(
        "conv2d: border_mode must be 'valid', 'full', 'half', an int >= 0 or a "
        f"pair of ints >= 0, got {border_mode!r}"
    )


def _string_pad(border_mode: str, k: Any, d: int) -> Any:
    """Pad of a string border mode along one axis (None if ``k`` is unknown)."""
    if border_mode == "valid":
        return 0
    if k is None:
        return None
    if border_mode == "full":
        return _dilated(k, d) - 1
    return _dilated(k, d) // 2


def _out_1d(size: Any, k: Any, pad: Any, stride: int, dilation: int) -> Any:
    if size is None or k is None or pad is None:
        return None
    if _is_int(pad) and pad == 0:
        span = size - _dilated(k, dilation)
    else:
        span = size + 2 * pad - _dilated(k, dilation)
    if stride != 1:
        span = span // stride
    return span + 1


def conv2d_output_shape(
    image_shape: Sequence[Any],
    kernel_shape: Sequence[Any],
    border_mode: str | int | tuple[int, int] = "valid",
    subsample: tuple[int, int] = (1, 1),
    filter_dilation: tuple[int, int] = (1, 1),
) -> tuple[Any, Any, Any, Any]:
    """Output shape ``(N, K, H_out, W_out)`` of conv2d.

    Entries may be ints, symbolic scalars or None (unknown: gives None).

    >>> conv2d_output_shape((500, 1, 28, 28), (20, 1, 5, 5))
    (500, 20, 24, 24)
    >>> conv2d_output_shape((2, 3, 7, 8), (4, 3, 3, 2), "half", (2, 1), (2, 1))
    (2, 4, 4, 9)
    """
    if len(image_shape) != 4 or len(kernel_shape) != 4:
        raise ValueError(
            "conv2d: expected 4-d image and kernel shapes, got "
            f"{tuple(image_shape)!r} and {tuple(kernel_shape)!r}"
        )
    sh, sw = _int_pair("subsample", subsample, 1)
    dh, dw = _int_pair("filter_dilation", filter_dilation, 1)
    n, _, h, w = image_shape
    k, _, kh, kw = kernel_shape
    ph, pw = normalize_border_mode(border_mode, (kh, kw), (dh, dw))
    return n, k, _out_1d(h, kh, ph, sh, dh), _out_1d(w, kw, pw, sw, dw)


def _check_4d(name: str, arr: np.ndarray) -> None:
    if arr.ndim != 4:
        raise ValueError(f"conv2d: {name} must be 4-d, got shape {arr.shape}")


def _taps(a: int, dilation: int, stride: int, n_out: int) -> slice:
    """Input rows touched by kernel tap ``a`` over all ``n_out`` output rows."""
    start = a * dilation
    return slice(start, start + stride * (n_out - 1) + 1, stride)


def checked_output_shape(x_shape, w_shape, pad, subsample, dilation):
    out_shape = conv2d_output_shape(x_shape, w_shape, tuple(pad), subsample, dilation)
    if x_shape[1] != w_shape[1]:
        raise ValueError(
            f"conv2d: input has {x_shape[1]} channels but the kernel expects "
            f"{w_shape[1]} (x {tuple(x_shape)}, w {tuple(w_shape)})"
        )
    if out_shape[2] <= 0 or out_shape[3] <= 0:
        raise ValueError(
            f"conv2d: input {tuple(x_shape)} with kernel {tuple(w_shape)}, pad "
            f"{tuple(pad)}, dilation {tuple(dilation)} gives an empty output "
            f"{out_shape}"
        )
    return out_shape


def conv2d_reference(
    x: np.ndarray,
    w: np.ndarray,
    pad: tuple[int, int] = (0, 0),
    subsample: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    filter_flip: bool = True,
) -> np.ndarray:
    """Readable NumPy conv2d: ``x : (N, C, H, W)``, ``w : (K, C, kh, kw)``.

    Sums, over the kernel taps ``(a, b)``, the strided input plane seen by
    that tap times the ``(K, C)`` weight matrix of the tap.

    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d_reference(x, np.ones((1, 1, 2, 2)), subsample=(2, 2))[0, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    _check_4d("x", x)
    _check_4d("w", w)
    n, k, h_out, w_out = checked_output_shape(x.shape, w.shape, pad, subsample, dilation)
    (ph, pw), (sh, sw), (dh, dw) = pad, subsample, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    wf = w[:, :, ::-1, ::-1] if filter_flip else w
    out = np.zeros((n, k, h_out, w_out), dtype=np.result_type(x, w))
    for a in range(w.shape[2]):
        for b in range(w.shape[3]):
            patch = xp[:, :, _taps(a, dh, sh, h_out), _taps(b, dw, sw, w_out)]
            out += np.einsum("nchw,kc->nkhw", patch, wf[:, :, a, b])
    return out


def conv2d_grad_input_reference(
    w: np.ndarray,
    gy: np.ndarray,
    x_shape: Sequence[int],
    pad: tuple[int, int] = (0, 0),
    subsample: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    filter_flip: bool = True,
) -> np.ndarray:
    """Gradient of conv2d w.r.t. its input (the adjoint of ``conv2d_reference``).

    ``x_shape`` gives the input's spatial size as its last two entries (with
    a stride, several input sizes give the same output size).  Rows and
    columns that no output reads (stride remainder) get zero gradient.
    """
    _check_4d("w", w)
    _check_4d("gy", gy)
    h, wd = int(x_shape[-2]), int(x_shape[-1])
    x_full = (gy.shape[0], w.shape[1], h, wd)
    expected = checked_output_shape(x_full, w.shape, pad, subsample, dilation)
    if tuple(gy.shape) != expected:
        raise ValueError(
            f"conv2d grad_input: input shape {x_full} gives output {expected}, "
            f"but the output gradient has shape {gy.shape}"
        )
    (ph, pw), (sh, sw), (dh, dw) = pad, subsample, dilation
    h_out, w_out = gy.shape[2:]
    wf = w[:, :, ::-1, ::-1] if filter_flip else w
    gxp = np.zeros((x_full[0], x_full[1], h + 2 * ph, wd + 2 * pw), np.result_type(w, gy))
    for a in range(w.shape[2]):
        for b in range(w.shape[3]):
            taps = (slice(None), slice(None), _taps(a, dh, sh, h_out), _taps(b, dw, sw, w_out))
            gxp[taps] += np.einsum("nkhw,kc->nchw", gy, wf[:, :, a, b])
    return np.ascontiguousarray(gxp[:, :, ph : ph + h, pw : pw + wd])


def conv2d_grad_weights_reference(
    x: np.ndarray,
    gy: np.ndarray,
    w_shape: Sequence[int],
    pad: tuple[int, int] = (0, 0),
    subsample: tuple[int, int] = (1, 1),
    dilation: tuple[int, int] = (1, 1),
    filter_flip: bool = True,
) -> np.ndarray:
    """Gradient of conv2d w.r.t. its kernel (the adjoint in ``w``).

    ``w_shape`` gives the kernel's spatial size as its last two entries.
    """
    _check_4d("x", x)
    _check_4d("gy", gy)
    kh, kw = int(w_shape[-2]), int(w_shape[-1])
    w_full = (gy.shape[1], x.shape[1], kh, kw)
    expected = checked_output_shape(x.shape, w_full, pad, subsample, dilation)
    if tuple(gy.shape) != expected:
        raise ValueError(
            f"conv2d grad_weights: kernel shape {w_full} gives output {expected}, "
            f"but the output gradient has shape {gy.shape}"
        )
    (ph, pw), (sh, sw), (dh, dw) = pad, subsample, dilation
    h_out, w_out = gy.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gw = np.zeros(w_full, dtype=np.result_type(x, gy))
    for a in range(kh):
        for b in range(kw):
            patch = xp[:, :, _taps(a, dh, sh, h_out), _taps(b, dw, sw, w_out)]
            gw[:, :, a, b] = np.einsum("nkhw,nchw->kc", gy, patch)
    if filter_flip:
        gw = gw[:, :, ::-1, ::-1]
    return np.ascontiguousarray(gw)


# ------------------------------------------------------------------------------- ops


def _canonical_border_mode(border_mode: Any) -> str | tuple[int, int]:
    """'valid' / 'full' / 'half', or explicit pads; ``0`` and ``(0, 0)`` are 'valid'."""
    pads = normalize_border_mode(border_mode, (1, 1))  # validates
    if isinstance(border_mode, str):
        return border_mode
    return "valid" if pads == (0, 0) else pads


def _static_shape(name: str, shape: Any) -> tuple[int | None, ...]:
    """Optional static 4-d shape: None, or 4 entries each an int >= 0 or None."""
    if shape is None:
        return (None,) * 4
    if (
        not isinstance(shape, Sequence)
        or len(shape) != 4
        or not all(s is None or (_is_int(s) and s >= 0) for s in shape)
    ):
        raise ValueError(f"conv2d: {name} must be None or 4 ints/None, got {shape!r}")
    return tuple(None if s is None else int(s) for s in shape)


def _merge_shape(symbolic: Sequence[Any], static: Sequence[int | None]) -> tuple[Any, ...]:
    """Static entries where known, symbolic ones elsewhere."""
    return tuple(s if k is None else k for s, k in zip(symbolic, static, strict=True))


def _check_value_shape(op: Any, name: str, shape: tuple[int, ...], static) -> None:
    if any(k is not None and k != s for s, k in zip(shape, static, strict=True)):
        raise ValueError(f"{op}: {name} has shape {shape}, but the op was built for {static}")


def _float4d(op: Any, name: str, var: Any) -> Any:
    from symtensor.tensor.basic import as_tensor_variable
    from symtensor.tensor.type import FLOAT_DTYPES

    var = as_tensor_variable(var)
    if var.ndim != 4 or var.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: {name} must be a 4-d float tensor, got {var.type}")
    return var


def _hw_vector(op: Any, shape: Any) -> Any:
    """A spatial size ``(H, W)`` (ints, int scalars or an int vector) as an int64 vector."""
    from symtensor.graph.basic import Constant
    from symtensor.tensor.ops.shape import as_shape_vector

    vec = as_shape_vector(shape, str(op))
    if isinstance(vec, Constant) and len(vec.data) != 2:
        raise ValueError(f"{op}: the spatial shape must have 2 entries, got {vec.data}")
    return vec


def _hw_entries(vec: Any) -> tuple[Any, Any]:
    """The two entries of a spatial-size vector: ints when constant, else symbolic."""
    from symtensor.graph.basic import Constant

    if isinstance(vec, Constant):
        return int(vec.data[0]), int(vec.data[1])
    return vec[0], vec[1]


class _ConvBase:
    """Props, validation and helpers shared by the three conv ops."""

    __props__ = ("border_mode", "subsample", "filter_flip", "filter_dilation", "imshp", "kshp")

    def __init__(
        self,
        border_mode: str | int | tuple[int, int] = "valid",
        subsample: tuple[int, int] = (1, 1),
        filter_flip: bool = True,
        filter_dilation: tuple[int, int] = (1, 1),
        imshp: Sequence[int | None] | None = None,
        kshp: Sequence[int | None] | None = None,
    ):
        self.border_mode = _canonical_border_mode(border_mode)
        self.subsample = _int_pair("subsample", subsample, 1)
        self.filter_dilation = _int_pair("filter_dilation", filter_dilation, 1)
        if not isinstance(filter_flip, bool | np.bool_):
            raise ValueError(f"conv2d: filter_flip must be a bool, got {filter_flip!r}")
        self.filter_flip = bool(filter_flip)
        self.imshp = _static_shape("imshp", imshp)
        self.kshp = _static_shape("kshp", kshp)

    def _family(self, cls: type) -> Any:
        """The op of class ``cls`` with these same parameters."""
        return cls(*self._props())

    def _numeric(self, kernel_hw: Sequence[int]) -> tuple:
        """``(pad, subsample, dilation, filter_flip)`` for the references and kernels."""
        pad = normalize_border_mode(self.border_mode, kernel_hw, self.filter_dilation)
        return pad, self.subsample, self.filter_dilation, self.filter_flip

    def _out_shape(self, image_shape, kernel_shape) -> tuple[Any, ...]:
        return conv2d_output_shape(
            _merge_shape(image_shape, self.imshp), _merge_shape(kernel_shape, self.kshp),
            self.border_mode, self.subsample, self.filter_dilation,
        )


class Conv2d(_ConvBase, Op):
    """conv2d of ``x : (N, C, H, W)`` with ``w : (K, C, kh, kw)`` -> ``(N, K, H_out, W_out)``.

    Parameters are Theano's: ``border_mode`` ('valid', 'full', 'half', an int or a
    pair), ``subsample`` (strides), ``filter_flip`` (True: convolution, False:
    correlation), ``filter_dilation``, and optional static ``imshp`` / ``kshp``
    (4 entries, None where unknown), checked when the op runs.
    """

    def make_node(self, x, w):
        x, w = _float4d(self, "input", x), _float4d(self, "filters", w)
        bc = (x.broadcastable[0], w.broadcastable[0], False, False)
        return Apply(self, [x, w], [TensorType(upcast(x.dtype, w.dtype), bc)()])

    def perform(self, node, inputs, output_storage):
        x, w = inputs
        _check_value_shape(self, "input", x.shape, self.imshp)
        _check_value_shape(self, "filters", w.shape, self.kshp)
        out = conv2d_reference(x, w, *self._numeric(w.shape[2:]))
        output_storage[0][0] = out.astype(node.outputs[0].dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        return [self._out_shape(*input_shapes)]

    def grad(self, inputs, outputs, output_grads):
        from symtensor.tensor.basic import cast

        (x, w), gy = inputs, output_grads[0]
        gx = self._family(Conv2dGradInputs)(w, gy, x.shape[-2:])
        gw = self._family(Conv2dGradWeights)(x, gy, w.shape[-2:])
        return [cast(gx, x.dtype), cast(gw, w.dtype)]


class Conv2dGradInputs(_ConvBase, Op):
    """Gradient of Conv2d w.r.t. its input: ``(w, gy, (H, W)) -> gx : (N, C, H, W)``.

    ``(H, W)`` is needed because strides make several input sizes give one output.
    """

    def make_node(self, w, gy, shape):
        w, gy = _float4d(self, "filters", w), _float4d(self, "output gradient", gy)
        bc = (gy.broadcastable[0], w.broadcastable[1], False, False)
        out = TensorType(upcast(w.dtype, gy.dtype), bc)()
        return Apply(self, [w, gy, _hw_vector(self, shape)], [out])

    def perform(self, node, inputs, output_storage):
        w, gy, shape = inputs
        _check_value_shape(self, "filters", w.shape, self.kshp)
        gx = conv2d_grad_input_reference(w, gy, tuple(shape), *self._numeric(w.shape[2:]))
        _check_value_shape(self, "input gradient", gx.shape, self.imshp)
        output_storage[0][0] = gx.astype(node.outputs[0].dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        w_shape, gy_shape, _ = input_shapes
        shape = (gy_shape[0], w_shape[1], *_hw_entries(node.inputs[2]))
        return [_merge_shape(shape, self.imshp)]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def grad(self, inputs, outputs, output_grads):
        # gx is bilinear in (w, gy): <gx, g> = <conv(g, w), gy> = <w, grad_weights(g, gy)>.
        from symtensor.tensor.basic import cast

        (w, gy, _), g = inputs, output_grads[0]
        gw = self._family(Conv2dGradWeights)(g, gy, w.shape[-2:])
        ggy = self._family(Conv2d)(g, w)
        return [cast(gw, w.dtype), cast(ggy, gy.dtype), None]


class Conv2dGradWeights(_ConvBase, Op):
    """Gradient of Conv2d w.r.t. its filters: ``(x, gy, (kh, kw)) -> gw : (K, C, kh, kw)``."""

    def make_node(self, x, gy, shape):
        x, gy = _float4d(self, "input", x), _float4d(self, "output gradient", gy)
        bc = (gy.broadcastable[1], x.broadcastable[1], False, False)
        out = TensorType(upcast(x.dtype, gy.dtype), bc)()
        return Apply(self, [x, gy, _hw_vector(self, shape)], [out])

    def perform(self, node, inputs, output_storage):
        x, gy, shape = inputs
        _check_value_shape(self, "input", x.shape, self.imshp)
        gw = conv2d_grad_weights_reference(x, gy, tuple(shape), *self._numeric(tuple(shape)))
        _check_value_shape(self, "filter gradient", gw.shape, self.kshp)
        output_storage[0][0] = gw.astype(node.outputs[0].dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        x_shape, gy_shape, _ = input_shapes
        shape = (gy_shape[1], x_shape[1], *_hw_entries(node.inputs[2]))
        return [_merge_shape(shape, self.kshp)]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def grad(self, inputs, outputs, output_grads):
        # gw is bilinear in (x, gy): <gw, g> = <conv(x, g), gy> = <x, grad_inputs(g, gy)>.
        from symtensor.tensor.basic import cast

        (x, gy, _), g = inputs, output_grads[0]
        gx = self._family(Conv2dGradInputs)(g, gy, x.shape[-2:])
        ggy = self._family(Conv2d)(x, g)
        return [cast(gx, x.dtype), cast(ggy, gy.dtype), None]
