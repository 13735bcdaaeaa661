"""Finite-horizon policy evaluation and stage occupancies against backward induction and trajectory enumeration."""

import itertools

import numpy as np
import pytest

from rltheory.tabular import backward_induction, finite_horizon_policy_evaluation, stage_occupancy
from rltheory.tabular._finite_horizon_evaluation import policy_tensor
from tests.tabular._helpers import EPS, random_mdp


def test_optimal_policy_evaluates_to_the_backward_induction_values():
    for seed in range(3):
        mdp = random_mdp(4, 3, 0.9, seed=seed, horizon=5)
        opt = backward_induction(mdp)
        res = finite_horizon_policy_evaluation(mdp, opt.policy)
        np.testing.assert_allclose(res.v, opt.v, rtol=0, atol=64 * 5 * EPS * 5)
        np.testing.assert_allclose(res.q, opt.q, rtol=0, atol=64 * 5 * EPS * 5)


def _enumerate(mdp, pi):
    """E[sum_h gamma^h r] and P(s_h = s, a_h = a) by summing over every trajectory."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    P, R, mu = mdp.dense_P, np.asarray(mdp.R), mdp.initial_distribution
    value, occ = 0.0, np.zeros((H, S, A))
    for traj in itertools.product(range(S), range(A), repeat=H):
        s, a = traj[0::2], traj[1::2]
        p = mu[s[0]]
        for h in range(H):
            p *= pi[h, s[h], a[h]]
            if h + 1 < H:
                p *= P[s[h], a[h], s[h + 1]]
        if p == 0:
            continue
        value += p * sum(mdp.gamma**h * R[s[h], a[h]] for h in range(H))
        for h in range(H):
            occ[h, s[h], a[h]] += p
    return value, occ


def test_values_and_occupancies_match_trajectory_enumeration():
    mdp = random_mdp(3, 2, 0.7, seed=4, horizon=3)
    pi = np.random.default_rng(0).dirichlet(np.ones(2), size=(3, 3))
    value, occ = _enumerate(mdp, pi)
    res = finite_horizon_policy_evaluation(mdp, pi)
    assert res.value == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(stage_occupancy(mdp, pi), occ, rtol=0, atol=1e-15)


def test_occupancy_identity_and_normalization():
    mdp = random_mdp(5, 2, 0.95, seed=6, horizon=6)
    pi = np.random.default_rng(1).integers(0, 2, (6, 5))
    d = stage_occupancy(mdp, pi)
    np.testing.assert_allclose(d.sum(axis=(1, 2)), 1.0, rtol=0, atol=1e-14)
    discounted = sum(0.95**h * (d[h] * mdp.R).sum() for h in range(6))
    assert finite_horizon_policy_evaluation(mdp, pi).value == pytest.approx(discounted, rel=1e-13)


def test_policy_shapes_and_errors():
    mdp = random_mdp(2, 2, 1.0, seed=0, horizon=2)
    np.testing.assert_array_equal(policy_tensor(mdp, np.array([1, 0]))[1], [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match=r"policy\[1\] \(stage 1\): policy\[0\] = 5 is not an action"):
        policy_tensor(mdp, np.array([[0, 0], [5, 0]]))
    with pytest.raises(ValueError, match="policy has 3 stages"):
        policy_tensor(mdp, np.zeros((3, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="stage_occupancy needs an initial distribution"):
        stage_occupancy(random_mdp(2, 2, 1.0, seed=0, horizon=2, initial=False), np.array([0, 0]))
    with pytest.raises(ValueError, match="finite_horizon_policy_evaluation solves finite-horizon"):
        finite_horizon_policy_evaluation(random_mdp(2, 2, 0.9), np.array([0, 0]))
