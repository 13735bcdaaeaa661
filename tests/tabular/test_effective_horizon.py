"""k-QVI-solvability: the random policy's Q, the backups, the smallest k, against exact values and the definition."""

import itertools

import numpy as np
import pytest

from rltheory.tabular import FiniteMDP, backward_induction, finite_horizon_policy_evaluation, qvi_solvability
from rltheory.tabular.envs import garnet


def _trap(n_actions_in_1):
    """State 0: action 0 -> state 1 (one of A actions pays 1), other actions pay 0.4 now; H = 2."""
    A = n_actions_in_1
    P = np.zeros((4, A, 4))
    P[0, 0, 1] = 1.0
    P[0, 1:, 2] = 1.0
    P[1:, :, 3] = 1.0
    R = np.zeros((4, A))
    R[0, 1:] = 0.4
    R[1, 0] = 1.0
    return FiniteMDP(P, R, gamma=1.0, horizon=2, initial_distribution=[1.0, 0, 0, 0])


def test_q_random_is_the_uniform_policy_value():
    mdp = garnet(5, 3, 2, rng=1, gamma=0.9)
    mdp = FiniteMDP(mdp.P, mdp.R, gamma=0.9, horizon=4, initial_distribution=np.full(5, 0.2))
    res = qvi_solvability(mdp)
    ev = finite_horizon_policy_evaluation(mdp, np.full((5, 3), 1 / 3))
    np.testing.assert_allclose(res.q_random, ev.q, rtol=0, atol=1e-12)


@pytest.mark.parametrize("A, k", [(2, 1), (3, 2)])
def test_trap_needs_one_backup_when_the_random_average_misleads(A, k):
    # A = 2: Q^rand(0, 0) = 1/2 > 0.4, greedy is optimal at once; A = 3: 1/3 < 0.4, one backup is needed
    res = qvi_solvability(_trap(A))
    assert res.k == k and res.solvable.tolist() == [k == 1, True]


def _every_greedy_policy_is_optimal(mdp, q, tol=1e-9):
    """Brute force over every deterministic greedy policy (the definition), by exact evaluation."""
    H, S, A = q.shape
    j_star = float(np.asarray(mdp.initial_distribution) @ backward_induction(mdp).v[0])
    choices = [
        np.flatnonzero(q[t, s] >= q[t, s].max() - tol * max(1.0, abs(q[t, s].max())))
        for t in range(H)
        for s in range(S)
    ]
    for pick in itertools.product(*choices):
        pi = np.array(pick, dtype=np.int64).reshape(H, S)
        if finite_horizon_policy_evaluation(mdp, pi).value < j_star - 1e-9:
            return False
    return True


def _deterministic_instance(seed, S=3, A=3, H=3):
    """Random deterministic transitions, sparse rewards in {0, 0.3, 1} (ties happen); start in state 0."""
    g = np.random.default_rng(seed)
    P = np.zeros((S, A, S))
    P[np.arange(S)[:, None], np.arange(A)[None, :], g.integers(0, S, size=(S, A))] = 1.0
    R = g.choice([0.0, 0.0, 0.3, 1.0], size=(S, A))
    return FiniteMDP(P, R, gamma=1.0, horizon=H, initial_distribution=np.eye(S)[0])


@pytest.mark.parametrize("seed", [0, 1, 9, 14, 17])  # chosen so that the brute force gives k = 1, 1, 2, 3, 2
def test_k_matches_the_definition_by_brute_force(seed):
    mdp = _deterministic_instance(seed)
    H = mdp.horizon
    res = qvi_solvability(mdp)
    assert 1 <= res.k <= H
    brute = [_every_greedy_policy_is_optimal(mdp, _q_after(res, mdp, i)) for i in range(1, H + 1)]
    assert res.solvable.tolist() == brute and res.k == 1 + brute.index(True)
    np.testing.assert_allclose(_q_after(res, mdp, H), backward_induction(mdp).q, rtol=0, atol=1e-12)  # Q^H = Q*
    np.testing.assert_array_equal(res.q_k, _q_after(res, mdp, res.k))


def _q_after(res, mdp, i):
    q = np.asarray(res.q_random)
    H = q.shape[0]
    for _ in range(i - 1):
        nq = np.empty_like(q)
        nq[H - 1] = mdp.R
        for t in range(H - 1):
            nq[t] = np.asarray(mdp.R) + mdp.gamma * (np.asarray(mdp.dense_P) @ q[t + 1].max(axis=1))
        q = nq
    return q


def test_qvi_solvability_refuses_bad_models():
    with pytest.raises(ValueError):
        qvi_solvability(garnet(3, 2, 2, rng=0, gamma=0.9))
    mdp = FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=1.0, horizon=2)
    with pytest.raises(ValueError, match="needs an initial distribution"):
        qvi_solvability(mdp)
    with pytest.raises(ValueError, match=r"initial_distribution has shape \(2,\), expected \(1,\)"):
        qvi_solvability(mdp, initial_distribution=[0.5, 0.5])
