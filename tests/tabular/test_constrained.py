"""Constrained MDPs: the occupancy LP against brute force over mixtures, its certificate, primal-dual rates.

Oracles (independent of the code under test):

* the optimum of a constrained MDP is the optimum of the LP over mixtures of
  deterministic stationary policies: the occupancy polytope is the convex
  hull of the occupancy measures of deterministic policies (Altman 1999,
  Ch. 3 / Puterman 2005, Sec. 6.9), and the
  costs and rewards are linear in the occupancy. The mixture LP has
  ``m + 1`` rows, so its vertices mix at most ``m + 1`` policies with the
  mixing weights fixed by the tight constraints: enumerating all such
  subsets gives the exact optimum (``brute_force_optimum``);
* the closed-form one-state example of the docstrings.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.proofs_checks.rates import assert_rate_at_most, fit_power_law
from rltheory.proofs_checks.strategies import finite_mdps
from rltheory.tabular import (
    ConstrainedMDP,
    FiniteMDP,
    constrained_lp,
    discounted_occupancy,
    lagrangian_primal_dual,
)

TOL = 1e-7  # constrained_lp's default acceptance threshold


# ---------------------------------------------------------------- oracles
def _totals(P, R, costs, gamma, mu, pi):
    """Exact-arithmetic-free but library-free: V_r(mu), V_c(mu) of a deterministic policy by one LU solve."""
    S = R.shape[0]
    P_pi = P[np.arange(S), pi]
    d = np.linalg.solve((np.eye(S) - gamma * P_pi).T, mu)  # state occupancy
    return float(d @ R[np.arange(S), pi]), np.array([float(d @ c[np.arange(S), pi]) for c in costs])


def brute_force_optimum(P, R, costs, thresholds, gamma, mu, mask=None):
    """max over mixtures of deterministic policies of V_r s.t. V_c <= d, by vertex enumeration of the mixture LP."""
    S, A = R.shape
    mask = np.ones((S, A), bool) if mask is None else mask
    allowed = [np.flatnonzero(mask[s]) for s in range(S)]
    pols = [np.array(p) for p in itertools.product(*allowed)]
    vals = [_totals(P, R, costs, gamma, mu, p) for p in pols]
    vr = np.array([v[0] for v in vals])
    vc = np.array([v[1] for v in vals])  # (n_pol, m)
    m = len(thresholds)
    best = -np.inf
    for k in range(1, m + 2):
        for subset in itertools.combinations(range(len(pols)), k):
            for tight in itertools.combinations(range(m), k - 1):
                Mat = np.vstack([np.ones(k)] + [vc[list(subset), i] for i in tight])
                rhs = np.array([1.0] + [thresholds[i] for i in tight])
                try:
                    w = np.linalg.solve(Mat, rhs)
                except np.linalg.LinAlgError:
                    continue
                if (w < -1e-12).any():
                    continue
                if (w @ vc[list(subset)] > thresholds + 1e-9).any():
                    continue
                best = max(best, float(w @ vr[list(subset)]))
    return best


def _random_cmdp(rng, S, A, m, gamma=0.9, sparse=False, mask=False):
    P = rng.dirichlet(np.ones(S) * 0.5, size=(S, A))
    R = rng.random((S, A))
    C = rng.random((m, S, A))
    M = None
    if mask and A > 1:
        M = rng.random((S, A)) < 0.7
        M[np.arange(S), rng.integers(0, A, S)] = True
    Pm = sp.csr_array(P.reshape(S * A, S)) if sparse else P
    mdp = FiniteMDP(Pm, R, gamma=gamma, action_mask=M)
    pi0 = rng.dirichlet(np.ones(A), size=S)
    if M is not None:
        pi0 = np.where(M, pi0, 0.0)
        pi0 /= pi0.sum(axis=1, keepdims=True)
    occ = discounted_occupancy(mdp, pi0, initial_distribution=np.full(S, 1.0 / S))
    thresholds = np.einsum("isa,sa->i", C, occ)  # a randomized policy meets them exactly: feasible, usually tight
    return ConstrainedMDP(mdp, C, thresholds), P, R, C, M


# ---------------------------------------------------------------- the model
def test_model_validation_names_the_problem():
    mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
    with pytest.raises(ValueError, match=r"costs has shape \(1, 2\), expected \(m, 1, 2\)"):
        ConstrainedMDP(mdp, np.zeros((1, 2)), [1.0])
    with pytest.raises(ValueError, match=r"costs\[0, 0, 1\] is nan"):
        ConstrainedMDP(mdp, np.array([[[0.0, np.nan]]]), [1.0])
    with pytest.raises(ValueError, match=r"thresholds has shape \(2,\), expected \(1\)"):
        ConstrainedMDP(mdp, np.zeros((1, 1, 2)), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"thresholds\[0\] is inf"):
        ConstrainedMDP(mdp, np.zeros((1, 1, 2)), [np.inf])
    with pytest.raises(ValueError, match=r"ConstrainedMDP solves infinite-horizon discounted \(gamma < 1\) models"):
        ConstrainedMDP(FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=1.0), np.zeros((1, 1, 1)), [0.0])
    with pytest.raises(ValueError, match=r"finite-horizon \(horizon=3\)"):
        ConstrainedMDP(FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=0.5, horizon=3), np.zeros((1, 1, 1)), [0])
    with pytest.raises(ValueError, match=r"ConstrainedMDP needs a FiniteMDP, got str"):
        ConstrainedMDP("mdp", np.zeros((1, 1, 1)), [0.0])
    cmdp = ConstrainedMDP(mdp, np.zeros((2, 1, 2)), [1.0, 2.0])
    assert not cmdp.costs.flags.writeable and not cmdp.thresholds.flags.writeable


# ---------------------------------------------------------------- the LP
def test_one_state_closed_form():
    # V_r = 2 p, V_c = 2 p for pi(1) = p (mass 1/(1-gamma) = 2): optimum p = 1/2, V* = 1;
    # L(lam) = max(0, 2 (1 - lam)) + lam is minimized at lam* = 1 (strong duality: L(1) = 1 = V*)
    mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
    res = constrained_lp(ConstrainedMDP(mdp, np.array([[[0.0, 1.0]]]), [1.0]))
    np.testing.assert_allclose(res.action_probabilities, [[0.5, 0.5]], atol=1e-6)
    np.testing.assert_allclose([res.objective, res.multipliers[0], res.value_upper_bound], [1.0, 1.0, 1.0], atol=1e-6)
    assert res.status == "optimal" and res.basic and res.randomized_states.tolist() == [0]
    for name in ("action_probabilities", "v", "occupancy", "constraint_values", "multipliers", "lagrangian_v"):
        assert not getattr(res, name).flags.writeable, name


@pytest.mark.parametrize("seed", range(8))
def test_matches_brute_force_over_mixtures(seed):
    rng = np.random.default_rng(seed)
    S, A, m = int(rng.integers(1, 4)), int(rng.integers(1, 3)) + 1, int(rng.integers(1, 3))
    cmdp, P, R, C, M = _random_cmdp(rng, S, A, m, gamma=0.8, sparse=seed % 2 == 1, mask=seed % 3 == 0)
    mu = np.full(S, 1.0 / S)
    best = brute_force_optimum(P, R, C, np.asarray(cmdp.thresholds), 0.8, mu, M)
    res = constrained_lp(cmdp)
    # weak duality: the certified upper bound is above the exact optimum (up to LU rounding of the oracle)
    assert best <= res.value_upper_bound + 1e-10
    # the returned policy is feasible up to the certificate's primal threshold and within its own bound
    assert res.constraint_violation <= TOL * max(1.0, float(res.occupancy.sum()))
    assert best - res.objective <= res.suboptimality_bound + 1e-10
    # and the certificate is tight: zero duality gap up to the solver tolerance
    assert res.suboptimality_bound <= 10 * TOL * max(1.0, abs(best))


def test_certificate_residuals_and_occupancy_identity():
    rng = np.random.default_rng(11)
    cmdp, *_ = _random_cmdp(rng, 6, 3, 2)
    res = constrained_lp(cmdp)
    mass = float(res.occupancy.sum())
    assert res.primal_infeasibility <= TOL * max(1.0, mass)
    assert res.duality_gap <= TOL * max(1.0, abs(res.objective))
    assert res.complementary_slackness <= TOL * max(1.0, abs(res.objective))
    # the occupancy measure of pi(a|s) = x(s,a)/sum_b x(s,b) is x itself (Puterman 2005, Thm 6.9.1)
    occ = discounted_occupancy(cmdp.mdp, res.action_probabilities, initial_distribution=cmdp.initial_distribution)
    np.testing.assert_allclose(occ, res.occupancy, atol=1e3 * TOL * mass)
    np.testing.assert_allclose(res.constraint_values, np.einsum("isa,sa->i", cmdp.costs, occ), rtol=1e-10)


@settings(max_examples=25)
@given(data=st.data())
def test_basic_solution_randomizes_in_at_most_m_states(data):
    mdp = data.draw(
        finite_mdps(
            n_states=st.integers(1, 6),
            n_actions=st.integers(1, 4),
            gamma=st.floats(0.1, 0.95),
            sparse=st.booleans(),
            action_mask=True,
        )
    )
    m = data.draw(st.integers(1, 3))
    S, A = mdp.n_states, mdp.n_actions
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    C = rng.random((m, S, A))
    pi0 = np.where(np.asarray(mdp.action_mask), rng.random((S, A)) + 1e-3, 0.0)
    pi0 /= pi0.sum(axis=1, keepdims=True)
    occ = discounted_occupancy(mdp, pi0, initial_distribution=np.full(S, 1.0 / S))
    res = constrained_lp(ConstrainedMDP(mdp, C, np.einsum("isa,sa->i", C, occ)))
    # Altman 1999, Ch. 3 (Thm 3.8 as cited in issue 14): a basic optimal solution randomizes in at most m states
    assert res.randomized_states.size <= m


def test_interior_solution_is_optimal_too():
    rng = np.random.default_rng(5)
    cmdp, *_ = _random_cmdp(rng, 5, 3, 2)
    a, b = constrained_lp(cmdp), constrained_lp(cmdp, basic=False)
    assert not b.basic
    # both are optimal within their certificates
    assert abs(a.objective - b.objective) <= a.suboptimality_bound + b.suboptimality_bound + 1e-9


# ---------------------------------------------------------------- infeasibility
def test_individually_infeasible_constraint_is_named():
    rng = np.random.default_rng(0)
    cmdp, *_ = _random_cmdp(rng, 4, 2, 2)
    d = np.array(cmdp.thresholds)
    d[1] = -1.0  # costs are >= 0, so V_c >= 0 > d_1
    with pytest.raises(ValueError, match=r"infeasible: constraint 1: threshold -1.0 < minimum achievable cost"):
        constrained_lp(ConstrainedMDP(cmdp.mdp, cmdp.costs, d))


def test_jointly_infeasible_constraints_report_phase_one():
    # one state, two actions: constraint 0 wants action 1 (its cost on action 0), constraint 1 wants action 0
    mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 0.0]]), gamma=0.5)
    costs = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    # each alone is feasible (min cost 0) but V_c0 + V_c1 = 2 for every policy, so both <= 0.5 is impossible
    match = r"not all together; the phase-1 LP .* gives 0.5 > 0, attained with constraints \[0, 1\]"
    with pytest.raises(ValueError, match=match):
        constrained_lp(ConstrainedMDP(mdp, costs, [0.5, 0.5]))


def test_bad_arguments():
    mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
    cmdp = ConstrainedMDP(mdp, np.array([[[0.0, 1.0]]]), [1.0])
    with pytest.raises(ValueError, match=r"tol = 0 must be > 0"):
        constrained_lp(cmdp, tol=0)
    with pytest.raises(ValueError, match=r"unknown solver 'NOPE': it is not an installed cvxpy solver"):
        constrained_lp(cmdp, solver="NOPE")
    with pytest.raises(ValueError, match=r"basic = 1 must be True or False"):
        constrained_lp(cmdp, basic=1)
    with pytest.raises(ValueError, match=r"needs a ConstrainedMDP"):
        constrained_lp(mdp)
    with pytest.raises(RuntimeError, match=r"ended with status"):
        with pytest.warns(UserWarning):
            constrained_lp(
                _random_cmdp(np.random.default_rng(2), 12, 3, 2)[0], solver="CLARABEL", solver_options={"max_iter": 1}
            )


# ---------------------------------------------------------------- primal-dual
def test_primal_dual_weak_duality_and_feasible_averages():
    rng = np.random.default_rng(4)
    cmdp, *_ = _random_cmdp(rng, 4, 3, 2, gamma=0.8)
    res = lagrangian_primal_dual(cmdp, max_iter=60)
    # L(lambda) >= V* for every lambda >= 0 (weak duality), up to the LP's certified suboptimality
    lp = constrained_lp(cmdp)
    assert np.all(res.dual_value_history >= res.optimal_value - lp.suboptimality_bound - 1e-9)
    # the averaged occupancy is an occupancy measure (convexity of the polytope): its policy reproduces it
    occ = discounted_occupancy(cmdp.mdp, res.action_probabilities, initial_distribution=cmdp.initial_distribution)
    np.testing.assert_allclose(occ, res.occupancy, atol=1e-9)
    assert res.iterations == 60 and res.objective_history.shape == (60,)


def test_primal_dual_rate_one_over_sqrt_T():
    # one state: lambda* = 1; with step c/sqrt(T) the averaged policy is off by Theta(1/sqrt(T)) (the transient
    # of 1/eta steps before lambda reaches lambda*), matching the O(1/sqrt(T)) bound of Nedic & Ozdaglar (2009)
    mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
    cmdp = ConstrainedMDP(mdp, np.array([[[0.0, 1.0]]]), [1.0])
    Ts = np.array([25, 50, 100, 200, 400])
    err = []
    for T in Ts:
        res = lagrangian_primal_dual(cmdp, max_iter=int(T), step=0.5 / np.sqrt(T))
        err.append(res.gap_history[-1] + res.violation_history[-1])
    fit = fit_power_law(Ts, np.array(err), seed=0)
    assert_rate_at_most(fit, -0.5)


def test_primal_dual_arguments():
    mdp = FiniteMDP(np.ones((1, 2, 1)), np.array([[0.0, 1.0]]), gamma=0.5)
    cmdp = ConstrainedMDP(mdp, np.array([[[0.0, 1.0]]]), [1.0])
    with pytest.raises(ValueError, match=r"max_iter = 0 must be >= 1"):
        lagrangian_primal_dual(cmdp, max_iter=0)
    with pytest.raises(ValueError, match=r"step = -1.0 must be > 0"):
        lagrangian_primal_dual(cmdp, step=-1.0)
    with pytest.raises(ValueError, match=r"multipliers\[0\] = -1.0 is negative"):
        lagrangian_primal_dual(cmdp, multipliers=[-1.0])
