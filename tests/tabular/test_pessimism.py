"""VI-LCB and pessimistic model-based planning: pessimism certificates against exact values."""

import itertools

import numpy as np
import pytest

from rltheory.tabular import (
    FiniteMDP,
    OfflineDataset,
    collect,
    pessimistic_model_based,
    policy_evaluation,
    policy_iteration,
    vi_lcb,
)
from tests.tabular._helpers import random_mdp


def _all_policies(S, A):
    return [np.array(p) for p in itertools.product(range(A), repeat=S)]


def test_vi_lcb_values_are_lower_bounds_of_its_policy():
    # on the event of the Hoeffding bounds (probability >= 1 - delta), V_T <= V^{pi_T}; fixed seeds
    for seed in range(5):
        mdp = random_mdp(4, 2, 0.8, seed=seed)
        data = collect(mdp, np.full((4, 2), 0.5), n_transitions=20_000, rng=seed)
        res = vi_lcb(data, rng=seed)
        v_pi = policy_evaluation(mdp, res.policy).v
        assert np.all(res.v_lower <= v_pi + 1e-12)
        assert np.all(np.diff(res.values_history, axis=0) >= 0)
        assert res.iterations == int(np.ceil(np.log(20_000) / 0.2))
        assert res.values_history.shape == (res.iterations + 1, 4)


def test_contextual_bandit_lcb_by_hand():
    # gamma = 0: pi(s) = argmax r_hat - sqrt(L / n), L = log(2 S A / delta) / 2
    data = OfflineDataset(
        [0, 0, 0, 0, 0, 1],
        [0, 0, 0, 1, 1, 1],
        [0.6, 0.6, 0.6, 1.0, 0.6, 1.0],
        [0] * 6,
        n_states=2,
        n_actions=2,
        gamma=0.0,
    )
    res = vi_lcb(data, delta=0.1)
    L = 0.5 * np.log(2 * 2 * 2 / 0.1)
    q = np.array([[0.6 - np.sqrt(L / 3), 0.8 - np.sqrt(L / 2)], [-np.sqrt(L), 1.0 - np.sqrt(L)]])
    np.testing.assert_allclose(res.q, q, rtol=0, atol=1e-15)
    assert res.policy.tolist() == [int(np.argmax(q[0])), 1]


def test_reward_bounds_shift_the_values_not_the_policy():
    mdp = random_mdp(3, 2, 0.7, seed=8)
    data = collect(mdp, np.full((3, 2), 0.5), n_transitions=5000, rng=0)
    shifted = OfflineDataset(
        data.states, data.actions, np.asarray(data.rewards) + 2.0, data.next_states, n_states=3, n_actions=2, gamma=0.7
    )
    a = vi_lcb(data, rng=1)
    b = vi_lcb(shifted, reward_bounds=(2.0, 3.0), rng=1)
    np.testing.assert_array_equal(a.policy, b.policy)
    np.testing.assert_allclose(b.v_lower - a.v_lower, 2.0 / 0.3, rtol=0, atol=1e-12)


def test_tv_pessimism_is_a_lower_bound_for_every_policy_at_the_exact_radius():
    # the lemma: with u = ||P - P_hat||_1 exactly (the tightest valid radius), v^pi_pen <= v^pi for every pi
    for seed in range(4):
        mdp = random_mdp(3, 2, 0.9, seed=seed)
        data = collect(mdp, np.full((3, 2), 0.5), n_transitions=300, rng=seed)
        from rltheory.tabular import empirical_mdp

        P_hat = empirical_mdp(data).mdp.dense_P
        u = np.abs(mdp.dense_P - P_hat).sum(axis=2)
        res = pessimistic_model_based(data, tv_radius=u)
        pen = FiniteMDP(res.model.mdp.P, np.asarray(res.model.mdp.R) - res.penalty, gamma=0.9)
        opt = FiniteMDP(res.model.mdp.P, np.asarray(res.model.mdp.R) + res.penalty, gamma=0.9)
        rng = np.random.default_rng(seed)
        pols = _all_policies(3, 2) + [rng.dirichlet(np.ones(2), size=3) for _ in range(10)]
        for pi in pols:
            v = policy_evaluation(mdp, pi).v
            assert np.all(policy_evaluation(pen, pi).v <= v + 1e-10)
            assert np.all(policy_evaluation(opt, pi).v >= v - 1e-10)
        v_star = policy_iteration(mdp).v
        v_hat = policy_evaluation(mdp, res.policy).v
        assert np.max(v_star - v_hat) <= res.policy_suboptimality_bound + 1e-10
        assert np.all(res.v_lower <= v_hat + 1e-10) and np.all(v_star <= res.v_upper + 1e-10)


def test_weissman_radii_cover_the_true_l1_errors():
    for seed in range(5):
        mdp = random_mdp(4, 2, 0.9, seed=seed)
        data = collect(mdp, np.full((4, 2), 0.5), n_transitions=2000, rng=seed)
        res = pessimistic_model_based(data, delta=0.05)
        err = np.abs(mdp.dense_P - res.model.mdp.dense_P).sum(axis=2)
        assert np.all(err <= res.tv_radius)
        assert res.tv_radius.max() <= 2.0


def test_unvisited_pairs_are_avoided_by_pessimism():
    # state 0: action 0 is logged (reward 0.5), action 1 never; the plug-in fill-in would be arbitrary
    data = OfflineDataset([0] * 50, [0] * 50, [0.5] * 50, [0] * 50, n_states=1, n_actions=2, gamma=0.5)
    assert pessimistic_model_based(data).policy.tolist() == [0]
    assert vi_lcb(data, rng=0).policy.tolist() == [0]


def test_bad_requests():
    episodic = collect(random_mdp(2, 2, 1.0, horizon=2), np.array([0, 0]), n_episodes=3, rng=0)
    with pytest.raises(ValueError, match="vi_lcb learns from discounted transition data; this dataset is episodic"):
        vi_lcb(episodic)
    data = OfflineDataset([0, 0], [0, 1], [0.5, 1.5], [0, 0], n_states=1, n_actions=2, gamma=0.5)
    with pytest.raises(ValueError, match=r"rewards\[1\] = 1.5 \(row 1\) is outside reward_bounds = \(0.0, 1.0\)"):
        vi_lcb(data)
    with pytest.raises(ValueError, match="cannot be split into T \\+ 1 = 11 subsets"):
        vi_lcb(
            OfflineDataset([0] * 3, [0] * 3, [0.0] * 3, [0] * 3, n_states=1, n_actions=1, gamma=0.5), n_iterations=10
        )
    with pytest.raises(ValueError, match="needs gamma < 1"):
        pessimistic_model_based(OfflineDataset([0], [0], [0.0], [0], n_states=1, n_actions=1, gamma=1.0))
