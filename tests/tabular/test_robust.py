"""Robust MDPs: exact inner problems against certified cvxpy programs, the robust operator's properties,
certified robust VI / PI, s-rectangular randomization, reduction identities.

Theorems asserted:

* weak duality of each inner problem: the certified intervals of the exact solvers and of the cvxpy
  programs both contain sigma = min_{p in U} p.v, so they intersect (up to rounding), and the exact
  ones have zero width for the closed forms;
* the robust Bellman operator is monotone and a gamma-contraction (Iyengar 2005, Sec. 3);
* robust value <= nominal value, and it decreases as the radius grows (nested sets);
* radius 0 is the nominal problem: robust VI reproduces value_iteration bit for bit;
* the certified bounds of robust VI bracket the robust value computed independently (robust VI with
  every inner problem solved by cvxpy), and those of robust PI;
* s-rectangular sets sandwich: U_sa(kappa/A) within U_s(kappa) within U_sa(kappa), so
  v*_sa(kappa) <= v*_s(kappa) <= v*_sa(kappa/A); a closed-form instance where the optimal policy
  randomizes (Wiesemann, Kuhn & Rustem 2013);
* seeds: the closed-form duals of the KL / chi-square / TV penalized inner problems equal the
  certified cvxpy programs, and are Lagrange-dual to the constrained ones; IWOCS's certified
  interval contains the static optimum found by enumeration, which equals the dynamic value for
  rectangular product sets and can exceed it strictly for non-rectangular ones.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import finite_mdps, stochastic_matrices, value_vectors
from rltheory.tabular import (
    FiniteMDP,
    UncertaintySet,
    bellman_operator,
    iwocs,
    regularized_robust_value_iteration,
    regularized_worst_case_values,
    robust_bellman_operator,
    robust_policy_iteration,
    robust_value_iteration,
    value_iteration,
    worst_case_values,
)
from rltheory.tabular import _robust as R
from rltheory.tabular.envs import garnet

EPS = np.finfo(float).eps
KINDS = ("l1", "linf", "chi2", "kl", "wasserstein", "box")


def _set(kind, P, radius, rng=None):
    S = P.shape[0]
    if kind == "box":
        return UncertaintySet("box", lower=np.maximum(P - radius / 2, 0.0), upper=np.minimum(P + radius, 1.0))
    if kind == "wasserstein":
        D = np.abs(np.subtract.outer(np.arange(S), np.arange(S))).astype(float)
        return UncertaintySet("wasserstein", radius, ground_metric=D)
    return UncertaintySet(kind, radius)


def _fp(v, n):
    """Rounding allowance of a sum of n terms of size ||v|| (Higham, gamma_n)."""
    return 8 * (n + 4) * EPS * max(1.0, float(np.max(np.abs(v))))


# ------------------------------------------------------------------ the sets
def test_uncertainty_set_validation():
    with pytest.raises(ValueError, match=r"kind = 'l2' must be one of"):
        UncertaintySet("l2", 0.1)
    with pytest.raises(ValueError, match=r"kind='l1' needs a radius"):
        UncertaintySet("l1")
    with pytest.raises(ValueError, match=r"radius\[1\] = -1.0 is negative"):
        UncertaintySet("l1", [0.1, -1.0], rectangularity="s")
    with pytest.raises(ValueError, match=r"radius has shape \(2,\); expected a scalar or \(S, A\)"):
        UncertaintySet("l1", [0.1, 0.2])
    with pytest.raises(ValueError, match=r"s-rectangular sets are implemented for kind in \('l1', 'kl', 'chi2'\)"):
        UncertaintySet("linf", 0.1, rectangularity="s")
    with pytest.raises(ValueError, match=r"a box set has no radius"):
        UncertaintySet("box", 0.1)
    with pytest.raises(ValueError, match=r"box bounds at \[0, 0, 1\]: lower > upper"):
        lo, hi = np.array([[[0.2, 0.6]], [[0.0, 0.0]]]), np.array([[[0.3, 0.5]], [[1.0, 1.0]]])
        UncertaintySet("box", lower=lo, upper=hi)
    with pytest.raises(ValueError, match=r"needs ground_metric="):
        UncertaintySet("wasserstein", 0.1)
    with pytest.raises(ValueError, match=r"ground_metric\[1, 1\] = 1.0; the diagonal must be 0"):
        UncertaintySet("wasserstein", 0.1, ground_metric=np.array([[0.0, 1.0], [1.0, 1.0]]))
    with pytest.raises(ValueError, match=r"ground_metric= belongs to kind='wasserstein'"):
        UncertaintySet("l1", 0.1, ground_metric=np.zeros((2, 2)))


def test_binding_errors_name_the_problem():
    P = np.array([[[0.5, 0.5]], [[0.0, 1.0]]])
    mdp = FiniteMDP(P, np.zeros((2, 1)), gamma=0.9)
    with pytest.raises(ValueError, match=r"radius has shape \(3, 1\), expected \(2, 1\)"):
        robust_value_iteration(mdp, UncertaintySet("l1", np.zeros((3, 1))))
    lo, hi = P.copy(), P.copy()
    lo[0, 0, 1] = 0.6
    hi[0, 0, 1] = 0.7
    with pytest.raises(ValueError, match=r"does not contain the nominal kernel at \[0, 0, 1\]"):
        robust_value_iteration(mdp, UncertaintySet("box", lower=lo, upper=hi))
    with pytest.raises(ValueError, match=r"robust_value_iteration solves infinite-horizon discounted"):
        robust_value_iteration(FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=1.0), UncertaintySet("l1", 0.1))
    with pytest.raises(ValueError, match=r"s-rectangular inner problems depend on the policy"):
        worst_case_values(mdp, UncertaintySet("l1", 0.1, rectangularity="s"), np.zeros(2))
    with pytest.raises(ValueError, match=r"needs an UncertaintySet"):
        robust_value_iteration(mdp, 0.1)


# ------------------------------------------------------------------ inner problems
@st.composite
def _inner_instances(draw):
    S = draw(st.integers(1, 7))
    q = draw(stochastic_matrices(n_rows=1, n_cols=S, sparsity=0.3))[0]
    v = draw(value_vectors(S, magnitude=10.0))
    if draw(st.booleans()):
        v = np.round(v)  # ties
    kappa = draw(st.sampled_from([1e-3, 0.05, 0.3, 1.0, 3.0]))
    return q, v, kappa


@settings(max_examples=30)
@given(inst=_inner_instances(), kind=st.sampled_from(KINDS))
def test_exact_inner_problems_match_cvxpy(inst, kind):
    q, v, kappa = inst
    S = q.size
    full = np.tile(q, (S, 1)).reshape(S, 1, S)  # a model with S states whose rows are all q
    U = _set(kind, full, kappa)
    mdp = FiniteMDP(full, np.zeros((S, 1)), gamma=0.5)
    ex = worst_case_values(mdp, U, v)
    cx = worst_case_values(mdp, U, v, method="cvxpy", tol=1e-6)
    fp = _fp(v, S)
    # both intervals contain sigma: they intersect
    assert np.all(cx.lower <= ex.upper + fp) and np.all(ex.lower <= cx.upper + fp)
    # the worst-case kernel is feasible and attains the upper bound
    p = ex.kernel[0, 0]
    assert p.min() >= 0 and abs(p.sum() - 1) <= 4 * S * EPS
    assert abs(float(p @ v) - ex.upper[0, 0]) <= fp
    if kind in ("l1", "linf", "box", "chi2"):  # closed forms: exact
        assert np.all(ex.upper - ex.lower <= fp)
    else:  # iterative duals: within the requested inner tolerance
        assert np.all(ex.upper - ex.lower <= 1e-12 + fp)


def test_closed_forms():
    q = np.array([0.25, 0.25, 0.5])
    v = np.array([0.0, 1.0, 4.0])
    # chi-square with the whole support below eta: E_q v - sqrt(kappa Var_q v) (Duchi & Namkoong 2021)
    kappa = 0.01
    lo, hi, p = R._inner_chi2(q, v, kappa)
    mean, var = q @ v, q @ (v - q @ v) ** 2
    assert abs(lo - (mean - np.sqrt(kappa * var))) <= 1e-14 and abs(hi - lo) <= 1e-14
    # L1: move kappa/2 from the top state to the bottom one
    assert R._inner_l1(q, v, 0.4)[1] == pytest.approx(q @ v - 0.2 * 4.0, abs=1e-15)
    # L-infinity with kappa >= 1 and KL with kappa >= -log q_min: everything on the lowest value
    assert R._inner_linf(q, v, 1.0)[1] == 0.0
    assert R._inner_kl(q, v, -np.log(0.25), 1e-12)[1] == 0.0


def test_kl_iteration_cap_keeps_the_certificate():
    rng = np.random.default_rng(3)
    for _ in range(20):
        q = rng.dirichlet(np.ones(6))
        v = rng.normal(size=6)
        lo, hi, p, _ = R._inner_kl(q, v, 0.1, 1e-15, max_inner=1)
        clo, chi, _ = R._inner_cvxpy("kl", q, v, 0.1, None, None, None, solver="CLARABEL", tol=1e-6, solver_options={})
        assert lo <= chi + 1e-12 and clo <= hi + 1e-12
        kl = float(np.sum(p[p > 0] * np.log(p[p > 0] / q[p > 0])))
        assert kl <= 0.1 * (1 + 1e-12)  # the upper bound comes from a feasible distribution


@pytest.mark.parametrize("sparse", [False, True])
def test_compiled_kernel_matches_reference(sparse):
    rng = np.random.default_rng(7)
    for trial in range(12):
        S, A = int(rng.integers(1, 12)), int(rng.integers(1, 4))
        P = rng.dirichlet(np.ones(S) * 0.5, size=(S, A))
        if trial % 2:
            P[rng.random(P.shape) < 0.4] = 0.0
            P[:, :, 0] += 1e-3
            P /= P.sum(axis=2, keepdims=True)
        mask = None
        if A > 1 and trial % 3 == 0:
            mask = rng.random((S, A)) < 0.7
            mask[:, 0] = True
        mdp = FiniteMDP(
            sp.csr_array(P.reshape(S * A, S)) if sparse else P, rng.random((S, A)), gamma=0.9, action_mask=mask
        )
        v = rng.normal(size=S) * 3
        if trial % 4 == 0:
            v = np.round(v)
        m = np.asarray(mdp.action_mask)
        for kind in ("l1", "linf", "chi2", "kl", "box"):
            b = R._bind(mdp, _set(kind, P, float(rng.choice([0.0, 0.02, 0.3, 2.0]))), "test")
            q_lo, q_hi = R._compiled_q(mdp, b, v, 1e-12)
            rlo, rhi, _ = R._sigma_reference(mdp, b, v, 1e-12)
            fp = _fp(v, S)
            assert np.all(np.isneginf(q_lo[~m])) and np.all(np.isneginf(q_hi[~m]))
            ref_lo, ref_hi = mdp.R + mdp.gamma * rlo, mdp.R + mdp.gamma * rhi
            assert np.all(np.where(m, np.abs(q_lo - ref_lo), 0.0) <= 1e-12 + fp), kind
            assert np.all(np.where(m, np.abs(q_hi - ref_hi), 0.0) <= 1e-12 + fp), kind


# ------------------------------------------------------------------ the operator
@st.composite
def _operator_instances(draw):
    mdp = draw(
        finite_mdps(
            n_states=st.integers(1, 5),
            n_actions=st.integers(1, 3),
            gamma=st.floats(0.0, 0.95),
            sparse=st.booleans(),
            action_mask=True,
        )
    )
    kind = draw(st.sampled_from(KINDS + ("s-l1",)))
    kappa = draw(st.sampled_from([0.0, 0.05, 0.5, 2.0]))
    v = draw(value_vectors(mdp.n_states, magnitude=20.0))
    w = draw(value_vectors(mdp.n_states, magnitude=20.0))
    return mdp, kind, kappa, v, w


def _instance_set(mdp, kind, kappa):
    if kind == "s-l1":
        return UncertaintySet("l1", kappa, rectangularity="s")
    return _set(kind, np.asarray(mdp.dense_P), kappa)


@settings(max_examples=40)
@given(inst=_operator_instances())
def test_robust_operator_contracts_and_is_monotone(inst):
    mdp, kind, kappa, v, w = inst
    U = _instance_set(mdp, kind, kappa)
    Tv, Tw = robust_bellman_operator(mdp, U, v), robust_bellman_operator(mdp, U, w)
    # gamma-contraction (inner tolerance 1e-12 for the iterative duals enters twice)
    slack = mdp.gamma * np.max(np.abs(v - w)) - np.max(np.abs(Tv - Tw))
    assert slack >= -(2e-12 + 2 * _fp(np.concatenate([v, w]), mdp.n_states + mdp.n_actions))
    # monotone: v <= max(v, w) => Tv <= T max(v, w)
    Tm = robust_bellman_operator(mdp, U, np.maximum(v, w))
    assert np.all(Tv <= Tm + 2e-12 + _fp(np.concatenate([v, w]), mdp.n_states + mdp.n_actions))
    # robust <= nominal backup (the nominal kernel is in the set)
    assert np.all(Tv <= bellman_operator(mdp, v) + 2e-12 + _fp(v, mdp.n_states + mdp.n_actions))


# ------------------------------------------------------------------ value and policy iteration
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("kind", ["l1", "linf", "chi2", "kl"])
def test_radius_zero_is_value_iteration_bit_for_bit(kind, sparse):
    mdp = garnet(30, 4, 5, rng=1, sparse=sparse, gamma=0.95)
    a = robust_value_iteration(mdp, UncertaintySet(kind, 0.0), tol=1e-8)
    b = value_iteration(mdp, tol=1e-8)
    for f in ("v", "v_lower", "v_upper", "q", "policy"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert (a.bound, a.policy_suboptimality_bound, a.residual) == (b.bound, b.policy_suboptimality_bound, b.residual)
    assert a.iterations == b.iterations  # one count of sweeps in the result vocabulary


def _cvxpy_robust_vi(mdp, U, sweeps):
    """Independent robust VI: every inner problem a certified cvxpy program; returns certified bounds."""
    u = np.zeros(mdp.n_states)
    g = mdp.gamma
    c = g / (1 - g)
    mask = np.asarray(mdp.action_mask)
    for _ in range(sweeps):
        wc = worst_case_values(mdp, U, u, method="cvxpy", tol=1e-7)
        t_lo = np.max(np.where(mask, np.asarray(mdp.R) + g * np.where(mask, wc.lower, 0.0), -np.inf), axis=1)
        t_hi = np.max(np.where(mask, np.asarray(mdp.R) + g * np.where(mask, wc.upper, 0.0), -np.inf), axis=1)
        lo, hi = t_lo + c * np.min(t_lo - u), t_hi + c * np.max(t_hi - u)
        u = t_lo
    return lo, hi


@pytest.mark.parametrize("kind", KINDS)
def test_certified_bounds_bracket_an_independent_solution(kind):
    rng = np.random.default_rng(hash(kind) % 2**32)
    S, A = 3, 2
    P = rng.dirichlet(np.ones(S), size=(S, A))
    mdp = FiniteMDP(P, rng.random((S, A)), gamma=0.7)
    U = _set(kind, P, 0.3)
    res = robust_value_iteration(mdp, U, tol=1e-9)
    lo, hi = _cvxpy_robust_vi(mdp, U, 20)
    assert res.converged and res.bound <= 1e-9
    assert np.all(res.v_lower <= hi + 1e-9) and np.all(lo <= res.v_upper + 1e-9)
    pi = robust_policy_iteration(mdp, U, tol=1e-9)
    assert pi.converged
    assert np.all(pi.v_lower <= res.v_upper + 1e-12) and np.all(res.v_lower <= pi.v_upper + 1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_robust_value_below_nominal_and_decreasing_in_radius(kind):
    mdp = garnet(12, 3, 4, rng=5, gamma=0.9)
    P = np.asarray(mdp.dense_P)
    nominal = value_iteration(mdp, tol=1e-9)
    previous = nominal
    for kappa in (0.05, 0.2, 0.8):
        res = robust_value_iteration(mdp, _set(kind, P, kappa), tol=1e-9)
        assert res.converged
        # v*(bigger set) <= v*(smaller set), through the certified bounds
        assert np.all(res.v_lower <= previous.v_upper)
        assert np.all(res.v_lower <= nominal.v_upper)
        previous = res


def test_result_fields_are_read_only_and_policy_bound_holds():
    mdp = garnet(10, 3, 3, rng=0, gamma=0.9)
    res = robust_value_iteration(mdp, UncertaintySet("l1", 0.3), tol=1e-10)
    for f in ("v", "q", "policy", "action_probabilities", "v_lower", "v_upper"):
        assert not getattr(res, f).flags.writeable, f
    # the returned policy's robust value (nature's exact response, evaluated by robust PI's evaluator)
    b = R._bind(mdp, UncertaintySet("l1", 0.3), "test")
    v_pi = R._robust_evaluation(mdp, b, res.action_probabilities, res.v, 1e-14, 1e-13, 1000)
    assert np.max(res.v_upper - v_pi) <= res.policy_suboptimality_bound + 1e-10
    assert res.method == "value-iteration" and res.inner_gap == 0.0


def test_max_iter_zero_certifies_the_start():
    mdp = garnet(8, 2, 3, rng=0, gamma=0.9)
    res = robust_value_iteration(mdp, UncertaintySet("kl", 0.1), max_iter=0)
    assert res.iterations == 0 and not res.converged
    v = value_iteration(mdp, tol=1e-10).v
    assert np.all(res.v_lower <= v + 1e-9)  # robust v* <= nominal v*, and v_lower <= robust v*


# ------------------------------------------------------------------ s-rectangular
@pytest.mark.parametrize("kind", ["l1", "kl", "chi2"])
def test_s_rectangular_sandwich(kind):
    rng = np.random.default_rng(2)
    S, A = 4, 3
    P = rng.dirichlet(np.ones(S), size=(S, A))
    mdp = FiniteMDP(P, rng.random((S, A)), gamma=0.8)
    kappa = 0.4
    tol = 1e-9 if kind == "l1" else 1e-6  # the convex solver's accuracy enters the KL / chi-square bounds
    s = robust_value_iteration(mdp, UncertaintySet(kind, kappa, rectangularity="s"), tol=tol)
    assert s.converged
    # every allocation of the s-budget gives each action at most kappa: U_s(kappa) within U_sa(kappa), and
    # U_sa(kappa / A) within U_s(kappa): v*_sa(kappa) <= v*_s(kappa) <= v*_sa(kappa / A)
    big = robust_value_iteration(mdp, UncertaintySet(kind, kappa), tol=tol)
    small = robust_value_iteration(mdp, UncertaintySet(kind, kappa / A), tol=tol)
    assert np.all(big.v_lower <= s.v_upper) and np.all(s.v_lower <= small.v_upper)
    pi = robust_policy_iteration(mdp, UncertaintySet(kind, kappa, rectangularity="s"), tol=tol)
    assert np.all(pi.v_lower <= s.v_upper + 1e-12) and np.all(s.v_lower <= pi.v_upper + 1e-12)
    np.testing.assert_allclose(s.action_probabilities.sum(axis=1), 1.0)


def test_s_rectangular_optimal_policy_randomizes_closed_form():
    # state 0 (reward 0): two actions, both to the good absorbing state 1 (reward 1); state 2 bad (reward 0).
    # Nature's L1 budget kappa at state 0 is shared by the actions: a deterministic choice loses kappa/2 of
    # the mass to the bad state, the uniform one only kappa/4 (Wiesemann, Kuhn & Rustem 2013, Sec. 3), so
    # v*(0) = gamma (1 - kappa/4) / (1 - gamma) and pi*(0) = (1/2, 1/2).
    P = np.zeros((3, 2, 3))
    P[0, :, 1] = 1.0
    P[1, :, 1] = 1.0
    P[2, :, 2] = 1.0
    Rw = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    g, kappa = 0.9, 0.4
    mdp = FiniteMDP(P, Rw, gamma=g)
    res = robust_value_iteration(mdp, UncertaintySet("l1", [kappa, 0.0, 0.0], rectangularity="s"), tol=1e-11)
    exact = g * (1 - kappa / 4) / (1 - g)
    assert res.v_lower[0] <= exact <= res.v_upper[0]
    np.testing.assert_allclose(res.action_probabilities[0], [0.5, 0.5], atol=1e-12)
    # a deterministic choice is strictly worse: nature's exact response gives gamma (1 - kappa/2) / (1 - gamma)
    b = R._bind(mdp, UncertaintySet("l1", [kappa, 0.0, 0.0], rectangularity="s"), "test")
    det = np.zeros((3, 2))
    det[:, 0] = 1.0
    v_det = R._robust_evaluation(mdp, b, det, np.zeros(3), 1e-14, 1e-13, 100)
    assert abs(v_det[0] - g * (1 - kappa / 2) / (1 - g)) <= 1e-10
    assert v_det[0] < res.v_lower[0]


# ------------------------------------------------------------------ seed: regularized robust DP (R2PVI, tabular)
@settings(max_examples=30)
@given(
    inst=_inner_instances(),
    divergence=st.sampled_from(("kl", "chi2", "tv")),
    beta=st.sampled_from([0.01, 0.3, 2.0, 20.0]),
)
def test_regularized_closed_form_duals_match_cvxpy(inst, divergence, beta):
    q, v, _ = inst
    S = q.size
    mdp = FiniteMDP(np.tile(q, (S, 1)).reshape(S, 1, S), np.zeros((S, 1)), gamma=0.5)
    ex = regularized_worst_case_values(mdp, divergence, beta, v)
    cx = regularized_worst_case_values(mdp, divergence, beta, v, method="cvxpy", tol=1e-6)
    fp = _fp(v, S) * (1 + beta)
    assert np.all(cx.lower <= ex.upper + fp) and np.all(ex.lower <= cx.upper + fp)
    assert np.all(ex.upper - ex.lower <= fp)  # closed forms: exact


def test_regularized_and_constrained_inner_values_are_lagrange_dual():
    # weak duality between the two models: min_{D(p,q) <= kappa} p.v >= min_p [p.v + beta D(p, q)] - beta kappa
    rng = np.random.default_rng(8)
    for _ in range(30):
        q, v = rng.dirichlet(np.ones(5)), rng.normal(size=5) * 3
        kappa, beta = float(rng.choice([0.05, 0.3])), float(rng.choice([0.1, 1.0, 5.0]))
        for div, kind, scale in (("kl", "kl", 1.0), ("chi2", "chi2", 1.0), ("tv", "l1", 2.0)):
            constrained = {
                "kl": R._inner_kl(q, v, kappa, 1e-13)[:3],
                "chi2": R._inner_chi2(q, v, kappa),
                "l1": R._inner_l1(q, v, scale * kappa),
            }[kind]
            lo, _, _ = R._regularized_inner(div, q, v, beta)
            assert constrained[0] >= lo - beta * kappa - 1e-12


@pytest.mark.parametrize("divergence", ["kl", "chi2", "tv"])
def test_regularized_vi_certified_below_nominal_and_increasing_in_beta(divergence):
    mdp = garnet(10, 3, 4, rng=3, gamma=0.9)
    nominal = value_iteration(mdp, tol=1e-9)
    prev = None
    by_beta = {}
    for beta in (0.1, 1.0, 10.0):
        res = by_beta[beta] = regularized_robust_value_iteration(mdp, divergence, beta, tol=1e-9)
        assert res.converged and res.bound <= 1e-9
        assert np.all(res.v_lower <= nominal.v_upper)  # p = q costs no penalty
        if prev is not None:  # a larger penalty weakens nature
            assert np.all(prev.v_lower <= res.v_upper)
        prev = res
    # TV with beta above the span of the values moves no mass: exactly the nominal problem
    big = regularized_robust_value_iteration(mdp, "tv", 2 * float(np.max(mdp.R)) / (1 - mdp.gamma) + 1, tol=1e-9)
    assert np.all(big.v_lower <= nominal.v_upper) and np.all(nominal.v_lower <= big.v_upper)
    # the pessimism penalty lowers the value by at most max(penalty) / (1 - gamma)
    pen = np.full((10, 3), 0.2)
    low = regularized_robust_value_iteration(mdp, divergence, 1.0, penalty=pen, tol=1e-9)
    ref = by_beta[1.0]
    assert np.all(low.v_lower <= ref.v_upper) and np.all(ref.v_lower - 0.2 / (1 - mdp.gamma) <= low.v_upper + 1e-9)


def test_regularized_arguments():
    mdp = garnet(4, 2, 2, rng=0, gamma=0.9)
    with pytest.raises(ValueError, match=r"divergence = 'l2' must be one of"):
        regularized_robust_value_iteration(mdp, "l2", 1.0)
    with pytest.raises(ValueError, match=r"regularization\[0, 0\] = 0.0 must be > 0"):
        regularized_robust_value_iteration(mdp, "kl", 0.0)
    with pytest.raises(ValueError, match=r"penalty\[0, 0\] = -1.0 is negative"):
        regularized_robust_value_iteration(mdp, "kl", 1.0, penalty=-np.ones((4, 2)))


# ------------------------------------------------------------------ seed: static robust MDPs (IWOCS)
def _static_brute_force(mdp, kernels):
    mu = np.full(mdp.n_states, 1.0 / mdp.n_states)
    S, A = mdp.n_states, mdp.n_actions
    best = -np.inf
    for pol in itertools.product(range(A), repeat=S):
        pol = np.array(pol)
        vals = []
        for T in kernels:
            d = np.linalg.solve(np.eye(S) - mdp.gamma * T[np.arange(S), pol], np.asarray(mdp.R)[np.arange(S), pol])
            vals.append(float(mu @ d))
        best = max(best, min(vals))
    return best


def test_iwocs_closed_form_gap():
    T = np.zeros((2, 4, 1, 4))
    T[:, 2, 0, 2] = T[:, 3, 0, 3] = 1.0
    T[0, 0, 0, 3] = T[0, 1, 0, 2] = T[1, 0, 0, 2] = T[1, 1, 0, 3] = 1.0
    mdp = FiniteMDP(T[0], np.array([[0.0], [0.0], [1.0], [0.0]]), gamma=0.5, initial_distribution=[0.5, 0.5, 0, 0])
    res = iwocs(mdp, T)
    # static: nature spoils one state, value 0.5 * gamma / (1 - gamma) = 0.5; dynamic: both spoiled, value 0
    assert res.value_lower == pytest.approx(0.5, abs=1e-12) and res.value_upper == pytest.approx(0.5, abs=1e-12)
    assert res.dynamic_lower <= 0.0 <= res.dynamic_upper and res.converged


@pytest.mark.parametrize("seed", range(5))
def test_iwocs_rectangular_static_equals_dynamic(seed):
    rng = np.random.default_rng(seed)
    S, A, K = 2, 2, 2
    rows = rng.dirichlet(np.ones(S), size=(K, S, A))
    kernels = np.array(
        [
            rows[np.array(c).reshape(S, A), np.arange(S)[:, None], np.arange(A)[None, :]]
            for c in itertools.product(range(K), repeat=S * A)
        ]
    )  # the rectangular product set
    mdp = FiniteMDP(kernels[0], rng.random((S, A)), gamma=0.8)
    best = _static_brute_force(mdp, kernels)
    res = iwocs(mdp, kernels, tol=1e-9)
    assert res.value_lower - 1e-12 <= best <= res.value_upper + 1e-12
    assert res.dynamic_lower - 1e-9 <= best <= res.dynamic_upper + 1e-9  # rectangular: static = dynamic
    assert res.converged  # saddle point: min-max = max-min


@pytest.mark.parametrize("seed", range(5))
def test_iwocs_bounds_bracket_the_static_optimum(seed):
    rng = np.random.default_rng(100 + seed)
    S, A, K = 3, 2, 3
    kernels = rng.dirichlet(np.ones(S) * 0.5, size=(K, S, A))
    mdp = FiniteMDP(kernels[0], rng.random((S, A)), gamma=0.9)
    best = _static_brute_force(mdp, kernels)
    res = iwocs(mdp, kernels)
    assert res.value_lower - 1e-12 <= best <= res.value_upper + 1e-12
    assert res.dynamic_lower <= best + 1e-9  # static >= dynamic (the hull contains the set)
    assert np.all(np.diff(res.lower_history) >= 0)


@pytest.mark.parametrize("kind", ["kl", "chi2"])
def test_s_rectangular_nature_response_is_certified(kind):
    # nature's exact response to a fixed randomized pi (Lagrangian dual, bisection) against its convex program
    import cvxpy as cp

    rng = np.random.default_rng(21)
    for _ in range(5):
        S, A, g, kappa = 5, 3, 0.9, float(rng.choice([0.05, 0.5]))
        Q = rng.dirichlet(np.ones(S), size=A)
        r, v, pi = rng.random(A), rng.normal(size=S) * 3, rng.dirichlet(np.ones(A))
        lo, rows, values = R._s_div_response(kind, Q, r, np.ones(A, bool), v, kappa, g, pi, 1e-12)
        xs = [cp.Variable(S, nonneg=True) for _ in range(A)]
        div = sum(
            cp.sum(cp.rel_entr(x, q)) if kind == "kl" else cp.sum(cp.multiply(1 / q, cp.square(x - q)))
            for x, q in zip(xs, Q)
        )
        prob = cp.Problem(
            cp.Minimize(sum(pi[a] * (r[a] + g * (v @ xs[a])) for a in range(A))),
            [cp.sum(x) == 1 for x in xs] + [div <= kappa],
        )
        prob.solve(solver="CLARABEL")
        upper = float(pi @ values)  # the response is feasible: its value is an upper bound
        total = sum(
            float(np.sum(p * np.log(p / q))) if kind == "kl" else float(np.sum((p - q) ** 2 / q))
            for p, q in zip(rows, Q)
        )
        assert total <= kappa * (1 + 1e-9) and np.allclose(rows.sum(axis=1), 1.0)
        assert lo <= prob.value + 1e-6 and prob.value <= upper + 1e-6 and upper - lo <= 1e-10
