"""config flags, truthiness rules, debugprint."""

import numpy as np
import pytest

import symtensor as theano
import symtensor.tensor as T
from symtensor.config import Config


def test_flags_parsed_and_validated():
    cfg = Config("floatX=float32,device=cpu,optimizer=fast_run")
    assert cfg.floatX == "float32" and cfg.device == "cpu"
    assert Config("").floatX == "float64"
    with pytest.raises(ValueError, match="floatX"):
        Config("floatX=float128")
    with pytest.raises(AttributeError, match="flotX"):
        theano.config.flotX = "float32"


def test_floatX_assignment_changes_constructors():
    theano.config.floatX = "float32"
    assert T.matrix().dtype == "float32"
    assert (T.fvector() * 0.1).dtype == "float32"
    theano.config.floatX = "float64"
    assert T.matrix().dtype == "float64"
    assert (T.fvector() * 0.5).dtype == "float32"  # 0.5 is exact in float32
    assert (T.fvector() * 0.1).dtype == "float64"  # 0.1 is not


def test_constructors_and_prefixes():
    assert T.lscalar().type == T.TensorType("int64", ())
    assert T.ivector("y").type == T.TensorType("int32", (False,))
    assert T.dtensor4("input").type == T.TensorType("float64", (False,) * 4)
    assert T.matrix("x", dtype="int8").dtype == "int8"
    assert T.btensor3().dtype == "int8" and T.wmatrix().dtype == "int16"
    assert T.ivector("y").name == "y"


def test_variable_truthiness():
    x = T.dmatrix()
    assert bool(x)
    assert not (not x)  # the tutorials test `if not input:`
    with pytest.raises(TypeError):
        bool(x < 1)
    with pytest.raises(TypeError, match="iterated"):
        list(x)


def test_debugprint_shows_types_and_shared_ids():
    x = T.dmatrix("x")
    y = T.exp(x) + T.exp(x).sum()
    text = theano.printing.debugprint(y, file="str")
    assert "Elemwise{add}" in text and "TensorType(float64, matrix)" in text
    assert text.count("x [id") >= 1
    f = theano.function([x], y)
    assert "Elemwise{exp}" in theano.printing.debugprint(f, file="str")


def test_symtensor_as_theano_names():
    import symtensor.tensor.nnet as nnet
    for name in ("function", "shared", "config", "grad", "printing", "tensor", "In"):
        assert hasattr(theano, name)
    for name in ("sigmoid", "softmax", "relu", "categorical_crossentropy",
                 "binary_crossentropy"):
        assert hasattr(nnet, name)
    assert np.isclose(theano.function([], T.nnet.sigmoid(0.0))(), 0.5)
