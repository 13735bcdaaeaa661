"""Edge-of-reach: depths, the exact error identity, overestimation with the true model, the ensemble-minimum fix."""

import numpy as np
import pytest

from rltheory.tabular import FiniteMDP, policy_evaluation, policy_iteration, rollout_value_learning
from rltheory.tabular.envs import chain, garnet


def _exit_error(mdp, res):
    """E_s[gamma^tau (v_hat - v^pi)(s_tau)] on the updated states, by its own linear system (not the solver's)."""
    pi = res.policy
    S = mdp.n_states
    P_pi = np.asarray(mdp.dense_P)[np.arange(S), pi]  # (S, S)
    v_pi = np.asarray(policy_evaluation(mdp, pi).v)
    U = np.asarray(res.updated)
    boundary = np.where(U, 0.0, np.asarray(res.v_estimate) - v_pi)
    # e_U = gamma P_UU e_U + gamma P_U,notU boundary
    PUU = P_pi[np.ix_(U, U)]
    rhs = mdp.gamma * P_pi[U] @ boundary
    e = np.linalg.solve(np.eye(U.sum()) - mdp.gamma * PUU, rhs)
    return e, v_pi


def test_depths_and_edge_of_a_chain():
    mdp = chain(6, gamma=0.9)
    res = rollout_value_learning(mdp, [0], 2, q_init=np.zeros((6, mdp.n_actions)))
    d = np.asarray(res.depth)
    assert np.all(res.updated == ((d >= 0) & (d < 2))) and np.all(res.edge_of_reach == (d == 2))
    assert res.edge_of_reach.any() and not np.any(res.updated & res.edge_of_reach)


@pytest.mark.parametrize("seed", range(6))
def test_error_is_exactly_the_discounted_edge_error(seed):
    g = np.random.default_rng(seed)
    mdp = garnet(12, 3, 2, rng=seed, gamma=0.85)
    q0 = g.uniform(-5, 10, size=(12, 3))
    res = rollout_value_learning(mdp, g.choice(12, size=2, replace=False), int(g.integers(1, 4)), q_init=q0)
    assert res.converged
    e, v_pi = _exit_error(mdp, res)
    U = np.asarray(res.updated)
    np.testing.assert_allclose(np.asarray(res.v_estimate)[U] - v_pi[U], e, rtol=0, atol=1e-8)


@pytest.mark.parametrize("seed", range(6))
def test_optimistic_edge_overestimates_and_the_ensemble_minimum_is_pessimistic(seed):
    g = np.random.default_rng(100 + seed)
    mdp = garnet(12, 3, 2, rng=seed, gamma=0.85)  # rewards in [0, 1]
    v_max = 1.0 / (1.0 - mdp.gamma)
    starts, k = np.array([0]), 2
    naive = rollout_value_learning(mdp, starts, k, q_init=np.full((12, 3), v_max) + g.uniform(0, 1, size=(12, 3)))
    U = np.asarray(naive.updated)
    v_pi = np.asarray(policy_evaluation(mdp, naive.policy).v)
    assert np.all(np.asarray(naive.v_estimate)[U] >= v_pi[U] - 1e-9)  # over-estimation, true model
    assert naive.edge_of_reach.any() and naive.v_estimate[0] > v_pi[0] + 1.0  # the start reaches the edge at k = 2
    # RAVL: an ensemble whose minimum at the edge is below r_min / (1 - gamma) = 0
    ens = g.uniform(-1.0, v_max, size=(20, 12, 3))
    ens[0] = -1.0
    ravl = rollout_value_learning(mdp, starts, k, q_init=ens)
    v_r = np.asarray(policy_evaluation(mdp, ravl.policy).v)
    assert np.all(np.asarray(ravl.v_estimate)[U] <= v_r[U] + 1e-9)
    np.testing.assert_array_equal(ravl.q[U], rollout_value_learning(mdp, starts, k, q_init=ens.min(axis=0)).q[U])


def test_full_reach_has_no_edge_and_recovers_q_star():
    mdp = garnet(8, 2, 2, rng=3, gamma=0.8)
    res = rollout_value_learning(mdp, np.arange(8), 1, q_init=np.full((8, 2), 100.0))
    assert res.updated.all() and not res.edge_of_reach.any()
    np.testing.assert_allclose(res.v_estimate, policy_iteration(mdp).v, rtol=0, atol=1e-8)


def test_bad_inputs_are_refused():
    mdp = garnet(4, 2, 2, rng=0, gamma=0.8)
    with pytest.raises(ValueError, match=r"start_states\[1\] = 9 is not a state in \[0, 4\)"):
        rollout_value_learning(mdp, [0, 9], 1, q_init=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="non-empty 1-d array"):
        rollout_value_learning(mdp, [], 1, q_init=np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"q_init has shape \(4, 3\), expected \(4, 2\) or \(N, 4, 2\)"):
        rollout_value_learning(mdp, [0], 1, q_init=np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"q_init\[0, 1, 0\] is nan"):
        rollout_value_learning(mdp, [0], 1, q_init=np.array([[0, 0], [np.nan, 0], [0, 0], [0, 0]]))
    with pytest.raises(ValueError, match="rollout_length"):
        rollout_value_learning(mdp, [0], 0, q_init=np.zeros((4, 2)))
    with pytest.raises(ValueError):
        rollout_value_learning(
            FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=1.0, horizon=2), [0], 1, q_init=np.zeros((1, 1))
        )
