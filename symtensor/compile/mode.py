"""Modes: which rewrite phases run and which backend executes the graph."""

from __future__ import annotations

from dataclasses import dataclass

from symtensor.graph.rewriting import PHASES


@dataclass(frozen=True)
class Mode:
    """``linker``: 'numba' (kernels where registered, else perform) or 'py' (perform);
    ``phases``: the rewrite phases to run, in order."""

    linker: str = "numba"
    phases: tuple = PHASES
    exclude: tuple = ()

    def __post_init__(self):
        if self.linker not in ("py", "numba", "cuda"):
            raise ValueError(f"Mode: linker must be 'py', 'numba' or 'cuda', got {self.linker!r}")
        for phase in self.phases:
            if phase not in PHASES:
                raise ValueError(f"Mode: unknown phase {phase!r}; known: {PHASES}")

    def excluding(self, *names):
        return Mode(self.linker, self.phases, self.exclude + names)


MODES = {
    "FAST_RUN": Mode("numba", PHASES),
    "FAST_COMPILE": Mode("py", ("merge", "canonicalize")),
    "PY": Mode("py", PHASES),
    "NUMBA": Mode("numba", PHASES),
}


def get_mode(mode) -> Mode:
    """A Mode from None (config.mode), a name, or a Mode."""
    from symtensor.config import config
    if mode is None:
        mode = config.mode
    if isinstance(mode, str) and mode.upper() in MODES:
        mode = MODES[mode.upper()]
    if isinstance(mode, Mode):
        if config.device == "cuda" and mode.linker == "numba":
            return Mode("cuda", mode.phases, mode.exclude)  # device=cuda: run on the GPU
        return mode
    raise ValueError(f"function: unknown mode {mode!r}; expected one of {sorted(MODES)} or a Mode")
