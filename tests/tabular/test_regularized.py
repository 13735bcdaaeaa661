"""Regularized DP: compiled soft backup = NumPy reference, Gibbs variational principle, contraction,
certified soft VI vs soft PI, the tau -> 0 and tau -> inf limits, and Vieillard et al.'s averaging identities."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import discounts, finite_mdps, value_vectors
from rltheory.tabular import (
    FiniteMDP,
    RegularizedPolicyEvaluationResult,
    _soft_kernels,
    mirror_descent_value_iteration,
    regularized_policy_evaluation,
    soft_bellman_operator,
    soft_policy_iteration,
    soft_value_iteration,
    value_iteration,
)
from rltheory.tabular._regularized import _log_reference, _soft_inputs, soft_backup_reference

EPS = np.finfo(float).eps
_small = dict(n_states=st.integers(1, 5), n_actions=st.integers(1, 4), sparse=st.booleans(), action_mask=True)


@st.composite
def _reference(draw, mdp, full=st.booleans()):
    if draw(st.booleans()):
        return None
    mask = np.asarray(mdp.action_mask)
    w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=mask.size, max_size=mask.size))).reshape(mask.shape)
    if not draw(full):
        drop = np.array(draw(st.lists(st.booleans(), min_size=mask.size, max_size=mask.size))).reshape(mask.shape)
        keep = ~drop
        keep[np.arange(mask.shape[0]), np.argmax(mask, axis=1)] = True  # one allowed action always kept
        w = np.where(keep, w, 0.0)
    w = np.where(mask, w, 0.0)
    return w / w.sum(axis=1, keepdims=True)


@st.composite
def _instances(draw):
    mdp = draw(finite_mdps(**_small))
    return mdp, draw(value_vectors(mdp.n_states, magnitude=20.0)), draw(st.floats(0.01, 10.0)), draw(_reference(mdp))


def _scale(mdp, v, tau):
    return 1.0 + float(np.max(np.abs(mdp.R))) + float(np.max(np.abs(v), initial=0.0)) + tau * np.log(mdp.n_actions + 1)


@settings(max_examples=80)
@given(_instances())
def test_kernel_matches_reference(inst):
    mdp, v, tau, ref = inst
    logref = _log_reference(mdp, ref)
    kind, P, mask, use_mask = _soft_inputs(mdp)
    out, q = np.empty(mdp.n_states), np.empty((mdp.n_states, mdp.n_actions))
    fn = _soft_kernels.soft_backup_dense if kind == "dense" else _soft_kernels.soft_backup_csr
    lo, hi = fn(*P, mdp.R, mdp.gamma, np.ascontiguousarray(v), tau, logref, mask, use_mask, out, q)
    ref_out, ref_q = soft_backup_reference(
        mdp.P, np.asarray(mdp.R), mdp.gamma, v, tau, logref, np.asarray(mdp.action_mask)
    )
    # both sum S products (reordered) then a log-sum-exp over A terms: O((S + A) eps) relative to the scale
    tol = 8 * (mdp.n_states + mdp.n_actions) * EPS * _scale(mdp, v, tau)
    np.testing.assert_allclose(out, ref_out, atol=tol, rtol=0)
    fin = np.isfinite(ref_q)
    assert (np.isfinite(q) == fin).all()
    np.testing.assert_allclose(q[fin], ref_q[fin], atol=tol, rtol=0)
    assert lo == pytest.approx(float(np.min(out - v)), abs=0) and hi == float(np.max(out - v))


@settings(max_examples=80)
@given(_instances(), st.data())
def test_gibbs_variational_principle(inst, data):
    # T_tau v(s) = max_p <p, q(s)> - tau KL(p || pi0(s)), attained by pi0 exp((q - T_tau v)/tau) (Donsker-Varadhan)
    mdp, v, tau, ref = inst
    tv = soft_bellman_operator(mdp, v, tau, ref)
    logref = _log_reference(mdp, ref)
    q = np.where(
        np.asarray(mdp.action_mask),
        soft_backup_reference(mdp.P, np.asarray(mdp.R), mdp.gamma, v, tau, logref, np.asarray(mdp.action_mask))[1],
        -np.inf,
    )
    ok = np.asarray(mdp.action_mask) & np.isfinite(logref)
    w = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=ok.size, max_size=ok.size))).reshape(ok.shape)
    w = np.where(ok, w + 1e-3, 0.0)
    p = w / w.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = np.where(p > 0, p * (q - tau * (np.log(np.where(p > 0, p, 1)) - logref)), 0.0).sum(axis=1)
        star = np.where(ok, np.exp(np.where(ok, q - tv[:, None], -np.inf) / tau + logref), 0.0)
        val_star = np.where(star > 0, star * (q - tau * (np.log(np.where(star > 0, star, 1)) - logref)), 0.0).sum(
            axis=1
        )
    tol = 16 * (mdp.n_states + mdp.n_actions) * EPS * _scale(mdp, v, tau) * (1 + 1 / tau)
    assert np.all(val <= tv + tol)
    np.testing.assert_allclose(val_star, tv, atol=tol, rtol=0)
    np.testing.assert_allclose(star.sum(axis=1), 1.0, atol=tol)


@settings(max_examples=60)
@given(_instances(), st.data())
def test_soft_operator_contracts(inst, data):
    mdp, v, tau, ref = inst
    w = data.draw(value_vectors(mdp.n_states, magnitude=20.0))
    lhs = np.max(np.abs(soft_bellman_operator(mdp, v, tau, ref) - soft_bellman_operator(mdp, w, tau, ref)))
    tol = 16 * (mdp.n_states + mdp.n_actions) * EPS * (_scale(mdp, v, tau) + _scale(mdp, w, tau))
    assert lhs <= mdp.gamma * np.max(np.abs(v - w)) + tol


@settings(max_examples=40)
@given(
    finite_mdps(
        n_states=st.integers(1, 4),
        n_actions=st.integers(1, 3),
        gamma=discounts(max_value=0.9),
        sparse=st.booleans(),
        action_mask=True,
    ),
    st.floats(0.05, 5.0),
    st.data(),
)
def test_soft_vi_bounds_bracket_soft_pi(mdp, tau, data):
    ref = data.draw(_reference(mdp))
    vi = soft_value_iteration(mdp, tau, ref, tol=1e-9)
    pi = soft_policy_iteration(mdp, tau, ref)
    scale = (1 + float(np.max(np.abs(mdp.R))) + tau * np.log(mdp.n_actions + 1)) / (1 - mdp.gamma)
    fp = 64 * mdp.n_states * EPS * scale / (1 - mdp.gamma)
    assert vi.converged and vi.bound <= 1e-9
    # MacQueen-Porteus bounds bracket the fixed point computed independently by soft PI
    assert np.all(vi.v_lower - fp <= pi.v) and np.all(pi.v <= vi.v_upper + fp)
    # soft PI's values are non-decreasing (regularized policy improvement, Geist et al. 2019 Sec. 4)
    assert np.all(np.diff(pi.values_history, axis=0) >= -fp)
    # soft-greedy w.r.t. v with ||v - v*_tau|| <= bound/2 loses at most 2 gamma/(1-gamma) * bound/2 (Geist et al. 2019,
    # Thm. 1)
    v_pol = regularized_policy_evaluation(mdp, vi.action_probabilities, tau, ref).v
    assert np.all(v_pol >= pi.v - mdp.gamma / (1 - mdp.gamma) * vi.bound - 2 * fp)


@settings(max_examples=30)
@given(
    finite_mdps(
        n_states=st.integers(1, 4), n_actions=st.integers(1, 3), gamma=discounts(max_value=0.9), action_mask=True
    )
)
def test_temperature_zero_is_value_iteration(mdp):
    soft = soft_value_iteration(mdp, 0.0, tol=1e-10)
    hard = value_iteration(mdp, tol=1e-10)
    fp = 64 * mdp.n_states * EPS * (1 + float(np.max(np.abs(mdp.R)))) / (1 - mdp.gamma) ** 2
    # both brackets contain v*: they must intersect
    assert np.all(soft.v_lower <= hard.v_upper + fp) and np.all(hard.v_lower <= soft.v_upper + fp)


@pytest.mark.parametrize("tau", [1.0, 0.1, 0.01, 0.001])
def test_small_temperature_limit_entropy_bound(tau):
    # 0 <= v*_tau - v* <= tau log|A| / (1 - gamma) (entropy in [0, log|A|]; Geist et al. 2019, Sec. 3)
    rng = np.random.default_rng(3)
    S, A, g = 6, 3, 0.9
    mdp = FiniteMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(0, 1, (S, A)), gamma=g)
    soft = soft_value_iteration(mdp, tau, tol=1e-11)
    hard = value_iteration(mdp, tol=1e-11)
    assert np.all(soft.v_upper >= hard.v_lower) and np.all(soft.v_lower <= hard.v_upper + tau * np.log(A) / (1 - g))


@pytest.mark.parametrize("tau", [1e2, 1e4, 1e6])
def test_large_temperature_limit_is_reference_policy(tau):
    # pi*_tau = pi0 exp((q - v)/tau): |log(pi*_tau / pi0)| <= span_a q*_tau(s, .) / tau <= (max r - min r)/((1-gamma)
    # tau)
    rng = np.random.default_rng(4)
    S, A, g = 5, 3, 0.8
    mdp = FiniteMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(0, 1, (S, A)), gamma=g)
    ref = rng.dirichlet(np.ones(A), size=S)
    res = soft_value_iteration(mdp, tau, ref, tol=1e-9)
    bound = (np.ptp(mdp.R) + g * 1e-9) / ((1 - g) * tau)
    assert np.max(np.abs(np.log(res.action_probabilities / ref))) <= bound * (1 + 1e-6) + 1e-12


# ------------------------------------------------------------ Vieillard et al. (2020)
@pytest.mark.parametrize("lam", [0.1, 1.0, 10.0])
def test_kl_greedy_policy_is_softmax_of_summed_q_values(lam):
    # Vieillard et al. 2020, Theorem 1 (and eq. before it): pi_{k+1} ∝ exp(sum_{j<=k} q_j / lambda), pi_0 uniform
    rng = np.random.default_rng(5)
    S, A = 4, 3
    mdp = FiniteMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(0, 1, (S, A)), gamma=0.9)
    res = mirror_descent_value_iteration(mdp, lam, max_iter=30, noise_scale=0.3, rng=1)
    cumulative = np.cumsum(res.q_history, axis=0)
    for k in range(30):
        z = cumulative[k] / lam
        z = z - z.max(axis=1, keepdims=True)
        expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(res.action_probabilities_history[k + 1], expected, rtol=1e-10, atol=1e-300)


def test_kl_entropy_greedy_policy_is_softmax_of_moving_average():
    # Vieillard et al. 2020, Sec. 4: pi_{k+1} ∝ exp(h_k / (lambda + tau)), h_k = q_k + beta h_{k-1}, beta =
    # lambda/(lambda+tau)
    rng = np.random.default_rng(6)
    S, A, lam, tau = 4, 3, 1.0, 0.5
    mdp = FiniteMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(0, 1, (S, A)), gamma=0.9)
    res = mirror_descent_value_iteration(mdp, lam, tau, max_iter=25, noise_scale=0.1, rng=2)
    beta = lam / (lam + tau)
    h = np.zeros((S, A))
    for k in range(25):
        h = res.q_history[k] + beta * h
        z = h / (lam + tau)
        z = z - z.max(axis=1, keepdims=True)
        probs = res.action_probabilities_history[k + 1]
        np.testing.assert_allclose(probs, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), rtol=1e-10)


def test_kl_regularization_averages_errors():
    # with noisy evaluations, AVI (lambda = 0) keeps an O(sigma / (1-gamma)^2)-type error while MD-VI's error is
    # governed by the running average of the noise (Vieillard et al. 2020, Theorem 1 vs Thm 2 of the AVI analysis)
    rng = np.random.default_rng(7)
    S, A = 6, 3
    mdp = FiniteMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(0, 1, (S, A)), gamma=0.9)

    def run(lam, seed):
        return mirror_descent_value_iteration(mdp, lam, max_iter=300, noise_scale=1.0, rng=seed).suboptimality

    avi = [run(0.0, s)[-50:].mean() for s in range(4)]
    mdvi = [run(5.0, s)[-50:].mean() for s in range(4)]
    assert np.mean(mdvi) < 0.5 * np.mean(avi)


def test_bad_inputs():
    mdp = FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=0.5)
    with pytest.raises(ValueError, match="temperature"):
        soft_value_iteration(mdp, -1.0)
    with pytest.raises(ValueError, match="temperature"):
        soft_policy_iteration(mdp, 0.0)
    with pytest.raises(ValueError, match="reference_policy"):
        soft_value_iteration(mdp, 1.0, np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="average-reward"):
        soft_value_iteration(FiniteMDP(np.ones((1, 2, 1)), np.zeros((1, 2)), gamma=1.0), 1.0)
    with pytest.raises(ValueError, match="kl_weight"):
        mirror_descent_value_iteration(mdp, -1.0)
    with pytest.raises(ValueError, match="max_iter = -1 must be >= 0"):
        mirror_descent_value_iteration(mdp, 1.0, max_iter=-1)
    with pytest.raises(ValueError, match="tol = 0.0 must be > 0"):
        soft_value_iteration(mdp, 1.0, tol=0.0)


# ------------------------------------------------------------ result vocabulary (issue 10, sec. 2)
def test_regularized_policy_evaluation_returns_a_frozen_result():
    """It returned a (v, q) tuple."""
    import dataclasses

    mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[1.0, 0.0]]), gamma=0.5)
    res = regularized_policy_evaluation(mdp, np.array([[0.5, 0.5]]), 1.0)
    assert isinstance(res, RegularizedPolicyEvaluationResult) and not isinstance(res, tuple)
    assert not res.v.flags.writeable and not res.q.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.v = None


def test_stochastic_policies_are_action_probabilities_and_results_read_only():
    rng = np.random.default_rng(8)
    S, A = 4, 3
    mdp = FiniteMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(0, 1, (S, A)), gamma=0.9)
    vi, pi = soft_value_iteration(mdp, 0.5, tol=1e-10), soft_policy_iteration(mdp, 0.5)
    md = mirror_descent_value_iteration(mdp, 1.0, max_iter=5)
    for res in (vi, pi, md):
        assert not hasattr(res, "policy") and res.action_probabilities.shape == (S, A)
        np.testing.assert_allclose(res.action_probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        for f in dataclasses.fields(res):
            value = getattr(res, f.name)
            if isinstance(value, np.ndarray):
                assert not value.flags.writeable, f.name
    # residual = ||d||_inf >= span(d) / 2 and bound = gamma/(1-gamma) span(d)
    assert vi.bound <= 2 * mdp.gamma / (1 - mdp.gamma) * vi.residual + 1e-12
    np.testing.assert_array_equal(md.q, md.q_history[-1])
    np.testing.assert_array_equal(md.action_probabilities, md.action_probabilities_history[-1])
    assert md.iterations == 5


def test_max_iter_zero_returns_the_start():
    rng = np.random.default_rng(9)
    S, A = 3, 2
    mdp = FiniteMDP(rng.dirichlet(np.ones(S), size=(S, A)), rng.uniform(0, 1, (S, A)), gamma=0.8)
    md = mirror_descent_value_iteration(mdp, 1.0, max_iter=0)
    assert md.iterations == 0 and md.q_history.shape == (1, S, A)
    np.testing.assert_array_equal(md.q, np.zeros((S, A)))
    np.testing.assert_array_equal(md.action_probabilities, np.full((S, A), 0.5))
    spi = soft_policy_iteration(mdp, 1.0, max_iter=0)
    assert spi.iterations == 0 and spi.values_history.shape == (1, S) and spi.residual > 0 and not spi.converged
    np.testing.assert_array_equal(spi.action_probabilities, np.full((S, A), 0.5))
    full = soft_policy_iteration(mdp, 1.0)
    assert full.converged and full.residual <= 1e-12
    svi = soft_value_iteration(mdp, 1.0, max_iter=0, tol=1e-12)
    assert svi.iterations == 0 and not svi.converged
    assert np.all(svi.v_lower <= full.v + 1e-9) and np.all(full.v <= svi.v_upper + 1e-9)


def test_soft_vi_never_certifies_a_non_finite_iterate(monkeypatch):
    from rltheory.tabular import _soft_kernels

    mdp = FiniteMDP(np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), gamma=0.5)

    def overflowing(P, R, gamma, v, tau, logref, mask, use_mask, tol, max_iter, out, q):
        v[:] = [np.inf, 0.0]
        out[:] = [np.inf, 0.0]
        q[:] = 0.0
        return 1, 0.0, 0.0

    monkeypatch.setattr(_soft_kernels, "soft_iterate_dense", overflowing)
    res = soft_value_iteration(mdp, 1.0)
    assert not res.converged and res.bound == np.inf and np.all(res.v_lower == -np.inf)
