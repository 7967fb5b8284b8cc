"""device=cuda: the mode switch, the clear error without PyCUDA, and GPU-resident shared
variables (checked on the CPU emulator runtime)."""

import numpy as np
import pytest

import symtensor as theano
import symtensor.tensor as T
from symtensor.compile.mode import get_mode

runtime = pytest.importorskip("symtensor_cuda.runtime")


def test_device_flag_selects_the_cuda_linker():
    theano.config.device = "cuda"
    assert get_mode(None).linker == "cuda"
    assert get_mode("FAST_RUN").linker == "cuda"
    assert get_mode("FAST_COMPILE").linker == "py"  # an explicit CPU mode stays on the CPU
    theano.config.device = "cpu"
    assert get_mode(None).linker == "numba"


def test_missing_pycuda_is_named(monkeypatch):
    import symtensor_cuda
    if symtensor_cuda.is_available():
        pytest.skip("a GPU is present")
    monkeypatch.setattr(runtime, "_active", None)
    monkeypatch.setenv("SYMTENSOR_CUDA_RUNTIME", "pycuda")
    theano.config.device = "cuda"
    x = T.fvector("x")
    with pytest.raises(Exception, match="PyCUDA|CUDA"):
        theano.function([x], x * 2)(np.ones(2, dtype="float32"))


def test_shared_values_stay_on_the_device_and_outputs_come_back():
    from symtensor_cuda.array import DeviceArray
    with runtime.use_runtime("emulator"):
        theano.config.device = "cuda"
        w = theano.shared(np.ones(3, dtype="float32"), name="w")
        x = T.fvector("x")
        f = theano.function([x], (w * x).sum(), updates=[(w, w * 2)])
        out = f(np.arange(3, dtype="float32"))
        assert isinstance(out, np.ndarray) and out == 3.0
        assert isinstance(w.get_value(borrow=True, return_internal_type=True), DeviceArray)
        np.testing.assert_array_equal(w.get_value(), [2.0, 2.0, 2.0])
        w.set_value(np.zeros(3, dtype="float32"))
        assert f(np.ones(3, dtype="float32")) == 0.0
        np.testing.assert_array_equal(w.get_value(), [0.0, 0.0, 0.0])
