"""Global configuration, read once from ``SYMTENSOR_FLAGS`` (or ``THEANO_FLAGS``).

``SYMTENSOR_FLAGS="floatX=float32,device=cpu"`` sets flags at start-up; assigning an
attribute (``symtensor.config.floatX = 'float32'``) changes it afterwards.  Every flag is
validated, so a typo fails loudly instead of being ignored.
"""

from __future__ import annotations

import os

_CHOICES = {
    "floatX": ("float64", "float32", "float16"),
    "device": ("cpu", "cuda"),
    "mode": ("FAST_RUN", "FAST_COMPILE"),
    "cast_policy": ("custom",),
}
_DEFAULTS = {
    "floatX": "float64",
    "device": "cpu",
    "mode": "FAST_RUN",
    "cast_policy": "custom",
    "profile": False,
    "compute_test_value": "off",
    "numba_threads": 0,  # 0: numba's default (all cores)
}


def _parse_bool(value: str) -> bool:
    low = str(value).strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"config: expected a boolean, got {value!r}")


class Config:
    """Attribute-style access to the flags, with validation on assignment."""

    def __init__(self, flags: str = ""):
        object.__setattr__(self, "_values", dict(_DEFAULTS))
        for item in filter(None, (s.strip() for s in flags.split(","))):
            if "=" not in item:
                raise ValueError(f"SYMTENSOR_FLAGS: expected name=value, got {item!r}")
            key, value = (s.strip() for s in item.split("=", 1))
            if key.startswith("device") and value.startswith("gpu"):
                value = "cuda"
            if key in ("floatX", "device", "mode", "profile", "numba_threads", "cast_policy",
                       "compute_test_value"):
                setattr(self, key, value)
            # Unknown Theano flags (optimizer, lib.cnmem, ...) are accepted and ignored
            # so that THEANO_FLAGS lines copied from old scripts keep working.

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"config has no flag {name!r}") from None

    def __setattr__(self, name, value):
        if name not in _DEFAULTS:
            raise AttributeError(f"config has no flag {name!r}; known: {sorted(_DEFAULTS)}")
        if name in _CHOICES:
            if name == "device" and str(value).startswith(("gpu", "cuda")):
                value = "cuda"
            if value not in _CHOICES[name]:
                raise ValueError(
                    f"config.{name}: expected one of {_CHOICES[name]}, got {value!r}")
        elif name == "profile":
            value = value if isinstance(value, bool) else _parse_bool(value)
        elif name == "numba_threads":
            value = int(value)
            if value < 0:
                raise ValueError(f"config.numba_threads: expected >= 0, got {value}")
        self._values[name] = value

    def __repr__(self):
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"


config = Config(os.environ.get("SYMTENSOR_FLAGS", os.environ.get("THEANO_FLAGS", "")))
