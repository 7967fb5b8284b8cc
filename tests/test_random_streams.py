"""RandomStreams and MRG_RandomStreams: statistics with fixed seeds, reproducibility,
state updates, and the graph properties of random ops (no folding, no merging of draws)."""

import subprocess
import sys

import numpy as np
import pytest

import symtensor as theano
import symtensor.tensor as T
from symtensor.gradient import NullTypeGradError
from symtensor.sandbox.rng_mrg import MRG_RandomStreams
from symtensor.tensor.ops.random import RandomFunction, RandomStateType
from symtensor.tensor.shared_randomstreams import RandomStreams

STREAMS = [RandomStreams, MRG_RandomStreams]
N = 200_000


@pytest.fixture(autouse=True)
def _float64():
    theano.config.floatX = "float64"


def _draw(expr):
    return theano.function([], expr)()


@pytest.mark.parametrize("streams", STREAMS)
def test_uniform_statistics(streams):
    srng = streams(seed=42)
    u = _draw(srng.uniform(size=(N,), low=-1.0, high=3.0))
    assert u.dtype == np.float64 and u.shape == (N,)
    assert u.min() >= -1.0 and u.max() < 3.0
    assert u.mean() == pytest.approx(1.0, abs=0.02)  # sd of the mean: 0.0026
    assert u.var() == pytest.approx(16 / 12, rel=0.02)


@pytest.mark.parametrize("streams", STREAMS)
def test_normal_statistics(streams):
    srng = streams(seed=7)
    z = _draw(srng.normal(size=(500, 400), avg=2.0, std=3.0))
    assert z.shape == (500, 400)
    assert z.mean() == pytest.approx(2.0, abs=0.03)  # sd of the mean: 0.0067
    assert z.std() == pytest.approx(3.0, rel=0.01)


@pytest.mark.parametrize("streams", STREAMS)
def test_binomial_rates_and_dtype(streams):
    srng = streams(seed=1)
    b = _draw(srng.binomial(size=(N,), n=1, p=0.3))
    assert b.dtype == np.int64 and set(np.unique(b)) <= {0, 1}
    assert b.mean() == pytest.approx(0.3, abs=0.005)  # sd of the mean: 0.001
    p = T.dvector("p")
    many = srng.binomial(size=(20_000, 3), n=1, p=p, dtype="float32")
    rates = theano.function([p], many.mean(axis=0))(np.array([0.1, 0.5, 0.9]))
    assert many.dtype == "float32"
    np.testing.assert_allclose(rates, [0.1, 0.5, 0.9], atol=0.015)


def test_binomial_n_trials_and_integers_and_poisson():
    srng = RandomStreams(seed=9)
    b = _draw(srng.binomial(size=(N,), n=10, p=0.25))
    assert b.mean() == pytest.approx(2.5, abs=0.02) and b.var() == pytest.approx(1.875, rel=0.03)
    r = _draw(srng.random_integers(size=(N,), low=-2, high=3))
    assert set(np.unique(r)) == {-2, -1, 0, 1, 2, 3}
    np.testing.assert_allclose(np.bincount(r + 2) / N, 1 / 6, atol=0.005)
    lam = _draw(srng.poisson(size=(N,), lam=4.0))
    assert lam.mean() == pytest.approx(4.0, abs=0.03)


def test_permutation_and_multinomial():
    srng = RandomStreams(seed=2)
    perms = _draw(srng.permutation(size=(50,), n=6))
    assert perms.shape == (50, 6)
    assert all(sorted(p) == list(range(6)) for p in perms)
    counts = _draw(srng.multinomial(size=(2000,), n=5, pvals=[0.2, 0.3, 0.5]))
    assert counts.shape == (2000, 3) and (counts.sum(axis=1) == 5).all()
    np.testing.assert_allclose(counts.mean(axis=0), [1.0, 1.5, 2.5], atol=0.08)
    mrg = MRG_RandomStreams(seed=4)
    pv = T.dmatrix("pv")
    onehot = theano.function([pv], mrg.multinomial(pvals=pv))(np.tile([0.0, 1.0, 0.0], (4, 1)))
    np.testing.assert_array_equal(onehot, np.tile([0, 1, 0], (4, 1)))


@pytest.mark.parametrize("streams", STREAMS)
def test_symbolic_size_and_state_advances(streams):
    srng = streams(seed=3)
    x = T.dmatrix("x")
    u = srng.uniform(size=x.shape)
    f = theano.function([x], u)
    a, b = f(np.zeros((3, 4))), f(np.zeros((3, 4)))
    assert a.shape == (3, 4) and not np.allclose(a, b)
    assert f(np.zeros((2, 5))).shape == (2, 5)


@pytest.mark.parametrize("streams", STREAMS)
def test_same_seed_same_sequence_and_reseeding(streams):
    def sequence(seed, calls=3):
        srng = streams(seed=seed)
        f = theano.function([], [srng.uniform(size=(4,)), srng.normal(size=(2,))])
        return [np.concatenate(f()) for _ in range(calls)]

    first, again, other = sequence(123), sequence(123), sequence(124)
    np.testing.assert_array_equal(np.array(first), np.array(again))
    assert not np.allclose(first[0], other[0])

    srng = streams(seed=123)
    f = theano.function([], [srng.uniform(size=(4,)), srng.normal(size=(2,))])
    np.testing.assert_array_equal(np.concatenate(f()), first[0])
    f()
    srng.seed(123)  # back to the states the streams were created with
    np.testing.assert_array_equal(np.concatenate(f()), first[0])
    srng.seed(999)
    assert not np.allclose(np.concatenate(f()), first[0])


@pytest.mark.parametrize("streams", STREAMS)
def test_same_seed_across_processes(streams):
    code = ("import symtensor as theano, numpy as np\n"
            f"from {streams.__module__} import {streams.__name__} as S\n"
            "s = S(seed=77)\n"
            "f = theano.function([], s.uniform(size=(3,)))\n"
            "f(); print(repr(f().tolist()))\n")
    srng = streams(seed=77)
    f = theano.function([], srng.uniform(size=(3,)))
    f()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert eval(out.stdout) == f().tolist()


def test_matches_theano_documented_numbers():
    """Seeding follows Theano, so its tutorial's first draw is reproduced."""
    srng = RandomStreams(seed=234)
    f = theano.function([], srng.uniform((2, 2)))
    np.testing.assert_allclose(f(), [[0.12672381, 0.97091597], [0.13989098, 0.88754825]],
                               rtol=1e-7)


def test_no_default_updates_keeps_the_state():
    srng = RandomStreams(seed=234)
    rv_n = srng.normal((2, 2))
    g = theano.function([], rv_n, no_default_updates=True)
    np.testing.assert_array_equal(g(), g())
    h = theano.function([], rv_n, no_default_updates=[rv_n.rng])
    np.testing.assert_array_equal(h(), h())
    f = theano.function([], rv_n)
    assert not np.allclose(f(), f())
    state_before = rv_n.rng.get_value()
    f()
    assert not rv_n.rng.type.values_eq(state_before, rv_n.rng.get_value())


def test_explicit_state_update_and_get_set_value():
    srng = RandomStreams(seed=8)
    u = srng.uniform(size=(3,))
    f = theano.function([], u)
    saved = u.rng.get_value(borrow=False)
    a = f()
    u.rng.set_value(saved)
    np.testing.assert_array_equal(f(), a)
    assert srng[u.rng] is u.rng.get_value(borrow=True)
    assert srng.updates() == [u.update]


def test_two_draws_in_one_graph_differ_and_one_draw_used_twice_agrees():
    srng = RandomStreams(seed=10)
    u1, u2 = srng.uniform(size=(5,)), srng.uniform(size=(5,))
    a, b = theano.function([], [u1, u2])()
    assert not np.allclose(a, b)
    zero = theano.function([], u1 + u1 - 2 * u1)()
    np.testing.assert_array_equal(zero, 0)


def test_random_ops_are_not_folded_and_keep_their_op():
    srng = MRG_RandomStreams(seed=21)
    u = srng.uniform(size=(3,))  # constant size and parameters
    f = theano.function([], u)
    assert any(isinstance(n.op, RandomFunction) for n in f.fgraph.apply_nodes)
    assert not np.allclose(f(), f())


def test_no_gradient_through_parameters():
    srng = RandomStreams(seed=0)
    p = T.dscalar("p")
    b = srng.binomial(size=(3,), p=p, dtype="float64")
    with pytest.raises(NullTypeGradError, match="no gradient"):
        T.grad(b.sum(), p)
    x = T.dvector("x")
    mask = srng.binomial(size=x.shape, p=0.5, dtype="float64")
    g = theano.function([x], [mask, T.grad((mask * x).sum(), x)], no_default_updates=True)
    m, gx = g(np.ones(6))
    np.testing.assert_array_equal(gx, m)


def test_shared_generator_values_and_types():
    rs = theano.shared(np.random.RandomState(5))
    gen = theano.shared(np.random.default_rng(5))
    assert rs.type == RandomStateType("RandomState") and gen.type == RandomStateType("Generator")
    with pytest.raises(TypeError, match="RandomState"):
        rs.set_value(np.random.default_rng(1))
    with pytest.raises(ValueError, match="seed should not be 0"):
        MRG_RandomStreams(0)
    with pytest.raises(ValueError, match="ndim"):
        RandomStreams(1).uniform(size=T.lvector("s"))
    s = T.lvector("s")
    u = RandomStreams(1).uniform(size=s, ndim=2)
    assert theano.function([s], u)(np.array([2, 3])).shape == (2, 3)
