"""Generated Numba kernels, cached on disk.

A kernel's source is written once to ``<cache>/<name>_<hash>.py`` (atomically, so
concurrent processes agree) and imported as a module; its ``@njit(cache=True)``
functions then keep their machine code in that folder's ``__pycache__`` across
restarts.  A corrupt cache entry is deleted and the kernel recompiled.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

_LOADED: dict = {}


def cache_dir() -> Path:
    root = os.environ.get("SYMTENSOR_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "symtensor")
    path = Path(root) / "numba_kernels"
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_source(prefix: str, source: str):
    """Import ``source`` as a module (written to the cache folder once); memoized."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    name = f"{prefix}_{digest}"
    if name in _LOADED:
        return _LOADED[name]
    folder = cache_dir()
    path = folder / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    module = _import(name, path)
    _LOADED[name] = module
    return module


def _import(name, path):
    spec = importlib.util.spec_from_file_location(f"symtensor_kernels.{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def forget(module) -> None:
    """Delete the on-disk machine code of ``module`` (after a failed cache load)."""
    path = Path(module.__file__)
    for f in (path.parent / "__pycache__").glob(f"{path.stem}.*"):
        try:
            f.unlink()
        except OSError:
            pass
