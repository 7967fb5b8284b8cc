"""symtensor's GPU backend: PyCUDA-launched kernels from real ``.cu`` sources.

``SYMTENSOR_FLAGS=device=cuda`` selects it.  Pieces:

* ``kernels/<family>.cu``: the CUDA kernels (float32 first; float64 where cheap), and
  ``kernels/<family>.py`` beside each: the launchers (grid, block, arguments);
* :mod:`symtensor_cuda.runtime`: memory, transfers and launches behind one interface,
  implemented by PyCUDA (``pycuda_runtime``) and by the CPU emulator (``emulator/``), so
  every kernel and the linker are tested without a GPU;
* :mod:`symtensor_cuda.linker`: ``cuda_thunk(node, in_cells, out_cells)`` for the
  graph linker, with transfers only at the graph's edges.

Importing this package needs neither PyCUDA nor a GPU; :func:`require_cuda` (called by
the PyCUDA runtime) raises a clear error naming what is missing.
"""

from __future__ import annotations


class CudaUnavailableError(RuntimeError):
    """device=cuda was asked for, but PyCUDA or a CUDA device is missing."""


def pycuda_missing_reason() -> str | None:
    """Why PyCUDA cannot be used, or None when it imports."""
    try:
        import pycuda.driver  # noqa: F401
    except ImportError as err:
        return f"PyCUDA is not installed: pip install -e '.[cuda]' ({err})"
    except Exception as err:  # a PyCUDA build that cannot load libcuda
        return f"PyCUDA is installed but cannot load the CUDA driver: {err}"
    return None


def device_missing_reason() -> str | None:
    """Why no CUDA device can be used, or None when there is one."""
    reason = pycuda_missing_reason()
    if reason:
        return reason
    import pycuda.driver as drv
    try:
        drv.init()
        count = drv.Device.count()
    except Exception as err:  # pycuda.driver.Error, RuntimeError from a missing driver
        return f"no CUDA device found: the CUDA driver failed to start ({err})"
    if count == 0:
        return "no CUDA device found: the CUDA driver sees 0 devices"
    return None


def is_available() -> bool:
    """True when PyCUDA imports and a CUDA device is present."""
    return device_missing_reason() is None


def require_cuda() -> None:
    """Raise :class:`CudaUnavailableError` saying whether PyCUDA or the device is missing."""
    reason = device_missing_reason()
    if reason:
        raise CudaUnavailableError(f"device=cuda: {reason}")
