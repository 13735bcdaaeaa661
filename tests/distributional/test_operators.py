"""Projections and operators: invariants and the contraction theorems."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.distributional import (
    CategoricalDistribution,
    FiniteDistribution,
    QuantileDistribution,
    categorical_bellman_operator,
    categorical_projection,
    contraction_ratio,
    distributional_bellman_operator,
    greedy_instability_example,
    quantile_bellman_operator,
    quantile_projection,
    supremum_distance,
    wasserstein_distance,
)
from rltheory.proofs_checks.strategies import finite_mdps, policies
from rltheory.tabular import FiniteMDP, bellman_operator
from tests.distributional._helpers import finite_distributions

ROUND = 1e-10  # floating-point slack on an inequality between O(10) quantities


def wasserstein_round(order):
    # W_p integrates |F^-1 - G^-1|^p over quantile levels; the levels are cumulative sums of at most K = 48
    # probabilities (4 atoms x S <= 4 x A <= 3), each off by <= K eps, and a level error delta moves mass delta by
    # at most the span of the atoms (inputs in [-10, 10], rewards in [-1, 1]: span <= 22), so W_p^p is off by
    # <= 4 K eps 22^p and W_p by <= (4 K eps)^(1/p) 22 (W_inf ignores such levels: _W_INF_LEVEL_ATOL)
    if order == np.inf:
        return ROUND
    return ROUND + (4 * 48 * np.finfo(float).eps) ** (1.0 / order) * 22.0


@st.composite
def supports(draw, lo=-10.0, hi=10.0):
    m = draw(st.integers(1, 15))
    pts = draw(st.lists(st.floats(lo, hi), min_size=m, max_size=m, unique=True))
    return np.sort(np.array(pts))


# --------------------------------------------------------------- projections
@given(finite_distributions(), supports())
def test_categorical_projection_mass_sign_and_mean(d, z):
    out = categorical_projection(d.atoms, d.probs, z)
    assert np.all(out >= 0)
    assert abs(out.sum() - 1.0) <= 1e-12
    if z[0] <= d.atoms[0] and d.atoms[-1] <= z[-1]:
        # mean preservation inside [z_1, z_m] (Rowland et al. 2018, Sec. 3)
        assert abs(out @ z - d.mean()) <= 1e-12 * (1 + np.abs(z).max())


@given(supports(), st.data())
def test_categorical_projection_is_identity_on_the_support(z, data):
    w = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=z.size, max_size=z.size))) + 1e-3
    w /= w.sum()
    np.testing.assert_allclose(categorical_projection(z, w, z), w, rtol=0, atol=1e-15)


@given(finite_distributions(), st.integers(1, 12), st.data())
def test_quantile_projection_identity_and_w1_optimality(d, n, data):
    theta = quantile_projection(d.atoms, d.probs, n)
    assert np.all(np.diff(theta) >= 0)
    np.testing.assert_array_equal(quantile_projection(theta, np.full(n, 1 / n), n), theta)
    # W1-optimal among n-point equal-weight laws (Dabney et al. 2018, Lemma 2)
    best = wasserstein_distance(d, QuantileDistribution(theta), 1)
    other = np.array(data.draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n)))
    assert best <= wasserstein_distance(d, QuantileDistribution(other), 1) + ROUND
    assert best <= wasserstein_distance(d, QuantileDistribution(theta + 0.01), 1) + ROUND


def test_projection_errors():
    with pytest.raises(ValueError, match="strictly increasing"):
        categorical_projection([0.0], [1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="same shape"):
        categorical_projection([0.0, 1.0], [1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="sums to"):
        quantile_projection([0.0, 1.0], [0.5, 0.6], 2)
    with pytest.raises(ValueError, match="n_quantiles"):
        quantile_projection([0.0], [1.0], 0)


# ----------------------------------------------------------------- operators
@st.composite
def mdp_policy_pair(draw, n_states=st.integers(1, 4)):
    mdp = draw(
        finite_mdps(n_states=n_states, n_actions=st.integers(1, 3), sparse=st.booleans(), gamma=st.floats(0.05, 0.95))
    )
    pi = draw(policies(mdp))
    eta1 = [draw(finite_distributions(max_atoms=4)) for _ in range(mdp.n_states)]
    eta2 = [draw(finite_distributions(max_atoms=4)) for _ in range(mdp.n_states)]
    return mdp, pi, eta1, eta2


@given(mdp_policy_pair())
def test_exact_operator_is_gamma_contraction_in_sup_wasserstein(case):
    # Bellemare, Dabney & Munos 2017, Lemma 3
    mdp, pi, eta1, eta2 = case
    for order in (1, 2, np.inf):
        if supremum_distance(eta1, eta2, metric="wasserstein", order=order) == 0:
            continue
        c = contraction_ratio(mdp, eta1, eta2, policy=pi, metric="wasserstein", order=order)
        assert c.modulus == mdp.gamma
        err = wasserstein_round(order)  # both distances are computed: after <= gamma (before + err) + err
        assert c.distance_after <= c.modulus * (c.distance_before + err) + err


@given(mdp_policy_pair())
def test_exact_operator_is_sqrt_gamma_contraction_in_sup_cramer(case):
    # derived in distributional_bellman_operator (push-forward scaling + Jensen);
    # Bellemare, Dabney & Rowland 2023, Sec. 4.5
    mdp, pi, eta1, eta2 = case
    if supremum_distance(eta1, eta2, metric="cramer") == 0:
        return
    c = contraction_ratio(mdp, eta1, eta2, policy=pi, metric="cramer")
    assert c.modulus == pytest.approx(math.sqrt(mdp.gamma))
    assert c.distance_after <= c.modulus * c.distance_before + ROUND


@given(mdp_policy_pair(), supports(lo=-15, hi=15))
def test_categorical_projected_operator_sqrt_gamma_contraction(case, z):
    # Rowland et al. 2018, Proposition 2: Pi_C T^pi in sup-Cramer
    mdp, pi, eta1, eta2 = case
    c1 = [CategoricalDistribution(z, categorical_projection(d.atoms, d.probs, z)) for d in eta1]
    c2 = [CategoricalDistribution(z, categorical_projection(d.atoms, d.probs, z)) for d in eta2]
    if supremum_distance(c1, c2, metric="cramer") <= 1e-9:
        return
    c = contraction_ratio(mdp, c1, c2, policy=pi, metric="cramer")
    assert c.operator == "categorical" and c.distance_after <= c.modulus * c.distance_before + ROUND


@given(mdp_policy_pair(), st.integers(1, 8))
def test_quantile_projected_operator_gamma_contraction_in_winf(case, n):
    # Dabney et al. 2018, Proposition 2: Pi_Q T^pi in sup-W_inf
    mdp, pi, eta1, eta2 = case
    q1 = [QuantileDistribution(quantile_projection(d.atoms, d.probs, n)) for d in eta1]
    q2 = [QuantileDistribution(quantile_projection(d.atoms, d.probs, n)) for d in eta2]
    if supremum_distance(q1, q2, metric="wasserstein", order=np.inf) == 0:
        return
    c = contraction_ratio(mdp, q1, q2, policy=pi, metric="wasserstein", order=np.inf)
    assert c.operator == "quantile" and c.modulus == mdp.gamma
    assert c.distance_after <= c.modulus * c.distance_before + ROUND


@given(mdp_policy_pair(), supports(lo=-15, hi=15))
def test_projected_operators_are_projections_of_the_exact_operator(case, z):
    mdp, pi, eta1, _ = case
    exact = distributional_bellman_operator(mdp, eta1, pi)
    # T^pi acts on means as the ordinary Bellman operator
    means = np.array([d.mean() for d in eta1])
    np.testing.assert_allclose([d.mean() for d in exact], bellman_operator(mdp, means, pi), atol=1e-10)
    # Pi_C T^pi eta = Pi_C (T^pi eta) when eta is already categorical (linearity of Pi_C)
    P = np.array([categorical_projection(d.atoms, d.probs, z) for d in eta1])
    cat = [CategoricalDistribution(z, row) for row in P]
    lhs = categorical_bellman_operator(mdp, P, z, pi)
    rhs = np.array([categorical_projection(d.atoms, d.probs, z) for d in distributional_bellman_operator(mdp, cat, pi)])
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)
    # Pi_Q T^pi on quantile laws = Pi_Q of the exact image
    L = np.array([quantile_projection(d.atoms, d.probs, 5) for d in eta1])
    q = [QuantileDistribution(row) for row in L]
    lhs = quantile_bellman_operator(mdp, L, pi)
    exact_q = distributional_bellman_operator(mdp, q, pi)
    rhs = np.array([quantile_projection(d.atoms, d.probs, 5) for d in exact_q])
    # the exact image merges equal atoms before summing masses: a tie of a
    # cumulative mass with a level (2i+1)/(2n) can then resolve either way;
    # both choices are valid quantiles, so compare through the CDF
    for s in range(mdp.n_states):
        for i, x in enumerate(lhs[s]):
            tau = (2 * i + 1) / 10
            assert exact_q[s].cdf(x) >= tau - 1e-9
    assert lhs.shape == rhs.shape


# ------------------------------------------------------- control instability
def test_control_operator_oscillates_in_distribution_while_means_converge():
    gamma, eps = 0.5, 0.01
    ex = greedy_instability_example(gamma, eps)
    eta = ex.initial
    prev = eta
    for k in range(1, 40):
        eta = distributional_bellman_operator(ex.mdp, eta)
        # Bellemare et al. 2017 Lemma 4: means contract at rate gamma to the true means (all 0 at state 0)
        # ||E eta_k - E eta*||_inf <= gamma^k ||E eta_0 - E eta*||_inf = gamma^k eps
        err = np.abs(np.array([d.mean() for d in eta]) - [0, 0, 0, 0, 1, -1]).max()
        assert err <= gamma**k * eps + 1e-15
        if k >= 3:
            # ...but the law at the decision state keeps jumping by about gamma^2 in W_1
            assert wasserstein_distance(eta[0], prev[0], 1) >= gamma**2 - gamma * eps
        prev = eta


def test_control_operator_is_not_a_contraction():
    gamma, eps = 0.5, 0.01
    ex = greedy_instability_example(gamma, eps)
    flipped = list(ex.initial)
    flipped[1] = FiniteDistribution([-eps], [1.0])
    flipped[2] = FiniteDistribution([eps], [1.0])
    c = contraction_ratio(ex.mdp, ex.initial, flipped, metric="wasserstein", order=1)
    assert c.modulus is None and c.operator == "control-exact"
    assert c.ratio > 1.0 > gamma  # Bellemare et al. 2017, Proposition 1
    # the same pair under a fixed policy contracts (Lemma 3)
    c_pi = contraction_ratio(
        ex.mdp, ex.initial, flipped, policy=np.zeros(6, dtype=np.int64), metric="wasserstein", order=1
    )
    assert c_pi.ratio <= gamma + ROUND


def test_operator_errors():
    mdp = FiniteMDP(np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), gamma=0.5)
    d = FiniteDistribution([0.0], [1.0])
    with pytest.raises(ValueError, match="one per state"):
        distributional_bellman_operator(mdp, [d], np.array([0, 0]))
    with pytest.raises(ValueError, match="equal"):
        contraction_ratio(mdp, [d, d], [d, d], policy=np.array([0, 0]))
    with pytest.raises(ValueError, match="shape"):
        categorical_bellman_operator(mdp, np.ones((3, 2)) / 2, [0.0, 1.0], np.array([0, 0]))
    with pytest.raises(ValueError, match="sums to"):
        categorical_bellman_operator(mdp, np.ones((2, 2)), [0.0, 1.0], np.array([0, 0]))
    with pytest.raises(ValueError, match="policy"):
        quantile_bellman_operator(mdp, np.zeros((2, 3)), np.array([0, 1]))
