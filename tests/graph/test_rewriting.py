"""The rewrite framework: merge (CSE), constant folding, registration, tracing."""

import numpy as np
import pytest

import symtensor as theano
import symtensor.tensor as T
from symtensor.graph.fg import FunctionGraph
from symtensor.graph.rewriting import merge_graph, node_rewriter, register, rewrite_graph
from symtensor.tensor.ops.elemwise import Elemwise


def _ops(f):
    return [str(n.op) for n in f.order]


def test_merge_removes_common_subexpressions():
    x = T.dvector("x")
    y = T.exp(x) + T.exp(x)
    f = theano.function([x], y, mode=theano.Mode("py", ("merge",)))
    assert _ops(f).count("Elemwise{exp}") == 1
    np.testing.assert_allclose(f(np.zeros(2)), [2.0, 2.0])


def test_merge_equal_constants():
    x = T.dvector("x")
    fg = FunctionGraph([x], [x + np.array(2.0), x * np.array(2.0)])
    merge_graph(fg)
    consts = {id(n.inputs[1].owner.inputs[0]) for n in fg.apply_nodes
              if isinstance(n.op, Elemwise)}
    assert len(consts) == 1


def test_constant_folding():
    x = T.dvector("x")
    c = T.constant(np.array([1.0, 2.0]))
    y = x + T.exp(c) * 2
    f = theano.function([x], y)
    assert "Elemwise{exp}" not in _ops(f)
    np.testing.assert_allclose(f(np.zeros(2)), np.exp([1.0, 2.0]) * 2)
    g = theano.function([x], y, mode=theano.Mode("py", ("merge",)))
    assert "Elemwise{exp}" in _ops(g)


def test_registered_rewrite_runs_and_user_graph_is_untouched():
    x = T.dvector("x")
    y = T.neg(T.neg(x))

    @node_rewriter([Elemwise])
    def local_double_neg(fgraph, node):
        """neg(neg(x)) => x"""
        if node.op.scalar_op.name != "neg":
            return None
        inner = node.inputs[0].owner
        if inner is None or not isinstance(inner.op, Elemwise) or \
                inner.op.scalar_op.name != "neg":
            return None
        return [inner.inputs[0]]

    fg = FunctionGraph([x], [y])
    from symtensor.graph.rewriting.basic import _run_phase
    _run_phase(fg, [local_double_neg])
    assert fg.outputs[0] is x
    assert y.owner is not None and str(y.owner.op) == "Elemwise{neg}"  # user graph intact
    with pytest.raises(ValueError, match="unknown phase"):
        register("optimize")(local_double_neg)
    rewrite_graph(FunctionGraph([x], [y]), phases=("merge",))


def test_rewrite_trace_env(monkeypatch, capsys):
    import symtensor.graph.fg as fgmod
    monkeypatch.setattr(fgmod, "_TRACE", True)
    x = T.dvector("x")
    theano.function([x], x + T.exp(T.constant(np.array([1.0]))))
    assert "[rewrite] constant_folding" in capsys.readouterr().out
