"""Kernel sources and their ``extern "C"`` signatures, shared by the emulator and PyCUDA.

Every kernel that Python launches is declared ``extern "C" __global__ void name(...)``
with plain parameters (pointers, ``int``, ``st_i64``/``long long``, ``float``,
``double``).  :func:`parse_signatures` reads them from the source text, so each
runtime knows how to pass the arguments: the emulator builds a ctypes wrapper per
kernel, PyCUDA a ``prepare`` format string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

KERNELS_DIR = Path(__file__).resolve().parent / "kernels"

FAMILIES = ("elemwise", "reduce", "blas", "conv", "pool", "nnet", "subtensor")

# C parameter type (without const / __restrict__) -> struct-module code (PyCUDA's prepare)
_SCALAR_CODES = {
    "int": "i", "unsigned int": "I", "unsigned": "I", "long long": "q", "st_i64": "q",
    "long long int": "q", "unsigned long long": "Q", "float": "f", "double": "d",
}

_KERNEL_RE = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)')


@dataclass(frozen=True)
class Param:
    name: str
    ctype: str  # the declared type without __restrict__, e.g. "const float*"
    code: str   # "P" for pointers, else a struct-module code


@dataclass(frozen=True)
class Signature:
    name: str
    params: tuple[Param, ...]

    @property
    def codes(self) -> str:
        return "".join(p.code for p in self.params)


def family_source(family: str) -> str:
    """The text of ``kernels/<family>.cu``."""
    if family not in FAMILIES:
        raise ValueError(f"no kernel family {family!r}; known: {FAMILIES}")
    return (KERNELS_DIR / f"{family}.cu").read_text()


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _param(text: str, kernel: str) -> Param:
    words = text.replace("__restrict__", " ").replace("*", " * ").split()
    if len(words) < 2:
        raise ValueError(f"kernel {kernel}: cannot parse parameter {text.strip()!r}")
    name, type_words = words[-1], words[:-1]
    ctype = " ".join(type_words).replace(" *", "*")
    if "*" in type_words:
        return Param(name, ctype, "P")
    base = " ".join(w for w in type_words if w != "const")
    if base not in _SCALAR_CODES:
        raise ValueError(f"kernel {kernel}: unsupported parameter type {base!r} "
                         f"(parameter {name}); use pointers, int, st_i64, float or double")
    return Param(name, ctype, _SCALAR_CODES[base])


def parse_signatures(source: str) -> dict[str, Signature]:
    """``{name: Signature}`` for every ``extern "C" __global__`` kernel in ``source``."""
    sigs = {}
    for match in _KERNEL_RE.finditer(_strip_comments(source)):
        name, params = match.group(1), match.group(2).strip()
        plist = [] if params in ("", "void") else [_param(p, name) for p in params.split(",")]
        sigs[name] = Signature(name, tuple(plist))
    return sigs
