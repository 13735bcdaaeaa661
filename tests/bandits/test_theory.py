"""Theory curves and statistical checks of the regret theorems.

Statistical tests use 95% two-sided intervals of the mean (CLT), so a correct
implementation fails one check with probability <= 2.5%; the seeds are fixed,
so the outcome is deterministic.
"""

import math

import numpy as np
import pytest

from rltheory.bandits import (
    EXP3,
    KLUCB,
    UCB1,
    BernoulliBandit,
    GaussianBandit,
    SequenceBandit,
    ThompsonSampling,
    exp3_regret_bound,
    klucb_regret_bound,
    lai_robbins_constant,
    lai_robbins_curve,
    minimax_lower_bound,
    moss_regret_bound,
    ucb1_regret_bound,
)
from rltheory.simulation import simulate

TWO = BernoulliBandit([0.9, 0.8])


def test_lai_robbins_constant_closed_forms():
    kl = 0.8 * math.log(0.8 / 0.9) + 0.2 * math.log(0.2 / 0.1)
    assert lai_robbins_constant(TWO) == pytest.approx(0.1 / kl, rel=1e-12)
    # Gaussian: gap / (gap^2 / (2 sigma^2)) = 2 sigma^2 / gap
    g = GaussianBandit([1.0, 0.5, 0.0], sigma=2.0)
    assert lai_robbins_constant(g) == pytest.approx(8 / 0.5 + 8 / 1.0)
    np.testing.assert_allclose(lai_robbins_curve(g, [1, 10]), [0.0, 24 * math.log(10)])


def test_bound_formulas():
    b = BernoulliBandit([0.5, 0.4, 0.2])
    expected = 8 * math.log(1000) * (1 / 0.1 + 1 / 0.3) + (1 + math.pi**2 / 3) * 0.4
    assert ucb1_regret_bound(b, 1000) == pytest.approx(expected)
    assert minimax_lower_bound(3, 100) == pytest.approx(math.sqrt(200) / 27)
    assert moss_regret_bound(b, 100) == pytest.approx(49 * math.sqrt(300))
    assert exp3_regret_bound(b, 100) == pytest.approx(2 * math.sqrt(math.e - 1) * math.sqrt(300 * math.log(3)))
    # KL-UCB's explicit bound dominates the Lai-Robbins leading term and is capped by n * sum(gaps)
    t = np.array([10.0, 1e3, 1e6])
    kb = klucb_regret_bound(b, t)
    assert (kb <= t * b.gaps.sum() + 1e-9).all() and kb[-1] > lai_robbins_curve(b, 1e6)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ucb1_regret_bound(GaussianBandit([0.0, 1.0]), 10), r"\[0, 1\]"),
        (lambda: lai_robbins_constant(SequenceBandit(np.ones((3, 2)))), "stochastic"),
        (lambda: minimax_lower_bound(1, 10), "n_arms"),
        (lambda: minimax_lower_bound(5, 2), "K - 1"),
        (lambda: ucb1_regret_bound(TWO, 0), ">= 1"),
        (lambda: klucb_regret_bound(TWO, 10, grid=1), "grid"),
        (lambda: exp3_regret_bound(GaussianBandit([0.0, 1.0]), 10), r"\[0, 1\]"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_ucb1_mean_regret_below_finite_time_bound():
    # Auer et al. (2002), Theorem 1: E[R_n] <= bound for every n; upper 95% CI below it
    bandit = BernoulliBandit([0.9, 0.8, 0.6])
    curve = simulate(bandit, UCB1(), n_rounds=5000, n_runs=100, seed=0, checkpoints=20)
    assert (curve.upper <= ucb1_regret_bound(bandit, curve.times)).all()


def test_exp3_below_its_bound_on_an_adversarial_sequence():
    # Auer et al. (2002b), Corollary 3.2: G_max - E[G_Exp3] <= 2 sqrt(e-1) sqrt(T K ln K)
    seq = SequenceBandit.adversarial(5000, 3, rng=0)
    curve = simulate(seq, EXP3(), n_rounds=5000, n_runs=100, seed=0, checkpoints=[5000], confidence=0.95)
    real = curve.realized_regret[:, -1]
    upper = real.mean() + 1.96 * real.std(ddof=1) / math.sqrt(real.size)
    assert upper <= exp3_regret_bound(seq, 5000)


def _log_slope(curve):
    m = curve.regret.mean(axis=0)
    return (m[-1] - m[0]) / math.log(curve.times[-1] / curve.times[0])


@pytest.mark.parametrize("policy", [KLUCB(), ThompsonSampling()])
def test_regret_per_log_t_approaches_lai_robbins(policy):
    # Garivier & Cappe (2011, Thm 1) and Kaufmann et al. (2012, Thm 1): R_T / log T -> C
    # (Lai & Robbins 1985).  The theorem is asymptotic, so this fast check only asserts
    # that the growth rate dR/dlog t on [10^3, 2 10^4] lies in [C/2, 2C].
    C = lai_robbins_constant(TWO)
    curve = simulate(TWO, policy, n_rounds=20000, n_runs=200, seed=0, checkpoints=[1000, 20000])
    assert C / 2 <= _log_slope(curve) <= 2 * C


@pytest.mark.slow
@pytest.mark.parametrize("policy", [KLUCB(), ThompsonSampling()])
def test_regret_per_log_t_approaches_lai_robbins_long(policy):
    # heavier version: window [10^4, 10^6], 200 runs, band [0.6 C, 1.6 C]
    C = lai_robbins_constant(TWO)
    curve = simulate(TWO, policy, n_rounds=10**6, n_runs=200, seed=1, checkpoints=[10**4, 10**6])
    assert 0.6 * C <= _log_slope(curve) <= 1.6 * C
