"""Fused elementwise kernels generated from the scalar-op table, and their launcher.

A :class:`Program` is a small straight-line list of scalar-table rows
(:mod:`symtensor.tensor.ops.scalar`) over typed inputs; :func:`kernel_source` turns it
into one CUDA kernel by translating each row's ``expr`` (Python syntax with NumPy
names) into C with :class:`_Translator`.  The kernel skeleton, the strided-offset helper
and an example instance live in ``elemwise.cu``; this module appends generated kernels
to that text.

>>> from symtensor.tensor.ops.scalar import TABLE
>>> prog = Program(("float32", "float32"),
...                (Step(TABLE["mul"], (("in", 0), ("in", 1)), "float32"),
...                 Step(TABLE["tanh"], (("step", 0),), "float32")))
>>> print(prog.body())
    const float v0 = (float)((a0 * a1));
    const float v1 = (float)(tanhf(v0));
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass

import numpy as np

from symtensor.tensor.type import upcast
from symtensor_cuda.source import family_source

CTYPES = {"float32": "float", "float64": "double", "int8": "signed char", "int16": "short",
          "int32": "int", "int64": "long long", "uint8": "unsigned char", "bool": "bool"}
FLOATS = ("float32", "float64")

# NumPy / math names used by the table's ``expr`` -> CUDA math functions (float, double)
_MATH = {name: (name + "f", name) for name in (
    "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "tanh", "sinh", "cosh",
    "sin", "cos", "erf", "floor", "ceil")}
_MATH["round"] = ("rintf", "rint")  # np.round: half to even, as rint in the default mode
_HELPERS = {"sign": "st_sign", "logaddexp": "st_logaddexp", "max": "st_max",
            "min": "st_min", "abs": "st_abs"}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.BitAnd: "&",
           ast.BitOr: "|", ast.BitXor: "^"}
_BINFUNCS = {ast.FloorDiv: "st_floordiv", ast.Mod: "st_mod", ast.Pow: "st_pow"}
_CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.Gt: ">", ast.LtE: "<=",
           ast.GtE: ">="}
_COMPARISONS = ("eq", "neq", "lt", "gt", "le", "ge")
_BITWISE = ("and_", "or_", "xor", "invert")


def ctype(dtype: str) -> str:
    try:
        return CTYPES[str(dtype)]
    except KeyError:
        raise TypeError(f"GPU elementwise: dtype {dtype} is not supported; supported: "
                        f"{sorted(CTYPES)}") from None


def literal(value, dtype: str) -> str:
    """A C literal of ``value`` in ``dtype``."""
    if dtype == "bool":
        return "true" if value else "false"
    if dtype in FLOATS:
        text = repr(float(value))
        if text in ("inf", "-inf", "nan"):
            inf = "INFINITY" if dtype == "float32" else "(double)INFINITY"
            return {"inf": inf, "-inf": f"(-{inf})", "nan": "NAN"}[text]
        return text + ("f" if dtype == "float32" else "")
    return f"(({ctype(dtype)}){int(value)})"


class _Translator:
    """C text of a Python ``expr`` whose names are operands already cast to ``dtype``."""

    def __init__(self, names: dict[str, str], dtype: str, op_name: str):
        self.names, self.dtype, self.op_name = names, dtype, op_name

    def __call__(self, node) -> str:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise NotImplementedError(f"scalar op {self.op_name}: cannot translate "
                                      f"{ast.dump(node)} to CUDA")
        return method(node)

    def _Expression(self, node):
        return self(node.body)

    def _Name(self, node):
        if node.id not in self.names:
            raise NotImplementedError(f"scalar op {self.op_name}: unknown name {node.id!r}")
        return self.names[node.id]

    def _Constant(self, node):
        return literal(node.value, self.dtype)

    def _BinOp(self, node):
        left, right = self(node.left), self(node.right)
        if type(node.op) in _BINFUNCS:
            return f"{_BINFUNCS[type(node.op)]}({left}, {right})"
        return f"({left} {_BINOPS[type(node.op)]} {right})"

    def _UnaryOp(self, node):
        x = self(node.operand)
        if isinstance(node.op, ast.USub):
            return f"(-{x})"
        if isinstance(node.op, ast.UAdd):
            return x
        if isinstance(node.op, ast.Not) or self.dtype == "bool":
            return f"(!{x})"  # ~ on a NumPy bool is logical not
        return f"(~{x})"

    def _Compare(self, node):
        if len(node.ops) != 1:
            raise NotImplementedError(f"scalar op {self.op_name}: chained comparison")
        return f"({self(node.left)} {_CMPOPS[type(node.ops[0])]} {self(node.comparators[0])})"

    def _IfExp(self, node):
        return f"({self(node.test)} ? {self(node.body)} : {self(node.orelse)})"

    def _Call(self, node):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id
        args = [self(a) for a in node.args]
        if name in CTYPES:  # np.float32(x): a cast
            return f"(({args[0]}) != 0)" if name == "bool" else f"(({ctype(name)})({args[0]}))"
        if name in _HELPERS:
            return f"{_HELPERS[name]}({', '.join(args)})"
        if name in _MATH:
            if self.dtype not in FLOATS:  # floor/ceil/round of an integer is the integer
                return args[0]
            return f"{_MATH[name][self.dtype == 'float64']}({', '.join(args)})"
        raise NotImplementedError(f"scalar op {self.op_name}: no CUDA mapping for {name}()")


@dataclass(frozen=True)
class Step:
    """``v_j = op(args)`` with args ``("in", k)``, ``("step", j)`` or ``("const", value)``."""

    op: object  # a ScalarOp
    args: tuple
    dtype: str


@dataclass(frozen=True)
class Program:
    """A fused expression: input dtypes and steps; the last step is the output."""

    in_dtypes: tuple
    steps: tuple

    @property
    def out_dtype(self) -> str:
        return self.steps[-1].dtype

    @property
    def key(self) -> str:
        text = repr((self.in_dtypes, [(s.op.name, s.args, s.dtype) for s in self.steps]))
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    @property
    def kernel_name(self) -> str:
        return f"st_fused_{self.key}"

    def _operand(self, ref) -> tuple[str, str | None]:
        """(C expression, dtype) of a reference; constants have dtype None."""
        if ref[0] == "in":
            return f"a{ref[1]}", self.in_dtypes[ref[1]]
        if ref[0] == "step":
            return f"v{ref[1]}", self.steps[ref[1]].dtype
        return ref[1], None

    def _step(self, j: int, step: Step) -> str:
        ops = [self._operand(r) for r in step.args]
        name = step.op.name
        if name in _COMPARISONS:
            compute = upcast(*[d for _, d in ops if d is not None] or [step.dtype])
        elif name.startswith("cast_"):
            compute = None  # the expr casts itself
        else:
            compute = step.dtype
        if name in _BITWISE and compute in FLOATS:
            raise TypeError(f"GPU elementwise: {name} is not defined for {compute} (NumPy "
                            "refuses it too)")
        names = {}
        for k, (text, dtype) in enumerate(ops):
            keep = compute is None or (name == "switch" and k == 0)
            if dtype is None:  # a constant
                text = literal(text, compute or step.dtype)
            elif not keep and dtype != compute:
                text = f"(({ctype(compute)}){text})"
            names[f"_x{k}"] = text
        expr = step.op.expr.format(*[f"_x{k}" for k in range(len(ops))])
        tree = ast.parse(expr, mode="eval")
        c_expr = _Translator(names, compute or step.dtype, name)(tree)
        return f"    const {ctype(step.dtype)} v{j} = ({ctype(step.dtype)})({c_expr});"

    def body(self) -> str:
        return "\n".join(self._step(j, s) for j, s in enumerate(self.steps))

    def kernel_source(self) -> str:
        """One ``extern "C"`` kernel computing this program over strided operands."""
        nin = len(self.in_dtypes)
        params = [f"const {ctype(d)}* __restrict__ in{k}" for k, d in enumerate(self.in_dtypes)]
        params += [f"{ctype(self.out_dtype)}* __restrict__ out",
                   "const st_i64* __restrict__ meta", "st_i64 n"]
        body = "\n".join("    " + line for line in self.body().splitlines())
        loads = "\n".join(f"        const {ctype(d)} a{k} = in{k}[off[{k}]];"
                          for k, d in enumerate(self.in_dtypes)
                          if re.search(rf"\ba{k}\b", body))  # "second" ignores an input
        return (f'extern "C" __global__ void {self.kernel_name}({", ".join(params)}) {{\n'
                f"    ST_GRID_LOOP(i, n) {{\n"
                f"        st_i64 off[{nin + 1}];\n"
                f"        st_strided_offsets<{nin + 1}>(i, meta, off);\n"
                f"{loads}\n{body}\n"
                f"        out[off[{nin}]] = v{len(self.steps) - 1};\n"
                f"    }}\n}}\n")


def module_source(programs) -> str:
    """``elemwise.cu`` followed by one generated kernel per program."""
    kernels = {p.kernel_name: p.kernel_source() for p in programs}
    return family_source("elemwise") + "\n// ---- generated\n" + "\n".join(kernels.values())


def single_op_program(scalar_op, in_dtypes, out_dtype) -> Program:
    """The program of one Elemwise node."""
    args = tuple(("in", k) for k in range(len(in_dtypes)))
    return Program(tuple(in_dtypes), (Step(scalar_op, args, str(out_dtype)),))


# --------------------------------------------------------------------------- launcher

def collapse_dims(shape, stride_lists):
    """Drop length-1 axes and merge axes that are contiguous in every operand.

    >>> collapse_dims((2, 3, 4), [(12, 4, 1), (0, 0, 1)])
    ((6, 4), [(4, 1), (0, 1)])
    """
    keep = [d for d, n in enumerate(shape) if n != 1]
    dims = [shape[d] for d in keep]
    strides = [[s[d] for d in keep] for s in stride_lists]
    d = len(dims) - 2
    while d >= 0:
        if all(s[d] == s[d + 1] * dims[d + 1] for s in strides):
            dims[d] *= dims[d + 1]
            del dims[d + 1]
            for s in strides:
                del s[d]
        d -= 1
    return tuple(dims), [tuple(s) for s in strides]


def _grid(n: int) -> int:
    return max(1, min((n + 255) // 256, 8192))


class ElemwiseKernels:
    """Compiles programs (cached per runtime) and launches them over DeviceArrays."""

    def __init__(self, runtime):
        self.rt = runtime
        self._modules: dict[str, object] = {}
        self._pending: dict[str, Program] = {}
        self._meta: dict[tuple, object] = {}

    def register(self, program: Program) -> None:
        """Queue a program: the next compile builds every queued program in one module."""
        if program.key not in self._modules:
            self._pending[program.key] = program

    def prepare(self, programs=()) -> None:
        """Compile the queued programs and ``programs`` into one module (one compiler run)."""
        for p in programs:
            self.register(p)
        if self._pending:
            todo = list(self._pending.values())
            module = self.rt.compile(module_source(todo))
            for p in todo:
                self._modules[p.key] = module
            self._pending.clear()

    def meta(self, shape, stride_lists):
        key = (shape, tuple(stride_lists))
        arr = self._meta.get(key)
        if arr is None:
            host = np.array([len(shape), *shape, *[s for st in stride_lists for s in st]],
                            dtype=np.int64)
            if len(self._meta) > 4096:
                self._meta.clear()
            arr = self._meta[key] = self.rt.to_device(host)
        return arr

    def __call__(self, program: Program, inputs, out=None):
        """Run ``program`` over ``inputs`` (DeviceArrays, broadcast together) into ``out``
        (a new C-contiguous array when None; any strided view otherwise)."""
        if len(inputs) != len(program.in_dtypes):
            raise ValueError(f"elementwise kernel: expected {len(program.in_dtypes)} inputs, "
                             f"got {len(inputs)}")
        for k, (x, dtype) in enumerate(zip(inputs, program.in_dtypes, strict=True)):
            if x.dtype.name != dtype:
                raise TypeError(f"elementwise kernel: input {k} has dtype {x.dtype.name}, the "
                                f"program expects {dtype}")
        shape = np.broadcast_shapes(*[x.shape for x in inputs]) if inputs else ()
        if out is None:
            out = self.rt.empty(shape, program.out_dtype)
        elif out.shape != tuple(shape) or out.dtype.name != program.out_dtype:
            raise ValueError(f"elementwise kernel: out is {out.shape} {out.dtype}, expected "
                             f"{tuple(shape)} {program.out_dtype}")
        n = out.size
        if n == 0:
            return out
        operands = [x.broadcast_to(shape) for x in inputs] + [out]
        dims, strides = collapse_dims(tuple(shape), [x.elem_strides for x in operands])
        module = self._modules.get(program.key)
        if module is None:
            self.prepare([program])
            module = self._modules[program.key]
        meta = self.meta(dims, strides)
        module.launch(program.kernel_name, (_grid(n),), (256,), *operands, meta, n)
        return out


def elemwise_kernels(runtime) -> ElemwiseKernels:
    """The runtime's (cached) :class:`ElemwiseKernels`."""
    ek = getattr(runtime, "_elemwise", None)
    if ek is None:
        ek = runtime._elemwise = ElemwiseKernels(runtime)
    return ek
