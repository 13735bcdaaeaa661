"""Expressivity of Markov rewards: the realizability LPs, their duality witness, and the multi-objective examples.

Theorems asserted: V^pi(mu) = <r, d^pi> is linear in r, so a SOAP is realizable iff the convex hulls of the
acceptable and unacceptable occupancies are disjoint, the LP margin being half their l1 distance (LP duality,
derived in rltheory.tabular._expressivity); Abel et al. (2021, Thm 4.1)'s point that some SOAPs are not
realizable (an XOR task); Skalse & Abate (2023): a linear scalarization's ordering is always realized by
sum_i w_i r_i, a conjunction of constraints or a max-min ordering need not be.
"""

import numpy as np
import pytest
import scipy.optimize as so

from rltheory.tabular import (
    FiniteMDP,
    deterministic_policy_values,
    policy_evaluation,
    realize_policy_order,
    realize_policy_set,
)
from rltheory.tabular._occupancy_lp import policy_occupancies


def stay_put(S=2, A=2, gamma=0.5):
    P = np.zeros((S, A, S))
    for s in range(S):
        P[s, :, s] = 1.0
    return FiniteMDP(P, np.zeros((S, A)), gamma=gamma, initial_distribution=np.full(S, 1 / S))


def start_values(mdp, policies, r):
    m = FiniteMDP(mdp.P, r, gamma=mdp.gamma, action_mask=mdp.action_mask)
    mu = np.asarray(mdp.initial_distribution)
    return np.array([mu @ np.asarray(policy_evaluation(m, p).v) for p in policies])


def hull_distance(DG, DB):
    """min over lambda, nu in simplices of ||DG^T lambda - DB^T nu||_1 (an independent LP, HiGHS)."""
    g, b, n = len(DG), len(DB), DG.shape[1]
    # variables (lambda, nu, u): min sum u, -u <= DG^T l - DB^T nu <= u
    c = np.r_[np.zeros(g + b), np.ones(n)]
    M = np.hstack([DG.T, -DB.T])
    A_ub = np.vstack([np.hstack([M, -np.eye(n)]), np.hstack([-M, -np.eye(n)])])
    A_eq = np.vstack([np.r_[np.ones(g), np.zeros(b + n)], np.r_[np.zeros(g), np.ones(b), np.zeros(n)]])
    res = so.linprog(
        c, A_ub=A_ub, b_ub=np.zeros(2 * n), A_eq=A_eq, b_eq=[1, 1], bounds=[(0, None)] * (g + b + n), method="highs"
    )
    return res.fun


def test_xor_soap_is_not_realizable_and_the_dual_is_the_witness():
    mdp = stay_put()
    res = realize_policy_set(mdp, np.array([True, False, False, True]))
    assert not res.realizable and res.margin == 0.0
    D = policy_occupancies(mdp, np.asarray(res.policies), np.asarray(mdp.initial_distribution)).reshape(4, -1)
    y = np.asarray(res.dual_weights)
    lam, nu = 2 * y[:2], 2 * y[2:]  # good rows first, then bad
    np.testing.assert_allclose([lam.sum(), nu.sum()], [1.0, 1.0], atol=1e-7)
    mix_g, mix_b = lam @ D[[0, 3]], nu @ D[[1, 2]]
    assert np.abs(mix_g - mix_b).sum() <= 1e-6  # equal occupancies: no reward can separate them


@pytest.mark.parametrize("seed", range(6))
def test_margin_is_half_the_l1_distance_of_the_hulls_and_the_reward_realizes(seed):
    rng = np.random.default_rng(seed)
    S, A = 2 + seed % 2, 2
    mdp = FiniteMDP(
        rng.dirichlet(np.ones(S), size=(S, A)),
        np.zeros((S, A)),
        gamma=0.7,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )
    n = A**S
    good = rng.uniform(size=n) < 0.5
    good[0], good[-1] = True, False
    res = realize_policy_set(mdp, good)
    mu = np.asarray(mdp.initial_distribution)
    D = policy_occupancies(mdp, np.asarray(res.policies), mu).reshape(n, -1)
    assert res.margin == pytest.approx(0.5 * hull_distance(D[good], D[~good]), abs=1e-6)
    if res.realizable:
        V = start_values(mdp, res.policies, np.asarray(res.reward))
        assert V[good].min() - V[~good].max() >= 2 * res.margin - 1e-6
    assert res.duality_gap <= 1e-6 and res.status == "optimal"


def test_a_conjunction_of_objective_constraints_is_not_expressible():
    # two objectives on the stay-put MDP: J = (1, 1), (2, 0), (0, 2), (1, 1) for the four policies
    mdp = stay_put()
    r1 = np.array([[1.0, 0.0], [0.0, 1.0]])
    r2 = np.array([[0.0, 1.0], [1.0, 0.0]])
    J = np.asarray(deterministic_policy_values(mdp, np.array([r1, r2])).values)
    np.testing.assert_allclose(J, [[1, 1], [2, 0], [0, 2], [1, 1]])
    spec = np.all(J >= 1.0, axis=1)  # "J_1 >= 1 and J_2 >= 1"
    assert spec.tolist() == [True, False, False, True]
    assert not realize_policy_set(mdp, spec).realizable
    # the max-min ordering is the same XOR; any linear scalarization is realizable by sum_i w_i r_i
    assert not realize_policy_order(mdp, J.min(axis=1)).realizable
    for w in ([0.2, 0.8], [1.0, 0.0], [0.7, 0.3]):  # (w = (1/2, 1/2) ranks every policy equal)
        assert realize_policy_order(mdp, J @ np.array(w)).realizable
    assert realize_policy_set(mdp, J[:, 0] >= 2).realizable  # a single-objective threshold


@pytest.mark.parametrize("seed", range(4))
def test_linear_orderings_are_realized_and_the_reward_reproduces_the_order(seed):
    rng = np.random.default_rng(10 + seed)
    S, A, k = 2, 2 + seed % 2, 2
    mdp = FiniteMDP(
        rng.dirichlet(np.ones(S), size=(S, A)),
        np.zeros((S, A)),
        gamma=0.8,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )
    pv = deterministic_policy_values(mdp, rng.normal(size=(k, S, A)))
    w = rng.dirichlet(np.ones(k))
    scores = np.asarray(pv.values) @ w
    res = realize_policy_order(mdp, scores)
    assert res.realizable
    V = start_values(mdp, pv.policies, np.asarray(res.reward))
    order = np.argsort(scores)
    assert np.all(np.diff(V[order]) >= res.margin - 1e-6)


def test_errors():
    mdp = stay_put()
    with pytest.raises(ValueError, match="at least one acceptable"):
        realize_policy_set(mdp, np.ones(4, dtype=bool))
    with pytest.raises(ValueError, match="one per deterministic policy"):
        realize_policy_set(mdp, np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="two policies differently"):
        realize_policy_order(mdp, np.zeros(4))
