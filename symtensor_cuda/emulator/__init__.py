"""Run symtensor's CUDA kernels on the CPU: see :mod:`symtensor_cuda.emulator.emulator`."""

from symtensor_cuda.emulator.emulator import EmulatedModule, compile_module  # noqa: F401
