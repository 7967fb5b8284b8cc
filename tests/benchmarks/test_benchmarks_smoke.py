"""The benchmarks' NumPy LeNet against finite differences, and smoke runs of the scripts.

No timing asserts: the scripts only have to run and write their JSON / PNG files.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import numpy_lenet as nl  # noqa: E402


def _tiny_net():
    # 17x17 images: conv -> 13x13, pool (ignore_border drops a row/col) -> 6x6,
    # conv -> 2x2, pool -> 1x1; 2 and 3 kernels, 4 hidden units.
    rng = np.random.default_rng(0)
    net = nl.NumpyLeNet.random(rng, nkerns=(2, 3), n_hidden=4, image=(1, 17, 17),
                               dtype="float64")
    x = rng.standard_normal((3, 17 * 17))
    y = np.array([1, 7, 3])
    return net, x, y


def test_numpy_lenet_gradients_match_central_differences():
    net, x, y = _tiny_net()
    cost, grads = net.cost_and_grads(x, y)
    assert np.isfinite(cost)
    eps = 1e-6
    rng = np.random.default_rng(1)
    for name in nl.PARAM_NAMES:
        p = net.params[name]
        flat = p.reshape(-1)
        picks = rng.choice(flat.size, size=min(flat.size, 12), replace=False)
        for i in picks:
            old = flat[i]
            flat[i] = old + eps
            up = float(net.forward(x, y)[0])
            flat[i] = old - eps
            down = float(net.forward(x, y)[0])
            flat[i] = old
            numeric = (up - down) / (2 * eps)
            analytic = grads[name].reshape(-1)[i]
            assert abs(numeric - analytic) <= 1e-6 + 1e-5 * abs(numeric), (name, i)


def test_conv_and_pool_pieces_against_loops():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    y, _ = nl.conv_forward(x, w)
    want = np.zeros((2, 4, 5, 5))
    for i in range(5):
        for j in range(5):
            patch = x[:, :, i:i + 3, j:j + 2]  # true convolution: flipped filters
            want[:, :, i, j] = np.einsum("ncab,kcab->nk", patch, w[:, :, ::-1, ::-1])
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
    gy = rng.standard_normal(y.shape)
    # adjoints: <conv(x, w), gy> = <x, grad_input> = <w, grad_weights>
    inner = np.sum(y * gy)
    np.testing.assert_allclose(np.sum(x * nl.conv_grad_input(w, gy, x.shape)), inner)
    _, cols = nl.conv_forward(x, w)
    np.testing.assert_allclose(np.sum(w * nl.conv_grad_weights(cols, gy, w.shape)), inner)
    out = nl.pool_forward(x)  # odd width 7: last row dropped
    assert out.shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(out[0, 0, 1, 2], x[0, 0, 2:4, 4:6].max())
    gx = nl.pool_backward(x, out, np.ones_like(out))
    assert gx.sum() == out.size and np.all(gx[:, :, 6, :] == 0)


def test_ops_script_tiny(tmp_path, capsys):
    pytest.importorskip("torch")
    from benchmarks import ops

    out = tmp_path / "ops.json"
    ops.main(["--tiny", "--ops", "conv2,pool1,softmax_nll", "--no-cuda", "--json", str(out)])
    result = json.loads(out.read_text())
    assert {r["op"] for r in result["rows"]} == {"conv2", "pool1", "softmax_nll"}
    assert not result["errors"]
    assert "symtensor FAST_RUN" in capsys.readouterr().out
    for r in result["rows"]:
        assert r["max_rel_err_vs_numpy"] < 1e-3, r


def test_conv_pool_kernels_script_tiny(capsys):
    from benchmarks import conv_pool_kernels

    conv_pool_kernels.main(["--batch", "2", "--rounds", "1"])
    out = capsys.readouterr().out
    for name in ("im2col", "rows", "shipped", "direct", "grad_weights rows", "max_grad numba"):
        assert f"  {name} " in out, name


def test_gemm_shapes_script_runs(capsys, monkeypatch):
    from benchmarks import gemm_shapes

    monkeypatch.setattr(gemm_shapes, "TOTAL", 1e5)
    gemm_shapes.main(["--rounds", "1"])
    assert "hidden layer" in capsys.readouterr().out


def test_mode_agreement_script_one_step(capsys):
    from benchmarks import common, mode_agreement

    if not common.DEFAULT_DATASET.exists():
        pytest.skip("no MNIST copy beside the repository")
    result = mode_agreement.main(["--batches", "1", "--eval-batches", "1"])
    assert result["cost_diff"] < 1e-4
    assert "FAST_COMPILE" in capsys.readouterr().out


def test_run_entry_point_tiny(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    args = ["benchmarks", "--only", "ops,epoch", "--tiny", "--batches", "2", "--out", str(tmp_path)]
    proc = subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=240, env=dict(os.environ, MPLBACKEND="Agg"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "results.json").read_text())
    assert {"machine", "device", "ops", "epoch"} <= set(result)
    assert result["machine"]["nproc"] >= 1 and result["machine"]["numpy"]
    epoch = result["epoch"]
    assert set(epoch["median_s"]) >= {"symtensor", "torch", "numpy"}
    assert epoch["agreement"]["max_cost_diff"]["torch"] < 1e-3
    for png in ("ops.png", "epoch.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

