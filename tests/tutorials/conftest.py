"""Fixtures for the tutorial tests: tutorials/ on sys.path and the data."""

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TUTORIALS = REPO / "tutorials"
if str(TUTORIALS) not in sys.path:
    sys.path.insert(0, str(TUTORIALS))


def data_dir():
    """The shared data folder: $SYMTENSOR_DATA, else ../shared/data."""
    env = os.environ.get("SYMTENSOR_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="session")
def data():
    d = data_dir()
    if not (d / "mnist.pkl.gz").is_file():
        pytest.skip(f"MNIST data not found in {d} (set SYMTENSOR_DATA)")
    return d


@pytest.fixture(scope="session")
def mnist_pkl(data):
    return data / "mnist.pkl.gz"


@pytest.fixture(scope="session")
def mnist_idx(data):
    return data / "mnist"
