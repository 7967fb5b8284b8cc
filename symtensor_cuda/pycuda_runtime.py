"""The PyCUDA runtime: device memory from a pool, kernels compiled by nvcc at first use.

Untested without a GPU: the tests marked ``cuda`` run every kernel and the linker
through it on a machine with PyCUDA and a device (``symtensor_cuda/gpu_check.sh``).
"""

from __future__ import annotations

import numpy as np

from symtensor_cuda import require_cuda
from symtensor_cuda.runtime import Runtime
from symtensor_cuda.source import KERNELS_DIR, parse_signatures

NVCC_OPTIONS = ["-std=c++17"]  # device code is optimised by default; -O3 is host-only


class PyCudaModule:
    """A SourceModule whose kernels are prepared from their parsed signatures."""

    def __init__(self, source: str):
        from pycuda.compiler import SourceModule
        self.signatures = parse_signatures(source)
        self.module = SourceModule(source, options=NVCC_OPTIONS, no_extern_c=True,
                                   include_dirs=[str(KERNELS_DIR)])
        self._functions = {}

    def function(self, name):
        fn = self._functions.get(name)
        if fn is None:
            if name not in self.signatures:
                raise KeyError(f"pycuda: no kernel {name!r}; this module has "
                               f"{sorted(self.signatures)}")
            fn = self.module.get_function(name)
            fn.prepare(self.signatures[name].codes)
            self._functions[name] = fn
        return fn

    def launch(self, name, grid, block, *args):
        fn = self.function(name)
        sig = self.signatures[name]
        if len(args) != len(sig.params):
            raise TypeError(f"{name}: expected {len(sig.params)} arguments, got {len(args)}")
        values = []
        for p, a in zip(sig.params, args, strict=True):
            if p.code == "P":
                values.append(np.uintp(0 if a is None else (a.ptr if hasattr(a, "ptr") else a)))
            else:
                values.append(a)
        grid = tuple(int(g) for g in grid) + (1,) * (3 - len(grid))
        block = tuple(int(b) for b in block) + (1,) * (3 - len(block))
        fn.prepared_call(grid, block, *values)


class PyCudaRuntime(Runtime):
    """Device memory from ``pycuda.tools.DeviceMemoryPool``; launches on the default
    stream (synchronous with respect to transfers, which use the same stream)."""

    name = "pycuda"

    def __init__(self):
        super().__init__()
        require_cuda()
        import pycuda.driver as drv
        from pycuda.tools import DeviceMemoryPool
        try:  # the device's primary context (CUDA_DEVICE picks one), popped at exit
            import pycuda.autoprimaryctx as ctx_module
        except ImportError:  # PyCUDA before 2021.1
            import pycuda.autoinit as ctx_module
        self.drv, self.device = drv, ctx_module.device
        self.pool = DeviceMemoryPool()

    def __repr__(self):
        return f"PyCudaRuntime({self.device.name()})"

    def alloc(self, nbytes):
        return self.pool.allocate(nbytes)

    def address(self, buffer):
        return int(buffer)

    def _upload(self, buffer, host):
        self.drv.memcpy_htod(int(buffer), host)

    def _download(self, host, address):
        self.drv.memcpy_dtoh(host, address)

    def memset_zero(self, arr):
        if not arr.is_c_contiguous:
            raise ValueError("memset_zero: needs a C-contiguous array")
        if arr.nbytes:
            self.drv.memset_d8(arr.ptr, 0, arr.nbytes)

    def compile(self, source):
        return PyCudaModule(source)

    def synchronize(self):
        self.drv.Context.synchronize()
