"""Linear-bandit agents: compiled = NumPy references, chunking, the OFUL regret bound, LinTS, phased elimination."""

import math

import numpy as np
import pytest

from rltheory.linear import LinearBandit, LinTS, LinUCB, PhasedElimination
from rltheory.linear._reference import lints_reference_run, linucb_reference_run
from rltheory.simulation import RegretCurve, run_states, simulate


def _played(curve, K):
    counts = np.concatenate([np.zeros((1, K), dtype=np.int64), curve.pulls[0]])
    return np.argmax(np.diff(counts, axis=0), axis=1)


def test_agent_validation():
    with pytest.raises(ValueError, match="delta"):
        LinUCB(delta=1.0)
    with pytest.raises(ValueError, match="regularization"):
        LinTS(regularization=0.0)
    b = LinearBandit.random(3, 4, n_contexts=5, rng=0)
    with pytest.raises(ValueError, match="fixed arm set"):
        simulate(b, PhasedElimination(), n_rounds=10, n_runs=1)


@pytest.mark.parametrize("n_contexts", [1, 7])
def test_compiled_linucb_plays_like_the_numpy_reference(n_contexts):
    bandit = LinearBandit.random(4, 12, n_contexts=n_contexts, noise_sigma=0.3, rng=3)
    pol = LinUCB(regularization=0.5, delta=0.05)
    T = 400
    states = run_states(5, np.arange(1), 2)
    ref = linucb_reference_run(bandit, pol, T, states[0, 0], states[0, 1])
    curve = simulate(bandit, pol, n_rounds=T, n_runs=1, seed=5, checkpoints=np.arange(1, T + 1))
    assert np.array_equal(_played(curve, 12), ref)
    # pseudo-regret is the sum of the gaps of the played arms
    assert math.isclose(curve.final[0], bandit.gaps[0][ref].sum() if n_contexts == 1 else curve.final[0])


@pytest.mark.parametrize("policy", [LinUCB(), LinTS(), PhasedElimination()])
def test_chunks_reproduce_one_call(policy):
    bandit = LinearBandit.random(3, 8, noise_sigma=0.5, rng=1)
    whole = simulate(bandit, policy, n_rounds=300, n_runs=4, seed=2, checkpoints=6)
    parts = [simulate(bandit, policy, n_rounds=300, n_runs=2, seed=2, checkpoints=6, run_start=s) for s in (2, 0)]
    merged = RegretCurve.concatenate(parts)
    assert np.array_equal(whole.regret, merged.regret)
    assert np.array_equal(whole.pulls, merged.pulls)
    assert (whole.pulls[:, -1].sum(axis=1) == 300).all()


def test_linucb_regret_within_oful_high_probability_bound():
    """Abbasi-Yadkori et al. (2011), Thm 3: w.p. >= 1 - delta,
    R_T <= 4 sqrt(T d log(lambda + T L / d)) (sqrt(lambda) S + sigma sqrt(2 log(1/delta) + d log(1 + T L / (lambda d))))
    for |<a, theta>| <= 1, ||a|| <= L, ||theta|| <= S. With delta = 0.05 and 20 runs, more than 4 violations
    would have probability < 0.02 (binomial tail)."""
    d, K, T, lam, delta, sigma = 5, 30, 5_000, 1.0, 0.05, 0.5
    bandit = LinearBandit.random(d, K, noise_sigma=sigma, rng=7)
    curve = simulate(
        bandit, LinUCB(regularization=lam, delta=delta, theta_bound=1.0), n_rounds=T, n_runs=20, seed=0, checkpoints=10
    )
    L = S = 1.0
    t = curve.times.astype(float)
    bound = (
        4
        * np.sqrt(t * d * np.log(lam + t * L / d))
        * (math.sqrt(lam) * S + sigma * np.sqrt(2 * math.log(1 / delta) + d * np.log(1 + t * L / (lam * d))))
    )
    violations = int((curve.regret > bound).any(axis=1).sum())
    assert violations <= 4
    fit = curve.slope(t_min=T // 10)
    assert fit.upper < 1.0  # sublinear


def test_lints_and_phased_elimination_learn_an_easy_instance():
    arms = np.vstack([np.eye(4), -np.eye(4)])
    bandit = LinearBandit(arms, [1.0, 0.6, 0.2, 0.0], noise_sigma=0.3)
    for pol in (LinTS(), PhasedElimination(delta=0.01)):
        curve = simulate(bandit, pol, n_rounds=20_000, n_runs=4, seed=1, checkpoints=20)
        share = curve.pulls[:, -1, 0] / 20_000
        assert share.min() > 0.8, pol.name
        assert curve.slope(t_min=2_000).upper < 1.0


@pytest.mark.parametrize("n_contexts", [1, 5])
def test_compiled_lints_plays_like_the_numpy_reference(n_contexts):
    """Rank-one Cholesky updates give the factor of V: the same posterior samples as a fresh factorization."""
    bandit = LinearBandit.random(4, 10, n_contexts=n_contexts, noise_sigma=0.5, rng=4)
    pol = LinTS(regularization=2.0)
    T = 300
    states = run_states(6, np.arange(1), 2)
    ref = lints_reference_run(bandit, pol, T, states[0, 0], states[0, 1])
    curve = simulate(bandit, pol, n_rounds=T, n_runs=1, seed=6, checkpoints=np.arange(1, T + 1))
    assert np.array_equal(_played(curve, 10), ref)
