"""One entry point for the LeNet benchmarks: tables on stdout, results.json and PNG plots.

    python -m benchmarks [--only ops,epoch,compile] [--epochs N] [--batches N] [--out DIR]
                         [--rounds N] [--dataset PATH | --synthetic] [--profile] [--tiny]

* ``ops``: per-op forward / forward+backward times on every backend (``benchmarks/ops.py``);
* ``epoch``: LeNet training epochs in symtensor, PyTorch and NumPy, interleaved
  (``benchmarks/lenet_epoch.py``), in this process;
* ``compile``: ``train_model``'s compile + first call in fresh processes, once with empty
  Numba / symtensor caches (cold) and once more on the caches that run filled (warm).

GPU columns are added when ``symtensor_cuda`` (or torch) reports a usable GPU.  ``--tiny``
is a smoke run (batch 4 ops, 20-example minibatches of synthetic data, one epoch).
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO, cuda_status, machine_info, progress, setup  # noqa: E402

PARTS = ("ops", "epoch", "compile")


def run_ops(opts) -> dict:
    from benchmarks import ops
    argv = ["--rounds", str(opts.rounds)] + (["--tiny"] if opts.tiny else [])
    return ops.main(argv)


def epoch_argv(opts) -> list:
    argv = ["--epochs", str(opts.epochs), "--batches", str(opts.batches)]
    if opts.synthetic or opts.tiny:
        argv.append("--synthetic")
    else:
        argv += ["--dataset", opts.dataset]
    if opts.tiny:
        argv += ["--batch-size", "20", "--cuda", "off"]
    if opts.profile:
        argv.append("--profile")
    return argv


def run_epoch(opts) -> dict:
    from benchmarks import lenet_epoch
    return lenet_epoch.main(epoch_argv(opts))


def run_compile(opts) -> dict:
    """Cold then warm compile of train_model, each in a fresh process."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="symtensor-bench-cache-") as tmp:
        env = dict(os.environ, SYMTENSOR_CACHE=str(Path(tmp) / "symtensor"),
                   NUMBA_CACHE_DIR=str(Path(tmp) / "numba"))
        for label in ("cold", "warm"):
            progress(f"compile: {label} cache, in a fresh process")
            path = Path(tmp) / f"{label}.json"
            argv = [sys.executable, "-m", "benchmarks.lenet_epoch", "--compile-only",
                    "--synthetic", "--batches", "1", "--cuda", "off", "--json", str(path)]
            if opts.tiny:
                argv += ["--batch-size", "20"]
            t0 = time.perf_counter()
            proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                out[label] = {"error": proc.stderr[-2000:]}
                continue
            info = json.loads(path.read_text())["compile"]
            info["process_s"] = time.perf_counter() - t0
            out[label] = info
    print("\ntrain_model compile (fresh process each; function() + first call, seconds)")
    print(f"{'cache':<6} {'function()':>11} {'first call':>11} {'process':>9} {'numba cache':>12}")
    for label, info in out.items():
        if "error" in info:
            print(f"{label:<6} FAILED: {info['error'].strip().splitlines()[-1]}")
            continue
        print(f"{label:<6} {info['compile_s']:>11.2f} {info['first_call_s']:>11.2f} "
              f"{info['process_s']:>9.1f} {info['numba_cache_state']:>12}")
    return out


# --------------------------------------------------------------------------- plots
def plot_ops(result, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows, backends = result["rows"], result["backends"]
    keys = list(dict.fromkeys((r["op"], r["pass"]) for r in rows))
    by = {(r["op"], r["pass"], r["backend"]): r["median_s"] * 1e3 for r in rows}
    fig, ax = plt.subplots(figsize=(max(8, 1.0 * len(keys)), 5))
    width = 0.8 / max(1, len(backends))
    xs = np.arange(len(keys))
    for i, b in enumerate(backends):
        vals = [by.get((op, ph, b), np.nan) for op, ph in keys]
        ax.bar(xs + (i - (len(backends) - 1) / 2) * width, vals, width, label=b)
    ax.set_xticks(xs, [f"{op}\n{ph}" for op, ph in keys], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("median ms (log scale)")
    ax.set_title(f"LeNet ops by backend, batch {result['batch']}, {result['rounds']} rounds")
    ax.legend(fontsize=8)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_epoch(result, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = result["epoch_times_s"]
    names = list(times)
    med = [result["median_s"][n] for n in names]
    fig, ax = plt.subplots(figsize=(max(5, 1.4 * len(names)), 4))
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]
    ax.bar(names, med, color=[colors[i % len(colors)] for i in range(len(names))], alpha=0.7)
    for i, n in enumerate(names):
        ax.plot([i] * len(times[n]), times[n], "k.", ms=5)
    ax.set_ylabel("seconds per epoch (bar: median, dots: epochs)")
    ax.set_title(f"LeNet epoch: {result['batches']} batches of {result['batch_size']}")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --------------------------------------------------------------------------- driver
def summary(results) -> None:
    print("\n=== summary ===")
    if "epoch" in results and "median_s" in results["epoch"]:
        e = results["epoch"]
        print("epoch medians: " + ", ".join(f"{k} {v:.2f} s" for k, v in e["median_s"].items())
              + "; ratios vs symtensor: "
              + ", ".join(f"{k} {v:.2f}" for k, v in e["ratio_vs_symtensor"].items()))
        a = e.get("agreement", {})
        if a:
            print(f"cost agreement after {a['steps']} steps: max |diff| torch "
                  f"{a['max_cost_diff']['torch']:.1e}, numpy {a['max_cost_diff']['numpy']:.1e}")
    if "ops" in results:
        fr = [r for r in results["ops"]["rows"] if r["backend"] not in
              ("symtensor FAST_RUN",) and r["ratio_vs_fast_run"]]
        slower = sorted((r for r in fr if r["backend"] in ("numpy im2col", "torch")),
                        key=lambda r: r["ratio_vs_fast_run"])[:3]
        if slower:
            print("ops where FAST_RUN is furthest behind: " + "; ".join(
                f"{r['op']} {r['pass']} ({r['backend']} x{r['ratio_vs_fast_run']:.2f})"
                for r in slower))
    if "compile" in results:
        c = results["compile"]
        print("compile (function() + first call): " + ", ".join(
            f"{k} {v['compile_s'] + v['first_call_s']:.1f} s" for k, v in c.items()
            if "error" not in v))


def parser() -> argparse.ArgumentParser:
    from benchmarks.common import DEFAULT_DATASET
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(PARTS),
                   help=f"comma-separated parts among {','.join(PARTS)} (default: all)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batches", type=int, default=100)
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds for ops")
    p.add_argument("--dataset", default=str(DEFAULT_DATASET))
    p.add_argument("--synthetic", action="store_true")
    p.add_argument("--profile", action="store_true", help="symtensor per-op profile (epoch)")
    p.add_argument("--tiny", action="store_true", help="a quick smoke run")
    p.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    return p


def main(argv=None) -> dict:
    opts = parser().parse_args(argv)
    parts = [s.strip() for s in opts.only.split(",") if s.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"--only: unknown part(s) {sorted(unknown)}; known: {PARTS}")
    if opts.tiny and "--epochs" not in (argv if argv is not None else sys.argv):
        opts.epochs = 1
    setup()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    results = {"command": "python -m benchmarks " + " ".join(
        argv if argv is not None else sys.argv[1:]), "machine": machine_info(),
        "device": cuda_status(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    plots = []
    for part in parts:
        progress(f"running {part}")
        results[part] = {"ops": run_ops, "epoch": run_epoch, "compile": run_compile}[part](opts)
        if part == "ops":
            plot_ops(results["ops"], out / "ops.png")
            plots.append(out / "ops.png")
        if part == "epoch" and "epoch_times_s" in results["epoch"]:
            plot_epoch(results["epoch"], out / "epoch.png")
            plots.append(out / "epoch.png")
    summary(results)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    print(f"\nwrote {out / 'results.json'}" + "".join(f", {p}" for p in plots))
    return results


if __name__ == "__main__":
    main()
