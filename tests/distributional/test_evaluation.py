"""Projected policy evaluation: certified bounds, mean preservation (Rowland et al. 2018), finite horizons."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.distributional import (
    categorical_policy_evaluation,
    cramer_distance,
    exact_return_distribution,
    quantile_policy_evaluation,
)
from rltheory.distributional._metrics import cramer_rows, winf_quantile_rows
from rltheory.proofs_checks.strategies import finite_mdps, policies
from rltheory.tabular import FiniteMDP

_FP = 1e-9  # rounding allowance per unit of ||v||: a few hundred roundings of numbers <= 1/(1-gamma)


def _v_pi(mdp, pi):
    Ppi = mdp.policy_transition(pi)
    Ppi = Ppi.toarray() if hasattr(Ppi, "toarray") else Ppi
    return np.linalg.solve(np.eye(mdp.n_states) - mdp.gamma * Ppi, mdp.policy_reward(pi))


@st.composite
def cases(draw):
    mdp = draw(
        finite_mdps(n_states=st.integers(1, 5), sparse=st.booleans(), action_mask=True, gamma=st.floats(0.0, 0.9))
    )
    return mdp, draw(policies(mdp)), draw(st.integers(2, 41))


@given(cases())
def test_categorical_fixed_point_mean_is_v_pi(case):
    # support covering [min r/(1-g), max r/(1-g)] => Pi_C preserves means along the
    # iteration, so the fixed point's mean is v^pi (Rowland et al. 2018, Sec. 3)
    mdp, pi, m = case
    vmax = 1.0 / (1.0 - mdp.gamma)  # rewards in [-1, 1]
    z = np.linspace(-vmax, vmax, m)
    res = categorical_policy_evaluation(mdp, pi, z, tol=1e-9)
    assert res.converged and res.bound <= 1e-9
    v = _v_pi(mdp, pi)
    assert np.all(res.v_lower - _FP * vmax <= v) and np.all(v <= res.v_upper + _FP * vmax)
    # |E mu - E nu| = |int (F - G)| <= sqrt(z_m - z_1) * l2(mu, nu) (Cauchy-Schwarz on [z_1, z_m])
    # and E eta_C = v^pi, so the iterate's mean error is at most sqrt(2 vmax) * bound
    assert np.max(np.abs(res.means - _v_pi(mdp, pi))) <= math.sqrt(2 * vmax) * res.bound + 1e-10
    assert np.all(res.probs >= 0) and np.allclose(res.probs.sum(axis=1), 1.0, atol=1e-12)


@given(cases())
def test_categorical_bound_is_certified(case):
    mdp, pi, m = case
    z = np.linspace(-3, 3, m)  # need not cover the return range
    rough = categorical_policy_evaluation(mdp, pi, z, tol=1e-3)
    fine = categorical_policy_evaluation(mdp, pi, z, tol=1e-13)
    d = cramer_rows(z, rough.probs, fine.probs).max()
    assert d <= rough.bound + fine.bound + 1e-12
    assert rough.residual * math.sqrt(mdp.gamma) / (1 - math.sqrt(mdp.gamma)) == pytest.approx(rough.bound)


@given(cases())
def test_quantile_bound_is_certified(case):
    mdp, pi, n = case
    n = min(n, 12)
    rough = quantile_policy_evaluation(mdp, pi, n, tol=1e-3)
    fine = quantile_policy_evaluation(mdp, pi, n, tol=1e-12)
    assert rough.converged and fine.converged
    assert winf_quantile_rows(rough.locations, fine.locations).max() <= rough.bound + fine.bound + 1e-12
    assert np.all(np.diff(rough.locations, axis=1) >= 0)


def test_categorical_fixed_point_is_close_to_true_law():
    # Rowland et al. 2018 (fixed-point quality): l2(eta_C, eta_pi)^2 <= max_i(z_{i+1} - z_i) / (1 - gamma)
    rng = np.random.default_rng(0)
    P = rng.random((3, 1, 3))
    P /= P.sum(axis=2, keepdims=True)
    mdp = FiniteMDP(P, rng.choice([0.0, 1.0], size=(3, 1)), gamma=0.5)
    pi = np.zeros(3, dtype=np.int64)
    z = np.linspace(0, 2, 11)
    res = categorical_policy_evaluation(mdp, pi, z, tol=1e-12)
    # l2^2 = int (F-G)^2 <= int |F-G| = W_1 <= W_inf, so truncation and merging cost sqrt of their W_inf bounds
    true = exact_return_distribution(mdp, pi, tol=1e-6, merge_atol=1e-5)
    slack = math.sqrt(true.truncation_bound) + math.sqrt(true.merge_bound)
    assert res.approximation_bound == pytest.approx(math.sqrt(0.2 / 0.5))  # covering support: Prop. 3 exactly
    for s in range(3):
        d = cramer_distance(res.distribution(s), true.distributions[s])
        assert d <= res.approximation_bound + res.bound + slack


def test_finite_horizon_categorical_is_exact_on_an_integer_support():
    # integer rewards, gamma = 1, support containing every reachable return:
    # every projection is the identity, so H projected sweeps give the exact law
    rng = np.random.default_rng(1)
    P = rng.random((3, 2, 3))
    P /= P.sum(axis=2, keepdims=True)
    mdp = FiniteMDP(P, rng.integers(-2, 3, size=(3, 2)).astype(float), gamma=1.0, horizon=4)
    pi = np.array([[0.5, 0.5], [1.0, 0.0], [0.25, 0.75]])
    z = np.arange(-8.0, 9.0)
    res = categorical_policy_evaluation(mdp, pi, z)
    assert res.iterations == 4 and res.bound == 0.0 and res.converged
    exact = exact_return_distribution(mdp, pi)
    for s in range(3):
        np.testing.assert_allclose(res.distribution(s).cdf(z), exact.distributions[s].cdf(z), atol=1e-12)


def test_evaluation_errors():
    P = np.zeros((2, 1, 2))
    P[0, 0, 1] = P[1, 0, 1] = 1.0
    mdp = FiniteMDP(P, np.array([[1.0], [0.0]]), gamma=1.0, terminal_states=[1])
    with pytest.raises(ValueError, match="gamma < 1 or a finite horizon"):
        categorical_policy_evaluation(mdp, np.array([0, 0]), [0.0, 1.0])
    mdp = FiniteMDP(P, np.array([[1.0], [0.0]]), gamma=0.5)
    with pytest.raises(ValueError, match="tol"):
        quantile_policy_evaluation(mdp, np.array([0, 0]), 3, tol=0)
    with pytest.raises(ValueError, match="n_quantiles"):
        quantile_policy_evaluation(mdp, np.array([0, 0]), 0)
    with pytest.raises(ValueError, match="initial"):
        categorical_policy_evaluation(mdp, np.array([0, 0]), [0.0, 1.0], initial=np.ones((2, 3)) / 3)


def _chain_with_large_returns():
    # the issue-11 reproduction: values 25-46 (gamma = 0.95, rewards in [1.25, 2.3]) on a support [0, 1]
    P = np.array([[[0.6, 0.4, 0.0]], [[0.0, 0.5, 0.5]], [[0.3, 0.0, 0.7]]])
    R = np.array([[2.3], [1.25], [1.9]])
    return FiniteMDP(P, R, gamma=0.95), np.zeros(3, dtype=np.int64)


def test_clipping_support_is_not_certified_as_exact():
    mdp, pi = _chain_with_large_returns()
    v = _v_pi(mdp, pi)
    assert 25 <= v.min() and v.max() <= 46
    res = categorical_policy_evaluation(mdp, pi, np.linspace(0.0, 1.0, 11), tol=1e-10)
    np.testing.assert_allclose(res.means, 1.0)  # every return is clipped to z_m = 1
    # the iteration certificate is about the projected fixed point only (here delta_1, reached at once) ...
    assert res.converged and res.bound <= 1e-10
    # ... the value bracket and the distance to the true law carry the clipping error
    assert np.all(res.v_lower <= v) and np.all(v <= res.v_upper)
    assert np.all(res.means < res.v_lower)  # the certificate itself shows the means are wrong
    # l_2(delta_1, eta^pi(s)) >= |E eta^pi(s) - 1| / sqrt(G_max - 0) by Cauchy-Schwarz on [0, G_max]
    g_max = 2.3 / 0.05
    assert res.approximation_bound >= np.max(v - 1.0) / math.sqrt(g_max)


def test_deterministic_return_clipped_approximation_bound():
    # one state, reward 1, gamma 1/2: return 2 surely; support [0, 1] gives eta_C = delta_1, l_2 = 1
    mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=0.5)
    res = categorical_policy_evaluation(mdp, np.array([0]), [0.0, 1.0], tol=1e-12)
    assert res.means[0] == 1.0 and res.v_lower[0] <= 2.0 <= res.v_upper[0]
    # (gap 1 + clipped (2 - 1)) / (1 - gamma) = 4: bound 2 >= the true distance 1
    assert res.approximation_bound == pytest.approx(2.0) and res.approximation_bound >= 1.0


@st.composite
def horizon_cases(draw):
    S, A, H = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    P = rng.random((S, A, S)) * (rng.random((S, A, S)) < 0.7)
    P[:, :, 0] += 1e-3
    P /= P.sum(axis=2, keepdims=True)
    R = rng.integers(-3, 4, size=(S, A)).astype(float)
    mdp = FiniteMDP(P, R, gamma=draw(st.sampled_from([0.5, 0.9, 1.0])), horizon=H)
    lo, width = draw(st.floats(-8, 4)), draw(st.floats(0.5, 10))
    return mdp, draw(policies(mdp)), np.linspace(lo, lo + width, draw(st.integers(1, 12)))


@given(horizon_cases())
def test_finite_horizon_certificates_hold_against_the_exact_law(case):
    # arbitrary supports (covering or clipping): the H-step law is exact, so both certificates are checked exactly
    mdp, pi, z = case
    res = categorical_policy_evaluation(mdp, pi, z)
    exact = exact_return_distribution(mdp, pi)
    scale = 1.0 + 3.0 * mdp.horizon + float(np.max(np.abs(z)))
    for s in range(mdp.n_states):
        law = exact.distributions[s]
        assert res.v_lower[s] - _FP * scale <= law.mean() <= res.v_upper[s] + _FP * scale
        assert cramer_distance(res.distribution(s), law) <= res.approximation_bound + _FP * scale


@given(cases(), st.floats(-3, 0.5), st.floats(0.1, 3))
def test_discounted_value_bracket_holds_for_any_support(case, lo, width):
    mdp, pi, m = case
    z = np.linspace(lo, lo + width, m)  # usually clips the returns in [-1/(1-gamma), 1/(1-gamma)]
    v = _v_pi(mdp, pi)
    vmax = 1.0 / (1.0 - mdp.gamma)
    cat = categorical_policy_evaluation(mdp, pi, z, tol=1e-9)
    for res in (cat, quantile_policy_evaluation(mdp, pi, min(m, 9), tol=1e-9)):
        assert np.all(res.v_lower - _FP * vmax <= v) and np.all(v <= res.v_upper + _FP * vmax)


def test_nonfinite_iterates_are_never_certified():
    # returns beyond the float range: R + gamma * 1e308 overflows
    big = FiniteMDP(np.ones((1, 1, 1)), np.array([[1e308]]), gamma=1.0, horizon=3)
    res = quantile_policy_evaluation(big, np.array([0]), 2)
    assert not res.converged and res.bound == math.inf
    assert res.v_lower[0] == -math.inf and res.v_upper[0] == math.inf
    disc = FiniteMDP(np.ones((1, 1, 1)), np.array([[1e308]]), gamma=0.9)
    res = quantile_policy_evaluation(disc, np.array([0]), 2, max_iter=1000)
    assert not res.converged and res.bound == math.inf and res.iterations < 1000
    assert res.v_lower[0] == -math.inf and res.v_upper[0] == math.inf
    cat = categorical_policy_evaluation(big, np.array([0]), [0.0, 1e308])
    # the projected 3-step law is computed exactly (bound 0), but v = 3e308 is not a float: nothing is certified
    assert cat.v_lower[0] == -math.inf and cat.v_upper[0] == math.inf and cat.approximation_bound == math.inf


def test_max_iter_zero_returns_the_initial_laws_uncertified():
    mdp, pi = _chain_with_large_returns()
    res = categorical_policy_evaluation(mdp, pi, np.linspace(0, 50, 26), max_iter=0)
    assert res.iterations == 0 and not res.converged and res.bound == math.inf
    np.testing.assert_allclose(res.means, 0.0)
    v = _v_pi(mdp, pi)
    assert np.all(res.v_lower <= v) and np.all(v <= res.v_upper)


def test_quantile_iteration_is_not_stalled_by_an_exact_tie_of_cumulative_weights():
    """From state 0, half the mass goes to s2 (two atoms of weight 1/4) and half splits over (s1, s2) with
    p + (1 - p) = 1, so pairs of atoms sum to 1/4 exactly in the reals and the running sum lands on tau = 3/4
    up to rounding. Pi_Q T^pi is a gamma-contraction in W_inf (Dabney et al. 2018, Prop. 2), so the iterates
    converge; before ties were resolved within the sum's rounding, this case jumped between the two atoms
    next to the tie forever (residual 0.45 after 20 000 sweeps)."""
    p, q = 0.4352561264563099, 0.7502636930018021
    P = np.zeros((3, 2, 3))
    P[0, 0, 2] = 1.0
    P[0, 1] = [0.0, p, 1.0 - p]
    P[1] = [
        [0.4362866921846743, 0.3954905160499943, 0.1682227917653314],
        [0.1497132485574094, 0.3402770181387809, 0.5100097333038097],
    ]
    P[2, 0] = [q, 0.0, 1.0 - q]
    P[2, 1] = [1.0 - q, q, 0.0]
    R = np.array([[-0.9150373841270985, 0.0], [0.0, -0.13592050551930512], [0.0, 0.0]])
    mask = np.array([[True, True], [True, True], [True, False]])
    mdp = FiniteMDP(P, R, gamma=0.8560965495678927, action_mask=mask)
    pi = np.array([[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]])
    res = quantile_policy_evaluation(mdp, pi, 2, tol=1e-12, max_iter=20_000)
    assert res.converged and res.bound <= 1e-12
