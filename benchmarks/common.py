"""Helpers shared by the benchmark scripts: float32 setup, machine info, interleaved timing."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import symtensor

REPO = Path(__file__).resolve().parents[1]
TUTORIALS = REPO / "tutorials"
DEFAULT_DATASET = REPO.parent / "shared" / "data" / "mnist.pkl.gz"
TORCH_THREADS = 2


def setup() -> None:
    """float32 everywhere, the tutorials importable, torch on the house thread count."""
    symtensor.config.floatX = "float32"
    if str(TUTORIALS) not in sys.path:
        sys.path.insert(0, str(TUTORIALS))
    try:
        import torch
        torch.set_num_threads(TORCH_THREADS)
    except ImportError:
        pass


def progress(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cuda_status() -> dict:
    """Whether symtensor_cuda (and torch) see a usable GPU; never raises."""
    info = {"symtensor_cuda": False, "torch_cuda": False, "reason": None}
    try:
        import symtensor_cuda
        reason = symtensor_cuda.device_missing_reason()
        info["symtensor_cuda"], info["reason"] = reason is None, reason
    except Exception as err:  # an import error in an optional package
        info["reason"] = f"symtensor_cuda failed to import: {err}"
    try:
        import torch
        info["torch_cuda"] = bool(torch.cuda.is_available())
        if info["torch_cuda"]:
            info["gpu"] = torch.cuda.get_device_name(0)
    except Exception:
        pass
    return info


def machine_info() -> dict:
    import numba
    info = {
        "cpu": cpu_model(), "nproc": os.cpu_count(),
        "sched_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else None,
        "python": platform.python_version(), "platform": platform.platform(),
        "numpy": np.__version__, "numba": numba.__version__,
        "numba_threads": numba.get_num_threads(),
        "symtensor": getattr(symtensor, "__version__", "dev"),
        "floatX": symtensor.config.floatX,
        "cuda": cuda_status(),
    }
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    return info


def median(xs) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def interleave(candidates: dict, rounds: int, warmup: int = 1, label: str = "") -> dict:
    """Time each zero-argument callable ``rounds`` times, A, B, C, A, B, C, ...

    Returns ``{name: [seconds, ...]}``.  ``warmup`` untimed calls each come first.
    """
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in candidates}
    for r in range(rounds):
        if label:
            progress(f"{label}: round {r + 1}/{rounds}")
        for name, fn in candidates.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def numba_cache_files() -> set:
    """Index/data files of Numba's on-disk cache that symtensor's kernels use."""
    from symtensor.backends.numba import kernel_cache
    roots = [kernel_cache.cache_dir(), REPO / "symtensor" / "backends" / "numba"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        roots.append(Path(os.environ["NUMBA_CACHE_DIR"]))
    found = set()
    for root in roots:
        if root.exists():
            found |= {str(p) for p in root.rglob("*.nb[ic]")}
    return found
