"""Stabilizations around softmax, log and exp (the ``stabilize`` phase)."""

from __future__ import annotations

from symtensor.graph.basic import Constant
from symtensor.graph.rewriting import node_rewriter, register
from symtensor.tensor.ops.elemwise import DimShuffle, Elemwise
from symtensor.tensor.ops.nnet import (
    CrossentropySoftmax1Hot,
    LogSoftmax,
    Softmax,
    SoftmaxGrad,
)
from symtensor.tensor.ops.shape import ARange, Shape
from symtensor.tensor.ops.subtensor import Subtensor


def _is(var, name):
    """The inputs of ``var`` when it is Elemwise{name}, else None."""
    node = var.owner
    if node is not None and isinstance(node.op, Elemwise) and node.op.scalar_op.name == name:
        return node.inputs
    return None


def _const_value(var):
    """The scalar value of a constant (possibly dimshuffled), else None."""
    while var.owner is not None and isinstance(var.owner.op, DimShuffle):
        var = var.owner.inputs[0]
    if isinstance(var, Constant) and var.data.size == 1:
        return var.data.item()
    return None


@register("stabilize")
@node_rewriter([Elemwise])
def local_log_softmax(fgraph, node):
    """log(softmax(x)) => LogSoftmax(x)"""
    args = _is(node.outputs[0], "log")
    if args is None or args[0].owner is None or not isinstance(args[0].owner.op, Softmax):
        return None
    return [LogSoftmax()(args[0].owner.inputs[0])]


@register("stabilize")
@node_rewriter([SoftmaxGrad])
def local_softmax_grad_of_div(fgraph, node):
    """SoftmaxGrad(g / sm, sm) => g - sm * sum(g, axis=1)  (sm = softmax(x); the
    gradient of log(softmax) without dividing by probabilities that may be 0)"""
    dy, sm = node.inputs
    args = _is(dy, "true_div")
    if args is None or args[1] is not sm:
        return None
    g = args[0]
    if g.type != sm.type:
        return None
    return [g - sm * g.sum(axis=1, keepdims=True)]


def _is_arange_of_len(var, y):
    """Whether ``var`` is arange(y.shape[0]) (start 0, step 1)."""
    node = var.owner
    if node is None or not isinstance(node.op, ARange):
        return False
    start, stop, step = node.inputs
    if _const_value(start) != 0 or _const_value(step) != 1:
        return False
    length = stop
    while length.owner is not None and isinstance(length.owner.op, Elemwise) and \
            length.owner.op.scalar_op.name.startswith("cast_"):
        length = length.owner.inputs[0]
    sub = length.owner
    if sub is None or not isinstance(sub.op, Subtensor) or sub.op.idx_list != (0,):
        return False
    shp = sub.inputs[0].owner
    return shp is not None and isinstance(shp.op, Shape) and shp.inputs[0] is y


@register("stabilize")
@node_rewriter([Subtensor])
def local_crossentropy_softmax_1hot(fgraph, node):
    """LogSoftmax(x)[arange(y.shape[0]), y] => -CrossentropySoftmax1Hot(x, y)"""
    if node.op.idx_list != ("A", "A"):
        return None
    logp, rows, y = node.inputs
    if logp.owner is None or not isinstance(logp.owner.op, LogSoftmax):
        return None
    if y.ndim != 1 or not _is_arange_of_len(rows, y):
        return None
    return [-CrossentropySoftmax1Hot()(logp.owner.inputs[0], y)]


@register("stabilize")
@node_rewriter([Elemwise])
def local_log1p(fgraph, node):
    """log(1 + x) => log1p(x)"""
    from symtensor.tensor import basic as T
    args = _is(node.outputs[0], "log")
    inner = args and _is(args[0], "add")
    if not inner:
        return None
    a, b = inner
    for one, x in ((a, b), (b, a)):
        if _const_value(one) == 1:
            if x.ndim != node.outputs[0].ndim:
                return None
            out = T.softplus(_is(x, "exp")[0]) if _is(x, "exp") else T.log1p(x)
            return [T.cast(out, node.outputs[0].dtype)]
    return None


@register("stabilize")
@node_rewriter([Elemwise])
def local_log_sigmoid(fgraph, node):
    """log(sigmoid(x)) => -softplus(-x);  log(1 - sigmoid(x)) => -softplus(x)"""
    from symtensor.tensor import basic as T
    args = _is(node.outputs[0], "log")
    if args is None:
        return None
    s = _is(args[0], "sigmoid")
    if s is not None:
        return [-T.softplus(-s[0])]
    diff = _is(args[0], "sub")
    if diff is not None and _const_value(diff[0]) == 1:
        s = _is(diff[1], "sigmoid")
        if s is not None and s[0].ndim == node.outputs[0].ndim:
            return [T.cast(-T.softplus(s[0]), node.outputs[0].dtype)]
    return None
