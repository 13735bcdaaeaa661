"""Data distributions and concentrability from exact occupancies."""

from fractions import Fraction

import numpy as np
import pytest

from rltheory.tabular import (
    FiniteMDP,
    concentrability,
    data_distribution,
    discounted_occupancy,
    policy_evaluation,
    policy_iteration,
    stage_occupancy,
)
from tests.tabular._helpers import random_mdp


def test_data_distribution_is_the_normalized_occupancy():
    mdp = random_mdp(5, 3, 0.8, seed=0)
    pi = np.random.default_rng(1).dirichlet(np.ones(3), size=5)
    mu = data_distribution(mdp, pi)
    np.testing.assert_allclose(mu.sum(), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(mu, 0.2 * discounted_occupancy(mdp, pi), rtol=0, atol=1e-15)
    # sum_{s,a} mu r / (1 - gamma) = rho^T v^pi (Puterman 2005, Sec. 6.9)
    v = policy_evaluation(mdp, pi).v
    np.testing.assert_allclose((mu * mdp.R).sum() / 0.2, mdp.initial_distribution @ v, rtol=1e-12)


def test_contextual_bandit_data_distribution_is_rho_times_pi():
    mdp = FiniteMDP(np.ones((3, 2, 3)) / 3, np.zeros((3, 2)), gamma=0.0, initial_distribution=[0.5, 0.3, 0.2])
    pi = np.array([[0.1, 0.9], [0.5, 0.5], [1.0, 0.0]])
    np.testing.assert_allclose(data_distribution(mdp, pi), np.array([0.5, 0.3, 0.2])[:, None] * pi, atol=1e-16)


def test_expert_data_have_concentrability_one_and_any_data_at_least_one():
    mdp = random_mdp(6, 2, 0.9, seed=2)
    star = policy_iteration(mdp).policy
    res = concentrability(mdp, data_distribution(mdp, star))
    np.testing.assert_allclose(res.coefficient, 1.0, rtol=1e-12)
    np.testing.assert_array_equal(res.policy, star)
    rng = np.random.default_rng(3)
    for _ in range(10):
        mu = rng.dirichlet(np.ones(12)).reshape(6, 2)
        c = concentrability(mdp, mu).coefficient
        assert c >= 1.0 - 1e-12  # max of a ratio of two distributions


def test_concentrability_by_hand_in_fractions():
    # two states; pi* stays in 0 (reward 1); the data policy stays with probability 1/2.
    # occupancy of 0 under the data: (1 - g) / (1 - g/2) = 2/3 at g = 1/2, half of it on action 0: mu(0,0) = 1/3
    P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 1.0]]])
    mdp = FiniteMDP(P, np.array([[1.0, 0.0], [0.0, 0.0]]), gamma=0.5, initial_distribution=[1.0, 0.0])
    mu = data_distribution(mdp, np.array([[0.5, 0.5], [1.0, 0.0]]))
    g = Fraction(1, 2)
    assert abs(mu[0, 0] - float((1 - g) / (1 - g / 2) / 2)) < 1e-15
    res = concentrability(mdp, mu)
    assert abs(res.coefficient - 3.0) < 1e-12 and res.argmax == (0, 0)
    # C^pi of the data policy itself is 1
    np.testing.assert_allclose(concentrability(mdp, mu, policy=np.array([[0.5, 0.5], [1.0, 0.0]])).coefficient, 1.0)


def test_uncovered_optimal_pairs_give_infinite_concentrability():
    mdp = random_mdp(3, 2, 0.9, seed=4)
    star = policy_iteration(mdp).policy
    wrong = 1 - star
    res = concentrability(mdp, data_distribution(mdp, wrong))
    assert res.coefficient == np.inf


def test_finite_horizon_concentrability_is_stagewise():
    mdp = random_mdp(3, 2, 1.0, seed=5, horizon=3)
    uniform = np.full((3, 2), 0.5)
    mu = data_distribution(mdp, uniform)
    np.testing.assert_allclose(mu, stage_occupancy(mdp, uniform))
    res = concentrability(mdp, mu)
    assert len(res.argmax) == 3 and res.policy.shape == (3, 3)
    h, s, a = res.argmax
    assert res.coefficient == pytest.approx(res.occupancy[h, s, a] / mu[h, s, a], rel=1e-12)
    # a deterministic policy against uniform actions: C^pi <= A^(h+1) overall (each stage multiplies by <= A)
    assert res.coefficient <= 2.0**3 + 1e-9


def test_bad_data_distributions():
    mdp = random_mdp(2, 2, 0.9, seed=0)
    with pytest.raises(ValueError, match=r"data_distribution has shape \(4,\), expected \(2, 2\)"):
        concentrability(mdp, np.full(4, 0.25))
    with pytest.raises(ValueError, match="data_distribution sums to 0.5, expected 1"):
        concentrability(mdp, np.full((2, 2), 0.125))
    with pytest.raises(ValueError, match=r"data_distribution\[0, 1\] = -0.25 is negative"):
        concentrability(mdp, np.array([[0.5, -0.25], [0.5, 0.25]]))
