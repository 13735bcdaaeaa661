"""Bradley-Terry / Plackett-Luce MLE against closed forms and generic convex solves; Zhu et al. (2023) pieces."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import log_expit, logsumexp

from rltheory.bandits import (
    BradleyTerry,
    PairwiseComparisons,
    PlackettLuce,
    Rankings,
    bradley_terry_mle,
    pessimistic_policy,
    plackett_luce_asymptotic_covariances,
    plackett_luce_mle,
    sample_comparisons,
    sample_rankings,
    zhu_confidence_radius,
)


def test_two_alternatives_closed_form():
    # sigma(theta_0 - theta_1) = wins / comparisons
    data = PairwiseComparisons([0] * 7 + [1] * 3, [1] * 7 + [0] * 3, 2)
    res = bradley_terry_mle(data)
    assert res.theta[0] - res.theta[1] == pytest.approx(math.log(7 / 3), abs=1e-12)
    assert abs(res.theta.sum()) < 1e-12 and res.converged and res.rank == 1
    pl = plackett_luce_mle(Rankings([[0, 1]] * 7 + [[1, 0]] * 3, 2))
    np.testing.assert_allclose(pl.theta, res.theta, atol=1e-12)


def test_bradley_terry_matches_a_generic_convex_solve():
    import cvxpy as cp

    bt = BradleyTerry([0.8, 0.1, -0.4, 0.0, 0.3])
    data = sample_comparisons(bt, 400, rng=7)
    res = bradley_terry_mle(data)
    th = cp.Variable(5)
    D = np.eye(5)[data.winners] - np.eye(5)[data.losers]
    prob = cp.Problem(cp.Minimize(cp.sum(cp.logistic(-D @ th))), [cp.sum(th) == 0])
    prob.solve(solver="CLARABEL")
    assert prob.status == "optimal"
    nll = -float(np.sum(log_expit(D @ res.theta)))
    assert nll == pytest.approx(res.negative_log_likelihood, rel=1e-12)
    assert nll <= prob.value + 1e-9  # the certified minimizer is at least as good as the generic one
    # distance to the generic solution: by strong convexity near the optimum, ||theta_cvx - theta*|| <=
    # 2 ||P grad(theta_cvx)|| / lambda_min (P the projection on the identifiable sum-zero directions)
    z = D @ th.value
    grad = -(D.T @ np.exp(log_expit(-z)))
    grad -= grad.mean()
    lam = np.linalg.eigvalsh(res.fisher_information)[1]  # the smallest one is the null direction (constants)
    assert np.linalg.norm(res.theta - th.value) <= 2 * np.linalg.norm(grad) / lam + 1e-12
    assert res.residual <= 1e-10


def test_linear_features_and_fisher_information():
    rng = np.random.default_rng(3)
    F = rng.normal(size=(6, 3))
    theta = np.array([1.0, -0.5, 0.25])
    bt = BradleyTerry(F @ theta)
    data = sample_comparisons(bt, 3000, rng=4)
    res = bradley_terry_mle(data, features=F)
    D = F[data.winners] - F[data.losers]
    z = D @ res.theta
    s = np.exp(log_expit(z) + log_expit(-z))
    np.testing.assert_allclose(res.fisher_information, (D.T * s) @ D, rtol=1e-10)
    # asymptotic normality: the Wald ellipsoid at 99.9% contains the truth on this draw
    diff = res.theta - theta
    assert float(diff @ res.fisher_information @ diff) <= res.wald_radius(0.999) ** 2


def test_nonexistence_is_reported_and_regularization_restores_a_minimizer():
    data = PairwiseComparisons([0, 0, 1, 2], [1, 2, 2, 1], 3)  # 0 never loses
    with pytest.raises(ValueError, match=r"alternatives \[0\] never lose"):
        bradley_terry_mle(data)
    res = bradley_terry_mle(data, regularization=0.1)
    assert res.converged and res.theta[0] > res.theta[1]
    with pytest.raises(ValueError, match="separable"):
        bradley_terry_mle(PairwiseComparisons([0, 1], [1, 2], 3), features=[[1.0], [0.0], [-1.0]])


def _pl_nll(theta, R):
    s = theta[R]
    return sum(float(np.sum(logsumexp(s[:, j:], axis=1) - s[:, j])) for j in range(R.shape[1] - 1))


def test_plackett_luce_matches_a_generic_solve():
    pl = PlackettLuce([0.6, 0.0, -0.3, 0.2])
    R = sample_rankings(pl, 300, subset_size=3, rng=5)
    res = plackett_luce_mle(R)
    generic = minimize(
        lambda t: _pl_nll(t - t.mean(), np.asarray(R.rankings)), np.zeros(4), method="BFGS", options={"gtol": 1e-9}
    )
    assert res.negative_log_likelihood == pytest.approx(_pl_nll(res.theta, np.asarray(R.rankings)), rel=1e-12)
    assert res.negative_log_likelihood <= generic.fun + 1e-9
    np.testing.assert_allclose(res.theta, generic.x - generic.x.mean(), atol=1e-5)


def test_k_wise_mle_is_more_efficient_than_splitting_into_pairs():
    # Zhu, Jordan & Jiao (2023), Sec. 4: both consistent, the PL MLE efficient (Cramer-Rao): split >= pl in the PSD
    # order, exactly; Monte Carlo: the empirical covariance of the PL MLE is the inverse Fisher information
    pl = PlackettLuce([0.5, 0.0, -0.5, 0.25])
    cov_pl, cov_split = plackett_luce_asymptotic_covariances(pl)
    assert np.linalg.eigvalsh(cov_split - cov_pl).min() >= -1e-12
    assert np.trace(cov_split) > np.trace(cov_pl)
    n, reps = 400, 150
    est_pl, est_split = [], []
    for k in range(reps):
        R = sample_rankings(pl, n, rng=100 + k)
        est_pl.append(plackett_luce_mle(R).theta)
        est_split.append(bradley_terry_mle(R.pairwise()).theta)
    truth = pl.rewards - pl.rewards.mean()
    mse_pl = np.mean(np.sum((np.array(est_pl) - truth) ** 2, axis=1)) * n
    mse_split = np.mean(np.sum((np.array(est_split) - truth) ** 2, axis=1)) * n
    # within 30% of the asymptotic traces (150 replications: the relative sd of a mean of chi-square-like terms
    # is about sqrt(2 / (3 * 150)) ~ 7%), and the ordering holds
    assert mse_pl == pytest.approx(np.trace(cov_pl), rel=0.3)
    assert mse_split == pytest.approx(np.trace(cov_split), rel=0.3)
    assert mse_pl < mse_split


def test_zhu_radius_formula():
    assert zhu_confidence_radius(
        50, 3, 0.05, gamma=0.2, regularization=0.1, norm_bound=2.0, constant=3.0
    ) == pytest.approx(3.0 * math.sqrt((3 + math.log(20)) / (0.04 * 50) + 0.1 * 4))
    with pytest.raises(ValueError, match="gamma"):
        zhu_confidence_radius(10, 2, 0.1, gamma=0.3)


@st.composite
def _instances(draw):
    S, A, d = draw(st.integers(1, 3)), draw(st.integers(2, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    Phi = rng.normal(size=(S, A, d))
    theta_star = rng.normal(size=d)
    theta_hat = theta_star + rng.normal(scale=draw(st.floats(0.01, 1.0)), size=d)
    M = rng.normal(size=(d, d))
    Sigma = M @ M.T + draw(st.floats(0.05, 2.0)) * np.eye(d)
    f = float(np.sqrt((theta_hat - theta_star) @ Sigma @ (theta_hat - theta_star))) * draw(st.floats(1.0, 3.0))
    return Phi, theta_star, theta_hat, Sigma, f


@settings(max_examples=40, deadline=None, derandomize=True)
@given(_instances())
def test_pessimistic_policy_suboptimality_bound_on_the_confidence_event(instance):
    # Zhu et al. (2023), Thm 3.2 (proof): if ||theta_hat - theta*||_Sigma <= f then
    # J(pi*) - J(pi_hat) <= 2 f ||Sigma^{-1/2} E phi(s, pi*(s))||  (v = 0, rho uniform)
    Phi, theta_star, theta_hat, Sigma, f = instance
    res = pessimistic_policy(theta_hat, Phi, Sigma, f)
    # the Frank-Wolfe gap certifies J_hat(pi_hat) >= max J_hat - gap: it enters the proof's optimality step
    assert res.status == "optimal" and 0 <= res.duality_gap <= 1e-3
    S = Phi.shape[0]
    values = np.einsum("sad,d->sa", Phi, theta_star)
    best = values.argmax(axis=1)
    u_star = Phi[np.arange(S), best].mean(axis=0)
    J_star = values.max(axis=1).mean()
    J_hat = float(np.mean(np.sum(res.action_probabilities * values, axis=1)))
    w, V = np.linalg.eigh(Sigma)
    bound = 2 * f * float(np.linalg.norm((V / np.sqrt(w)) @ V.T @ u_star))
    assert J_star - J_hat <= bound + res.duality_gap + 1e-9 * (1 + bound)
    # and the returned lower value is the min over the confidence ellipsoid (it lower-bounds the true J - theta*^T v)
    assert res.lower_value <= J_hat + 1e-6
