"""Exact return laws: finite-horizon values, truncation and merge bounds, agreement with Monte Carlo (DKW)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.distributional import (
    FiniteDistribution,
    exact_return_distribution,
    kolmogorov_distance,
    monte_carlo_returns,
    wasserstein_distance,
)
from rltheory.proofs_checks.strategies import finite_mdps, policies
from rltheory.tabular import FiniteMDP


def _finite_horizon_values(mdp, pi, H):
    v = np.zeros(mdp.n_states)
    Ppi, rpi = mdp.policy_transition(pi), mdp.policy_reward(pi)
    for _ in range(H):
        v = rpi + mdp.gamma * (Ppi @ v)
    return v


def _dkw_radius(n, delta):
    # Massart (1990): P(sup_x |F_n(x) - F(x)| > eps) <= 2 exp(-2 n eps^2)
    return math.sqrt(math.log(2 / delta) / (2 * n))


@st.composite
def horizon_models(draw):
    base = draw(finite_mdps(n_states=st.integers(1, 4), n_actions=st.integers(1, 2), sparse=st.booleans()))
    H = draw(st.integers(1, 4))
    g = draw(st.sampled_from([1.0, 0.9]))
    mdp = FiniteMDP(base.P, base.R, gamma=g, horizon=H)
    return mdp, draw(policies(mdp)), H


@given(horizon_models())
def test_exact_law_mean_is_the_finite_horizon_value(case):
    mdp, pi, H = case
    res = exact_return_distribution(mdp, pi)
    assert res.horizon == H and res.truncation_bound == 0.0 and res.truncation_metric == "none"
    np.testing.assert_allclose([d.mean() for d in res.distributions], _finite_horizon_values(mdp, pi, H), atol=1e-12)


@settings(max_examples=6)
@given(horizon_models(), st.integers(0, 2**31))
def test_exact_law_agrees_with_monte_carlo_within_dkw(case, seed):
    mdp, pi, _ = case
    exact = exact_return_distribution(mdp, pi)
    n = 10_000
    eps = _dkw_radius(n, delta=1e-6)
    for s in range(mdp.n_states):
        mc = monte_carlo_returns(mdp, pi, s, n_episodes=n, seed=seed)
        emp = FiniteDistribution(mc.returns, np.full(n, 1 / n))
        # simulated and enumerated returns sum the same rewards in another order
        # (rounding ~1e-15): compare the CDFs midway between atoms more than
        # 1e-9 apart, where rounding cannot move a return across the point
        x = exact.distributions[s].atoms
        gaps = np.diff(x)
        pts = np.concatenate(((x[:-1] + x[1:])[gaps > 1e-9] / 2, [x[-1] + 1.0]))
        Fn = np.searchsorted(np.sort(mc.returns), pts, side="right") / n
        assert np.max(np.abs(Fn - exact.distributions[s].cdf(pts))) <= eps
        assert (
            abs(emp.mean() - exact.distributions[s].mean())
            <= 10 * math.sqrt(exact.distributions[s].variance() / n) + 1e-9
        )


def test_discounted_truncation_bound_in_w_inf():
    rng = np.random.default_rng(3)
    P = rng.random((3, 2, 3))
    P /= P.sum(axis=2, keepdims=True)
    R = rng.choice([-1.0, 0.0, 2.0], size=(3, 2))
    mdp = FiniteMDP(P, R, gamma=0.6)
    pi = np.array([0, 1, 0])
    short = exact_return_distribution(mdp, pi, horizon=4)
    long = exact_return_distribution(mdp, pi, horizon=9)
    assert short.truncation_metric == "wasserstein-inf"
    assert short.truncation_bound == pytest.approx(0.6**4 * 2.0 / 0.4)
    for a, b in zip(short.distributions, long.distributions):
        assert wasserstein_distance(a, b, np.inf) <= short.truncation_bound + 1e-12
    # tol picks the smallest horizon with bound <= tol
    res = exact_return_distribution(mdp, pi, tol=0.1)
    assert res.truncation_bound <= 0.1 < 0.6 ** (res.horizon - 1) * 2.0 / 0.4


def test_merging_moves_mass_by_at_most_merge_bound():
    rng = np.random.default_rng(5)
    P = rng.random((3, 1, 3))
    P /= P.sum(axis=2, keepdims=True)
    mdp = FiniteMDP(P, rng.random((3, 1)), gamma=0.7)
    pi = np.zeros(3, dtype=np.int64)
    exact = exact_return_distribution(mdp, pi, horizon=6)
    merged = exact_return_distribution(mdp, pi, horizon=6, merge_atol=0.05)
    assert merged.merge_bound == pytest.approx(0.05 * sum(0.7**k for k in range(6)))
    for a, b in zip(exact.distributions, merged.distributions):
        assert b.atoms.size <= a.atoms.size
        assert wasserstein_distance(a, b, np.inf) <= merged.merge_bound + 1e-12
        assert abs(a.mean() - b.mean()) <= 1e-12


def test_undiscounted_terminal_truncation_in_total_variation():
    # gambler-like walk on {0..3}, 0 and 3 terminal, reward 1 per step: return = time to absorption
    P = np.zeros((4, 1, 4))
    P[0, 0, 0] = P[3, 0, 3] = 1.0
    P[1, 0, [0, 2]] = 0.5
    P[2, 0, [1, 3]] = 0.5
    R = np.array([[0.0], [1.0], [1.0], [0.0]])
    mdp = FiniteMDP(P, R, gamma=1.0, terminal_states=[0, 3])
    pi = np.zeros(4, dtype=np.int64)
    short = exact_return_distribution(mdp, pi, horizon=6)
    long = exact_return_distribution(mdp, pi, horizon=30)
    assert short.truncation_metric == "total-variation"
    assert short.truncation_bound == pytest.approx(0.5**6)  # P(not absorbed in 6 steps) = 2^-6
    for a, b in zip(short.distributions, long.distributions):
        assert kolmogorov_distance(a, b) <= short.truncation_bound + 1e-12
    # from state 1 the absorption time is 1 w.p. 1/2, 2 w.p. 1/4, ... (exact geometric law)
    d = long.distributions[1]
    np.testing.assert_allclose(d.probs[:5], 0.5 ** np.arange(1, 6), atol=1e-15)
    with pytest.raises(ValueError, match="horizon"):
        exact_return_distribution(mdp, pi)


def test_monte_carlo_is_reproducible_and_validates():
    P = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
    mdp = FiniteMDP(P, np.array([[1.0], [0.0]]), gamma=0.9)
    pi = np.array([0, 0])
    a = monte_carlo_returns(mdp, pi, 0, n_episodes=3000, tol=1e-3, seed=11)
    b = monte_carlo_returns(mdp, pi, 0, n_episodes=3000, tol=1e-3, seed=11)
    np.testing.assert_array_equal(a.returns, b.returns)
    assert a.truncation_bound <= 1e-3
    with pytest.raises(ValueError, match="start_state"):
        monte_carlo_returns(mdp, pi, 2, n_episodes=10, tol=1e-3)
    with pytest.raises(ValueError, match="n_episodes"):
        monte_carlo_returns(mdp, pi, 0, n_episodes=0, tol=1e-3)
    with pytest.raises(ValueError, match="horizon= or tol="):
        exact_return_distribution(mdp, pi)
    with pytest.raises(ValueError, match="max_atoms"):
        exact_return_distribution(mdp, pi, horizon=12, max_atoms=5)
