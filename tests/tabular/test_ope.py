"""Off-policy estimators against exact ground truth: values, exact variances, the Cramér-Rao identities."""

import itertools

import numpy as np
import pytest

from rltheory.tabular import (
    FiniteMDP,
    OfflineDataset,
    collect,
    cramer_rao_bound,
    doubly_robust,
    exact_estimator_variance,
    finite_horizon_policy_evaluation,
    fitted_q_evaluation,
    importance_sampling,
    marginalized_importance_sampling,
    per_decision_importance_sampling,
    policy_evaluation,
    stage_occupancy,
    state_distribution_ratio,
    weighted_importance_sampling,
)
from rltheory.tabular.envs import tree_mdp
from tests.tabular._helpers import random_mdp

#: z of the normal approximation (Berry-Esseen: the pooled means below average >= 1e5 bounded terms) for the
#: unbiasedness checks: a correct estimator fails one with probability about 6e-7.
Z = 5.0


def _instance(seed=0, S=3, A=2, H=3, gamma=0.9):
    mdp = random_mdp(S, A, gamma, seed=seed, horizon=H)
    rng = np.random.default_rng(seed + 100)
    target = rng.dirichlet(np.ones(A), size=S)
    behavior = 0.5 * rng.dirichlet(np.ones(A), size=S) + 0.5 / A  # covers every action
    return mdp, target, behavior


def _enumerate_terms(mdp, target, behavior, q):
    """(probability, IS, PDIS, DR) of every trajectory, by brute force."""
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    P, R, mu0 = mdp.dense_P, np.asarray(mdp.R), mdp.initial_distribution
    pi = np.broadcast_to(target, (H, S, A))
    mu = np.broadcast_to(behavior, (H, S, A))
    vq = np.einsum("hsa,hsa->hs", pi, q)
    out = []
    for traj in itertools.product(range(S), range(A), repeat=H):
        s, a = traj[0::2], traj[1::2]
        p = mu0[s[0]]
        for h in range(H):
            p *= mu[h, s[h], a[h]]
            if h + 1 < H:
                p *= P[s[h], a[h], s[h + 1]]
        if p == 0:
            continue
        rho = np.array([pi[h, s[h], a[h]] / mu[h, s[h], a[h]] for h in range(H)])
        w = np.cumprod(rho)
        wp = np.concatenate([[1.0], w[:-1]])
        disc = mdp.gamma ** np.arange(H)
        r = np.array([R[s[h], a[h]] for h in range(H)])
        qq = np.array([q[h, s[h], a[h]] for h in range(H)])
        vv = np.array([vq[h, s[h]] for h in range(H)])
        out.append((p, w[-1] * (disc @ r), disc @ (w * r), disc @ (w * (r - qq) + wp * vv)))
    return np.array(out)


def test_exact_variances_match_trajectory_enumeration():
    mdp, target, behavior = _instance(seed=1, S=3, A=2, H=3)
    exact_q = np.array(finite_horizon_policy_evaluation(mdp, target).q)
    other_q = exact_q + np.random.default_rng(0).normal(size=exact_q.shape)
    v = finite_horizon_policy_evaluation(mdp, target).value
    for q, tag in ((exact_q, None), (other_q, other_q)):
        rows = _enumerate_terms(mdp, target, behavior, q)
        p = rows[:, 0]
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        for col, method in ((1, "importance_sampling"), (2, "per_decision_importance_sampling"), (3, "doubly_robust")):
            mean = p @ rows[:, col]
            var = p @ rows[:, col] ** 2 - mean**2
            assert mean == pytest.approx(v, abs=1e-12)  # all three are unbiased
            kw = {"q": tag} if method == "doubly_robust" and tag is not None else {}
            got = exact_estimator_variance(mdp, target, behavior, method, **kw)
            assert got == pytest.approx(var, rel=1e-10, abs=1e-12)


def test_tree_bound_is_the_variance_of_dr_with_the_true_q():
    # Jiang & Li (2016): Theorem 1 with Delta = 0 is the bound of Theorem 2 -- in every MDP, tree or not
    for seed in range(4):
        mdp, target, behavior = _instance(seed=seed, S=4, A=3, H=4, gamma=0.8)
        bound = cramer_rao_bound(mdp, target, behavior)
        assert bound.tree == pytest.approx(exact_estimator_variance(mdp, target, behavior, "doubly_robust"), rel=1e-10)
        assert bound.markov <= bound.tree * (1 + 1e-12)  # Jensen: E[rho_{0:h}^2 | s, a] >= w_h(s, a)^2
    # Bernoulli rewards add the reward-variance terms
    mdp, target, behavior = _instance(seed=9)
    noisy = cramer_rao_bound(mdp, target, behavior, reward_noise="bernoulli")
    assert noisy.tree == pytest.approx(
        exact_estimator_variance(mdp, target, behavior, "doubly_robust", reward_noise="bernoulli"), rel=1e-10
    )
    assert noisy.tree > cramer_rao_bound(mdp, target, behavior).tree


def test_markov_and_tree_bounds_coincide_on_a_tree_mdp():
    mdp = tree_mdp(depth=3, branching=2, n_actions=2, gamma=0.9, rng=3)
    rng = np.random.default_rng(4)
    target = rng.dirichlet(np.ones(2), size=mdp.n_states)
    behavior = np.full((mdp.n_states, 2), 0.5)
    b = cramer_rao_bound(mdp, target, behavior, reward_noise="bernoulli")
    assert b.markov == pytest.approx(b.tree, rel=1e-12)


def test_dr_with_the_true_q_has_the_least_variance():
    # Jiang & Li (2016), Theorem 1: a fixed Q_hat adds sum_h gamma^2h E[rho_{0:h-1}^2 Var_a(rho_h Delta_h | s_h)] >= 0;
    # Q_hat = 0 is PDIS; and IS is unbiased in the unrolled tree, so Theorem 2 bounds it too
    rng = np.random.default_rng(0)
    for seed in range(5):
        mdp, target, behavior = _instance(seed=seed, S=3, A=3, H=4)
        best = exact_estimator_variance(mdp, target, behavior, "doubly_robust")
        q = np.array(finite_horizon_policy_evaluation(mdp, target).q)
        for _ in range(3):
            other = q + rng.normal(scale=0.5, size=q.shape)
            assert exact_estimator_variance(mdp, target, behavior, "doubly_robust", q=other) >= best * (1 - 1e-12)
        assert exact_estimator_variance(mdp, target, behavior, "per_decision_importance_sampling") >= best
        assert exact_estimator_variance(mdp, target, behavior, "importance_sampling") >= best


def test_pdis_is_dr_with_zero_q():
    mdp, target, behavior = _instance(seed=2)
    data = collect(mdp, behavior, n_episodes=200, rng=0)
    pdis = per_decision_importance_sampling(data, target, behavior)
    dr0 = doubly_robust(data, target, behavior, q=np.zeros((3, 3, 2)))
    np.testing.assert_allclose(dr0.terms, pdis.terms, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ["is", "pdis", "dr-true-q", "dr-cross-fit", "mis-exact"])
def test_unbiased_estimators_average_to_the_exact_value(method):
    mdp, target, behavior = _instance(seed=3, S=3, A=2, H=3)
    exact = finite_horizon_policy_evaluation(mdp, target)
    data = collect(mdp, behavior, n_episodes=200_000, rng=11)
    if method == "is":
        res = importance_sampling(data, target, behavior)
        var = exact_estimator_variance(mdp, target, behavior, "importance_sampling")
    elif method == "pdis":
        res = per_decision_importance_sampling(data, target, behavior)
        var = exact_estimator_variance(mdp, target, behavior, "per_decision_importance_sampling")
    elif method == "dr-true-q":
        res = doubly_robust(data, target, behavior, q=exact.q)
        var = exact_estimator_variance(mdp, target, behavior, "doubly_robust")
    elif method == "dr-cross-fit":
        res = doubly_robust(data, target, behavior, rng=1)
        var = res.standard_error**2 * res.n_episodes  # cross-fit: terms unbiased given the other fold
    else:
        res = marginalized_importance_sampling(
            data, target, behavior, state_ratio=state_distribution_ratio(mdp, target, behavior)
        )
        var = res.standard_error**2 * 200_000
    assert abs(res.estimate - exact.value) <= Z * np.sqrt(var / 200_000)
    # the reported standard error is the sample version of the exact one (within 5% at n = 2e5)
    if method in ("is", "pdis", "dr-true-q"):
        assert res.standard_error == pytest.approx(np.sqrt(var / 200_000), rel=0.05)


def test_consistent_estimators_converge():
    mdp, target, behavior = _instance(seed=4, S=3, A=2, H=3)
    v = finite_horizon_policy_evaluation(mdp, target).value
    bound = cramer_rao_bound(mdp, target, behavior)
    data = collect(mdp, behavior, n_episodes=200_000, rng=12)
    for res in (
        fitted_q_evaluation(data, target),
        marginalized_importance_sampling(data, target, behavior),
        weighted_importance_sampling(data, target, behavior),
    ):
        assert abs(res.estimate - v) <= Z * res.standard_error + 1e-3
    # FQE's standard error estimates the Markov efficiency bound (Kallus & Uehara 2020)
    fqe = fitted_q_evaluation(data, target)
    assert fqe.standard_error**2 * 200_000 == pytest.approx(bound.markov, rel=0.05)


def test_mis_ratio_estimate_converges_to_the_exact_ratio():
    mdp, target, behavior = _instance(seed=5, S=3, A=2, H=3)
    exact = state_distribution_ratio(mdp, target, behavior)
    data = collect(mdp, behavior, n_episodes=400_000, rng=13)
    est = marginalized_importance_sampling(data, target, behavior).state_ratio
    np.testing.assert_allclose(est, exact, rtol=0.02)
    d_mu = stage_occupancy(mdp, behavior).sum(axis=2)
    np.testing.assert_allclose((d_mu * exact).sum(axis=1), 1.0, rtol=1e-12)  # E_mu[w_h] = 1


def test_fqe_is_exact_on_a_deterministic_covered_mdp():
    S, A, H = 3, 2, 4
    P = np.zeros((S, A, S))
    for s in range(S):
        P[s, 0, (s + 1) % S] = 1.0
        P[s, 1, s] = 1.0
    R = np.arange(S * A, dtype=float).reshape(S, A) / 10
    mdp = FiniteMDP(P, R, gamma=0.9, horizon=H, initial_distribution=np.ones(S) / S)
    data = collect(mdp, np.full((S, A), 0.5), n_episodes=3000, rng=0)
    target = np.array([1, 0, 1])
    res = fitted_q_evaluation(data, target)
    exact = finite_horizon_policy_evaluation(mdp, target)
    np.testing.assert_allclose(res.v[0], exact.v[0], rtol=0, atol=1e-12)
    first = np.bincount(data.episode_arrays()[0][:, 0], minlength=S) / 3000
    assert res.estimate == pytest.approx(first @ exact.v[0], abs=1e-12)


def test_fqe_of_transition_data_is_the_plug_in_value():
    mdp = random_mdp(4, 2, 0.8, seed=6)
    target = np.array([0, 1, 1, 0])
    data = collect(mdp, np.full((4, 2), 0.5), n_transitions=200_000, rng=1)
    res = fitted_q_evaluation(data, target, initial_distribution=mdp.initial_distribution)
    v = mdp.initial_distribution @ policy_evaluation(mdp, target).v
    assert abs(res.estimate - v) <= Z * res.standard_error


def test_bad_inputs_are_named():
    mdp, target, behavior = _instance(seed=0)
    data = collect(mdp, behavior, n_episodes=5, rng=0)
    transitions = OfflineDataset([0], [0], [0.0], [0], n_states=3, n_actions=2, gamma=0.9)
    with pytest.raises(ValueError, match="importance_sampling needs an episodic dataset"):
        importance_sampling(transitions, target, behavior)
    only0 = np.tile([[1.0, 0.0]], (3, 1))
    row = int(np.argmax(np.asarray(data.actions) == 1))
    msg = f"row {row} logs action 1 .* to which the behaviour policy gives probability 0"
    with pytest.raises(ValueError, match=msg):
        importance_sampling(data, only0, only0)
    with pytest.raises(ValueError, match="the target policy plays action 1 in state 0 at stage 0 but the behaviour"):
        doubly_robust(data, np.tile([[0.0, 1.0]], (3, 1)), only0)
    with pytest.raises(ValueError, match=r"q has shape \(2, 3, 2\), expected \(3, 3, 2\)"):
        doubly_robust(data, target, behavior, q=np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="target_policy: the action probabilities of state 0"):
        importance_sampling(data, np.full((3, 2), 0.6), behavior)
    with pytest.raises(ValueError, match="needs initial_distribution="):
        fitted_q_evaluation(OfflineDataset([0], [0], [0.0], [0], n_states=1, n_actions=1, gamma=0.5), np.array([0]))
