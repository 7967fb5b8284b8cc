"""Canonicalize-phase rewrites: dimshuffle merging and lifting, useless casts, shape lifting."""

import numpy as np

import symtensor as theano
import symtensor.tensor as T
from symtensor.graph.fg import FunctionGraph
from symtensor.graph.rewriting import rewrite_graph


def _ops(f):
    return [type(n.op).__name__ for n in f.order]


def test_dimshuffle_merge_and_identity():
    x = T.dtensor3("x")
    y = x.dimshuffle(2, 0, 1).dimshuffle(1, 2, 0)  # back to (0, 1, 2)
    z = x.dimshuffle(0, "x", 1, 2).dimshuffle(0, 2, 3, 1)
    fg = FunctionGraph([x], [y, z])
    rewrite_graph(fg, phases=("canonicalize",))
    assert fg.outputs[0] is x
    (node,) = [n for n in fg.apply_nodes]
    assert node.op.new_order == (0, 1, 2, "x")
    f = theano.function([x], [y, z])
    xv = np.arange(24.0).reshape(2, 3, 4)
    a, b = f(xv)
    np.testing.assert_array_equal(a, xv)
    np.testing.assert_array_equal(b, xv[:, :, :, None])


def test_useless_cast_removed():
    x = T.fvector("x")
    from symtensor.tensor.ops.elemwise import Elemwise
    from symtensor.tensor.ops.scalar import cast_op
    y = Elemwise(cast_op("float32"))(x) * 2
    f = theano.function([x], y)
    assert not any("cast" in str(n.op) for n in f.order)
    np.testing.assert_array_equal(f(np.ones(2, dtype="float32")), [2.0, 2.0])


def test_shape_of_expression_does_not_compute_it():
    x = T.dmatrix("x")
    expensive = T.exp(x).dot(T.exp(x).T)
    f = theano.function([x], [expensive.shape, T.zeros_like(T.nnet.softmax(x))])
    ops = _ops(f)
    assert "Dot" not in ops and "Softmax" not in ops
    shp, zeros = f(np.ones((3, 5)))
    np.testing.assert_array_equal(shp, [3, 3])
    np.testing.assert_array_equal(zeros, np.zeros((3, 5)))


def test_fill_keeps_broadcastable_pattern():
    r = T.drow("r")
    z = T.zeros_like(r) + r
    f = theano.function([r], z)
    assert f.fgraph.outputs[0].broadcastable == (True, False)
    np.testing.assert_array_equal(f(np.ones((1, 4))), np.ones((1, 4)))


def test_dimshuffle_lift_moves_axis_insertion_to_the_inputs():
    from symtensor.compile.mode import Mode
    from symtensor.tensor.ops.elemwise import DimShuffle, Elemwise
    x, y, m = T.dvector("x"), T.dvector("y"), T.dmatrix("m")
    out = (T.exp(x) + y).dimshuffle("x", 0) * m
    f = theano.function([x, y, m], out, mode=Mode("py", ("merge", "canonicalize")))
    # every DimShuffle now reads an input; the elementwise ops are chained directly
    for n in f.order:
        if isinstance(n.op, DimShuffle):
            assert n.inputs[0] in (x, y), n
    assert sum(isinstance(n.op, Elemwise) for n in f.order) == 3
    rng = np.random.default_rng(0)
    xv, yv, mv = rng.normal(size=3), rng.normal(size=3), rng.normal(size=(2, 3))
    np.testing.assert_allclose(f(xv, yv, mv), (np.exp(xv) + yv)[None, :] * mv)
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        g = theano.function([x, y, m], out, mode=mode)
        np.testing.assert_allclose(g(xv, yv, mv), (np.exp(xv) + yv)[None, :] * mv)


def test_dimshuffle_lift_leaves_transposes_and_shared_results():
    from symtensor.compile.mode import Mode
    from symtensor.tensor.ops.elemwise import DimShuffle
    a, b = T.dmatrix("a"), T.dmatrix("b")
    s = a + b
    mode = Mode("py", ("merge", "canonicalize"))
    f = theano.function([a, b], s.T * 2, mode=mode)  # a transpose: not lifted
    assert any(isinstance(n.op, DimShuffle) and n.inputs[0].owner is not None
               for n in f.order)
    v = T.dvector("v")
    t = T.exp(v)
    g = theano.function([v], [t, t.dimshuffle("x", 0)], mode=mode)  # t is read twice
    assert any(isinstance(n.op, DimShuffle) and n.inputs[0] is not v for n in g.order)
    rng = np.random.default_rng(1)
    av, bv = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    np.testing.assert_allclose(f(av, bv), (av + bv).T * 2)
