"""Correlated proxies: Laidlaw et al.'s bound at every policy, the chi2-occupancy regularizer's no-hacking
guarantee, and an instance where the action-KL regularizer hacks.

Theorems asserted: the Cauchy-Schwarz bound of rltheory.tabular._proxies (Laidlaw, Singhal & Dragan 2025,
Thm 5.1) for deterministic and random stochastic policies; its consequence that the sqrt(chi2)-regularized
optimum with lambda >= sigma_proxy sqrt(1 - rho^2) / rho never has a lower true return than the reference; weak
duality of the SOCP (no policy beats objective + gap).
"""

import numpy as np
import pytest

from rltheory.tabular import FiniteMDP, correlated_proxy_bound, discounted_occupancy, proxy_regularized_policy
from rltheory.tabular._occupancy_lp import deterministic_policies

FP = 1e-9


def hacking_instance():
    """0 -> 1 (good) by action 0, 0 -> 2 (hack) by action 1; in 1 and 2 action 0 stays, action 1 returns to 0.
    The proxy pays 2 in the hack state, the truth -1; the reference rarely goes there."""
    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = P[0, 1, 2] = P[1, 0, 1] = P[1, 1, 0] = P[2, 0, 2] = P[2, 1, 0] = 1.0
    R = np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, -1.0]])
    proxy = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    ref = np.array([[0.95, 0.05], [0.9, 0.1], [0.2, 0.8]])
    return FiniteMDP(P, R, gamma=0.9, initial_distribution=[1.0, 0.0, 0.0]), R, proxy, ref


def random_instance(seed):
    rng = np.random.default_rng(seed)
    S, A = 4, 3
    mdp = FiniteMDP(
        rng.dirichlet(np.ones(S), size=(S, A)),
        np.zeros((S, A)),
        gamma=0.8,
        initial_distribution=rng.dirichlet(np.ones(S)),
    )
    R = rng.normal(size=(S, A))
    proxy = R + rng.uniform(0.2, 1.5) * rng.normal(size=(S, A))
    ref = rng.dirichlet(np.ones(A), size=S)
    return mdp, R, proxy, ref, rng


@pytest.mark.parametrize("seed", range(5))
def test_the_bound_holds_at_every_policy(seed):
    mdp, R, proxy, ref, rng = random_instance(seed)
    policies = list(deterministic_policies(mdp)) + [rng.dirichlet(np.full(3, 0.3), size=4) for _ in range(30)]
    for pi in policies:
        b = correlated_proxy_bound(mdp, R, proxy, ref, pi)
        assert b.true_improvement >= b.lower_bound - FP
    b = correlated_proxy_bound(mdp, R, proxy, ref, ref)
    assert abs(b.true_improvement) <= FP and b.chi2 <= FP


@pytest.mark.parametrize("seed", range(5))
def test_chi2_regularization_at_the_safe_strength_never_hacks(seed):
    mdp, R, proxy, ref, rng = random_instance(seed)
    safe = correlated_proxy_bound(mdp, R, proxy, ref, ref).safe_strength
    for lam in (safe, 2 * safe):
        res = proxy_regularized_policy(mdp, proxy, ref, lam)
        b = correlated_proxy_bound(mdp, R, proxy, ref, res.action_probabilities)
        assert b.true_improvement >= -1e-7
        # weak duality: no policy has a larger regularized objective J(pi, proxy) - lam sqrt(chi2) than obj + gap
        J_ref = correlated_proxy_bound(mdp, proxy, proxy, ref, ref)  # proxy_improvement = 0; J(ref) below
        mu_ref = (1 - mdp.gamma) * discounted_occupancy(mdp, ref)
        J_ref_proxy = float(np.sum(mu_ref * proxy))
        assert J_ref.proxy_improvement == pytest.approx(0.0, abs=FP)
        for pi in deterministic_policies(mdp):
            bb = correlated_proxy_bound(mdp, R, proxy, ref, pi)
            assert J_ref_proxy + bb.proxy_improvement - lam * np.sqrt(bb.chi2) <= res.objective + res.duality_gap + FP


def test_action_kl_hacks_where_chi2_occupancy_does_not():
    mdp, R, proxy, ref = hacking_instance()
    base = correlated_proxy_bound(mdp, R, proxy, ref, ref)
    assert base.correlation > 0.7  # a well-correlated proxy under the reference
    for beta in (0.05, 0.1, 0.3):
        kl = proxy_regularized_policy(mdp, proxy, ref, beta, regularizer="kl_action")
        b = correlated_proxy_bound(mdp, R, proxy, ref, kl.action_probabilities)
        assert b.proxy_improvement > 0 > b.true_improvement  # reward hacking (Laidlaw et al.'s definition)
    chi = proxy_regularized_policy(mdp, proxy, ref, base.safe_strength)
    assert correlated_proxy_bound(mdp, R, proxy, ref, chi.action_probabilities).true_improvement >= -1e-9
    half = proxy_regularized_policy(mdp, proxy, ref, 0.5 * base.safe_strength)
    assert correlated_proxy_bound(mdp, R, proxy, ref, half.action_probabilities).true_improvement > 0


def test_kl_action_policy_is_the_reference_tilted_by_soft_q():
    mdp, R, proxy, ref, _ = random_instance(9)
    res = proxy_regularized_policy(mdp, proxy, ref, 0.7, regularizer="kl_action", tol=1e-10)
    assert res.duality_gap <= 1e-8
    pi = np.asarray(res.action_probabilities)
    # pi / ref is proportional within each state to exp(q / beta): the log-ratio differences are q differences
    P = np.asarray(mdp.dense_P)
    mu = np.asarray(mdp.initial_distribution)
    from rltheory.tabular import soft_value_iteration

    soft = soft_value_iteration(FiniteMDP(mdp.P, proxy, gamma=mdp.gamma), 0.7, reference_policy=ref, tol=1e-11)
    q = proxy + mdp.gamma * P @ np.asarray(soft.v)
    lhs = np.log(pi / ref)
    np.testing.assert_allclose(lhs - lhs[:, :1], (q - q[:, :1]) / 0.7, atol=1e-7)
    assert res.objective == pytest.approx((1 - mdp.gamma) * float(mu @ soft.v), abs=1e-8)


def test_errors():
    mdp, R, proxy, ref, _ = random_instance(0)
    with pytest.raises(ValueError, match="regularizer"):
        proxy_regularized_policy(mdp, proxy, ref, 1.0, regularizer="tv")
    with pytest.raises(ValueError, match="variances"):
        correlated_proxy_bound(mdp, np.ones((4, 3)), proxy, ref, ref)
    with pytest.raises(ValueError, match="strength"):
        proxy_regularized_policy(mdp, proxy, ref, 0.0, regularizer="kl_action")
