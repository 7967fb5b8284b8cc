"""How fast is each op of the LeNet graph, forward and forward+backward, on each backend?

    python -m benchmarks.ops [--rounds 5] [--batch 500] [--tiny] [--json PATH]

Ops at the tutorial's shapes (batch 500): conv1 x(500,1,28,28) w(20,1,5,5) (gradient for w
only, as in LeNet), conv2 x(500,20,12,12) w(50,20,5,5), 2x2 max pool on (500,20,24,24) and
(500,50,8,8), dot 500x800 @ 800x500, softmax + mean NLL on 500x10, tanh(x + bias) on
(500,20,12,12).  Backends: symtensor ``PY`` (the NumPy ``perform`` reference), symtensor
``FAST_RUN`` (Numba), the NumPy im2col reference of ``benchmarks/numpy_lenet.py`` and
PyTorch (plus symtensor ``cuda`` and torch on the GPU when one is usable).

``fwd`` computes the op's output; ``fwd+bwd`` computes the output and the gradients of the
op's differentiable inputs given an output gradient (each framework keeps or recomputes
whatever its backward needs).  All (op, pass, backend) cells run interleaved, round after
round; the table gives median milliseconds and each backend's time over FAST_RUN's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    cuda_status,
    interleave,
    machine_info,
    median,
    progress,
    setup,
)

REFERENCE = "symtensor FAST_RUN"


def op_specs(batch: int) -> dict:
    """name -> (kind, shapes); shapes are those of the tutorial's graph."""
    n = batch
    return {
        "conv1": ("conv", {"x": (n, 1, 28, 28), "w": (20, 1, 5, 5), "grad_x": False}),
        "conv2": ("conv", {"x": (n, 20, 12, 12), "w": (50, 20, 5, 5), "grad_x": True}),
        "pool1": ("pool", {"x": (n, 20, 24, 24)}),
        "pool2": ("pool", {"x": (n, 50, 8, 8)}),
        "dot": ("dot", {"x": (n, 800), "w": (800, 500)}),
        "softmax_nll": ("softmax_nll", {"z": (n, 10)}),
        "bias_tanh": ("bias_tanh", {"x": (n, 20, 12, 12)}),
    }


def make_inputs(kind, shapes, rng) -> dict:
    f32 = np.float32
    if kind == "conv":
        x = rng.standard_normal(shapes["x"]).astype(f32)
        w = (0.1 * rng.standard_normal(shapes["w"])).astype(f32)
        k = shapes["w"][0]
        ho, wo = shapes["x"][2] - shapes["w"][2] + 1, shapes["x"][3] - shapes["w"][3] + 1
        return {"x": x, "w": w, "gy": rng.standard_normal((shapes["x"][0], k, ho, wo)).astype(f32)}
    if kind == "pool":
        n, c, h, w = shapes["x"]
        return {"x": rng.standard_normal(shapes["x"]).astype(f32),
                "gz": rng.standard_normal((n, c, h // 2, w // 2)).astype(f32)}
    if kind == "dot":
        n, m = shapes["x"][0], shapes["w"][1]
        return {"x": rng.standard_normal(shapes["x"]).astype(f32),
                "w": (0.05 * rng.standard_normal(shapes["w"])).astype(f32),
                "gy": rng.standard_normal((n, m)).astype(f32)}
    if kind == "softmax_nll":
        n, k = shapes["z"]
        return {"z": rng.standard_normal((n, k)).astype(f32),
                "y": rng.integers(0, k, n).astype(np.int32)}
    if kind == "bias_tanh":
        return {"x": rng.standard_normal(shapes["x"]).astype(f32),
                "b": rng.standard_normal(shapes["x"][1]).astype(f32),
                "gz": rng.standard_normal(shapes["x"]).astype(f32)}
    raise ValueError(kind)


# --------------------------------------------------------------------------- symtensor
def symtensor_fns(kind, shapes, a, mode) -> dict:
    """Compiled ``fwd`` and ``fwd+bwd`` callables for one op in ``mode``."""
    import symtensor as theano
    import symtensor.tensor as T
    from symtensor.tensor.nnet import conv2d
    from symtensor.tensor.signal import pool

    def fn(ins, outs):
        return theano.function(ins, outs, mode=mode)

    if kind == "conv":
        x, w, gy = T.tensor4("x"), T.tensor4("w"), T.tensor4("gy")
        y = conv2d(x, w, input_shape=shapes["x"], filter_shape=shapes["w"])
        wrt = [x, w] if shapes["grad_x"] else [w]
        grads = T.grad(None, wrt, known_grads={y: gy})
        f, g = fn([x, w], y), fn([x, w, gy], [y, *grads])
        return {"fwd": lambda: f(a["x"], a["w"]), "fwd+bwd": lambda: g(a["x"], a["w"], a["gy"])}
    if kind == "pool":
        x, gz = T.tensor4("x"), T.tensor4("gz")
        y = pool.pool_2d(x, ws=(2, 2), ignore_border=True)
        (gx,) = T.grad(None, [x], known_grads={y: gz})
        f, g = fn([x], y), fn([x, gz], [y, gx])
        return {"fwd": lambda: f(a["x"]), "fwd+bwd": lambda: g(a["x"], a["gz"])}
    if kind == "dot":
        x, w, gy = T.matrix("x"), T.matrix("w"), T.matrix("gy")
        y = T.dot(x, w)
        grads = T.grad(None, [x, w], known_grads={y: gy})
        f, g = fn([x, w], y), fn([x, w, gy], [y, *grads])
        return {"fwd": lambda: f(a["x"], a["w"]), "fwd+bwd": lambda: g(a["x"], a["w"], a["gy"])}
    if kind == "softmax_nll":
        z, yv = T.matrix("z"), T.ivector("y")
        cost = -T.mean(T.log(T.nnet.softmax(z))[T.arange(yv.shape[0]), yv])
        f, g = fn([z, yv], cost), fn([z, yv], [cost, T.grad(cost, z)])
        return {"fwd": lambda: f(a["z"], a["y"]), "fwd+bwd": lambda: g(a["z"], a["y"])}
    if kind == "bias_tanh":
        x, b, gz = T.tensor4("x"), T.vector("b"), T.tensor4("gz")
        out = T.tanh(x + b.dimshuffle("x", 0, "x", "x"))
        grads = T.grad(None, [x, b], known_grads={out: gz})
        f, g = fn([x, b], out), fn([x, b, gz], [out, *grads])
        return {"fwd": lambda: f(a["x"], a["b"]), "fwd+bwd": lambda: g(a["x"], a["b"], a["gz"])}
    raise ValueError(kind)


# --------------------------------------------------------------------------- numpy
def numpy_fns(kind, shapes, a) -> dict:
    from benchmarks import numpy_lenet as nl

    if kind == "conv":
        def conv_fb():
            y, cols = nl.conv_forward(a["x"], a["w"])
            gw = nl.conv_grad_weights(cols, a["gy"], a["w"].shape)
            if not shapes["grad_x"]:
                return [y, gw]
            return [y, nl.conv_grad_input(a["w"], a["gy"], a["x"].shape), gw]
        return {"fwd": lambda: nl.conv_forward(a["x"], a["w"])[0], "fwd+bwd": conv_fb}
    if kind == "pool":
        def pool_fb():
            out = nl.pool_forward(a["x"])
            return [out, nl.pool_backward(a["x"], out, a["gz"])]
        return {"fwd": lambda: nl.pool_forward(a["x"]), "fwd+bwd": pool_fb}
    if kind == "dot":
        def dot_fb():
            return [np.dot(a["x"], a["w"]), np.dot(a["gy"], a["w"].T), np.dot(a["x"].T, a["gy"])]
        return {"fwd": lambda: np.dot(a["x"], a["w"]), "fwd+bwd": dot_fb}
    if kind == "softmax_nll":
        def sm_fb():
            cost, p = nl.softmax_nll_forward(a["z"], a["y"])
            return [cost, nl.softmax_nll_backward(p, a["y"])]
        return {"fwd": lambda: nl.softmax_nll_forward(a["z"], a["y"])[0], "fwd+bwd": sm_fb}
    if kind == "bias_tanh":
        def bt_fb():
            out = nl.bias_tanh_forward(a["x"], a["b"])
            return [out, *nl.bias_tanh_backward(out, a["gz"])]
        return {"fwd": lambda: nl.bias_tanh_forward(a["x"], a["b"]), "fwd+bwd": bt_fb}
    raise ValueError(kind)


# --------------------------------------------------------------------------- torch
def torch_fns(kind, shapes, a, device="cpu") -> dict:
    import torch
    import torch.nn.functional as F

    cuda = device.startswith("cuda")

    def t(name, grad=False, flip=False):
        v = a[name][:, :, ::-1, ::-1] if flip else a[name]
        return torch.tensor(np.ascontiguousarray(v), device=device, requires_grad=grad)

    def wrap(fwd, fb):
        def run_fwd():
            with torch.no_grad():
                out = fwd()
            if cuda:
                torch.cuda.synchronize()
            return out

        def run_fb():
            out = fb()
            if cuda:
                torch.cuda.synchronize()
            return out
        return {"fwd": run_fwd, "fwd+bwd": run_fb}

    def back(y, wrt, gy):
        return [y.detach(), *torch.autograd.grad(y, wrt, gy)]

    if kind == "conv":
        x, w, gy = t("x", shapes["grad_x"]), t("w", True, flip=True), t("gy")
        wrt = [x, w] if shapes["grad_x"] else [w]
        fns = wrap(lambda: F.conv2d(x, w), lambda: back(F.conv2d(x, w), wrt, gy))
        # torch's filter gradient is for the flipped filters: flip it back to compare
        fns["check"] = lambda outs: [*outs[:-1], outs[-1].flip((2, 3))]
        return fns
    if kind == "pool":
        x, gz = t("x", True), t("gz")
        return wrap(lambda: F.max_pool2d(x, 2), lambda: back(F.max_pool2d(x, 2), [x], gz))
    if kind == "dot":
        x, w, gy = t("x", True), t("w", True), t("gy")
        return wrap(lambda: x @ w, lambda: back(x @ w, [x, w], gy))
    if kind == "softmax_nll":
        z = t("z", True)
        y = torch.tensor(a["y"].astype(np.int64), device=device)

        def cost():
            return F.nll_loss(F.log_softmax(z, dim=1), y)

        def sm_fb():
            c = cost()
            return [c.detach(), *torch.autograd.grad(c, [z])]
        return wrap(cost, sm_fb)
    if kind == "bias_tanh":
        x, b, gz = t("x", True), t("b", True), t("gz")

        def bt():
            return torch.tanh(x + b.view(1, -1, 1, 1))
        return wrap(bt, lambda: back(bt(), [x, b], gz))
    raise ValueError(kind)


# --------------------------------------------------------------------------- driver
def backends(include_cuda: bool) -> dict:
    """backend name -> builder(kind, shapes, inputs) -> {'fwd': fn, 'fwd+bwd': fn}."""
    out = {
        "symtensor PY": lambda k, s, a: symtensor_fns(k, s, a, "PY"),
        REFERENCE: lambda k, s, a: symtensor_fns(k, s, a, "FAST_RUN"),
        "numpy im2col": numpy_fns,
        "torch": torch_fns,
    }
    if include_cuda:
        status = cuda_status()
        if status["symtensor_cuda"]:
            from symtensor.compile.mode import Mode
            out["symtensor cuda"] = lambda k, s, a: symtensor_fns(k, s, a, Mode("cuda"))
        if status["torch_cuda"]:
            out["torch cuda"] = lambda k, s, a: torch_fns(k, s, a, "cuda")
    return out


def _as_list(value):
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _to_numpy(v):
    if hasattr(v, "detach"):
        return v.detach().cpu().numpy()
    return np.asarray(v)


def max_rel_error(got, want) -> float:
    """max over outputs of max|got - want| / (max|want| + 1e-12)."""
    errs = []
    for g, w in zip(_as_list(got), _as_list(want), strict=True):
        g, w = _to_numpy(g).astype(np.float64), _to_numpy(w).astype(np.float64)
        errs.append(float(np.max(np.abs(g - w)) / (np.max(np.abs(w)) + 1e-12)))
    return max(errs)


def run(opts) -> dict:
    setup()
    rng = np.random.default_rng(0)
    specs = op_specs(opts.batch)
    names = [n for n in specs if not opts.ops or n in opts.ops]
    builders = backends(not opts.no_cuda)
    cells, errors = {}, {}
    for name in names:
        kind, shapes = specs[name]
        inputs = make_inputs(kind, shapes, rng)
        per_backend = {}
        for backend, build in builders.items():
            progress(f"ops: building {name} on {backend}")
            try:
                per_backend[backend] = build(kind, shapes, inputs)
            except Exception as err:  # a backend without this op: report it, go on
                errors[f"{name} {backend}"] = f"{type(err).__name__}: {err}"
                progress(f"ops: {name} on {backend} FAILED: {err}")
        for phase in ("fwd", "fwd+bwd"):
            want = per_backend["numpy im2col"][phase]()
            for backend, fns in per_backend.items():
                key = (name, phase, backend)
                try:
                    got = fns[phase]()  # also the warm-up / JIT call
                    if phase == "fwd+bwd" and "check" in fns:
                        got = fns["check"](got)
                    err = max_rel_error(got, want)
                except Exception as exc:
                    errors[" ".join(key)] = f"{type(exc).__name__}: {exc}"
                    progress(f"ops: {' '.join(key)} FAILED: {exc}")
                    continue
                cells[key] = (fns[phase], err)
    times = interleave({k: fn for k, (fn, _) in cells.items()}, opts.rounds, warmup=0,
                       label="ops")
    rows = []
    for (name, phase, backend), ts in times.items():
        rows.append({"op": name, "pass": phase, "backend": backend, "median_s": median(ts),
                     "times_s": ts, "max_rel_err_vs_numpy": cells[(name, phase, backend)][1]})
    ref = {(r["op"], r["pass"]): r["median_s"] for r in rows if r["backend"] == REFERENCE}
    for r in rows:
        base = ref.get((r["op"], r["pass"]))
        r["ratio_vs_fast_run"] = r["median_s"] / base if base else None
    result = {"command": " ".join(sys.argv), "machine": machine_info(), "batch": opts.batch,
              "rounds": opts.rounds, "shapes": {n: specs[n][1] for n in names},
              "backends": list(builders), "rows": rows, "errors": errors}
    print_table(result)
    return result


def print_table(result) -> None:
    rows, backends_ = result["rows"], result["backends"]
    by = {(r["op"], r["pass"], r["backend"]): r for r in rows}
    keys = list(dict.fromkeys((r["op"], r["pass"]) for r in rows))
    width = max(12, *(len(b) for b in backends_))
    print(f"\nPer-op medians, ms (batch {result['batch']}, {result['rounds']} interleaved rounds); "
          f"[x] = time / {REFERENCE} time")
    print(f"{'op':<12} {'pass':<8} " + " ".join(f"{b:>{width}}" for b in backends_))
    for op, phase in keys:
        cells = []
        for b in backends_:
            r = by.get((op, phase, b))
            if r is None:
                cells.append(f"{'-':>{width}}")
                continue
            ratio = f" [{r['ratio_vs_fast_run']:.2f}]" if r["ratio_vs_fast_run"] else ""
            cells.append(f"{1e3 * r['median_s']:.2f}{ratio}".rjust(width))
        print(f"{op:<12} {phase:<8} " + " ".join(cells))
    bad = [r for r in rows if r["max_rel_err_vs_numpy"] > 1e-3]
    for r in bad:
        print(f"  WARNING: {r['op']} {r['pass']} on {r['backend']} differs from numpy by "
              f"{r['max_rel_err_vs_numpy']:.1e} (relative)")
    for key, msg in result["errors"].items():
        print(f"  FAILED: {key}: {msg}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--tiny", action="store_true", help="batch 4, 1 round (a smoke run)")
    p.add_argument("--ops", type=lambda s: s.split(","), default=None,
                   help="comma-separated subset of: " + ",".join(op_specs(1)))
    p.add_argument("--no-cuda", action="store_true", help="skip GPU columns even if usable")
    p.add_argument("--json", help="write the results here")
    return p


def main(argv=None) -> dict:
    opts = parser().parse_args(argv)
    if opts.tiny:
        opts.batch, opts.rounds = 4, 1
    result = run(opts)
    if opts.json:
        Path(opts.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
