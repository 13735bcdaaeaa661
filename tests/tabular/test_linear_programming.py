"""LP formulation: LP optimum = PI optimum, occupancy feasibility, checked solves."""

from fractions import Fraction as F

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import finite_mdps
from rltheory.tabular import (
    FiniteMDP,
    discounted_occupancy,
    linear_programming,
    policy_evaluation,
    policy_iteration,
    q_values,
)

from .known_answers import EPS, discounted_catalogue, float_tolerance, geometric_trial, puterman_two_state

CATALOGUE = discounted_catalogue()
SOLVERS = ("CLARABEL", "HIGHS")


def _check_lp_against_optimum(mdp, res, v_star, mu):
    """The certificate-based theorems (see linear_programming Notes), checked on a solve."""
    tol = float_tolerance(mdp, np.max(np.abs(v_star)))
    # 1. ||v_LP - v*|| <= certified bound (Puterman Thm 6.2.2(a) + weak duality)
    assert np.max(np.abs(res.v - v_star)) <= res.bound + tol
    assert res.bound <= 1e-3 * max(1.0, np.max(np.abs(v_star)))
    # 2. objective = mu^T v* within the same bound
    assert abs(res.objective - mu @ v_star) <= res.bound + tol
    # 3. the occupancy is feasible for the dual: x >= 0 and the flow constraints (Puterman Sec. 6.9.1)
    x = res.occupancy
    S = mdp.n_states
    assert np.all(x >= -res.dual_infeasibility)
    assert np.all(x[~mdp.action_mask] == 0)
    flow = x.sum(axis=1) - mdp.gamma * np.einsum("sa,sat->t", x, mdp.dense_P)
    assert np.max(np.abs(flow - mu)) <= res.dual_infeasibility + 8 * S * EPS * np.sum(np.abs(x))
    # 4. its objective <r, x> equals mu^T v* up to the duality gap and the value bound
    assert abs(np.sum(mdp.R * x) - mu @ v_star) <= res.duality_gap + res.bound + tol
    # 5. the LP policy is near-greedy for v_LP, hence near-optimal: with slack
    #    sigma = max_s (v(s) - q_v(s, pi(s))), T^pi v >= v - sigma so v^pi >= v - sigma/(1-gamma)
    q = q_values(mdp, res.v)
    sigma = max(0.0, float(np.max(res.v - q[np.arange(S), res.policy])))
    v_pi = policy_evaluation(mdp, res.policy).v
    assert np.all(v_pi >= v_star - res.bound - sigma / (1 - mdp.gamma) - 2 * tol)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("representation", ["dense", "sparse"])
@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.name for e in CATALOGUE])
def test_catalogue(entry, representation, solver):
    mdp = entry.build(representation)
    res = linear_programming(mdp, solver=solver)
    assert res.status == "optimal" and res.solver == solver
    v_star = np.array([float(x) for x in entry.v_star])
    mu = np.full(mdp.n_states, 1 / mdp.n_states)
    _check_lp_against_optimum(mdp, res, v_star, mu)
    # unique optimal actions with a clear margin: the LP reads off the same policy
    for s, a in enumerate(res.policy):
        assert a in entry.optimal_actions[s]


@settings(max_examples=25)
@given(
    finite_mdps(n_states=st.integers(1, 6), n_actions=st.integers(1, 3), sparse=st.booleans(), action_mask=True),
    st.sampled_from(SOLVERS),
)
def test_lp_optimum_equals_pi_optimum(mdp, solver):
    res = linear_programming(mdp, solver=solver)
    pi = policy_iteration(mdp)
    mu = np.full(mdp.n_states, 1 / mdp.n_states)
    _check_lp_against_optimum(mdp, res, pi.v, mu)
    # strong duality: the occupancy of PI's optimal policy is dual feasible and attains mu^T v*
    d = discounted_occupancy(mdp, pi.policy, initial_distribution=mu)
    assert abs(np.sum(mdp.R * d) - mu @ pi.v) <= float_tolerance(mdp, max(1.0, np.max(np.abs(mdp.R))) / (1 - mdp.gamma))


def test_initial_distribution_and_weights():
    mdp0 = puterman_two_state(F(19, 20))
    mdp = FiniteMDP(mdp0.P, mdp0.R, gamma=mdp0.gamma, action_mask=mdp0.action_mask, initial_distribution=[0.25, 0.75])
    v_star = np.array([-60 / 7, -20.0])
    res = linear_programming(mdp)  # the default weights are uniform, whatever mdp.initial_distribution is
    _check_lp_against_optimum(mdp, res, v_star, np.array([0.5, 0.5]))
    res_w = linear_programming(mdp, weights=[0.25, 0.75])
    _check_lp_against_optimum(mdp, res_w, v_star, np.array([0.25, 0.75]))
    # total occupancy mass is 1/(1-gamma) = 20 up to the flow residual
    assert abs(res.occupancy.sum() - 20) <= 20 * 2 * res.dual_infeasibility + 1e-9


def test_sparse_model_builds_sparse_constraints():
    from rltheory.tabular._linear_programming import _build

    mdp = FiniteMDP(sp.csr_array(np.eye(4).repeat(2, axis=0)), np.ones((4, 2)), gamma=0.5)
    problem, v, constraint, M, r, pairs = _build(mdp, np.full(4, 0.25))
    assert sp.issparse(M) and M.shape == (8, 4) and M.nnz == 8
    assert problem.status is None  # the builder never solves


# -------------------------------------------------------------------- errors
def test_status_is_checked_first():
    rng = np.random.default_rng(0)
    P = rng.random((20, 3, 20))
    P /= P.sum(axis=2, keepdims=True)
    mdp = FiniteMDP(P, rng.normal(size=(20, 3)), gamma=0.95)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match=r"ended with status 'user_limit'"):
        linear_programming(mdp, solver="CLARABEL", solver_options={"max_iter": 1})
    with pytest.raises(RuntimeError, match=r"certificate check failed with solver SCS: primal infeasibility"):
        linear_programming(mdp, solver="SCS", solver_options={"eps_abs": 1e-1, "eps_rel": 1e-1})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"solver": "NOPE"}, r"unknown solver 'NOPE': it is not an installed cvxpy solver; installed: \["),
        ({"tol": -1.0}, r"tol = -1.0 must be > 0"),
        ({"weights": [1.0, 0.0]}, r"weights\[1\] = 0.0: the LP weights must be strictly positive"),
        ({"weights": [0.5, 0.6]}, r"weights sums to 1.1"),
        ({"solver_options": [1]}, r"solver_options must be a dict, got list"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        linear_programming(puterman_two_state(F(1, 2)), **kwargs)


def test_model_errors():
    with pytest.raises(ValueError, match=r"this one is an average-reward model .*relative_value_iteration"):
        linear_programming(FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=1.0))
    with pytest.raises(ValueError, match=r"horizon=2.*backward_induction"):
        linear_programming(FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=0.5, horizon=2))


@pytest.mark.parametrize("p", [F(1, 2), F(1, 3), F(1, 10)])
def test_ssp_geometric_trial(p):
    """gamma = 1 with terminal states: v(0) = -E[Geometric(p)] = -1/p; the bound uses M(0) = 1/p."""
    mdp = geometric_trial(p, "sparse")
    res = linear_programming(mdp)
    assert res.v[1] == 0.0 and np.isfinite(res.bound)
    assert abs(res.v[0] + float(1 / p)) <= res.bound + 16 * EPS / float(p) ** 2
    # the occupancy is the expected number of visits: 1/p in state 0 from mu(0) = 1/2, i.e. (1/2)(1/p)
    assert abs(res.occupancy[0, 0] - 0.5 / float(p)) <= 1e-6 / float(p) and np.all(res.occupancy[1] == 0)


def test_river_swim_solves_with_the_defaults():
    """RiverSwim's initial distribution has zeros, and the defaults used it as weights (issue 11, sec. 4)."""
    from rltheory.tabular import policy_iteration
    from rltheory.tabular.envs import river_swim

    mdp = river_swim()
    assert (np.asarray(mdp.initial_distribution) == 0).any()
    res = linear_programming(mdp)
    exact = policy_iteration(river_swim(gamma=F(19, 20)), exact=True)
    v_star = np.array([float(x) for x in exact.v_exact])
    _check_lp_against_optimum(mdp, res, v_star, np.full(mdp.n_states, 1 / mdp.n_states))
    np.testing.assert_array_equal(res.policy, exact.policy)


def test_unknown_solver_is_not_reported_as_a_weights_problem():
    from rltheory.tabular.envs import river_swim

    with pytest.raises(ValueError, match=r"^unknown solver 'GUROBI_PLEASE': .*installed: \["):
        linear_programming(river_swim(), solver="GUROBI_PLEASE")
