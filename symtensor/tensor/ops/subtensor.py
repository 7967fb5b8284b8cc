"""Indexing: basic (views), advanced (copies), and set/inc of indexed parts.

An index is stored in ``idx_list``, a tuple with one entry per index item:

- an ``int``: a constant integer index;
- ``"?"``: a symbolic integer scalar, taken from the op's inputs in order;
- ``"A"``: an advanced index (integer or boolean array), taken from the inputs;
- ``"n"``: ``None`` / ``numpy.newaxis``;
- ``("s", start, stop, step)``: a slice whose parts are None, ints or ``"?"``.
"""

from __future__ import annotations

import numpy as np

from symtensor.graph.basic import Apply, Constant, Variable
from symtensor.graph.op import Op
from symtensor.tensor.type import DISCRETE_DTYPES, INT_DTYPES, TensorType, upcast

FULL = ("s", None, None, None)


def _as(x):
    from symtensor.tensor.basic import as_tensor_variable
    return as_tensor_variable(x)


def _scalar_entry(value, inputs, what):
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{what}: a boolean is not a valid index")
    if isinstance(value, int | np.integer):
        return int(value)
    var = _as(value)
    if var.ndim != 0 or var.dtype not in INT_DTYPES:
        raise TypeError(f"{what}: index entries must be integers, got {var} of type {var.type}")
    if isinstance(var, Constant):
        return int(var.data)
    inputs.append(var)
    return "?"


def _consumes(k) -> int:
    """How many dimensions of the indexed tensor an index item uses up."""
    if k is None or k is Ellipsis:
        return 0
    if isinstance(k, slice | int | np.integer):
        return 1
    ndim = k.ndim if isinstance(k, Variable) else np.ndim(k)
    dtype = k.dtype if isinstance(k, Variable) else np.asarray(k).dtype.name
    return ndim if dtype == "bool" and ndim > 0 else 1


def parse_index(ndim: int, key) -> tuple[tuple, list[Variable]]:
    """Turn a Python index into ``(idx_list, symbolic inputs)`` for an ``ndim`` tensor."""
    if not isinstance(key, tuple):
        key = (key,)
    consumed = sum(_consumes(k) for k in key)
    if sum(k is Ellipsis for k in key) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        raise IndexError(f"too many indices for a {ndim}-d tensor: {len(key)} given")
    expanded = []
    for k in key:
        if k is Ellipsis:
            expanded.extend([slice(None)] * (ndim - consumed))
        else:
            expanded.append(k)
    idx_list, inputs = [], []
    for k in expanded:
        if k is None:
            idx_list.append("n")
        elif isinstance(k, slice):
            idx_list.append(("s",) + tuple(_scalar_entry(p, inputs, "slice bound")
                                           for p in (k.start, k.stop, k.step)))
        elif isinstance(k, int | np.integer) and not isinstance(k, bool | np.bool_):
            idx_list.append(int(k))
        else:
            var = _as(k)
            if var.ndim == 0 and var.dtype in INT_DTYPES:
                idx_list.append(_scalar_entry(var, inputs, "index"))
            elif var.ndim >= 1 and (var.dtype in INT_DTYPES or var.dtype == "bool"):
                idx_list.append("A")
                inputs.append(var)
            else:
                raise TypeError(f"index: expected integers, slices or integer/boolean arrays, "
                                f"got {k!r} of type {getattr(var, 'type', type(k))}")
    return tuple(idx_list), inputs


def build_index(idx_list, values):
    """The NumPy index tuple for ``idx_list`` given the input values in order."""
    values = iter(values)
    out = []
    for entry in idx_list:
        if entry == "n":
            out.append(None)
        elif entry in ("?", "A"):
            v = next(values)
            out.append(int(v) if entry == "?" else v)
        elif isinstance(entry, tuple):
            out.append(slice(*[int(next(values)) if p == "?" else p for p in entry[1:]]))
        else:
            out.append(entry)
    return tuple(out)


def _is_advanced(idx_list):
    return "A" in idx_list


def _keeps_length_one(entry):
    """Whether the slice ``entry`` of a length-1 dimension surely has length 1 (so the
    result stays broadcastable, as Theano keeps ``row[0:1]``)."""
    parts = entry[1:]
    return "?" not in parts and len(range(1)[slice(*parts)]) == 1


def _out_type(x, idx_list, idx_inputs):
    """The type of ``x[index]``: exact for basic indexing, via NumPy for advanced."""
    if not _is_advanced(idx_list):
        bc, d = [], 0
        for entry in idx_list:
            if entry == "n":
                bc.append(True)
                continue
            if isinstance(entry, tuple):
                bc.append(x.broadcastable[d] and _keeps_length_one(entry))
            d += 1
        bc.extend(x.broadcastable[d:])
        return TensorType(x.dtype, tuple(bc))
    dummy = np.zeros([1 if b else 2 for b in x.broadcastable], dtype="int8")
    arrays = iter(v for v in idx_inputs if v.ndim >= 1)
    probe, d = [], 0
    for entry in idx_list:
        if entry == "A":
            v = next(arrays)
            if v.dtype == "bool":
                probe.append(np.ones(dummy.shape[d:d + v.ndim], dtype=bool))
                d += v.ndim
                continue
            probe.append(np.zeros((1,) * v.ndim, dtype="int64"))
        elif entry == "n":
            probe.append(None)
            continue
        else:
            probe.append(slice(None) if isinstance(entry, tuple) else 0)
        d += 1
    try:
        ndim = dummy[tuple(probe)].ndim
    except IndexError as err:
        raise IndexError(f"index {idx_list} does not fit a tensor of type {x.type}: {err}") \
            from None
    return TensorType(x.dtype, (False,) * ndim)


def _fmt(idx_list):
    parts = []
    for e in idx_list:
        if isinstance(e, tuple):
            parts.append(":".join("" if p is None else str(p) for p in e[1:]).rstrip(":") or ":")
        else:
            parts.append({"n": "newaxis", "?": "int", "A": "array"}.get(e, str(e)))
    return ", ".join(parts)


class Subtensor(Op):
    """``x[index]``: basic indexing is a view; an ``"A"`` entry makes a copy."""

    __props__ = ("idx_list",)

    def __init__(self, idx_list):
        self.idx_list = tuple(idx_list)
        self.view_map = {} if _is_advanced(self.idx_list) else {0: [0]}

    def __str__(self):
        kind = "AdvancedSubtensor" if _is_advanced(self.idx_list) else "Subtensor"
        return f"{kind}{{{_fmt(self.idx_list)}}}"

    def make_node(self, x, *idx_inputs):
        x = _as(x)
        idx_inputs = [_as(i) for i in idx_inputs]
        return Apply(self, [x] + idx_inputs, [_out_type(x, self.idx_list, idx_inputs)()])

    def perform(self, node, inputs, output_storage):
        x, index = inputs[0], build_index(self.idx_list, inputs[1:])
        try:
            out = x[index]
        except IndexError as err:
            raise IndexError(f"{self}: index {index} is invalid for an array of shape "
                             f"{x.shape}: {err}") from None
        output_storage[0][0] = np.asarray(out) if not isinstance(out, np.ndarray) else out

    def grad(self, inputs, outputs, output_grads):
        from symtensor.tensor.basic import zeros_like
        x, gz = inputs[0], output_grads[0]
        if x.dtype in DISCRETE_DTYPES:
            return [None] * len(inputs)
        gx = IncSubtensor(self.idx_list, False)(zeros_like(x), gz, *inputs[1:])
        return [gx] + [None] * (len(inputs) - 1)


class IncSubtensor(Op):
    """A copy of ``x`` with ``x[index]`` set to (or incremented by) ``y``.

    With advanced indices, increments at repeated positions accumulate (``np.add.at``).
    """

    __props__ = ("idx_list", "set_instead_of_inc")

    def __init__(self, idx_list, set_instead_of_inc):
        self.idx_list = tuple(idx_list)
        self.set_instead_of_inc = bool(set_instead_of_inc)

    def __str__(self):
        kind = "Set" if self.set_instead_of_inc else "Inc"
        return f"{kind}Subtensor{{{_fmt(self.idx_list)}}}"

    def make_node(self, x, y, *idx_inputs):
        from symtensor.tensor.basic import cast
        x, y = _as(x), _as(y)
        idx_inputs = [_as(i) for i in idx_inputs]
        target = _out_type(x, self.idx_list, idx_inputs)
        if y.ndim > target.ndim:
            raise TypeError(f"{self}: the value has {y.ndim} dims but x[index] has "
                            f"{target.ndim}")
        if y.dtype != x.dtype:
            if upcast(x.dtype, y.dtype) != x.dtype:
                raise TypeError(f"{self}: cannot store {y.type} into {x.type} without loss; "
                                "cast the value first")
            y = cast(y, x.dtype)
        return Apply(self, [x, y] + idx_inputs, [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs[0], inputs[1]
        index = build_index(self.idx_list, inputs[2:])
        out = x.copy()
        try:
            if self.set_instead_of_inc:
                out[index] = y
            elif _is_advanced(self.idx_list):
                np.add.at(out, index, y)
            else:
                out[index] += y
        except (IndexError, ValueError) as err:
            raise type(err)(f"{self}: cannot apply index {index} to shape {x.shape} with a "
                            f"value of shape {np.shape(y)}: {err}") from None
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, outputs, output_grads):
        from symtensor.tensor.basic import zeros_like
        from symtensor.tensor.ops.shape import patternbroadcast
        x, y, idx = inputs[0], inputs[1], inputs[2:]
        gz = output_grads[0]
        none = [None] * len(idx)
        if x.dtype in DISCRETE_DTYPES:
            return [None, None] + none
        gz_part = Subtensor(self.idx_list)(gz, *idx)
        if self.set_instead_of_inc:
            gx = IncSubtensor(self.idx_list, True)(gz, zeros_like(gz_part), *idx)
        else:
            gx = gz
        lead = gz_part.ndim - y.ndim
        axes = list(range(lead)) + [lead + d for d in range(y.ndim) if y.broadcastable[d]]
        gy = gz_part.sum(axis=axes, keepdims=True) if axes else gz_part
        if lead:
            gy = gy.dimshuffle(list(range(lead, gz_part.ndim)))
        return [gx, patternbroadcast(gy, y.broadcastable)] + none


def _index_of(x_indexed, what):
    node = x_indexed.owner
    if node is None or not isinstance(node.op, Subtensor):
        raise TypeError(f"{what}: the first argument must be an indexed tensor such as "
                        f"x[idx], got {x_indexed}")
    return node.op.idx_list, node.inputs[0], node.inputs[1:]


def set_subtensor(x_indexed, y):
    """A copy of the tensor indexed by ``x_indexed`` with that part replaced by ``y``."""
    idx_list, x, idx = _index_of(x_indexed, "set_subtensor")
    return IncSubtensor(idx_list, True)(x, y, *idx)


def inc_subtensor(x_indexed, y):
    """A copy of the tensor indexed by ``x_indexed`` with ``y`` added to that part."""
    idx_list, x, idx = _index_of(x_indexed, "inc_subtensor")
    return IncSubtensor(idx_list, False)(x, y, *idx)
