"""pydotprint draws compiled graphs; debugprint marks devices and known shapes."""

import shutil

import numpy as np
import pytest

import symtensor as theano
import symtensor.tensor as T

graphviz = pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")


def _train_fn():
    x, y = T.dmatrix("x"), T.ivector("y")
    w = theano.shared(np.ones((3, 2)), name="W")
    p = T.nnet.softmax(T.dot(x, w))
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    return theano.function([x, y], cost, updates=[(w, w - 0.1 * T.grad(cost, w))])


@needs_dot
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_pydotprint_writes_each_format(tmp_path, fmt):
    path = theano.printing.pydotprint(_train_fn(), tmp_path / f"g.{fmt}", format=fmt,
                                      print_output_file=False)
    data = open(path, "rb").read()
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[fmt]
    assert data.startswith(magic) and len(data) > 1000


@needs_dot
def test_pydotprint_labels(tmp_path):
    path = theano.printing.pydotprint(_train_fn(), tmp_path / "g.svg", format="svg",
                                      print_output_file=False)
    svg = open(path).read()
    for text in ("shared W", "output 0", "update 1", "CrossentropySoftmax1Hot",
                 "cpu:numba", "float64 (3, 2)"):
        assert text in svg, text


def test_pydotprint_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="format"):
        theano.printing.pydotprint(_train_fn(), tmp_path / "g.gif", format="gif")


def test_debugprint_of_function_shows_devices_and_shapes():
    x = T.dmatrix("x")
    w = theano.shared(np.ones((3, 2)), name="W")
    f = theano.function([x], T.tanh(T.dot(x, w) + 1).sum(axis=0))
    text = theano.printing.debugprint(f, file="str")
    assert "Fused{add,tanh" in text.split("[cpu:numba]")[0].splitlines()[-1]
    assert "Sum{axis=[0]}" in text.split("[cpu:numpy]")[0].splitlines()[-1]
    assert "shape=(3, 2)" in text
