"""Runtimes: where kernels run and device memory lives.

The launchers in ``symtensor_cuda/kernels/*.py`` and the linker are written once
against :class:`Runtime`; two implement it:

* :class:`EmulatorRuntime`: "device" memory is host bytes and kernels run through the
  CPU emulator (g++).  Always available; the tests use it.
* ``PyCudaRuntime`` (``symtensor_cuda.pycuda_runtime``): PyCUDA device memory from a
  memory pool, kernels compiled by nvcc through ``SourceModule``.

``get_runtime()`` returns the active one (PyCUDA by default, created on first use);
``use_runtime("emulator")`` switches, as a context manager too.
``SYMTENSOR_CUDA_RUNTIME=emulator`` picks the emulator for a whole process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os

import numpy as np

from symtensor_cuda.array import DeviceArray, c_strides
from symtensor_cuda.source import family_source

SUPPORTED_DTYPES = ("float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")


class Runtime:
    """Memory, transfers and launches; subclasses define the primitives marked below."""

    name = "abstract"

    # ---- primitives
    def alloc(self, nbytes: int):
        raise NotImplementedError

    def address(self, buffer) -> int:
        raise NotImplementedError

    def _upload(self, buffer, host: np.ndarray) -> None:
        raise NotImplementedError

    def _download(self, host: np.ndarray, address: int) -> None:
        raise NotImplementedError

    def memset_zero(self, arr: DeviceArray) -> None:
        raise NotImplementedError

    def compile(self, source: str):
        """A module object with ``launch(name, grid, block, *args)``."""
        raise NotImplementedError

    def synchronize(self) -> None:
        pass

    # ---- built on the primitives
    def __init__(self):
        self._modules: dict[str, object] = {}

    def module(self, family: str):
        """The compiled module of a kernel family ("conv" is ``kernels/conv.cu``)."""
        mod = self._modules.get(family)
        if mod is None:
            mod = self._modules[family] = self.compile(family_source(family))
        return mod

    def launch(self, family: str, name: str, grid, block, *args) -> None:
        self.module(family).launch(name, grid, block, *args)

    def empty(self, shape, dtype) -> DeviceArray:
        dtype = np.dtype(dtype)
        if dtype.name not in SUPPORTED_DTYPES:
            raise TypeError(f"{self.name} runtime: dtype {dtype.name} is not supported on the "
                            f"GPU backend; supported: {SUPPORTED_DTYPES}")
        shape = tuple(int(s) for s in shape)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        return DeviceArray(self, self.alloc(max(nbytes, 1)), shape, dtype)

    def zeros(self, shape, dtype) -> DeviceArray:
        out = self.empty(shape, dtype)
        self.memset_zero(out)
        return out

    def to_device(self, value, dtype=None) -> DeviceArray:
        """Host -> device (a DeviceArray of this runtime passes through)."""
        if isinstance(value, DeviceArray):
            if value.runtime is not self:
                value = value.get()
            else:
                return value if dtype is None or value.dtype == dtype else \
                    self.to_device(value.get(), dtype)
        host = np.asarray(value, dtype=dtype, order="C")  # ascontiguousarray makes 0-d 1-d
        out = self.empty(host.shape, host.dtype)
        if host.size:
            self._upload(out.buffer, host)
        return out

    def to_host(self, arr: DeviceArray) -> np.ndarray:
        """Device -> host: a new C-contiguous NumPy array."""
        src = arr if arr.is_c_contiguous else self.contiguous(arr)
        host = np.empty(arr.shape, dtype=arr.dtype)
        if host.size:
            self._download(host, src.ptr)
        return host

    def contiguous(self, arr: DeviceArray) -> DeviceArray:
        """``arr`` itself when C-contiguous, else a C-contiguous copy made on the device."""
        return arr if arr.is_c_contiguous else self.copy(arr)

    def copy(self, arr: DeviceArray) -> DeviceArray:
        from symtensor_cuda.kernels.subtensor import copy_into
        out = self.empty(arr.shape, arr.dtype)
        copy_into(out, arr)
        return out


class EmulatorRuntime(Runtime):
    """Kernels on the CPU emulator; device memory is host bytes (NumPy uint8 buffers)."""

    name = "emulator"

    def alloc(self, nbytes):
        return np.empty(nbytes, dtype=np.uint8)

    def address(self, buffer):
        return buffer.ctypes.data

    def _upload(self, buffer, host):
        buffer[: host.nbytes] = host.reshape(-1).view(np.uint8)

    def _download(self, host, address):
        src = (ctypes.c_uint8 * host.nbytes).from_address(address)
        host.reshape(-1).view(np.uint8)[:] = np.frombuffer(src, dtype=np.uint8)

    def memset_zero(self, arr):
        if arr.is_c_contiguous:
            arr.buffer[arr.offset: arr.offset + arr.nbytes] = 0
        else:
            raise ValueError("memset_zero: needs a C-contiguous array")

    def compile(self, source):
        from symtensor_cuda.emulator.emulator import compile_module
        return compile_module(source)

    def host_view(self, arr: DeviceArray) -> np.ndarray:
        """A writable NumPy view of an emulator array (no copy); for tests and debugging."""
        return np.ndarray(arr.shape, arr.dtype, buffer=arr.buffer, offset=arr.offset,
                          strides=arr.strides)


_active: Runtime | None = None
_named: dict[str, Runtime] = {}


def make_runtime(name: str) -> Runtime:
    if name not in _named:
        if name == "emulator":
            _named[name] = EmulatorRuntime()
        elif name == "pycuda":
            from symtensor_cuda.pycuda_runtime import PyCudaRuntime
            _named[name] = PyCudaRuntime()
        else:
            raise ValueError(f"unknown runtime {name!r}; expected 'pycuda' or 'emulator'")
    return _named[name]


def get_runtime() -> Runtime:
    """The active runtime: ``SYMTENSOR_CUDA_RUNTIME`` (default ``pycuda``) on first use."""
    global _active
    if _active is None:
        _active = make_runtime(os.environ.get("SYMTENSOR_CUDA_RUNTIME", "pycuda"))
    return _active


@contextlib.contextmanager
def _restoring(previous):
    global _active
    try:
        yield _active
    finally:
        _active = previous


def use_runtime(name_or_runtime):
    """Make a runtime active; usable as ``with use_runtime("emulator"): ...`` too."""
    global _active
    previous = _active
    _active = name_or_runtime if isinstance(name_or_runtime, Runtime) else \
        make_runtime(name_or_runtime)
    return _restoring(previous)


__all__ = ["DeviceArray", "EmulatorRuntime", "Runtime", "c_strides", "get_runtime",
           "make_runtime", "use_runtime"]
