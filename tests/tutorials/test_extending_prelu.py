"""The PReLU example of docs/extending.rst (tutorials/extending/): the checks every op
should pass, its kernels (Numba; CUDA through nvcc and the CPU emulator), and the
training script on a slice of MNIST."""

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from strategies import SETTINGS, arrays, shapes

import symtensor as theano
import symtensor.tensor as T
from symtensor.testing import (
    assert_close,
    check_infer_shape,
    check_kernel_coverage,
    compare_backends,
    verify_grad,
)

EXTENDING = Path(__file__).resolve().parents[2] / "tutorials" / "extending"
if str(EXTENDING) not in sys.path:
    sys.path.insert(0, str(EXTENDING))

P = importlib.import_module("prelu")


def numpy_prelu(x, alpha, axis):
    """Independent of the tutorial's code: the definition, written out."""
    a = alpha if alpha.ndim == 0 else np.moveaxis(
        np.broadcast_to(alpha, x.shape[:axis] + x.shape[axis + 1:] + alpha.shape), -1, axis)
    return np.where(x > 0, x, a * x), a


def numpy_prelu_grad(x, alpha, gz, axis):
    _, a = numpy_prelu(x, alpha, axis)
    gx = np.where(x > 0, gz, a * gz)
    terms = np.where(x > 0, 0.0, x.astype("float64") * gz)
    galpha = terms.sum() if alpha.ndim == 0 else np.moveaxis(terms, axis, 0).reshape(
        alpha.shape[0], -1).sum(axis=1)
    return gx, galpha


# ------------------------------------------------------------------ values vs NumPy

_compiled = {}


def _function(dtype, ndim, alpha_ndim, axis):
    """Forward and gradients, compiled once per static signature (FAST_RUN: the kernels)."""
    key = (dtype, ndim, alpha_ndim, axis)
    if key not in _compiled:
        x = T.TensorType(dtype, (False,) * ndim)("x")
        alpha = T.TensorType(dtype, (False,) * alpha_ndim)("alpha")
        gz = T.TensorType(dtype, (False,) * ndim)("gz")
        y = P.prelu(x, alpha, channel_axis=axis)
        gx, galpha = T.grad((y * gz).sum(), [x, alpha])
        _compiled[key] = theano.function([x, alpha, gz], [y, gx, galpha], mode="FAST_RUN")
    return _compiled[key]


@st.composite
def prelu_cases(draw):
    dtype = draw(st.sampled_from(("float32", "float64")))
    shape = draw(shapes(min_dims=2, max_dims=4))
    axis = draw(st.sampled_from((1, len(shape) - 1)))
    alpha_shape = draw(st.sampled_from(((), (shape[axis],))))
    x = draw(arrays(dtype, shape, -10, 10))
    gz = draw(arrays(dtype, shape, -10, 10))
    alpha = draw(arrays(dtype, alpha_shape, -1, 1))
    return x, alpha, gz, axis


@hsettings(**SETTINGS)
@given(prelu_cases())
def test_values_and_gradients_match_numpy(case):
    x, alpha, gz, axis = case
    y, gx, galpha = _function(x.dtype.name, x.ndim, alpha.ndim, axis)(x, alpha, gz)
    ref_y, _ = numpy_prelu(x, alpha, axis)
    ref_gx, ref_galpha = numpy_prelu_grad(x, alpha, gz, axis)
    assert y.dtype == gx.dtype == galpha.dtype == x.dtype
    assert_close(y, ref_y.astype(x.dtype))
    assert_close(gx, ref_gx.astype(x.dtype))
    # a sum of up to 64 float32 products: compare with the float64 sum at float32 scale
    scale = float(np.abs(x.astype("float64") * gz).sum()) + 1.0
    assert_close(galpha, ref_galpha.astype(x.dtype), atol=1e-6 * scale)
    # the NumPy reference that perform runs agrees too
    assert_close(P.prelu_reference(x, alpha, axis), ref_y.astype(x.dtype))


def test_large_input_runs_in_chunks_and_matches_numpy():
    from symtensor.backends.numba.dispatch import chunk_count
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8, 8, 8))
    alpha, gz = rng.uniform(0, 0.5, 8), rng.standard_normal(x.shape)
    assert chunk_count(64, x.size) > 1
    y, gx, galpha = _function("float64", 4, 1, 1)(x, alpha, gz)
    ref_gx, ref_galpha = numpy_prelu_grad(x, alpha, gz, 1)
    assert_close(y, numpy_prelu(x, alpha, 1)[0])
    assert_close(gx, ref_gx)
    assert_close(galpha, ref_galpha)


# ------------------------------------------------------------------ symtensor.testing checks


def _away_from_zero(rng, shape):
    """Finite differences need |x| well above eps: the kink at 0 is not differentiable."""
    x = rng.uniform(0.2, 2.0, shape)
    return x * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("shape,alpha_shape", [((3, 4, 2, 2), (4,)), ((5, 3), (3,)),
                                               ((3, 4, 2), ())])
def test_verify_grad_x_and_alpha(shape, alpha_shape):
    rng = np.random.default_rng(42)
    x, alpha = _away_from_zero(rng, shape), rng.uniform(0.05, 0.5, alpha_shape)
    verify_grad(P.prelu, [x, alpha], rng=rng)


def test_verify_grad_of_the_gradient_op():
    # PReLUGrad.grad (built from existing ops), in all three inputs
    rng = np.random.default_rng(7)
    x, alpha = _away_from_zero(rng, (3, 4, 2)), rng.uniform(0.05, 0.5, 4)
    gz = rng.standard_normal(x.shape)
    for k in range(2):
        verify_grad(lambda x, a, g, k=k: P.PReLUGrad()(x, a, g)[k], [x, alpha, gz], rng=rng)


@pytest.mark.parametrize("alpha_shape", [(4,), ()])
def test_infer_shape(alpha_shape):
    rng = np.random.default_rng(1)
    x, alpha = rng.standard_normal((3, 4, 5)), rng.uniform(0, 0.5, alpha_shape)
    check_infer_shape(P.PReLU(), [x, alpha])
    check_infer_shape(P.PReLUGrad(), [x, alpha, x])
    check_infer_shape(lambda x, a: P.prelu(x, a, channel_axis=-1), [x.transpose(0, 2, 1),
                                                                    alpha])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backends_agree(dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 3, 4)).astype(dtype)
    alpha, gz = rng.uniform(0, 0.5, 3).astype(dtype), rng.standard_normal(x.shape).astype(dtype)
    compare_backends(P.prelu, [x, alpha])
    compare_backends(P.PReLUGrad(), [x, alpha, gz], rtol=1e-5 if dtype == "float32" else None)


def test_both_ops_have_numba_kernels():
    assert check_kernel_coverage([P.PReLU, P.PReLUGrad], allowed=()) == []


def test_props_and_validation():
    assert P.PReLU(1) == P.PReLU() and hash(P.PReLU(1)) == hash(P.PReLU())
    assert P.PReLU(2) != P.PReLU(1) and str(P.PReLU(2)) == "PReLU{channel_axis=2}"
    with pytest.raises(ValueError, match="channel_axis must be an int >= 0"):
        P.PReLU(-1)
    with pytest.raises(TypeError, match="alpha must be 0-d, or 1-d"):
        P.PReLU()(T.dmatrix(), T.dmatrix())
    with pytest.raises(TypeError, match="must have x's dtype"):
        P.PReLU()(T.dmatrix(), T.fvector())
    with pytest.raises(ValueError, match="out of range"):
        P.prelu(T.dmatrix(), T.dvector(), channel_axis=2)
    # prelu() casts alpha to x's dtype, and int x to floatX
    assert P.prelu(T.fmatrix(), T.dvector()).dtype == "float32"
    assert P.prelu(T.imatrix(), 0.1).dtype == theano.config.floatX
    f = theano.function([x := T.dmatrix()], P.prelu(x, np.ones(3)))
    with pytest.raises(ValueError, match="alpha has 3 slopes, x has 2 channels"):
        f(np.ones((4, 2)))


# ------------------------------------------------------------------ CUDA kernel


def _nvcc():
    return shutil.which("nvcc") or next(
        (p for p in ["/usr/local/cuda/bin/nvcc"] if Path(p).exists()), None)


def test_cuda_kernel_compiles_with_nvcc_for_sm_80(tmp_path):
    nvcc = _nvcc()
    if nvcc is None:
        message = "nvcc not found: the CUDA toolkit is needed to compile-check prelu.cu"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from symtensor_cuda.source import KERNELS_DIR

    cmd = [nvcc, "-std=c++17", "-arch=sm_80", "-cubin", f"-I{KERNELS_DIR}",
           "-o", str(tmp_path / "prelu.cubin"), str(P.CUDA_SOURCE)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, f"nvcc failed on prelu.cu:\n{proc.stderr[-4000:]}"


def _emulator():
    try:
        from symtensor_cuda.runtime import make_runtime
    except ImportError as err:
        pytest.skip(f"symtensor_cuda's CPU emulator is not importable: {err}")
    if shutil.which(os.environ.get("CXX", "g++")) is None:
        pytest.skip("the CUDA emulator needs g++")
    return make_runtime("emulator")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,alpha_shape", [((3, 4, 10, 10), (4,)), ((5, 7), ()),
                                               ((2, 3), (3,))])
def test_cuda_kernels_on_the_emulator(dtype, shape, alpha_shape):
    rt = _emulator()
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    alpha = rng.uniform(0, 0.5, alpha_shape).astype(dtype)
    gz = rng.standard_normal(shape).astype(dtype)
    y = P.prelu_forward_cuda(rt.to_device(x), rt.to_device(alpha)).get()
    gx, galpha = P.prelu_grad_cuda(rt.to_device(x), rt.to_device(alpha), rt.to_device(gz))
    ref_gx, ref_galpha = numpy_prelu_grad(x, alpha, gz, 1)
    assert_close(y, numpy_prelu(x, alpha, 1)[0].astype(dtype))
    assert_close(gx.get(), ref_gx.astype(dtype))
    # float32 tree sums of up to 400 products: rounding grows with the terms' size
    scale = float(np.abs(x.astype("float64") * gz).sum()) + 1.0
    assert_close(galpha.get(), ref_galpha.astype(dtype),
                 atol=(1e-6 if dtype == "float32" else 1e-13) * scale)


# ------------------------------------------------------------------ training script


def test_training_script_one_short_epoch(mnist_pkl, capsys):
    train = importlib.import_module("train_prelu_mlp")
    result = train.main(["--dataset", str(mnist_pkl), "--n-epochs", "1", "--train-size", "2000",
                         "--valid-size", "500"])
    out = capsys.readouterr().out
    m = re.search(r"epoch 1, mean cost ([0-9.]+), validation error ([0-9.]+) %", out)
    assert m, out
    assert float(m.group(2)) < 60.0
    costs = result["costs"]
    assert len(costs) == 100 and all(np.isfinite(costs))
    assert np.mean(costs[-10:]) < np.mean(costs[:10]) - 0.3
    assert not np.allclose(result["alpha"], 0.25)  # the slopes were learned


def test_cuda_linker_runs_prelu_and_its_gradient_on_the_emulator():
    _emulator()
    from symtensor.compile.mode import Mode
    from symtensor_cuda.runtime import use_runtime

    x, alpha = T.fmatrix("x"), T.fvector("alpha")
    y = P.prelu(x, alpha)
    outs = [y, *T.grad((y * y).sum(), [x, alpha])]
    rng = np.random.default_rng(4)
    xv, av = rng.standard_normal((5, 3)).astype("float32"), np.float32([0.1, 0.2, 0.3])
    with use_runtime("emulator"):
        f = theano.function([x, alpha], outs, mode=Mode("cuda"))
        got = [np.asarray(v.get() if hasattr(v, "get") else v) for v in f(xv, av)]
    assert {"PReLU", "PReLUGrad"} <= {type(n.op).__name__ for n in f.fgraph.toposort()}
    ref = theano.function([x, alpha], outs, mode="PY")(xv, av)
    for g, r in zip(got, ref, strict=True):
        assert_close(g, r, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ docs


def test_docs_excerpts_exist_in_the_example():
    """Every literalinclude of docs/extending.rst names a file, markers and objects that
    exist, so the page shows the example's real code; the page parses as reST."""
    import ast

    docs = Path(__file__).resolve().parents[2] / "docs"
    text = (docs / "extending.rst").read_text()
    blocks = re.findall(r"\.\. literalinclude:: (\S+)\n((?:[ \t]+:[\w-]+:.*\n)*)", text)
    assert len(blocks) >= 10
    for target, options in blocks:
        path = (docs / target).resolve()
        assert path.is_file(), f"docs/extending.rst includes missing {target}"
        source = path.read_text()
        opts = dict(re.findall(r":([\w-]+):[ \t]*(.*)", options))
        for key in ("start-after", "end-before"):
            if key in opts:
                assert source.count(opts[key]) == 1, f"{target}: marker {opts[key]!r}"
        if "pyobject" in opts:
            names = {n.name for n in ast.parse(source).body
                     if isinstance(n, ast.FunctionDef | ast.ClassDef)}
            assert opts["pyobject"] in names, f"{target}: no top-level {opts['pyobject']}"
    docutils_core = pytest.importorskip("docutils.core")
    from docutils.parsers.rst import Directive, directives, roles

    class Ignored(Directive):
        has_content, optional_arguments, final_argument_whitespace = True, 1, True
        option_spec = {k: directives.unchanged for k in (
            "language", "start-after", "end-before", "pyobject", "maxdepth")}

        def run(self):
            return []

    for name in ("literalinclude", "toctree"):
        directives.register_directive(name, Ignored)
    for role in ("func", "doc"):
        roles.register_generic_role(role, __import__("docutils").nodes.literal)
    for page in ("extending.rst", "index.rst"):
        docutils_core.publish_doctree((docs / page).read_text(), settings_overrides={
            "report_level": 2, "halt_level": 2})
