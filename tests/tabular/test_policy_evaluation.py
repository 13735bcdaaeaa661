"""Policy evaluation and discounted occupancy: exact answers and identities."""

from fractions import Fraction as F

import numpy as np
import pytest
import scipy.sparse as sp
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import finite_mdps, policies
from rltheory.tabular import FiniteMDP, bellman_operator, discounted_occupancy, policy_evaluation

from .known_answers import (
    EPS,
    exact_arrays,
    float_tolerance,
    gamblers_ruin,
    gamblers_ruin_duration,
    geometric_trial,
    puterman_two_state,
    sympy_policy_values,
)

METHODS = ("direct", "krylov")


def _to_sparse(mdp):
    S, A = mdp.n_states, mdp.n_actions
    return FiniteMDP(
        sp.csr_array(np.asarray(mdp.P).reshape(S * A, S)), mdp.R, gamma=mdp.gamma, action_mask=mdp.action_mask
    )


# ------------------------------------------------------------ known answers
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("representation", ["dense", "sparse", "exact"])
@pytest.mark.parametrize("p", [F(1, 2), F(1, 3), F(1, 10)])
def test_geometric_trial_expected_steps(p, representation, method):
    """SSP with reward -1 per step: v(0) = -E[Geometric(p)] = -1/p."""
    mdp = geometric_trial(p, representation)
    res = policy_evaluation(mdp, np.zeros(2, dtype=np.int64), method=method)
    expected = np.array([-float(1 / p), 0.0])
    np.testing.assert_allclose(res.v, expected, rtol=0, atol=float_tolerance(mdp, float(1 / p), condition=2 / float(p)))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("representation", ["dense", "sparse"])
@pytest.mark.parametrize("N, p", [(6, F(1, 2)), (6, F(2, 5)), (7, F(3, 5)), (10, F(9, 20))])
def test_gamblers_ruin_duration(N, p, representation, method):
    """Feller (1968) XIV.3: expected duration of the gambler's ruin; v(k) = -D_k."""
    mdp = gamblers_ruin(N, p, representation)
    res = policy_evaluation(mdp, np.zeros(N + 1, dtype=np.int64), method=method)
    D = np.array([float(x) for x in gamblers_ruin_duration(N, p)])
    np.testing.assert_allclose(res.v, -D, rtol=0, atol=float_tolerance(mdp, D.max(), condition=2 * D.max()))
    assert res.v[0] == 0.0 and res.v[N] == 0.0
    # SSP certificate: |v - v^pi| <= residual * max_s m^pi(s), with m^pi = D (reward -1 per step)
    assert res.converged and np.isfinite(res.bound)
    assert res.bound >= res.residual * D.max() * (1 - 1e-9)
    rounding = 4 * (N + 3) * EPS * D.max() * (1 + D.max())  # the residual's own rounding, amplified by N
    assert np.max(np.abs(res.v + D)) <= res.bound + rounding


def test_puterman_two_state_policy_values():
    """Puterman Example 6.2.1: v^{d}(s2) = -1/(1-gamma), v^{d}(s1) for d = a_{1,2} is 10 - gamma/(1-gamma)."""
    g = F(19, 20)
    res = policy_evaluation(puterman_two_state(g), np.array([1, 0]))
    np.testing.assert_allclose(res.v, [float(10 - g / (1 - g)), float(-1 / (1 - g))], rtol=4 * EPS * 20)
    assert res.q[1, 1] == -np.inf  # disallowed action


@settings(max_examples=40)
@given(st.data(), finite_mdps(n_states=st.integers(1, 4), n_actions=st.integers(1, 3), exact=True))
def test_matches_exact_solution(data, mdp):
    """v^pi = (I - gamma P^pi)^{-1} r^pi (Puterman Thm 6.1.1), solved exactly with sympy."""
    pi = data.draw(policies(mdp, deterministic=True))
    P, R, g = exact_arrays(mdp)
    exact = sympy_policy_values(P.tolist(), R.tolist(), sympy.Rational(g.numerator, g.denominator), pi)
    exact = np.array([float(x) for x in exact])
    flt = FiniteMDP(P.astype(float), R.astype(float), gamma=float(g))
    for rep in (flt, _to_sparse(flt)):
        for method in METHODS:
            res = policy_evaluation(rep, pi, method=method, tol=1e-13)
            assert np.max(np.abs(res.v - exact)) <= float_tolerance(flt, np.max(np.abs(exact)))
            # the certificate ||v - v^pi|| <= residual / (1 - gamma), up to the residual's own rounding
            scale = np.max(np.abs(flt.R)) + np.max(np.abs(res.v)) + 1
            rounding = 4 * (flt.n_states + 2) * EPS * scale / (1 - flt.gamma) + EPS * np.max(np.abs(exact))
            assert res.bound == res.residual / (1 - flt.gamma)
            assert np.max(np.abs(res.v - exact)) <= res.bound + rounding


@settings(max_examples=50)
@given(st.data(), finite_mdps(n_states=st.integers(1, 6), sparse=st.booleans(), action_mask=True))
def test_fixed_point_to_reported_residual(data, mdp):
    """||T^pi v - v||_inf equals the reported residual ||(I - gamma P^pi) v - r^pi||_inf up to round-off."""
    pi = data.draw(policies(mdp, deterministic=data.draw(st.booleans())))
    for method in METHODS:
        res = policy_evaluation(mdp, pi, method=method)
        assert res.method == method
        tv = bellman_operator(mdp, res.v, policy=pi)
        # recomputing r + gamma P v in floating point costs at most (S+2) eps (|r| + |v|) per entry
        slack = 2 * (mdp.n_states + 2) * EPS * (np.max(np.abs(mdp.R)) + np.max(np.abs(res.v)))
        assert np.max(np.abs(tv - res.v)) <= res.residual + slack
        if method == "krylov":
            assert res.converged and res.residual <= 1e-12 * max(1.0, np.max(np.abs(mdp.policy_reward(pi))))


@settings(max_examples=40)
@given(st.data(), finite_mdps(n_states=st.integers(1, 6), n_actions=st.integers(1, 3)))
def test_dense_sparse_and_methods_agree(data, mdp):
    pi = data.draw(policies(mdp))
    a = policy_evaluation(mdp, pi)
    b = policy_evaluation(_to_sparse(mdp), pi)
    c = policy_evaluation(_to_sparse(mdp), pi, method="krylov")
    tol = float_tolerance(mdp, np.max(np.abs(a.v)))
    assert np.max(np.abs(a.v - b.v)) <= 2 * tol
    # ||v - v^pi|| <= residual / (1 - gamma)
    assert np.max(np.abs(a.v - c.v)) <= 2 * tol + c.residual / (1 - mdp.gamma)
    mask = mdp.action_mask
    np.testing.assert_array_equal(np.isinf(a.q), ~mask)


# ------------------------------------------------------------ occupancy
@settings(max_examples=40)
@given(
    st.data(),
    finite_mdps(n_states=st.integers(1, 6), n_actions=st.integers(1, 3), sparse=st.booleans(), action_mask=True),
)
def test_occupancy_identities(data, mdp):
    """Total mass 1/(1-gamma); flow constraints of Puterman Sec. 6.9.1; <r, d> = mu^T v^pi."""
    pi = data.draw(policies(mdp))
    S = mdp.n_states
    w = np.array(data.draw(st.lists(st.floats(0.0, 1.0), min_size=S, max_size=S))) + 1e-3
    mu = w / w.sum()
    d = discounted_occupancy(mdp, pi, initial_distribution=mu)
    assert d.shape == (S, mdp.n_actions)
    scale = 1 / (1 - mdp.gamma)
    tol = float_tolerance(mdp, scale)
    assert np.all(d >= -tol)
    assert np.all(d[~mdp.action_mask] == 0)
    assert abs(d.sum() - scale) <= tol
    P = mdp.P.toarray().reshape(S, mdp.n_actions, S) if mdp.is_sparse else np.asarray(mdp.P)
    flow = d.sum(axis=1) - mdp.gamma * np.einsum("sa,sat->t", d, P)
    assert np.max(np.abs(flow - mu)) <= tol
    v = policy_evaluation(mdp, pi).v
    assert abs(np.sum(d * mdp.R) - mu @ v) <= float_tolerance(mdp, scale * max(1.0, np.max(np.abs(mdp.R))))


def test_occupancy_defaults_to_model_distribution():
    P = np.array([[[0.0, 1.0]], [[0.0, 1.0]]])
    mdp = FiniteMDP(P, np.zeros((2, 1)), gamma=0.5, initial_distribution=[1.0, 0.0])
    np.testing.assert_allclose(discounted_occupancy(mdp, np.array([0, 0])), [[1.0], [1.0]])


# -------------------------------------------------------------------- errors
def _improper_ssp():
    P = np.zeros((3, 1, 3))
    P[0, 0, :] = [0.5, 0.5, 0.0]
    P[1, 0, 1] = 1.0
    P[2, 0, 2] = 1.0
    return FiniteMDP(P, np.array([[-1.0], [0.0], [0.0]]), gamma=1.0, terminal_states=[1])


def test_improper_policy_names_state():
    with pytest.raises(ValueError, match=r"improper: from state 2 no terminal state is reachable"):
        policy_evaluation(_improper_ssp(), np.zeros(3, dtype=np.int64))


def test_finite_horizon_rejected():
    mdp = FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=1.0, horizon=2)
    with pytest.raises(ValueError, match=r"this one is finite-horizon \(horizon=2\): use backward_induction"):
        policy_evaluation(mdp, np.array([0]))
    with pytest.raises(ValueError, match=r"this one is finite-horizon \(horizon=2\): use backward_induction"):
        discounted_occupancy(mdp, np.array([0]), [1.0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "cg"}, r"method = 'cg' must be one of \('direct', 'krylov'\)"),
        ({"tol": 0.0}, r"tol = 0.0 must be > 0.0"),
        ({"tol": float("nan")}, r"tol must be a finite real number, got nan"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        policy_evaluation(puterman_two_state(F(1, 2)), np.array([0, 0]), **kwargs)


def test_bad_policy():
    with pytest.raises(ValueError, match=r"policy\[1\] = 1 is disallowed by action_mask"):
        policy_evaluation(puterman_two_state(F(1, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"policy has shape \(3,\), expected \(2\)"):
        policy_evaluation(puterman_two_state(F(1, 2)), np.array([0, 0, 0]))


def test_krylov_failure_is_reported():
    """GMRES short of tol is a converged=False result with an honest bound, not an exception."""
    rng = np.random.default_rng(0)
    P = rng.random((40, 1, 40))
    P /= P.sum(axis=2, keepdims=True)
    mdp = FiniteMDP(P, rng.normal(size=(40, 1)), gamma=0.99)
    res = policy_evaluation(mdp, np.zeros(40, dtype=np.int64), method="krylov", tol=1e-300)
    assert not res.converged and res.bound == res.residual / (1 - 0.99)
    exact = policy_evaluation(mdp, np.zeros(40, dtype=np.int64))
    assert exact.converged and np.max(np.abs(res.v - exact.v)) <= res.bound + exact.bound


def test_occupancy_errors():
    mdp = puterman_two_state(F(1, 2))
    with pytest.raises(ValueError, match=r"needs an initial distribution"):
        discounted_occupancy(mdp, np.array([0, 0]))
    with pytest.raises(ValueError, match=r"initial_distribution sums to 0.5"):
        discounted_occupancy(mdp, np.array([0, 0]), [0.25, 0.25])
    with pytest.raises(
        ValueError,
        match=r"discounted_occupancy solves infinite-horizon discounted \(gamma < 1\) models; this one is a "
        r"stochastic shortest path",
    ):
        discounted_occupancy(geometric_trial(F(1, 2)), np.array([0, 0]), [1.0, 0.0])
