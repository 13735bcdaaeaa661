"""Restless bandits: Whittle indices against Gittins indices of frozen arms, the joint optimum, the relaxation."""

import itertools

import numpy as np
import pytest

from rltheory.bandits import (
    RestlessArm,
    RestlessBandit,
    restless_optimal_value,
    whittle_indices,
    whittle_policy_value,
    whittle_relaxation_bound,
)


def _random_arm(rng, S, gamma=0.9):
    return RestlessArm(rng.dirichlet(np.full(S, 0.7), size=(S, 2)), rng.uniform(size=(S, 2)), gamma)


def _gittins_restart(P1, r1, gamma):
    """Gittins indices by the restart-in-state problem (Katehakis & Veinott 1987): G(s) = (1 - gamma) V_s(s)."""
    S = len(r1)
    out = np.empty(S)
    for s in range(S):
        v = np.zeros(S)
        for _ in range(300):  # value iteration: 0.8^300 < 1e-29, far below the tolerance
            cont = r1 + gamma * P1 @ v
            restart = r1[s] + gamma * P1[s] @ v
            v = np.maximum(cont, restart)
        out[s] = (1 - gamma) * v[s]
    return out


def test_frozen_passive_arms_have_the_gittins_index():
    # a classical bandit arm (passive: frozen, no reward) is indexable, and its Whittle index is its Gittins index
    rng = np.random.default_rng(3)
    for S in (2, 3, 4):
        P1 = rng.dirichlet(np.ones(S), size=S)
        r1 = rng.uniform(size=S)
        P = np.stack([np.eye(S), P1], axis=1)
        R = np.stack([np.zeros(S), r1], axis=1)
        res = whittle_indices(RestlessArm(P, R, 0.8))
        assert res.indexable
        np.testing.assert_allclose(res.indices, _gittins_restart(P1, r1, 0.8), atol=1e-8)


def test_index_identity_both_actions_optimal():
    rng = np.random.default_rng(4)
    for _ in range(3):
        arm = _random_arm(rng, 3)
        res = whittle_indices(arm)
        assert np.all(np.abs(res.advantage) <= (res.tol + 1e-9 * max(1, np.abs(res.indices).max())) / (1 - arm.gamma))


def test_joint_optimum_is_the_best_stationary_deterministic_policy():
    from rltheory.bandits._restless import _joint_mdp
    from rltheory.tabular import policy_evaluation

    rng = np.random.default_rng(5)
    b = RestlessBandit((_random_arm(rng, 2), _random_arm(rng, 2)), 1)
    mdp, states, actions = _joint_mdp(b)
    best = np.max(
        [policy_evaluation(mdp, np.array(p)).v for p in itertools.product(range(len(actions)), repeat=len(states))],
        axis=0,
    )
    np.testing.assert_allclose(restless_optimal_value(b).v, best, atol=1e-10)


def test_index_policy_optimum_relaxation_sandwich_and_k_equal_n():
    rng = np.random.default_rng(6)
    b = RestlessBandit(tuple(_random_arm(rng, 2) for _ in range(2)), 1)
    opt = restless_optimal_value(b).v
    assert np.all(whittle_policy_value(b).v <= opt + 1e-9)
    assert np.all(whittle_relaxation_bound(b).bound >= opt - 1e-9)
    everyone = RestlessBandit(b.arms, 2)  # K = N: no choice, the relaxation is exact (lambda = 0 term vanishes)
    np.testing.assert_allclose(whittle_policy_value(everyone).v, restless_optimal_value(everyone).v, atol=1e-10)
    np.testing.assert_allclose(whittle_relaxation_bound(everyone).bound, restless_optimal_value(everyone).v, atol=1e-6)


def test_index_policy_activates_k_arms_of_largest_index():
    rng = np.random.default_rng(7)
    arms = tuple(_random_arm(rng, 2) for _ in range(3))
    W = [whittle_indices(a).indices for a in arms]
    res = whittle_policy_value(RestlessBandit(arms, 2), W)
    for s, act in zip(RestlessBandit(arms, 2).joint_states(), res.policy, strict=True):
        ranked = sorted(range(3), key=lambda i, s=s: (-W[i][s[i]], i))
        assert sorted(act.tolist()) == sorted(ranked[:2])


def test_validation_names_the_argument():
    with pytest.raises(ValueError, match="P"):
        RestlessArm(np.ones((2, 3, 2)) / 2, np.zeros((2, 3)), 0.9)
    arm = RestlessArm(np.ones((1, 2, 1)), [[0.0, 1.0]], 0.5)
    other = RestlessArm(np.ones((1, 2, 1)), [[0.0, 1.0]], 0.6)
    with pytest.raises(ValueError, match="gamma"):
        RestlessBandit((arm, other), 1)
    with pytest.raises(ValueError, match="n_active"):
        RestlessBandit((arm,), 2)
    with pytest.raises(ValueError, match="RestlessArm"):
        whittle_indices("arm")


def test_a_non_indexable_arm_is_detected():
    # found by random search; rounded to three decimals. State 0 is passive at subsidy -1 but active again at 0
    # (checked directly with policy iteration below, both far from a tie), so the passive sets are not nested
    from rltheory.tabular import policy_iteration

    P = np.array(
        [
            [[0.553, 0.009, 0.438], [0.0, 0.99, 0.01]],
            [[0.268, 0.672, 0.06], [0.0, 0.999, 0.001]],
            [[1.0, 0.0, 0.0], [0.243, 0.022, 0.735]],
        ]
    )
    R = np.array([[-0.983, -0.946], [0.226, -0.891], [-0.171, 0.275]])
    arm = RestlessArm(P, R, 0.99)

    def advantage(lam):
        q = policy_iteration(arm.subsidy_mdp(lam)).q
        return q[:, 1] - q[:, 0]

    assert advantage(-1.0)[0] < -0.1 and advantage(0.0)[0] > 0.1
    assert not whittle_indices(arm).indexable
