"""Every kernel source compiles with nvcc for sm_80 and sm_90 (device code, with ptxas).

One ``nvcc -fatbin`` per source with a ``-gencode`` per architecture compiles the device
side only, front end once, then cicc and ptxas per architecture (so register and
shared-memory limits are checked): what PyCUDA's SourceModule does at run time, without
the host compile that ``-c`` adds.  ptxas runs at -O0 because only whether the code
compiles is tested here, not how fast it is.  Without nvcc the tests skip, or fail when
the CI environment variable is set.
"""

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from symtensor.tensor.ops.scalar import ROWS, cast_op
from symtensor_cuda.kernels.elemwise import module_source, single_op_program
from symtensor_cuda.pycuda_runtime import NVCC_OPTIONS
from symtensor_cuda.source import FAMILIES, KERNELS_DIR

ARCHS = ("sm_80", "sm_90")


def _nvcc():
    found = sorted(Path("/usr/local").glob("cuda*/bin/nvcc"))
    path = shutil.which("nvcc") or (str(found[-1]) if found else None)
    if path is None:
        message = "nvcc not found: the CUDA toolkit is needed to check that the kernels compile"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _generated_elemwise() -> str:
    """A kernel for every scalar-table row: float32, and int32 / bool where the row has an
    integer path (the float64 code differs only in type names and the f suffix)."""
    integer_rows = {"add", "sub", "mul", "int_div", "mod", "pow", "maximum", "minimum", "neg",
                    "abs", "sgn", "sqr", "eq", "lt", "switch", "clip"}
    programs = []
    for row in ROWS:
        if row.name in ("and_", "or_", "xor", "invert"):
            dtypes = ("int32", "bool")
        else:
            dtypes = ("float32", "int32") if row.name in integer_rows else ("float32",)
        for dtype in dtypes:
            in_dtypes = ("bool",) + (dtype,) * 2 if row.name == "switch" else (dtype,) * row.nin
            programs.append(single_op_program(row, in_dtypes, row.out_dtype(*in_dtypes)))
    for target in ("int32", "int64", "bool", "float64"):
        programs.append(single_op_program(cast_op(target), ("float32",), target))
    return module_source(programs)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """{source name: (returncode, stderr)}, compiled in parallel."""
    nvcc = _nvcc()
    tmp = tmp_path_factory.mktemp("nvcc")
    sources = {f: KERNELS_DIR / f"{f}.cu" for f in FAMILIES}
    generated = tmp / "elemwise_generated.cu"
    generated.write_text(_generated_elemwise())
    sources["elemwise_generated"] = generated

    gencode = [f"-gencode=arch=compute_{a[3:]},code={a}" for a in ARCHS]

    def build(name):
        cmd = [nvcc, *NVCC_OPTIONS, *gencode, "-Xptxas", "-O0", "-fatbin", f"-I{KERNELS_DIR}",
               "-o", str(tmp / f"{name}.fatbin"), str(sources[name])]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        return name, (proc.returncode, proc.stderr)

    with ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 2)) as pool:
        return dict(pool.map(build, sources))


@pytest.mark.parametrize("name", list(FAMILIES) + ["elemwise_generated"])
def test_kernels_compile_with_nvcc_for_sm80_and_sm90(compiled, name):
    code, stderr = compiled[name]
    assert code == 0, f"nvcc failed on {name}.cu for {ARCHS}:\n{stderr[-4000:]}"
    assert "warning" not in stderr, f"nvcc warns on {name}.cu:\n{stderr[-4000:]}"
