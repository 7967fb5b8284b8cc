"""Checks that every op should pass: gradients, inferred shapes, backends, kernel coverage.

These are the helpers symtensor's own test suite uses, public so that an op written
outside the package (see ``docs/extending.rst``) can be tested the same way:

* :func:`verify_grad`: the symbolic gradient against finite differences;
* :func:`check_infer_shape`: ``op.infer_shape`` against the shape the op really returns;
* :func:`compare_backends`: the same graph compiled in several modes gives the same values;
* :func:`check_kernel_coverage`: which op classes lack a Numba kernel;
* :func:`assert_close`: a value against a reference, with a tolerance per dtype.

Each check raises ``AssertionError`` (``GradientError`` for ``verify_grad``) with a
message naming the op, the expected and the actual value.

>>> import numpy as np, symtensor.tensor as T
>>> check_infer_shape(lambda x: x.sum(axis=0), [np.ones((2, 3))])
>>> _ = compare_backends(lambda x: T.exp(x) * 2, [np.ones((2, 3))])
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from symtensor.backends.numba import PERFORM_FALLBACK
from symtensor.gradient import GradientError, verify_grad
from symtensor.graph.basic import Variable
from symtensor.graph.op import Op

__all__ = ["TOL", "GradientError", "all_op_classes", "assert_close", "check_infer_shape",
           "check_kernel_coverage", "check_output_shapes", "compare_backends", "verify_grad"]

#: (rtol, atol) for comparing a result of a dtype with an independent reference.
TOL = {"float16": (1e-2, 1e-3), "float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}


def assert_close(actual: Any, expected: Any, dtype: str | None = None,
                 rtol: float | None = None, atol: float | None = None) -> None:
    """``actual`` equals ``expected`` (exactly for discrete dtypes), shape included.

    Float tolerances come from :data:`TOL` for ``dtype`` (default: ``actual``'s dtype);
    ``rtol`` / ``atol`` override them.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    dtype = dtype or actual.dtype.name
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    if dtype in TOL or rtol is not None or atol is not None:
        d_rtol, d_atol = TOL.get(dtype, (0.0, 0.0))
        np.testing.assert_allclose(actual, expected,
                                   rtol=d_rtol if rtol is None else rtol,
                                   atol=d_atol if atol is None else atol)
    else:
        np.testing.assert_array_equal(actual, expected)


# ------------------------------------------------------------------ graph building


def _symbolic_inputs(values: Sequence[Any]) -> list[Variable]:
    """One free tensor variable per value: same dtype and ndim, nothing broadcastable."""
    from symtensor.tensor.type import TensorType

    return [TensorType(np.asarray(v).dtype.name, (False,) * np.ndim(v))(f"input{i}")
            for i, v in enumerate(values)]


def _build(op_or_fn: Op | Callable, input_values: Sequence[Any],
           inputs: Sequence[Variable] | None) -> tuple[list[Variable], list[Variable]]:
    """``(inputs, outputs)``: ``op_or_fn`` applied to symbolic inputs for the values."""
    if not (isinstance(op_or_fn, Op) or callable(op_or_fn)):
        raise TypeError(f"expected an Op or a function of symbolic inputs, got {op_or_fn!r}")
    inputs = list(inputs) if inputs is not None else _symbolic_inputs(input_values)
    if len(inputs) != len(input_values):
        raise ValueError(f"{len(inputs)} symbolic inputs for {len(input_values)} values")
    outs = op_or_fn(*inputs)
    outs = list(outs) if isinstance(outs, list | tuple) else [outs]
    for o in outs:
        if not isinstance(o, Variable):
            raise TypeError(f"{op_or_fn!r} returned {o!r}, not a symbolic variable")
    return inputs, outs


# ------------------------------------------------------------------ inferred shapes


def check_output_shapes(outputs: Sequence[Variable], inputs: Sequence[Variable],
                        input_values: Sequence[Any], mode: Any = None) -> None:
    """The ``infer_shape`` of the op owning each of ``outputs`` matches the real shape.

    Each owner's ``infer_shape`` is called on the symbolic shapes of its inputs; those
    shapes and the outputs are compiled together (``mode``) and evaluated with
    ``inputs`` holding ``input_values``.  Also fails when ``infer_shape`` returns the
    wrong number of dims or computes the shape by applying the op itself.
    """
    import symtensor.tensor as T
    from symtensor.compile.function import function
    from symtensor.graph.traversal import toposort

    checked, entries = [], []
    for out in outputs:
        node = out.owner
        if node is None:
            continue
        in_shapes = [tuple(i.shape[d] for d in range(i.ndim)) for i in node.inputs]
        inferred = node.op.infer_shape(None, node, in_shapes)
        if len(inferred) != len(node.outputs):
            raise AssertionError(f"{node.op}.infer_shape returned {len(inferred)} shapes for "
                                 f"{len(node.outputs)} outputs")
        shape = tuple(inferred[out.index])
        if len(shape) != out.ndim:
            raise AssertionError(f"{node.op}.infer_shape: output {out.index} has {out.ndim} "
                                 f"dims, the inferred shape {shape} has {len(shape)}")
        if any(s is None for s in shape):
            raise AssertionError(f"{node.op}.infer_shape: output {out.index} has an unknown "
                                 f"(None) dim in {shape}")
        dims = [T.cast(T.as_tensor_variable(s), "int64") for s in shape]
        in_types = [i.type for i in node.inputs]
        if any(n.op == node.op and [i.type for i in n.inputs] == in_types
               for n in toposort(dims, node.inputs)):
            raise AssertionError(f"{node.op}.infer_shape: the shape graph applies {node.op} "
                                 "itself; compute it from the input shapes")
        checked.append(out)
        entries.append(dims)
    flat = [d for dims in entries for d in dims]
    f = function(list(inputs), checked + flat, mode=mode, on_unused_input="ignore")
    results = f(*input_values)
    values, dims = results[:len(checked)], results[len(checked):]
    for out, value, shape_vars in zip(checked, values, entries, strict=True):
        inferred = tuple(int(d) for d in dims[:len(shape_vars)])
        dims = dims[len(shape_vars):]
        real = np.shape(value)
        if inferred != real:
            raise AssertionError(f"{out.owner.op}: inferred shape {inferred} of output "
                                 f"{out.index} != real shape {real} (input shapes "
                                 f"{[np.shape(v) for v in input_values]})")


def check_infer_shape(op_or_fn: Op | Callable, input_values: Sequence[Any], *,
                      inputs: Sequence[Variable] | None = None, mode: Any = None) -> None:
    """Assert that ``infer_shape`` gives the shape the op's output really has.

    Parameters
    ----------
    op_or_fn : Op or callable
        An op, or a function of symbolic inputs returning a variable (or a list); the
        op owning each returned variable is checked.
    input_values : list of arrays
        One value per input; symbolic inputs of the same dtype and ndim are made for
        them (none broadcastable) unless ``inputs`` gives them.
    mode : compile mode of the evaluation (default: ``config.mode``)

    >>> import numpy as np, symtensor.tensor as T
    >>> check_infer_shape(lambda x, y: T.dot(x, y), [np.ones((2, 3)), np.ones((3, 4))])
    """
    inputs, outs = _build(op_or_fn, input_values, inputs)
    check_output_shapes(outs, inputs, input_values, mode)


# ------------------------------------------------------------------ backends


def compare_backends(fn: Op | Callable, input_values: Sequence[Any],
                     modes: Sequence[Any] = ("PY", "FAST_RUN"), rtol: float | None = None,
                     atol: float | None = None, *,
                     inputs: Sequence[Variable] | None = None) -> list[np.ndarray]:
    """Compile ``fn`` in each of ``modes`` and assert that all give the same outputs.

    The first mode is the reference (``'PY'``: every op's NumPy ``perform``).  Float
    outputs are compared with :data:`TOL` of their dtype unless ``rtol`` / ``atol``
    are given; other dtypes must match exactly.  Returns the reference outputs.

    >>> import numpy as np, symtensor.tensor as T
    >>> [out] = compare_backends(lambda x: T.tanh(x), [np.zeros(3)])
    >>> out
    array([0., 0., 0.])
    """
    from symtensor.compile.function import function

    if len(modes) < 2:
        raise ValueError(f"compare_backends: give at least two modes, got {modes!r}")
    inputs, outs = _build(fn, input_values, inputs)
    results = []
    for mode in modes:
        f = function(list(inputs), outs, mode=mode, on_unused_input="ignore")
        results.append([np.asarray(v) for v in f(*[np.copy(v) for v in input_values])])
    ref = results[0]
    for mode, got in zip(modes[1:], results[1:], strict=True):
        for k, (a, r) in enumerate(zip(got, ref, strict=True)):
            try:
                assert a.dtype == r.dtype, f"dtype {a.dtype} != {r.dtype}"
                assert_close(a, r, r.dtype.name, rtol, atol)
            except AssertionError as err:
                raise AssertionError(f"compare_backends: output {k} of {_name(fn)} in mode "
                                     f"{mode!r} differs from mode {modes[0]!r}: {err}") from None
    return ref


def _name(fn: Any) -> str:
    return str(fn) if isinstance(fn, Op) else getattr(fn, "__name__", repr(fn))


# ------------------------------------------------------------------ kernel coverage


def all_op_classes(packages: Iterable[str] = ("symtensor.",)) -> list[type]:
    """Every ``Op`` subclass defined in a module whose name starts with one of
    ``packages`` (all of ``symtensor.tensor.ops`` is imported first), by name."""
    import symtensor.tensor.ops as ops_pkg

    for info in pkgutil.iter_modules(ops_pkg.__path__):
        importlib.import_module(f"symtensor.tensor.ops.{info.name}")
    seen, stack = set(), list(Op.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.add(cls)
            stack.extend(cls.__subclasses__())
    prefixes = tuple(packages)
    return sorted((c for c in seen if c.__module__.startswith(prefixes)),
                  key=lambda c: (c.__name__, c.__module__))


def check_kernel_coverage(op_classes: Iterable[type] | None = None,
                          allowed: Iterable[str | type] = PERFORM_FALLBACK) -> list[type]:
    """The op classes without a registered Numba kernel and not in ``allowed``.

    ``op_classes`` defaults to every op class of symtensor (:func:`all_op_classes`);
    ``allowed`` holds classes or class names that knowingly run their ``perform``
    (default: the backend's ``PERFORM_FALLBACK``).  An empty list means full coverage.

    >>> check_kernel_coverage()
    []
    """
    from symtensor.backends.numba.dispatch import has_kernel

    allowed = {a if isinstance(a, str) else a.__name__ for a in allowed}
    classes = all_op_classes() if op_classes is None else list(op_classes)
    return [c for c in classes if not has_kernel(c) and c.__name__ not in allowed]
