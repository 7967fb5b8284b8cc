"""The GPU backend's tests: every kernel on the CPU emulator, and on a real device too.

The ``rt`` fixture runs a test once per runtime: ``emulator`` always, ``pycuda`` under
the ``cuda`` marker, skipped with the reason when PyCUDA or a device is missing.  On a
GPU machine ``pytest -m cuda tests/cuda`` runs the device half only.
"""

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "cuda: needs PyCUDA and a CUDA device (pytest -m cuda on a GPU machine)")


RUNTIMES = ["emulator", pytest.param("pycuda", marks=pytest.mark.cuda)]


@pytest.fixture(scope="session", params=RUNTIMES)
def rt(request):
    if request.param == "pycuda":
        from symtensor_cuda import device_missing_reason
        reason = device_missing_reason()
        if reason:
            pytest.skip(reason)
    from symtensor_cuda.runtime import make_runtime
    return make_runtime(request.param)


@pytest.fixture
def rng():
    import numpy as np
    return np.random.default_rng(1234)
