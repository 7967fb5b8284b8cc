"""``DeviceArray``: an N-d view of device memory, the value a cuda-linked graph passes along.

It is NumPy's memory model without the data: a buffer owned by a runtime (PyCUDA
device memory, or host bytes under the emulator), a byte offset, a shape, byte strides
and a dtype.  Views (indexing with ints and slices, transpose, reshape of contiguous
arrays) are metadata only; kernels get ``ptr`` and either need C-contiguous inputs
(the launchers call :meth:`Runtime.contiguous`) or take the strides themselves.
"""

from __future__ import annotations

import numpy as np


def c_strides(shape, itemsize: int) -> tuple[int, ...]:
    strides, step = [], itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= max(int(n), 1)
    return tuple(reversed(strides))


class DeviceArray:
    """An array in a runtime's memory; ``get()`` (or ``np.asarray``) copies it to the host."""

    __slots__ = ("runtime", "buffer", "offset", "shape", "strides", "dtype", "__weakref__")

    def __init__(self, runtime, buffer, shape, dtype, strides=None, offset=0):
        self.runtime, self.buffer = runtime, buffer
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(n) for n in shape)
        self.strides = c_strides(self.shape, self.dtype.itemsize) if strides is None \
            else tuple(int(s) for s in strides)
        self.offset = int(offset)

    # ------------------------------------------------------------------ metadata
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def ptr(self) -> int:
        """The address of element ``[0, ..., 0]``."""
        return self.runtime.address(self.buffer) + self.offset

    @property
    def elem_strides(self) -> tuple[int, ...]:
        """Strides in elements (every stride of a runtime array is a multiple of the item)."""
        return tuple(s // self.itemsize for s in self.strides)

    @property
    def is_c_contiguous(self) -> bool:
        expected = c_strides(self.shape, self.itemsize)
        dims = zip(self.shape, self.strides, expected, strict=True)
        return self.size <= 1 or all(s == e for n, s, e in dims if n != 1)

    def __repr__(self):
        return (f"DeviceArray(shape={self.shape}, dtype={self.dtype.name}, "
                f"strides={self.strides}, runtime={self.runtime.name})")

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d DeviceArray")
        return self.shape[0]

    # ------------------------------------------------------------------ views
    def _view(self, shape, strides, extra_offset=0) -> DeviceArray:
        return DeviceArray(self.runtime, self.buffer, shape, self.dtype, strides,
                           self.offset + extra_offset)

    def _probe(self) -> np.ndarray:
        # A NumPy array with this array's shape and strides over a one-element base:
        # indexing it computes the view's shape, strides and offset without touching memory.
        base = np.zeros(1, dtype=self.dtype)
        return np.lib.stride_tricks.as_strided(base, self.shape, self.strides, writeable=False)

    def __getitem__(self, key) -> DeviceArray:
        keys = key if isinstance(key, tuple) else (key,)
        for k in keys:
            if not (k is None or k is Ellipsis or isinstance(k, slice | int | np.integer)):
                raise TypeError(f"DeviceArray: only basic indexing (ints, slices, None, ...) "
                                f"makes a view, got {type(k).__name__}")
        probe = self._probe()
        view = probe[key]
        delta = view.__array_interface__["data"][0] - probe.__array_interface__["data"][0]
        return self._view(view.shape, view.strides, delta)

    def transpose(self, *axes) -> DeviceArray:
        if len(axes) == 1 and not isinstance(axes[0], int | np.integer):
            axes = tuple(axes[0]) if axes[0] is not None else ()
        axes = axes or tuple(reversed(range(self.ndim)))
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"DeviceArray.transpose: {axes} is not a permutation of "
                             f"{self.ndim} axes")
        return self._view([self.shape[a] for a in axes], [self.strides[a] for a in axes])

    @property
    def T(self) -> DeviceArray:
        return self.transpose()

    def reshape(self, *shape) -> DeviceArray:
        """A view when this array is C-contiguous, else a contiguous copy reshaped."""
        if len(shape) == 1 and not isinstance(shape[0], int | np.integer):
            shape = tuple(shape[0])
        shape = list(int(s) for s in shape)
        if shape.count(-1) > 1:
            raise ValueError("DeviceArray.reshape: only one dimension can be -1")
        if -1 in shape:
            known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
            shape[shape.index(-1)] = self.size // known if known else 0
        if int(np.prod(shape, dtype=np.int64)) != self.size:
            raise ValueError(f"DeviceArray.reshape: cannot reshape {self.shape} into "
                             f"{tuple(shape)}")
        src = self if self.is_c_contiguous else self.runtime.contiguous(self)
        return src._view(shape, c_strides(shape, self.itemsize))

    def broadcast_to(self, shape) -> DeviceArray:
        """A view with length-1 (or missing leading) axes stretched by stride 0."""
        shape = tuple(int(s) for s in shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise ValueError(f"DeviceArray.broadcast_to: {self.shape} has more axes than "
                             f"{shape}")
        strides = [0] * lead
        for n_in, s_in, n_out in zip(self.shape, self.strides, shape[lead:], strict=True):
            if n_in == n_out:
                strides.append(s_in)
            elif n_in == 1:
                strides.append(0)
            else:
                raise ValueError(f"DeviceArray.broadcast_to: cannot broadcast {self.shape} "
                                 f"to {shape}")
        return self._view(shape, strides)

    # ------------------------------------------------------------------ data
    def get(self) -> np.ndarray:
        """A host (NumPy) copy."""
        return self.runtime.to_host(self)

    def __array__(self, dtype=None, copy=None):
        out = self.get()
        return out if dtype is None else out.astype(dtype, copy=False)

    def copy(self) -> DeviceArray:
        return self.runtime.copy(self)
