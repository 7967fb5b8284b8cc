"""The cuda linker: ``cuda_thunk(node, in_cells, out_cells)`` runs one apply on the GPU.

Values between thunks are :class:`~symtensor_cuda.array.DeviceArray` objects.  Transfers
happen only at the graph's edges: a thunk uploads a host input (a function input, a
constant: uploaded once per thunk, a host shared value) the first time a device kernel
needs it; the caller downloads outputs with :func:`to_host` (see ``fetch_outputs``).
Shapes and scalar index arithmetic stay on the host: an apply whose inputs are all host
values and whose outputs are all 0-d runs its NumPy ``perform``.

Every op class is in exactly one of three places, checked by a test:

* ``IMPLS``: a GPU implementation (kernels from ``symtensor_cuda/kernels``);
* ``METADATA_OPS``: ops whose own ``perform`` only reads shapes or makes views, and so
  runs unchanged on DeviceArrays;
* ``NOT_ON_GPU``: ops the GPU backend does not run, with the reason; compiling a graph
  that holds one fails at link time, naming the op (never a silent CPU fallback).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from symtensor.graph.basic import Constant
from symtensor_cuda.array import DeviceArray
from symtensor_cuda.kernels import blas, conv, nnet, pool, reduce, subtensor
from symtensor_cuda.kernels.elemwise import Program, Step, elemwise_kernels, single_op_program
from symtensor_cuda.runtime import get_runtime

METADATA_OPS = {
    "Shape": "reads x.shape",
    "Reshape": "DeviceArray.reshape: a view (a copy when not contiguous)",
    "Flatten": "DeviceArray.reshape",
    "Rebroadcast": "checks shapes, returns its input",
}
HOST_OPS = {"MakeVector": "stacks host scalars into a shape vector"}
NOT_ON_GPU = {
    "RandomFunction": "random streams draw on the host (NumPy RandomState)",
    "Scan": "scan's inner graph is compiled by the CPU backends",
    "Gemm": "made by the CPU-only rewrite local_dot_to_gemm, which device=cuda skips",
}
#: rewrites whose ops the GPU backend does not run; cuda modes leave them out
CPU_ONLY_REWRITES = ("local_dot_to_gemm",)

IMPLS: dict[str, Callable] = {}


def register(*names):
    """``@register("Dot")`` a maker ``(op, node, rt) -> run(args) -> [outputs]``."""
    def deco(fn):
        for name in names:
            IMPLS[name] = fn
        return fn
    return deco


def to_host(value):
    """A NumPy value for a DeviceArray; anything else unchanged."""
    return value.get() if isinstance(value, DeviceArray) else value


def fetch_outputs(values):
    """Download the function's outputs (the device -> host edge of the graph)."""
    return [to_host(v) for v in values]


class Args:
    """A thunk's view of its input cells: device or host values, with cached uploads of
    constants (a constant is uploaded once, when first needed)."""

    def __init__(self, rt, node, in_cells):
        self.rt, self.node, self.cells = rt, node, in_cells
        self.constant = [isinstance(v, Constant) for v in node.inputs]
        self._uploaded: dict[int, DeviceArray] = {}

    def raw(self, k):
        return self.cells[k][0]

    def dev(self, k, dtype=None) -> DeviceArray:
        """Input k on the device, cast to ``dtype`` (default: its type's dtype)."""
        dtype = dtype or self.node.inputs[k].dtype
        value = self.cells[k][0]
        if isinstance(value, DeviceArray):
            return reduce.cast(value, dtype)
        if self.constant[k]:
            cached = self._uploaded.get(k)
            if cached is None:
                cached = self._uploaded[k] = self.rt.to_device(np.asarray(value, dtype=dtype))
            return cached
        return self.rt.to_device(np.asarray(value, dtype=dtype))

    def host(self, k) -> np.ndarray:
        return np.asarray(to_host(self.cells[k][0]))

    def ints(self, k) -> tuple[int, ...]:
        return tuple(int(v) for v in np.ravel(self.host(k)))


def _is_host(value) -> bool:
    return not isinstance(value, DeviceArray)


def cuda_thunk(node, in_cells, out_cells):
    """A zero-argument callable running ``node`` on the active runtime."""
    from symtensor.backends.python import perform_thunk
    name = type(node.op).__name__
    if name in METADATA_OPS:
        return perform_thunk(node, in_cells, out_cells)
    if name in HOST_OPS:
        return _host_thunk(node, in_cells, out_cells)
    if name not in IMPLS:
        why = NOT_ON_GPU.get(name, "no GPU kernel is registered for it")
        raise NotImplementedError(f"cuda linker: {node.op} ({name}) cannot run on the GPU: "
                                  f"{why}; use device=cpu for this graph")
    rt = get_runtime()
    run = IMPLS[name](node.op, node, rt)
    args = Args(rt, node, in_cells)
    host_perform = node.op.perform
    scalar_outputs = all(o.ndim == 0 for o in node.outputs)

    def thunk():
        if scalar_outputs and all(_is_host(c[0]) for c in in_cells):
            host_perform(node, [c[0] for c in in_cells], out_cells)  # index arithmetic
            return
        outs = run(args)
        for cell, out in zip(out_cells, outs, strict=True):
            cell[0] = out
    thunk.op = node.op
    return thunk


def _host_thunk(node, in_cells, out_cells):
    perform = node.op.perform

    def thunk():
        perform(node, [to_host(c[0]) for c in in_cells], out_cells)
    thunk.op = node.op
    return thunk


# --------------------------------------------------------------------------- elementwise

def _check_broadcast(node, shapes):
    """Theano's rule: non-broadcastable dimensions must agree (never a silent broadcast)."""
    for d in range(node.outputs[0].ndim):
        lengths = {s[d] for v, s in zip(node.inputs, shapes, strict=True) if not v.broadcastable[d]}
        if len(lengths) > 1:
            raise ValueError(f"{node.op}: input dimension mismatch: dimension {d} has lengths "
                             f"{sorted(lengths)} in non-broadcastable inputs (shapes {shapes})")


def program_from_fused(steps, in_dtypes) -> Program:
    """A kernel :class:`Program` from FusedElemwise's ``((scalar name, refs), ...)``."""
    from symtensor.tensor.ops.fusion import program_dtypes
    from symtensor.tensor.ops.scalar import get_scalar_op
    n_in = len(in_dtypes)
    dtypes = program_dtypes(steps, in_dtypes)
    out = []
    for j, (name, refs) in enumerate(steps):
        args = tuple(("in", r) if r < n_in else ("step", r - n_in) for r in refs)
        out.append(Step(get_scalar_op(name), args, dtypes[n_in + j]))
    return Program(tuple(in_dtypes), tuple(out))


@register("Elemwise", "FusedElemwise")
def _elemwise(op, node, rt):
    in_dtypes = tuple(v.dtype for v in node.inputs)
    if type(op).__name__ == "Elemwise":
        program = single_op_program(op.scalar_op, in_dtypes, node.outputs[0].dtype)
    else:
        program = program_from_fused(op.program, in_dtypes)
    kernels = elemwise_kernels(rt)
    kernels.register(program)  # the first call compiles every registered program at once

    def run(args):
        values = [args.dev(k) for k in range(len(node.inputs))]
        _check_broadcast(node, [v.shape for v in values])
        return [kernels(program, values)]
    return run


@register("DimShuffle")
def _dimshuffle(op, node, rt):
    def run(args):
        x = args.dev(0)
        shape = [1 if d == "x" else x.shape[d] for d in op.new_order]
        strides = [0 if d == "x" else x.strides[d] for d in op.new_order]
        return [x._view(shape, strides)]  # dropped axes have length 1: no offset
    return run


# --------------------------------------------------------------------------- reductions

@register("CAReduce")
def _careduce(op, node, rt):
    in_dtype, out_dtype = node.inputs[0].dtype, node.outputs[0].dtype
    if not reduce.supports(op.reducer, in_dtype):
        raise NotImplementedError(f"cuda linker: {op} of a {in_dtype} input has no GPU kernel")
    return lambda args: [reduce.reduce(args.dev(0), op.reducer, op.axis, out_dtype)]


@register("Argmax")
def _argmax(op, node, rt):
    return lambda args: [reduce.argmax(args.dev(0), op.axis, op.which)]


# --------------------------------------------------------------------------- blas, nnet

@register("Dot")
def _dot(op, node, rt):
    dtype = node.outputs[0].dtype
    if dtype not in ("float32", "float64"):
        raise NotImplementedError(f"cuda linker: Dot of {dtype} has no GPU kernel")
    return lambda args: [blas.dot(args.dev(0, dtype), args.dev(1, dtype))]


@register("Softmax")
def _softmax(op, node, rt):
    return lambda args: [nnet.softmax(args.dev(0))]


@register("LogSoftmax")
def _log_softmax(op, node, rt):
    return lambda args: [nnet.log_softmax(args.dev(0))]


@register("CrossentropySoftmax1Hot")
def _crossentropy_softmax_1hot(op, node, rt):
    def run(args):
        x = args.dev(0)
        if args.dev(1).shape[0] != x.shape[0]:
            raise ValueError(f"{op}: {x.shape[0]} rows but {args.dev(1).shape[0]} labels")
        return [nnet.softmax_nll(x, args.dev(1))[0]]
    return run


@register("CrossentropySoftmax1HotGrad")
def _crossentropy_softmax_1hot_grad(op, node, rt):
    dtype = node.outputs[0].dtype

    def run(args):
        sm = nnet.softmax(args.dev(1, dtype))
        return [nnet.softmax_nll_grad(args.dev(0, dtype), sm, args.dev(2))]
    return run


@register("SoftmaxGrad")
def _softmax_grad(op, node, rt):
    dtype = node.outputs[0].dtype
    return lambda args: [nnet.softmax_grad(args.dev(0, dtype), args.dev(1, dtype))]


# --------------------------------------------------------------------------- conv, pool

@register("Conv2d")
def _conv2d(op, node, rt):
    dtype = node.outputs[0].dtype

    def run(args):
        x, w = args.dev(0, dtype), args.dev(1, dtype)
        return [conv.conv2d(x, w, *op._numeric(w.shape[2:]))]
    return run


@register("Conv2dGradInputs")
def _conv2d_grad_inputs(op, node, rt):
    dtype = node.outputs[0].dtype

    def run(args):
        w, gy = args.dev(0, dtype), args.dev(1, dtype)
        return [conv.conv2d_grad_input(w, gy, args.ints(2), *op._numeric(w.shape[2:]))]
    return run


@register("Conv2dGradWeights")
def _conv2d_grad_weights(op, node, rt):
    dtype = node.outputs[0].dtype

    def run(args):
        x, gy, hw = args.dev(0, dtype), args.dev(1, dtype), args.ints(2)
        return [conv.conv2d_grad_weights(x, gy, hw, *op._numeric(hw))]
    return run


@register("Pool")
def _pool(op, node, rt):
    return lambda args: [pool.pool_2d(args.dev(0), *op._args(), op.mode)]


@register("MaxPoolGrad")
def _max_pool_grad(op, node, rt):
    return lambda args: [pool.max_pool_grad(args.dev(0), args.dev(1), args.dev(2), *op._args())]


@register("AveragePoolGrad")
def _average_pool_grad(op, node, rt):
    def run(args):
        x = args.raw(0)
        return [pool.average_pool_grad(np.shape(x), args.dev(1), *op._args(), op.mode)]
    return run


@register("MaxPoolGradGrad")
def _max_pool_grad_grad(op, node, rt):
    return lambda args: [pool.max_pool_grad_grad(args.dev(0), args.dev(1), args.dev(2),
                                                 *op._args())]


# --------------------------------------------------------------------------- indexing

def _advanced_pattern(op, node):
    """Number of leading index vectors when ``idx_list`` is ``("A", ...) + full slices``."""
    from symtensor.tensor.ops.subtensor import FULL
    idx = op.idx_list
    n = 0
    while n < len(idx) and idx[n] == "A":
        n += 1
    offset = 2 if type(op).__name__ == "IncSubtensor" else 1
    arrays = node.inputs[offset:offset + n]
    ok = (1 <= n <= 2 and all(e == FULL for e in idx[n:])
          and all(a.ndim == 1 and a.dtype != "bool" for a in arrays))
    if not ok:
        raise NotImplementedError(
            f"cuda linker: {op}: the GPU kernels take one or two integer index vectors on the "
            f"leading axes (x[i], x[i, j]); got the index {idx}")
    return n


def _basic_index(op, args, first):
    from symtensor.tensor.ops.subtensor import build_index
    values = [int(np.asarray(to_host(args.raw(k))))
              for k in range(first, len(args.node.inputs))]
    return build_index(op.idx_list, values)


@register("Subtensor")
def _subtensor(op, node, rt):
    if "A" in op.idx_list:
        n = _advanced_pattern(op, node)
        return lambda args: [subtensor.take(args.dev(0), [args.dev(1 + k) for k in range(n)])]

    def run(args):
        x = args.dev(0)
        index = _basic_index(op, args, 1)
        try:
            return [x[index]]
        except IndexError as err:
            raise IndexError(f"{op}: index {index} is invalid for shape {x.shape}: {err}") \
                from None
    return run


@register("IncSubtensor")
def _inc_subtensor(op, node, rt):
    dtype = node.outputs[0].dtype
    if "A" in op.idx_list:
        n = _advanced_pattern(op, node)
        return lambda args: [subtensor.take_inc(args.dev(0), [args.dev(2 + k) for k in range(n)],
                                                args.dev(1, dtype), op.set_instead_of_inc)]
    add = single_op_program(_scalar("add"), (dtype, dtype), dtype)

    def run(args):
        out = rt.copy(args.dev(0))
        view = out[_basic_index(op, args, 2)]
        y = args.dev(1, dtype)
        if op.set_instead_of_inc:
            subtensor.copy_into(view, y)
        else:
            elemwise_kernels(rt)(add, [view, y], out=view)
        return [out]
    return run


def _scalar(name):
    from symtensor.tensor.ops.scalar import get_scalar_op
    return get_scalar_op(name)


# --------------------------------------------------------------------------- shapes

@register("Alloc")
def _alloc(op, node, rt):
    dtype = node.outputs[0].dtype

    def run(args):
        shape = tuple(int(np.asarray(to_host(args.raw(k)))) for k in range(1, len(node.inputs)))
        out = rt.empty(shape, dtype)
        subtensor.copy_into(out, args.dev(0, dtype))
        return [out]
    return run


@register("ARange")
def _arange(op, node, rt):
    def run(args):
        start, stop, step = (np.asarray(to_host(args.raw(k))) for k in range(3))
        if op.dtype == "int64" and all(v.dtype.kind in "iu" for v in (start, stop, step)):
            return [subtensor.arange_int64(rt, int(start), int(stop), int(step))]
        return [rt.to_device(np.arange(start, stop, step, dtype=op.dtype))]
    return run


@register("Join")
def _join(op, node, rt):
    dtype = node.outputs[0].dtype
    return lambda args: [subtensor.join(rt, [args.dev(k, dtype) for k in range(len(node.inputs))],
                                        op.axis, dtype)]
