"""Best-of-N: the exact law (Fractions, Monte Carlo), the KL formula as an upper bound and its continuum limit
(sympy), the win-rate bound, the KL-RL frontier, and the large-deviation equivalence of Yang et al. (2024)."""

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.bandits import best_of_n, best_of_n_asymptotics, best_of_n_kl_formula, kl_reward_frontier


def test_law_is_exact_with_fractions_and_ties():
    ref = [Fraction(1, 6), Fraction(1, 3), Fraction(1, 4), Fraction(1, 4)]
    rewards = [0.0, 1.0, 1.0, 2.0]  # responses 1 and 2 tie
    n = 3
    # group masses: F = (1/6, 3/4, 1); the tied group shares its mass 3/4^3 - 1/6^3 in proportion 1/3 : 1/4
    g = [Fraction(1, 6) ** 3, Fraction(3, 4) ** 3 - Fraction(1, 6) ** 3, 1 - Fraction(3, 4) ** 3]
    expected = [g[0], g[1] * Fraction(4, 7), g[1] * Fraction(3, 7), g[2]]
    res = best_of_n([float(x) for x in ref], rewards, n)
    np.testing.assert_allclose(res.action_probabilities, [float(x) for x in expected], rtol=1e-14)
    np.testing.assert_allclose(
        best_of_n([float(x) for x in ref], rewards, 1).action_probabilities, [float(x) for x in ref], rtol=1e-14
    )


def test_law_matches_sampling():
    rng = np.random.default_rng(0)
    ref = np.array([0.1, 0.4, 0.3, 0.2])
    r = np.array([3.0, 0.0, 1.0, 2.0])
    draws = rng.choice(4, p=ref, size=(200_000, 5))
    picked = draws[np.arange(draws.shape[0]), np.argmax(r[draws], axis=1)]
    freq = np.bincount(picked, minlength=4) / draws.shape[0]
    law = best_of_n(ref, r, 5).action_probabilities
    assert np.max(np.abs(freq - law) / np.sqrt(law * (1 - law) / draws.shape[0])) < 5


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.integers(2, 8), st.integers(1, 64), st.integers(0, 10_000))
def test_kl_formula_is_a_strict_upper_bound_and_win_rate_at_most_n_over_n_plus_1(Y, n, seed):
    # Beirami et al. (2024), Thm 3.1 and Sec. 5
    rng = np.random.default_rng(seed)
    ref = rng.dirichlet(np.ones(Y))
    r = rng.integers(0, 4, size=Y).astype(float)  # ties allowed
    res = best_of_n(ref, r, n)
    assert res.kl <= res.kl_formula + 1e-12
    if n > 1:
        assert res.kl < res.kl_formula
    assert res.kl <= math.log(1 / ref[r == r.max()].sum()) + 1e-12  # and at most log(1 / pi_ref(best group))
    assert res.win_rate <= n / (n + 1) + 1e-12


def test_formula_is_the_continuum_limit():
    # KL of the maximum of N uniforms (density N u^(N-1)) to the uniform: log N - (N - 1)/N, symbolically
    u, N = sp.symbols("u N", positive=True)
    kl = sp.integrate(N * u ** (N - 1) * sp.log(N * u ** (N - 1)), (u, 0, 1), conds="none")
    assert sp.simplify(kl - (sp.log(N) - (N - 1) / N)) == 0
    # and the exact KL of Y equiprobable distinct responses increases to it; the win rate to n / (n + 1)
    n = 6
    gaps = [
        best_of_n_kl_formula(n) - best_of_n(np.full(Y, 1 / Y), np.arange(Y, dtype=float), n).kl
        for Y in (10, 100, 1000, 10000)
    ]
    assert all(a > b > 0 for a, b in zip(gaps, gaps[1:])) and gaps[-1] < 1e-3
    assert best_of_n(np.full(10000, 1e-4), np.arange(10000.0), n).win_rate == pytest.approx(n / (n + 1), abs=1e-4)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(2, 6), st.integers(2, 30), st.integers(0, 10_000))
def test_best_of_n_lies_below_the_kl_rl_frontier(Y, n, seed):
    rng = np.random.default_rng(seed)
    ref = rng.dirichlet(np.ones(Y))
    r = rng.normal(size=Y)
    res = best_of_n(ref, r, n)
    assert res.expected_reward <= float(kl_reward_frontier(ref, r, res.kl)[0]) + 1e-9


def test_best_of_n_and_kl_rl_are_asymptotically_equivalent():
    # Yang et al. (2024): N = e^{m Delta}; the per-token reward of best-of-N tends to x(Delta), Lambda*(x) = Delta
    p, r, delta = np.array([0.5, 0.3, 0.2]), np.array([0, 1, 3]), 0.3
    res = best_of_n_asymptotics(p, r, delta, [10, 30, 100, 300, 1000])
    gaps = res.kl_rl_reward - res.best_of_n_reward
    assert (gaps > 0).all() and all(a > b for a, b in zip(gaps, gaps[1:])) and gaps[-1] < 0.01
    # the KL-RL side: the tilted token law has KL = Delta and mean x
    q = p * np.exp(res.tilt * r)
    q /= q.sum()
    assert float(np.sum(q * np.log(q / p))) == pytest.approx(delta, abs=1e-12)
    assert float(q @ r) == pytest.approx(res.kl_rl_reward, abs=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match="reference"):
        best_of_n([0.5, 0.6], [0.0, 1.0], 2)
    with pytest.raises(ValueError, match=r"reference\[1\] = 0"):
        best_of_n([1.0, 0.0], [0.0, 1.0], 2)
    with pytest.raises(ValueError, match="n = 0"):
        best_of_n([0.5, 0.5], [0.0, 1.0], 0)
    with pytest.raises(ValueError, match="integers"):
        best_of_n_asymptotics([0.5, 0.5], [0.0, 1.5], 0.1, [5])
    with pytest.raises(ValueError, match="delta"):
        best_of_n_asymptotics([0.5, 0.5], [0, 1], 1.0, [5])
