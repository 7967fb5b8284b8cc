"""symtensor.testing: each check passes a correct op and catches a deliberately wrong one
(inferred shape, gradient, a backend that disagrees, a missing kernel)."""

import numpy as np
import pytest

import symtensor.gradient
import symtensor.tensor as T
from symtensor import testing
from symtensor.backends.numba.dispatch import numba_funcify
from symtensor.graph.basic import Apply
from symtensor.graph.op import Op
from symtensor.tensor.ops.pool import Pool
from symtensor.testing import (
    GradientError,
    check_infer_shape,
    check_kernel_coverage,
    compare_backends,
    verify_grad,
)


class _Unary(Op):
    """``x -> f(x)`` elementwise, same type; subclasses pick f, its grad and its shape."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.asarray(self.f(inputs[0]), dtype=inputs[0].dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]


class Square(_Unary):
    f = staticmethod(np.square)

    def grad(self, inputs, outputs, output_grads):
        return [2 * inputs[0] * output_grads[0]]


class SquareWrongGrad(Square):
    def grad(self, inputs, outputs, output_grads):
        return [inputs[0] * output_grads[0]]  # misses the factor 2


class SquareWrongShape(Square):
    def infer_shape(self, fgraph, node, input_shapes):
        first, *rest = input_shapes[0]
        return [(first + 1, *rest)]


class SquareWrongNdim(Square):
    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0][1:]]


class SquareShapeBySelf(Square):
    def infer_shape(self, fgraph, node, input_shapes):
        y = self(node.inputs[0])  # computes the op to learn its shape: what infer_shape avoids
        return [tuple(y.shape[d] for d in range(y.ndim))]


class Cube(_Unary):
    f = staticmethod(lambda x: x ** 3)


class CubeBadKernel(Cube):
    """Its Numba kernel is off by 1e-3: the backends disagree."""


numba_funcify.register(Cube, lambda op, node: lambda x: (x ** 3,))
numba_funcify.register(CubeBadKernel, lambda op, node: lambda x: (x ** 3 + 1e-3,))


def _x(shape=(3, 4), seed=0):
    return np.random.default_rng(seed).uniform(0.5, 2.0, shape)


# ------------------------------------------------------------------ verify_grad


def test_verify_grad_is_the_gradient_module_one():
    assert testing.verify_grad is symtensor.gradient.verify_grad


def test_verify_grad_passes_a_right_gradient_and_catches_a_wrong_one():
    verify_grad(Square(), [_x()])
    with pytest.raises(GradientError, match="gradient of input 0"):
        verify_grad(SquareWrongGrad(), [_x()])
    assert issubclass(GradientError, AssertionError)


# ------------------------------------------------------------------ check_infer_shape


def test_check_infer_shape_passes_right_shapes():
    check_infer_shape(Square(), [_x()])
    check_infer_shape(Pool((2, 2), ignore_border=False), [_x((2, 5, 5))])
    check_infer_shape(lambda a, b: [T.dot(a, b), a.sum(axis=0)], [_x((2, 3)), _x((3, 4))])


def test_check_infer_shape_catches_a_wrong_shape():
    with pytest.raises(AssertionError, match=r"inferred shape \(4, 4\) .* != real shape \(3, 4\)"):
        check_infer_shape(SquareWrongShape(), [_x()])


def test_check_infer_shape_catches_a_wrong_number_of_dims():
    with pytest.raises(AssertionError, match="has 2 dims, the inferred shape"):
        check_infer_shape(SquareWrongNdim(), [_x()])


def test_check_infer_shape_catches_a_shape_computed_by_the_op_itself():
    with pytest.raises(AssertionError, match="applies SquareShapeBySelf itself"):
        check_infer_shape(SquareShapeBySelf(), [_x()])


def test_check_infer_shape_checks_the_last_op_of_a_function():
    with pytest.raises(AssertionError, match="SquareWrongShape"):
        check_infer_shape(lambda x: SquareWrongShape()(T.exp(x)), [_x()])


def test_check_infer_shape_accepts_given_symbolic_inputs():
    x = T.dmatrix("x")
    check_infer_shape(Square(), [_x()], inputs=[x])
    with pytest.raises(ValueError, match="1 symbolic inputs for 2 values"):
        check_infer_shape(Square(), [_x(), _x()], inputs=[x])


# ------------------------------------------------------------------ compare_backends


def test_compare_backends_passes_agreeing_backends():
    [ref] = compare_backends(Cube(), [_x()])
    np.testing.assert_allclose(ref, _x() ** 3)
    compare_backends(lambda x: T.tanh(x).sum(axis=1), [_x()], modes=("PY", "FAST_RUN", "NUMBA"))


def test_compare_backends_catches_a_disagreeing_backend():
    with pytest.raises(AssertionError, match="output 0 of CubeBadKernel in mode 'FAST_RUN' "
                                             "differs from mode 'PY'"):
        compare_backends(CubeBadKernel(), [_x()])
    compare_backends(CubeBadKernel(), [_x()], atol=2e-3)  # within a looser tolerance


def test_compare_backends_needs_two_modes():
    with pytest.raises(ValueError, match="at least two modes"):
        compare_backends(Cube(), [_x()], modes=("PY",))


# ------------------------------------------------------------------ check_kernel_coverage


def test_check_kernel_coverage_lists_ops_without_a_kernel():
    assert check_kernel_coverage([Square, Cube, CubeBadKernel], allowed=()) == [Square]
    assert check_kernel_coverage([Square, Cube], allowed={"Square"}) == []
    assert check_kernel_coverage([Square], allowed=[Square]) == []


def test_every_symtensor_op_is_covered_by_default():
    assert check_kernel_coverage() == []
    names = {c.__name__ for c in testing.all_op_classes()}
    assert {"Pool", "Elemwise", "Dot"} <= names and "Square" not in names
