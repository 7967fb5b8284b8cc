"""Shared fixtures: the data folder beside the checkout, and floatX isolation.

Also puts tests/ on sys.path so test modules can import ``strategies`` and ``checks``.
"""

import os
import sys
from pathlib import Path

import pytest

import symtensor

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)


def data_dir() -> Path:
    env = os.environ.get("SYMTENSOR_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_data():
    path = data_dir()
    if not (path / "mnist.pkl.gz").exists():
        pytest.skip(f"MNIST data not found under {path}; set SYMTENSOR_DATA")
    return path


@pytest.fixture(autouse=True)
def _restore_config():
    saved = dict(symtensor.config._values)
    yield
    symtensor.config._values.clear()
    symtensor.config._values.update(saved)
