"""Projected policy evaluation: certified bounds, mean preservation (Rowland et al. 2018), finite horizons."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.distributional import (
    categorical_policy_evaluation,
    cramer_distance,
    exact_return_distribution,
    quantile_policy_evaluation,
)
from rltheory.distributional._metrics import cramer_rows, winf_quantile_rows
from rltheory.proofs_checks.strategies import finite_mdps, policies
from rltheory.tabular import FiniteMDP


def _v_pi(mdp, pi):
    Ppi = mdp.policy_transition(pi)
    Ppi = Ppi.toarray() if hasattr(Ppi, "toarray") else Ppi
    return np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * Ppi, mdp.policy_reward(pi))


@st.composite
def cases(draw):
    mdp = draw(finite_mdps(n_states=st.integers(1, 5), sparse=st.booleans(), action_mask=True, gamma=st.floats(0.0, 0.9)))
    return mdp, draw(policies(mdp)), draw(st.integers(2, 41))


@given(cases())
def test_categorical_fixed_point_mean_is_v_pi(case):
    # support covering [min r/(1-g), max r/(1-g)] => Pi_C preserves means along the
    # iteration, so the fixed point's mean is v^pi (Rowland et al. 2018, Sec. 3)
    mdp, pi, m = case
    vmax = 1.0 / (1.0 - mdp.gamma)  # rewards in [-1, 1]
    z = np.linspace(-vmax, vmax, m)
    res = categorical_policy_evaluation(mdp, pi, z, tol=1e-9)
    assert res.converged and res.bound <= 1e-9
    # |E mu - E nu| = |int (F - G)| <= sqrt(z_m - z_1) * l2(mu, nu) (Cauchy-Schwarz on [z_1, z_m])
    # and E eta_C = v^pi, so the iterate's mean error is at most sqrt(2 vmax) * bound
    assert np.max(np.abs(res.means - _v_pi(mdp, pi))) <= math.sqrt(2 * vmax) * res.bound + 1e-10
    assert np.all(res.probs >= 0) and np.allclose(res.probs.sum(axis=1), 1.0, atol=1e-12)


@given(cases())
def test_categorical_bound_is_certified(case):
    mdp, pi, m = case
    z = np.linspace(-3, 3, m)  # need not cover the return range
    rough = categorical_policy_evaluation(mdp, pi, z, tol=1e-3)
    fine = categorical_policy_evaluation(mdp, pi, z, tol=1e-13)
    d = cramer_rows(z, rough.probs, fine.probs).max()
    assert d <= rough.bound + fine.bound + 1e-12
    assert rough.residual * math.sqrt(mdp.gamma) / (1 - math.sqrt(mdp.gamma)) == pytest.approx(rough.bound)


@given(cases())
def test_quantile_bound_is_certified(case):
    mdp, pi, n = case
    n = min(n, 12)
    rough = quantile_policy_evaluation(mdp, pi, n, tol=1e-3)
    fine = quantile_policy_evaluation(mdp, pi, n, tol=1e-12)
    assert rough.converged and fine.converged
    assert winf_quantile_rows(rough.locations, fine.locations).max() <= rough.bound + fine.bound + 1e-12
    assert np.all(np.diff(rough.locations, axis=1) >= 0)


def test_categorical_fixed_point_is_close_to_true_law():
    # Rowland et al. 2018 (fixed-point quality): l2(eta_C, eta_pi)^2 <= max_i(z_{i+1} - z_i) / (1 - gamma)
    rng = np.random.default_rng(0)
    P = rng.random((3, 1, 3))
    P /= P.sum(axis=2, keepdims=True)
    mdp = FiniteMDP(P, rng.choice([0.0, 1.0], size=(3, 1)), gamma=0.5)
    pi = np.zeros(3, dtype=np.int64)
    z = np.linspace(0, 2, 11)
    res = categorical_policy_evaluation(mdp, pi, z, tol=1e-12)
    # l2^2 = int (F-G)^2 <= int |F-G| = W_1 <= W_inf, so truncation and merging cost sqrt of their W_inf bounds
    true = exact_return_distribution(mdp, pi, tol=1e-6, merge_atol=1e-5)
    slack = math.sqrt(true.truncation_bound) + math.sqrt(true.merge_bound)
    for s in range(3):
        d = cramer_distance(res.distribution(s), true.distributions[s])
        assert d <= math.sqrt(0.2 / 0.5) + res.bound + slack


def test_finite_horizon_categorical_is_exact_on_an_integer_support():
    # integer rewards, gamma = 1, support containing every reachable return:
    # every projection is the identity, so H projected sweeps give the exact law
    rng = np.random.default_rng(1)
    P = rng.random((3, 2, 3))
    P /= P.sum(axis=2, keepdims=True)
    mdp = FiniteMDP(P, rng.integers(-2, 3, size=(3, 2)).astype(float), gamma=1.0, horizon=4)
    pi = np.array([[0.5, 0.5], [1.0, 0.0], [0.25, 0.75]])
    z = np.arange(-8.0, 9.0)
    res = categorical_policy_evaluation(mdp, pi, z)
    assert res.iterations == 4 and res.bound == 0.0 and res.converged
    exact = exact_return_distribution(mdp, pi)
    for s in range(3):
        np.testing.assert_allclose(res.distribution(s).cdf(z), exact.distributions[s].cdf(z), atol=1e-12)


def test_evaluation_errors():
    P = np.zeros((2, 1, 2))
    P[0, 0, 1] = P[1, 0, 1] = 1.0
    mdp = FiniteMDP(P, np.array([[1.0], [0.0]]), gamma=1.0, terminal_states=[1])
    with pytest.raises(ValueError, match="gamma < 1 or a finite horizon"):
        categorical_policy_evaluation(mdp, np.array([0, 0]), [0.0, 1.0])
    mdp = FiniteMDP(P, np.array([[1.0], [0.0]]), gamma=0.5)
    with pytest.raises(ValueError, match="tol"):
        quantile_policy_evaluation(mdp, np.array([0, 0]), 3, tol=0)
    with pytest.raises(ValueError, match="n_quantiles"):
        quantile_policy_evaluation(mdp, np.array([0, 0]), 0)
    with pytest.raises(ValueError, match="initial"):
        categorical_policy_evaluation(mdp, np.array([0, 0]), [0.0, 1.0], initial=np.ones((2, 3)) / 3)
