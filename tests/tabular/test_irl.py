"""Inverse RL: feasible reward sets against brute-force optimality checks, Ng & Russell's LP, identifiability of
entropy-regularized (and constrained) experts, STARC distances and misspecification sensitivity.

Theorems asserted: pi is optimal for r iff all advantages are <= 0 (Puterman 2005, Thm 6.2.6), the set being
Ng & Russell's (2000, Thm 3) for state rewards and Metelli et al.'s (2021, Lemma 3.2) explicit cone for
state-action rewards; Cao, Cohen & Szpruch (2021, Thm 1): the rewards of an entropy-regularized expert are
tau log pi + potential shaping, and two discounts or two dynamics identify it up to a constant; KKT of the
constrained problem adds the active costs' cone (Schlaginhaufen & Kamgarpour 2023); STARC distances are
pseudometrics invariant to shaping and positive scaling (Skalse et al. 2024).
"""

import numpy as np
import pytest
import scipy.optimize as so

from rltheory.tabular import (
    FiniteMDP,
    discounted_occupancy,
    irl_feasible_set,
    misspecification_sensitivity,
    ng_russell_irl,
    policy_evaluation,
    reward_identifiability,
    soft_irl_reward_set,
    soft_value_iteration,
    starc_distance,
)


def random_mdp(seed, S=3, A=2, gamma=0.8, mask=False):
    rng = np.random.default_rng(seed)
    action_mask = None
    if mask:
        action_mask = rng.uniform(size=(S, A)) < 0.7
        action_mask[np.arange(S), rng.integers(0, A, S)] = True
    return FiniteMDP(
        rng.dirichlet(np.full(S, 0.7), size=(S, A)),
        np.zeros((S, A)),
        gamma=gamma,
        action_mask=action_mask,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )


def is_optimal(mdp, policy, r, tol=1e-9):
    """Brute force: q^pi(s, a) <= v^pi(s) on every allowed pair."""
    m = FiniteMDP(mdp.P, r, gamma=mdp.gamma, action_mask=mdp.action_mask)
    v = np.asarray(policy_evaluation(m, policy).v)
    q = r + mdp.gamma * np.asarray(mdp.dense_P) @ v
    mask = np.asarray(mdp.action_mask)
    return bool(np.all(q[mask] <= np.repeat(v[:, None], mdp.n_actions, 1)[mask] + tol * (1 + np.abs(v).max())))


@pytest.mark.parametrize("seed", range(6))
def test_feasible_set_is_exactly_the_rewards_making_the_expert_optimal(seed):
    mdp = random_mdp(seed, S=3 + seed % 2, A=2 + seed % 2, mask=seed % 3 == 2)
    rng = np.random.default_rng(seed)
    S, A = mdp.n_states, mdp.n_actions
    mask = np.asarray(mdp.action_mask)
    policy = np.array([rng.choice(np.flatnonzero(mask[s])) for s in range(S)])
    fs = irl_feasible_set(mdp, policy)
    # generic rewards: membership agrees with the brute-force optimality check
    agree = 0
    for _ in range(300):
        r = rng.normal(size=(S, A))
        assert fs.contains(r) == is_optimal(mdp, policy, r)
        agree += fs.contains(r)
    assert 0 < agree < 300  # both outcomes were exercised
    # the explicit generators (Metelli et al. 2021, Lemma 3.2): r = -B zeta + (E - gamma P) V is feasible
    E = np.repeat(np.eye(S), A, axis=0)
    K = E - mdp.gamma * np.asarray(mdp.dense_P).reshape(S * A, S)
    for _ in range(50):
        r = (fs.rays @ rng.exponential(size=fs.rays.shape[1]) + K @ rng.normal(size=S)).reshape(S, A)
        assert fs.contains(r) and is_optimal(mdp, policy, r)
    # a deterministic expert's set is full-dimensional, with the shapings (and disallowed pairs) as lineality
    assert fs.dimension == S * A
    assert fs.lineality.shape[1] == S + int((~mask).sum())
    # state rewards: Ng & Russell's Theorem 3
    fs_state = irl_feasible_set(mdp, policy, reward="state")
    for _ in range(200):
        R = rng.normal(size=S)
        assert fs_state.contains(R) == is_optimal(mdp, policy, np.repeat(R[:, None], A, 1))


def test_stochastic_expert_forces_every_supported_action_optimal():
    mdp = random_mdp(3, S=3, A=3)
    rng = np.random.default_rng(0)
    pi = rng.dirichlet(np.ones(3), size=3)  # full support: all actions optimal, A^pi_r = 0
    fs = irl_feasible_set(mdp, pi)
    assert fs.dimension == 3  # only the potential shapings remain
    E = np.repeat(np.eye(3), 3, axis=0)
    K = E - mdp.gamma * np.asarray(mdp.dense_P).reshape(9, 3)
    for _ in range(20):
        r = (K @ rng.normal(size=3)).reshape(3, 3)
        assert fs.contains(r) and is_optimal(mdp, pi, r)
        assert is_optimal(mdp, np.array([rng.integers(3) for _ in range(3)]), r)  # every policy is optimal
    assert not fs.contains(rng.normal(size=9))


def test_ng_russell_lp_makes_the_expert_optimal_and_matches_an_independent_solve():
    for seed in range(4):
        mdp = random_mdp(seed, S=4, A=3, gamma=0.7)
        rng = np.random.default_rng(seed)
        policy = rng.integers(0, 3, size=4)
        for lam in (0.0, 0.1):
            res = ng_russell_irl(mdp, policy, l1_penalty=lam, r_max=2.0)
            assert res.status == "optimal" and res.duality_gap <= 1e-6
            R = np.asarray(res.reward)
            assert np.all(np.abs(R) <= 2.0 + 1e-7)
            assert is_optimal(mdp, policy, np.repeat(R[:, None], 3, 1), tol=1e-6)
            # independent formulation with scipy's HiGHS: same optimum
            P = np.asarray(mdp.dense_P)
            P_pi = P[np.arange(4), policy]
            Minv = np.linalg.inv(np.eye(4) - mdp.gamma * P_pi)
            rows, own = [], []
            for s in range(4):
                for a in range(3):
                    if a != policy[s]:
                        rows.append((P_pi[s] - P[s, a]) @ Minv)
                        own.append(s)
            D = np.array(rows)
            nv = 4 + 4 + 4
            c = np.r_[np.zeros(4), -np.ones(4), lam * np.ones(4)]
            A_ub, b_ub = [], []
            for i, s in enumerate(own):
                A_ub.append(np.r_[-D[i], np.zeros(8)])
                b_ub.append(0.0)
                e = np.zeros(4)
                e[s] = 1
                A_ub.append(np.r_[-D[i], e, np.zeros(4)])
                b_ub.append(0.0)
            for s in range(4):
                e = np.zeros(4)
                e[s] = 1
                A_ub.append(np.r_[e, np.zeros(4), -e])
                b_ub.append(0.0)
                A_ub.append(np.r_[-e, np.zeros(4), -e])
                b_ub.append(0.0)
            bounds = [(-2, 2)] * 4 + [(None, None)] * 8
            ref = so.linprog(c, A_ub=np.array(A_ub), b_ub=b_ub, bounds=bounds, method="highs")
            assert res.objective == pytest.approx(-ref.fun, abs=1e-6)
            assert nv == 12


def soft_expert(mdp, r, tau):
    return np.asarray(
        soft_value_iteration(
            FiniteMDP(mdp.P, r, gamma=mdp.gamma, action_mask=mdp.action_mask), tau, tol=1e-12
        ).action_probabilities
    )


def in_set(rs, r, tol=1e-7):
    """r - particular lies in span(lineality) + cone(rays): least-squares residual with beta >= 0."""
    mask = np.asarray(rs.allowed)
    M = np.hstack([rs.lineality, -rs.lineality, rs.rays])
    res = so.nnls(M, np.asarray(r)[mask] - np.asarray(rs.particular)[mask])
    return res[1] <= tol


@pytest.mark.parametrize("seed", range(3))
def test_soft_reward_set_contains_the_truth_and_only_rewards_with_that_expert(seed):
    mdp = random_mdp(seed, S=3, A=3, gamma=0.85, mask=seed == 2)
    rng = np.random.default_rng(seed)
    r = rng.normal(size=(3, 3))
    tau = 0.7
    pi = soft_expert(mdp, r, tau)
    rs = soft_irl_reward_set(mdp, pi, tau)
    assert in_set(rs, r)
    mask = np.asarray(mdp.action_mask)
    for _ in range(5):
        other = np.zeros((3, 3))
        other[mask] = np.asarray(rs.particular)[mask] + rs.lineality @ rng.normal(size=rs.lineality.shape[1])
        np.testing.assert_allclose(soft_expert(mdp, other, tau), pi, atol=1e-8)
    res = reward_identifiability(rs)
    assert res.consistent and res.dimension == 3 and res.up_to_shaping and not res.up_to_constant


def test_two_discounts_or_two_dynamics_identify_the_reward_up_to_a_constant():
    rng = np.random.default_rng(4)
    S, A, tau = 3, 2, 0.5
    P1, P2 = rng.dirichlet(np.ones(S), size=(S, A)), rng.dirichlet(np.ones(S), size=(S, A))
    r = rng.normal(size=(S, A))
    sets = []
    for P, gamma in ((P1, 0.9), (P1, 0.6), (P2, 0.9)):
        m = FiniteMDP(P, np.zeros((S, A)), gamma=gamma)
        sets.append(soft_irl_reward_set(m, soft_expert(m, r, tau), tau))
    for pair in ((sets[0], sets[1]), (sets[0], sets[2])):
        res = reward_identifiability(*pair)
        assert res.consistent and res.up_to_constant and res.dimension == 1
        diff = np.asarray(res.reward) - r
        assert np.ptp(diff) <= 1e-6  # equal to the truth up to a constant
    same = reward_identifiability(sets[0], sets[0])
    assert same.dimension == S and same.up_to_shaping and not same.up_to_constant


def test_an_active_constraint_breaks_identifiability_up_to_shaping():
    rng = np.random.default_rng(5)
    S, A, tau = 3, 2, 0.5
    mdp = FiniteMDP(
        rng.dirichlet(np.ones(S), size=(S, A)), np.zeros((S, A)), gamma=0.8, initial_distribution=np.full(S, 1 / S)
    )
    r, c = rng.normal(size=(S, A)), rng.uniform(size=(S, A))
    eta = 0.8  # the KKT multiplier: the constrained expert is the soft optimum of r - eta c
    pi = soft_expert(mdp, r - eta * c, tau)
    Jc = float(np.sum(discounted_occupancy(mdp, pi) * c))
    active = soft_irl_reward_set(mdp, pi, tau, costs=c[None], thresholds=[Jc])
    assert active.active.tolist() == [True] and in_set(active, r)
    res = reward_identifiability(active)
    assert res.dimension == S + 1 and not res.up_to_shaping
    inactive = soft_irl_reward_set(mdp, pi, tau, costs=c[None], thresholds=[Jc + 1.0])
    assert inactive.active.tolist() == [False]
    assert reward_identifiability(inactive).up_to_shaping
    with pytest.raises(ValueError, match="violates constraint 0"):
        soft_irl_reward_set(mdp, pi, tau, costs=c[None], thresholds=[Jc - 1.0])


def test_inconsistent_demonstrations_are_reported():
    rng = np.random.default_rng(6)
    S, A, tau = 3, 3, 1.0
    P = rng.dirichlet(np.ones(S), size=(S, A))
    m1, m2 = FiniteMDP(P, np.zeros((S, A)), gamma=0.9), FiniteMDP(P, np.zeros((S, A)), gamma=0.5)
    a = soft_irl_reward_set(m1, soft_expert(m1, rng.normal(size=(S, A)), tau), tau)
    b = soft_irl_reward_set(m2, soft_expert(m2, rng.normal(size=(S, A)), tau), tau)
    res = reward_identifiability(a, b)
    assert not res.consistent and res.reward is None


def test_starc_distance_is_a_normalized_pseudometric_blind_to_shaping_and_scaling():
    mdp = random_mdp(7, S=3, A=2, gamma=0.9)
    rng = np.random.default_rng(7)
    E = np.repeat(np.eye(3), 2, axis=0)
    K = E - 0.9 * np.asarray(mdp.dense_P).reshape(6, 3)
    for _ in range(30):
        r1, r2, r3 = rng.normal(size=(3, 3, 2))
        shaped = 2.5 * r1 + (K @ rng.normal(size=3)).reshape(3, 2)
        assert starc_distance(mdp, r1, shaped) <= 1e-12
        assert starc_distance(mdp, r1, -r1) == pytest.approx(1.0)
        d12, d23, d13 = starc_distance(mdp, r1, r2), starc_distance(mdp, r2, r3), starc_distance(mdp, r1, r3)
        assert 0 <= d12 <= 1 and d12 == pytest.approx(starc_distance(mdp, r2, r1))
        assert d13 <= d12 + d23 + 1e-12


def test_misspecification_sensitivity_sandwiches_sampled_irl_answers():
    rng = np.random.default_rng(8)
    S, A, tau = 3, 2, 1.0
    P = rng.dirichlet(np.ones(S), size=(S, A))
    r = rng.normal(size=(S, A))
    true = FiniteMDP(P, r, gamma=0.9)
    # a misspecified temperature or the right model: every IRL answer is a shaping + positive rescaling of r
    for kw in ({}, {"assumed_temperature": 3.0}):
        res = misspecification_sensitivity(true, r, tau, **kw)
        assert res.worst_distance <= 1e-9 and res.best_distance <= 1e-9
    # a misspecified discount: worst >= 1/sqrt(2), and the sampled IRL answers lie between best and worst
    assumed = FiniteMDP(P, r, gamma=0.6)
    res = misspecification_sensitivity(true, r, tau, assumed_mdp=assumed)
    assert res.worst_distance >= 1 / np.sqrt(2) - 1e-12
    pi = np.asarray(res.expert)
    K = np.repeat(np.eye(S), A, axis=0) - 0.6 * P.reshape(S * A, S)
    sampled = []
    for scale in (0.1, 1.0, 10.0, 1e3, 1e6):
        for _ in range(400):
            rp = (tau * np.log(pi)).ravel() + K @ (scale * rng.normal(size=S))
            sampled.append(starc_distance(true, r, rp.reshape(S, A)))
    sampled = np.array(sampled)
    assert np.all(sampled <= res.worst_distance + 1e-9) and np.all(sampled >= res.best_distance - 1e-9)
    assert sampled.max() >= res.worst_distance - 0.02  # the supremum is approached by large shapings


def test_errors():
    mdp = random_mdp(0)
    with pytest.raises(ValueError, match="deterministic"):
        ng_russell_irl(mdp, np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="strictly positive"):
        soft_irl_reward_set(mdp, np.eye(3, 2)[[0, 0, 1]], 1.0)
    with pytest.raises(ValueError, match="both costs"):
        soft_irl_reward_set(mdp, np.full((3, 2), 0.5), 1.0, costs=np.ones((1, 3, 2)))
    with pytest.raises(ValueError, match="reward"):
        irl_feasible_set(mdp, np.array([0, 0, 0]), reward="trajectory")
    with pytest.raises(ValueError, match="RewardSet"):
        reward_identifiability(np.zeros(3))
    with pytest.raises(ValueError, match="assumed_mdp"):
        misspecification_sensitivity(mdp, np.zeros((3, 2)), 1.0, assumed_mdp=random_mdp(1, S=4))
