"""A CPU emulator for symtensor's CUDA kernels: the same ``.cu`` text, compiled by g++.

:func:`compile_module` puts ``prelude.h`` (the CUDA dialect subset: ``threadIdx``,
``__shared__``, ``__syncthreads``, atomics, math intrinsics) in front of a kernel
source, appends one ``extern "C"`` launch wrapper per kernel, and builds a shared
library with ``g++ -std=c++20 -O1 -fPIC -shared``.  Libraries are cached by the hash
of everything that goes into them, under ``$SYMTENSOR_EMU_CACHE`` (default
``~/.cache/symtensor/emulator``).

A launch runs the blocks of the grid one after another.  The threads of a block run as
fibers on one OS thread (default: deterministic, and cheap barriers) or as one
``std::thread`` each (``SYMTENSOR_EMU_MODE=threads``: concurrent, so races can show).
Shared memory is a plain ``static`` and therefore correct only because blocks never
overlap; see prelude.h.  Launches are serialised.

>>> mod = compile_module('extern "C" __global__ void fill(float* out, int n) '
...                      '{ int i = blockIdx.x * blockDim.x + threadIdx.x; '
...                      'if (i < n) out[i] = i; }')
>>> out = np.zeros(5, np.float32)
>>> mod.launch("fill", (2,), (4,), out, 5)
>>> out
array([0., 1., 2., 3., 4.], dtype=float32)
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from symtensor_cuda.source import KERNELS_DIR, Signature, parse_signatures

PRELUDE = Path(__file__).resolve().parent / "prelude.h"
CXX = os.environ.get("CXX", "g++")
CXXFLAGS = ["-std=c++20", "-O1", "-fPIC", "-shared", "-pthread", "-w"]
MODES = {"fibers": [], "threads": ["-DST_EMU_OS_THREADS"]}


def _mode_flags() -> list[str]:
    mode = os.environ.get("SYMTENSOR_EMU_MODE", "fibers")
    if mode not in MODES:
        raise ValueError(f"SYMTENSOR_EMU_MODE: expected one of {sorted(MODES)}, got {mode!r}")
    return MODES[mode]

_CTYPES = {"i": ctypes.c_int, "I": ctypes.c_uint, "q": ctypes.c_longlong,
           "Q": ctypes.c_ulonglong, "f": ctypes.c_float, "d": ctypes.c_double}
_lock = threading.Lock()
_loaded: dict[str, EmulatedModule] = {}


def cache_dir() -> Path:
    env = os.environ.get("SYMTENSOR_EMU_CACHE")
    path = Path(env) if env else Path.home() / ".cache" / "symtensor" / "emulator"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        path = Path(tempfile.gettempdir()) / "symtensor-emulator"
        path.mkdir(parents=True, exist_ok=True)
    return path


def _wrapper(sig: Signature) -> str:
    """``st_launch_<name>(dims, args)``: unpack the argument pointers, run the grid."""
    lines = [f'extern "C" int st_launch_{sig.name}(const unsigned* dims, void** args) {{']
    for k, p in enumerate(sig.params):
        lines.append(f"    {p.ctype} a{k} = *reinterpret_cast<{p.ctype}*>(args[{k}]);")
    call = ", ".join(f"a{k}" for k in range(len(sig.params)))
    lines.append(f"    return st_emu::launch(dims, [&] {{ {sig.name}({call}); }});")
    lines.append("}")
    return "\n".join(lines)


def _translation_unit(source: str, sigs: dict[str, Signature]) -> str:
    wrappers = "\n\n".join(_wrapper(s) for s in sigs.values())
    return (f'#include "{PRELUDE}"\n#line 1 "kernel.cu"\n{source}\n'
            f"// ---- launch wrappers (generated)\n{wrappers}\n")


def compile_module(source: str, include_dirs=(KERNELS_DIR,)) -> EmulatedModule:
    """Compile ``source`` (CUDA text) for the CPU and load it; cached by content."""
    sigs = parse_signatures(source)
    if not sigs:
        raise ValueError('emulator: the source declares no extern "C" __global__ kernel')
    unit = _translation_unit(source, sigs)
    includes = [f"-I{d}" for d in include_dirs] + _mode_flags()
    digest = hashlib.sha256()
    for part in (unit, PRELUDE.read_text(), " ".join([CXX] + CXXFLAGS + includes)):
        digest.update(part.encode())
    for d in include_dirs:  # the headers the source may include
        for header in sorted(Path(d).glob("*.cuh")):
            digest.update(header.read_bytes())
    key = digest.hexdigest()[:24]
    with _lock:
        if key in _loaded:
            return _loaded[key]
        lib_path = cache_dir() / f"st_{key}.so"
        if not lib_path.exists():
            _build(unit, lib_path, includes)
        module = EmulatedModule(ctypes.CDLL(str(lib_path)), sigs)
        _loaded[key] = module
        return module


def _build(unit: str, lib_path: Path, includes: list[str]) -> None:
    with tempfile.TemporaryDirectory(dir=lib_path.parent) as tmp:
        cpp, tmp_lib = Path(tmp) / "unit.cpp", Path(tmp) / "unit.so"
        cpp.write_text(unit)
        cmd = [CXX, *CXXFLAGS, *includes, "-o", str(tmp_lib), str(cpp)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"emulator: g++ failed ({' '.join(cmd)}):\n{proc.stderr[-6000:]}")
        os.replace(tmp_lib, lib_path)  # atomic: other processes see all or nothing


def _dim3(value) -> tuple[int, int, int]:
    dims = (value,) if isinstance(value, int | np.integer) else tuple(value)
    if not 1 <= len(dims) <= 3 or any(int(d) < 0 for d in dims):
        raise ValueError(f"emulator: grid and block are 1 to 3 non-negative ints, got {value!r}")
    return tuple(int(d) for d in dims) + (1,) * (3 - len(dims))


def pointer(arg) -> int:
    """The address of a kernel pointer argument: an ndarray, an object with ``ptr``
    (a DeviceArray), an int address or None (NULL)."""
    if arg is None:
        return 0
    if isinstance(arg, np.ndarray):
        return arg.ctypes.data
    if hasattr(arg, "ptr"):
        return int(arg.ptr)
    if isinstance(arg, int | np.integer):
        return int(arg)
    raise TypeError(f"emulator: expected an array or an address, got {type(arg).__name__}")


class EmulatedModule:
    """A compiled kernel source; ``launch(name, grid, block, *args)`` runs one kernel."""

    def __init__(self, lib: ctypes.CDLL, signatures: dict[str, Signature]):
        self.lib, self.signatures = lib, signatures
        self._entry = {}
        for name in signatures:
            fn = getattr(lib, f"st_launch_{name}")
            fn.argtypes = [ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_void_p)]
            fn.restype = ctypes.c_int
            self._entry[name] = fn

    def launch(self, name: str, grid, block, *args) -> None:
        if name not in self.signatures:
            raise KeyError(f"emulator: no kernel {name!r}; this module has "
                           f"{sorted(self.signatures)}")
        sig = self.signatures[name]
        if len(args) != len(sig.params):
            raise TypeError(f"{name}: expected {len(sig.params)} arguments "
                            f"({', '.join(p.name for p in sig.params)}), got {len(args)}")
        values = []
        for p, a in zip(sig.params, args, strict=True):
            if p.code == "P":
                values.append(ctypes.c_void_p(pointer(a)))
            else:
                values.append(_CTYPES[p.code](a))
        argv = (ctypes.c_void_p * max(len(values), 1))(
            *[ctypes.cast(ctypes.pointer(v), ctypes.c_void_p) for v in values])
        dims = (ctypes.c_uint * 6)(*_dim3(grid), *_dim3(block))
        if self._entry[name](dims, argv) != 0:
            raise RuntimeError(
                f"{name}: threads of a block reached different barriers (a thread left the "
                "kernel, or skipped a __syncthreads, while others waited at __syncthreads)")
