"""``python -m symtensor.theano_compat script.py``: unmodified Theano scripts on symtensor."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys

    import numpy
    import theano
    import theano.tensor as T
    from theano.tensor.nnet import sigmoid
    from theano.tensor.shared_randomstreams import RandomStreams

    rng = numpy.random.RandomState(0)
    X = rng.randn(64, 3)
    Y = (X[:, 0] - X[:, 2] > 0).astype(theano.config.floatX)

    x = T.matrix('x')
    y = T.vector('y')
    w = theano.shared(numpy.zeros(3, dtype=theano.config.floatX), name='w')
    b = theano.shared(numpy.asarray(0., dtype=theano.config.floatX), name='b')
    srng = RandomStreams(seed=1)
    keep = srng.binomial(size=x.shape, p=0.9, dtype=theano.config.floatX)
    p_1 = sigmoid(T.dot(x * keep, w) + b)
    cost = T.nnet.binary_crossentropy(p_1, y).mean()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function([x, y], cost, updates=[(w, w - 0.5 * gw), (b, b - 0.5 * gb)])
    costs = [float(train(X, Y)) for _ in range(3)]
    print('args', sys.argv[1:])
    print('modules', theano.__name__, T.__name__, isinstance(x, T.TensorVariable))
    print('costs', costs)
    assert costs[2] < costs[0]
""")


def _run(tmp_path, source, *args):
    script = tmp_path / "script.py"
    script.write_text(source)
    return subprocess.run([sys.executable, "-m", "symtensor.theano_compat", str(script), *args],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)


def test_theano_script_trains_three_steps(tmp_path):
    done = _run(tmp_path, SCRIPT, "--flag", "7")
    assert done.returncode == 0, done.stderr
    assert "args ['--flag', '7']" in done.stdout
    assert "modules theano theano.tensor True" in done.stdout
    costs = eval(done.stdout.split("costs ")[1])
    assert len(costs) == 3 and costs[2] < costs[0]


def test_unsupported_import_fails_naming_it(tmp_path):
    done = _run(tmp_path, "import theano\nfrom theano.foo import bar\n")
    assert done.returncode != 0
    assert "ImportError: symtensor does not implement theano.foo" in done.stderr


PROBES = textwrap.dedent("""
    for line in ["import theano.tensor.not_a_module",
                 "from theano.tensor import not_a_function",
                 "import theano.tensor as T; T.nnet.not_an_op",
                 "import theano; theano.not_a_flag"]:
        try:
            exec(line)
        except (ImportError, AttributeError) as err:
            print(type(err).__name__, err)
""")


def test_missing_modules_and_names_are_named(tmp_path):
    done = _run(tmp_path, PROBES)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "ImportError symtensor does not implement theano.tensor.not_a_module",
        "ImportError symtensor does not implement theano.tensor.not_a_function",
        "AttributeError symtensor does not implement theano.tensor.nnet.not_an_op",
        "AttributeError symtensor does not implement theano.not_a_flag",
    ]


def test_install_in_process_and_script_folder_on_path(tmp_path, monkeypatch):
    from symtensor import theano_compat

    (tmp_path / "helper.py").write_text("VALUE = 3\n")
    (tmp_path / "main.py").write_text(
        "import helper, theano\nRESULT = helper.VALUE + theano.tensor.constant(2).data\n")
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(sys, "path", list(sys.path))
    try:
        result = theano_compat.run_script(str(tmp_path / "main.py"))
        import theano

        import symtensor

        assert result["RESULT"] == 5
        assert theano.function is symtensor.function
        assert theano.tensor.nnet.sigmoid is symtensor.tensor.nnet.sigmoid
    finally:
        theano_compat.uninstall()
        sys.modules.pop("helper", None)
    assert "theano" not in sys.modules


def test_lenet_tutorial_runs_through_the_alias(tmp_path):
    """The LeNet tutorial with Theano's own imports restored runs unmodified otherwise."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    data = repo.parent / "shared" / "data" / "mnist.pkl.gz"
    import os
    if os.environ.get("SYMTENSOR_DATA"):
        data = Path(os.environ["SYMTENSOR_DATA"]) / "mnist.pkl.gz"
    if not data.exists():
        import pytest
        pytest.skip(f"MNIST not found at {data}")
    for name in ("convolutional_mlp.py", "logistic_sgd.py", "mlp.py", "mnist_io.py"):
        text = (repo / "tutorials" / name).read_text()
        text = text.replace("import symtensor as theano", "import theano")
        text = text.replace("symtensor.", "theano.").replace("from symtensor", "from theano")
        import re
        assert not re.search(r"^\s*(import|from)\s+symtensor", text, re.M), name
        (tmp_path / name).write_text(text)
    done = _run(tmp_path, (tmp_path / "convolutional_mlp.py").read_text(), "--dataset",
                str(data), "--n-epochs", "1", "--max-batches", "3", "--batch-size", "100",
                "--nkerns", "4", "6")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Optimization complete." in done.stdout
    assert "epoch 1, minibatch 3/3, validation error" in done.stdout
