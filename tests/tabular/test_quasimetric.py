"""Quasimetric RL's LP: its optimum is the shortest-path distance of the transition graph (QRL, Wang et al. 2023,
Thm 1 in tabular form), hence, for deterministic dynamics, the optimal steps-to-go of the goal-reaching SSP.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph

from rltheory.tabular import FiniteMDP, quasimetric_distances, value_iteration


def random_deterministic(seed, S=6, A=2, p_extra=0.0):
    rng = np.random.default_rng(seed)
    P = np.zeros((S, A, S))
    nxt = rng.integers(0, S, size=(S, A))
    P[np.arange(S)[:, None], np.arange(A)[None, :], nxt] = 1.0
    if p_extra:  # a stochastic variant: some mass to a second successor
        other = rng.integers(0, S, size=(S, A))
        P *= 1 - p_extra
        P[np.arange(S)[:, None], np.arange(A)[None, :], other] += p_extra
    return FiniteMDP(P, np.zeros((S, A)), gamma=0.9), rng


def graph_distances(mdp, costs):
    S, A = mdp.n_states, mdp.n_actions
    P = np.asarray(mdp.dense_P)
    W = np.full((S, S), np.inf)
    for s in range(S):
        for a in range(A):
            for t in np.flatnonzero(P[s, a] > 0):
                if t != s:
                    W[s, t] = min(W[s, t], costs[s, a])
    G = sp.csr_array(np.where(np.isfinite(W), W, 0.0))
    return csgraph.shortest_path(G, method="D")


@pytest.mark.parametrize("seed", range(6))
def test_lp_optimum_is_the_shortest_path_distance(seed):
    mdp, rng = random_deterministic(seed, p_extra=0.3 if seed % 2 else 0.0)
    costs = rng.uniform(0.5, 2.0, size=(6, 2)) if seed >= 3 else np.ones((6, 2))
    res = quasimetric_distances(
        mdp, costs=None if seed < 3 else costs, weights=rng.uniform(0.5, 1.5, size=(6, 6)) if seed == 4 else None
    )
    expected = graph_distances(mdp, costs)
    np.testing.assert_allclose(res.distances, expected, atol=1e-6)
    assert res.status == "optimal" and res.duality_gap <= 1e-5


def test_deterministic_distances_are_the_goal_reaching_ssp_values():
    mdp, _ = random_deterministic(11, S=5, A=3)
    D = np.asarray(quasimetric_distances(mdp).distances)
    P = np.asarray(mdp.dense_P)
    for g in range(5):
        reach = np.isfinite(D[:, g])
        if reach.sum() < 2:
            continue
        # SSP to goal g on the states that reach it: cost -1 per step, g terminal (absorbing, reward 0)
        idx = np.flatnonzero(reach)
        pos = {s: i for i, s in enumerate(idx)}
        Pg = np.zeros((len(idx), 3, len(idx)))
        mask = np.zeros((len(idx), 3), dtype=bool)
        for s in idx:
            for a in range(3):
                t = int(np.argmax(P[s, a]))
                if s == g:
                    Pg[pos[s], a, pos[s]] = 1.0
                    mask[pos[s], a] = True
                elif t in pos:
                    Pg[pos[s], a, pos[t]] = 1.0
                    mask[pos[s], a] = True
        R = np.where(mask, -1.0, 0.0)
        R[pos[g]] = 0.0
        ssp = FiniteMDP(Pg, R, gamma=1.0, terminal_states=[pos[g]], action_mask=mask)
        vi = value_iteration(ssp, tol=1e-10)
        np.testing.assert_allclose(-np.asarray(vi.v), D[idx, g], atol=1e-6)


def test_errors():
    mdp, _ = random_deterministic(0)
    with pytest.raises(ValueError, match="must be positive"):
        quasimetric_distances(mdp, costs=np.zeros((6, 2)))
    with pytest.raises(ValueError, match="weights"):
        quasimetric_distances(mdp, weights=np.zeros((6, 6)))
