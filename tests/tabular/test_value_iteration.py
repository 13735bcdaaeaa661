"""Value iteration and modified policy iteration: the certified guarantees.

Theorems checked (tolerance = the theorem's bound + rounding slack, see
tests/tabular/test_kernels.py):
- MacQueen (1966) / Porteus (1971) / Puterman (2005) Thm. 6.6.3:
  v_lower <= v^pi <= v* <= v_upper, hence ||v - v*|| <= bound / 2 for the
  midpoint and ||v* - v^pi|| <= policy_suboptimality_bound.
- Contraction (Puterman 2005, Thm. 6.2.3): ||v_k - v*|| <= gamma^k ||v_0 - v*||.
- Reduction identities (docs/ARCHITECTURE.md, Tests): MPI with m = 0 is VI; large m is PI.
- Monotone MPI from T v0 >= v0 (Puterman 2005, Sec. 6.5.2): v_n increases to v*.
"""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import finite_mdps
from rltheory.tabular import (
    FiniteMDP,
    ModifiedPolicyIterationResult,
    ValueIterationResult,
    bellman_operator,
    modified_policy_iteration,
    value_iteration,
)
from rltheory.tabular import _kernels as K
from rltheory.tabular import _reference as ref
from rltheory.tabular._operators import _kernel_inputs

from ._helpers import EPS, fp_slack

mdps = finite_mdps(n_states=st.integers(1, 7), n_actions=st.integers(1, 4), sparse=st.booleans(), action_mask=True)


def optimal(mdp):
    v, pi, err = ref.optimal_values_reference(mdp.P, mdp.R, mdp.gamma, mdp.action_mask)
    return v, err


def check_certificate(mdp, res, tol):
    v_star, err = optimal(mdp)
    slack = err + fp_slack(mdp)
    assert np.all(res.v_lower <= v_star + slack) and np.all(v_star <= res.v_upper + slack)
    assert res.bound == pytest.approx(np.max(res.v_upper - res.v_lower), rel=1e-9, abs=slack)
    assert np.max(np.abs(res.v - v_star)) <= res.bound / 2 + slack
    if res.converged:
        assert res.bound <= tol
    # the greedy policy's true value, by an exact dense solve
    v_pi = ref.policy_values_reference(mdp.P, mdp.R, mdp.gamma, res.policy)
    assert np.all(mdp.action_mask[np.arange(mdp.n_states), res.policy])
    assert np.max(v_star - v_pi) <= res.policy_suboptimality_bound + slack
    assert res.policy_suboptimality_bound <= mdp.gamma * res.bound + slack
    # q at the returned v: ||q - q*|| <= gamma ||v - v*||
    q_star = ref.q_values_reference(mdp.P, mdp.R, mdp.gamma, v_star, mdp.action_mask)
    ok = mdp.action_mask
    assert np.max(np.abs(res.q[ok] - q_star[ok])) <= mdp.gamma * res.bound / 2 + slack
    # residual = ||d||_inf >= span(d) / 2, so bound = gamma/(1-gamma) span(d) <= 2 gamma/(1-gamma) residual
    assert res.bound <= 2 * mdp.gamma / (1 - mdp.gamma) * res.residual + slack
    return v_star


@given(mdps, st.sampled_from(["jacobi", "gauss-seidel"]), st.sampled_from([1e-3, 1e-8]))
def test_value_iteration_certificate(mdp, method, tol):
    res = value_iteration(mdp, tol=tol, method=method)
    assert isinstance(res, ValueIterationResult) and res.method == method and res.converged
    check_certificate(mdp, res, tol)


@given(mdps, st.integers(1, 5), st.sampled_from(["jacobi", "gauss-seidel"]))
def test_bounds_hold_when_not_converged(mdp, max_iter, method):
    tiny = np.finfo(float).tiny  # the smallest tol accepted (tol > 0): stops only on a (near-)exact certificate
    res = value_iteration(mdp, tol=tiny, max_iter=max_iter, method=method)
    assert res.iterations <= max_iter
    check_certificate(mdp, res, tiny)


@given(mdps, st.integers(0, 8), st.sampled_from([1e-3, 1e-8]))
def test_mpi_certificate(mdp, m, tol):
    res = modified_policy_iteration(mdp, m=m, tol=tol)
    assert isinstance(res, ModifiedPolicyIterationResult) and res.m == m and res.converged
    check_certificate(mdp, res, tol)


@settings(max_examples=30)
@given(mdps, st.integers(1, 40))
def test_vi_error_after_k_sweeps(mdp, k):
    """||v_k - v*|| <= gamma^k ||v_0 - v*|| for the raw Jacobi iterates (Puterman 2005, Thm. 6.2.3)."""
    v_star, err = optimal(mdp)
    kind, P, mask, use_mask = _kernel_inputs(mdp)
    v0 = np.zeros(mdp.n_states)
    v, tv, pi = v0.copy(), np.empty(mdp.n_states), np.empty(mdp.n_states, dtype=np.int64)
    fn = K.iterate_dense if kind == "dense" else K.iterate_csr
    it, conv, _, _ = fn(*P, mdp.R, mdp.gamma, v, mask, use_mask, 0, False, 0.0, k, tv, pi)
    assert it == k or (conv and it < k)
    # tv = T^it v_0 (the backup of the last iterate); with tol = 0 an early stop means span(T v - v) = 0, not a
    # fixed point, so finish the k sweeps with the public operator: the theorem is checked for every k
    vk = tv.copy()
    for _ in range(k - it):
        vk = bellman_operator(mdp, vk)
    lhs = np.max(np.abs(vk - v_star))
    assert lhs <= mdp.gamma**k * np.max(np.abs(v0 - v_star)) + (1 + mdp.gamma**k) * err + fp_slack(mdp)


@given(mdps)
def test_gauss_seidel_and_jacobi_reach_the_same_fixed_point(mdp):
    a = value_iteration(mdp, tol=1e-8, method="jacobi")
    b = value_iteration(mdp, tol=1e-8, method="gauss-seidel")
    assert np.max(np.abs(a.v - b.v)) <= (a.bound + b.bound) / 2 + 2 * fp_slack(mdp)


@given(
    finite_mdps(n_states=st.integers(1, 7), n_actions=st.integers(1, 4), action_mask=True),
    st.sampled_from(["jacobi", "gauss-seidel", "mpi"]),
)
def test_dense_and_sparse_inputs_agree(mdp, method):
    sparse = FiniteMDP(
        sp.csr_array(np.asarray(mdp.P).reshape(-1, mdp.n_states)), mdp.R, gamma=mdp.gamma, action_mask=mdp.action_mask
    )
    if method == "mpi":
        a, b = modified_policy_iteration(mdp, m=3), modified_policy_iteration(sparse, m=3)
    else:
        a, b = value_iteration(mdp, method=method), value_iteration(sparse, method=method)
    assert np.max(np.abs(a.v - b.v)) <= (a.bound + b.bound) / 2 + 2 * fp_slack(mdp)


@given(mdps, st.sampled_from([1e-4, 1e-9]), st.integers(1, 200))
def test_mpi_with_m0_is_value_iteration(mdp, tol, max_iter):
    v0 = np.linspace(-1.0, 1.0, mdp.n_states)
    a = value_iteration(mdp, tol=tol, max_iter=max_iter, v0=v0)
    b = modified_policy_iteration(mdp, m=0, tol=tol, max_iter=max_iter, v0=v0)
    assert a.iterations == b.iterations and a.converged == b.converged
    for f in ("v", "q", "policy", "v_lower", "v_upper"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert a.bound == b.bound and a.policy_suboptimality_bound == b.policy_suboptimality_bound


@settings(max_examples=30)
@given(finite_mdps(n_states=st.integers(1, 7), n_actions=st.integers(1, 4), sparse=st.booleans()))
def test_mpi_with_large_m_agrees_with_policy_iteration(mdp):
    from rltheory.tabular import policy_iteration

    pi_res = policy_iteration(mdp)
    v_pi = ref.policy_values_reference(mdp.P, mdp.R, mdp.gamma, pi_res.policy)  # exact evaluation
    res = modified_policy_iteration(mdp, m=2000, tol=1e-10)
    assert res.converged
    _, err = optimal(mdp)
    assert np.max(np.abs(res.v - v_pi)) <= res.bound / 2 + err + fp_slack(mdp)
    assert np.max(np.abs(pi_res.v - v_pi)) <= err + fp_slack(mdp)


@settings(max_examples=30)
@given(mdps, st.integers(1, 6))
def test_mpi_default_start_is_monotone(mdp, m):
    """From v0 = min r / (1 - gamma): T v0 >= v0 and v_n increases to v* (Puterman 2005, Sec. 6.5.2)."""
    v_star, err = optimal(mdp)
    slack = err + fp_slack(mdp)
    v0 = np.full(mdp.n_states, mdp.R[mdp.action_mask].min() / (1 - mdp.gamma))
    assert np.all(bellman_operator(mdp, v0) >= v0 - fp_slack(mdp))
    kind, P, mask, use_mask = _kernel_inputs(mdp)
    fn = K.iterate_dense if kind == "dense" else K.iterate_csr
    prev = v0
    for n in range(1, 6):
        v, tv, pi = v0.copy(), np.empty(mdp.n_states), np.empty(mdp.n_states, dtype=np.int64)
        fn(*P, mdp.R, mdp.gamma, v, mask, use_mask, m, False, 0.0, n, tv, pi)
        assert np.all(v >= prev - fp_slack(mdp)) and np.all(v <= v_star + slack)
        prev = v
    res = modified_policy_iteration(mdp, m=m, tol=1e-9)
    assert res.converged


def test_gamma_zero_is_one_backup():
    """With gamma = 0 the certificate of the start (one backup, no update) is already exact."""
    R = np.array([[1.0, 3.0], [2.0, -1.0]])
    res = value_iteration(FiniteMDP(np.ones((2, 2, 2)) / 2, R, gamma=0.0))
    assert res.iterations == 0 and res.bound == 0.0 and res.converged
    np.testing.assert_array_equal(res.v, [3.0, 2.0])
    np.testing.assert_array_equal(res.policy, [1, 0])


def test_results_are_frozen():
    res = value_iteration(FiniteMDP(np.ones((1, 1, 1)), np.ones((1, 1)), gamma=0.5))
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.bound = 0.0


@pytest.mark.parametrize("solver", [value_iteration, modified_policy_iteration])
def test_result_arrays_are_read_only(solver):
    """A user could overwrite result.v in place (issue 10, sec. 2)."""
    res = solver(FiniteMDP(np.ones((2, 2, 2)) / 2, np.eye(2), gamma=0.5))
    for name in ("v", "q", "policy", "v_lower", "v_upper"):
        arr = getattr(res, name)
        assert not arr.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1


@given(mdps, st.sampled_from(["jacobi", "gauss-seidel", "mpi"]))
def test_max_iter_zero_certifies_the_start(mdp, method):
    """max_iter = 0 returns the Porteus bounds of v0 itself (one backup, no update)."""
    v0 = np.linspace(-1.0, 2.0, mdp.n_states)
    if method == "mpi":
        res = modified_policy_iteration(mdp, m=3, tol=1e-12, max_iter=0, v0=v0)
    else:
        res = value_iteration(mdp, tol=1e-12, max_iter=0, method=method, v0=v0)
    assert res.iterations == 0
    tv = bellman_operator(mdp, v0)
    c = mdp.gamma / (1 - mdp.gamma)
    d = tv - v0
    np.testing.assert_array_equal(res.v_lower, tv + c * d.min())
    np.testing.assert_array_equal(res.v_upper, tv + c * d.max())
    assert res.converged == (res.bound <= 1e-12)
    check_certificate(mdp, res, 1e-12)


@pytest.mark.parametrize("solver", [value_iteration, modified_policy_iteration])
def test_rewards_near_the_float_range_are_refused(solver):
    """Rewards near 1e308 gave inf values with converged=True and bound=0.0 (issue 11, sec. 1)."""
    P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    mdp = FiniteMDP(P, np.array([[0.0, 1e308], [1e308, 0.0]]), gamma=0.9)
    with pytest.raises(ValueError, match=r"value scale max\|r\| / \(1 - gamma\) = 1e\+308 / 0.1 exceeds 1e\+300"):
        solver(mdp)


def test_a_non_finite_iterate_is_never_certified(monkeypatch):
    """The compiled min/max skip NaN: an overflowing state must not look converged (issue 11, sec. 1)."""
    mdp = FiniteMDP(np.ones((2, 1, 2)) / 2, np.zeros((2, 1)), gamma=0.5)

    def overflowing(P, R, gamma, v, mask, use_mask, m, gs, tol, max_iter, tv, pi, *rest):
        v[:] = [np.inf, 0.0]
        tv[:] = [np.inf, 0.0]
        pi[:] = 0
        return 1, True, 0.0, 0.0  # what the kernel reports when the only finite differences are zero

    monkeypatch.setattr(K, "iterate_dense", overflowing)
    res = value_iteration(mdp)
    assert not res.converged and res.bound == np.inf and res.policy_suboptimality_bound == np.inf
    assert np.all(res.v_lower == -np.inf) and np.all(res.v_upper == np.inf)


# ------------------------------------------------------------------------ errors
def _small():
    return FiniteMDP(np.ones((2, 2, 2)) / 2, np.zeros((2, 2)), gamma=0.9)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(tol=-1.0), "tol"),
        (dict(tol=float("nan")), "tol"),
        (dict(tol=True), "tol"),
        (dict(tol=0.0), "tol = 0.0 must be > 0"),
        (dict(max_iter=-1), "max_iter = -1 must be >= 0"),
        (dict(max_iter=2.5), "max_iter"),
        (dict(method="newton"), "method"),
        (dict(v0=np.zeros(3)), r"v0 has shape"),
        (dict(v0=np.array([0.0, np.nan])), r"v0\[1\]"),
    ],
)
def test_value_iteration_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        value_iteration(_small(), **kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(m=-1), "m = -1"),
        (dict(m=1.5), "m must be an int, got 1.5"),
        (dict(tol=-1e-3), "tol"),
        (dict(max_iter=-1), "max_iter"),
        (dict(v0=np.zeros((2, 1))), "v0 has shape"),
        (dict(v0=[np.inf, 0.0]), r"v0\[0\]"),
    ],
)
def test_mpi_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        modified_policy_iteration(_small(), **kwargs)


def test_finite_horizon_and_average_reward_models_are_refused():
    P = np.zeros((2, 1, 2))
    P[:, 0, 1] = 1.0
    R = np.array([[1.0], [0.0]])
    finite = FiniteMDP(P, R, gamma=0.9, horizon=3)
    average = FiniteMDP(P, R, gamma=1.0)
    for solver in (value_iteration, modified_policy_iteration):
        with pytest.raises(ValueError, match="backward_induction"):
            solver(finite)
        with pytest.raises(ValueError, match="relative_value_iteration"):
            solver(average)


# ------------------------------------------------------- stochastic shortest path (issue 11, sec. 6)
def _ssp_slack(mdp, w):
    """Rounding of a run on an SSP: per-backup errors amplified by at most max M (the contraction's horizon)."""
    m = float(np.max(w))
    return 8 * (mdp.n_states + 2) * EPS * (float(np.max(np.abs(mdp.R))) * m + 1.0) * m


def _ssp_solvers():
    return [
        ("jacobi", lambda mdp, **kw: value_iteration(mdp, **kw)),
        ("gauss-seidel", lambda mdp, **kw: value_iteration(mdp, method="gauss-seidel", **kw)),
        ("mpi-0", lambda mdp, **kw: modified_policy_iteration(mdp, m=0, **kw)),
        ("mpi-5", lambda mdp, **kw: modified_policy_iteration(mdp, m=5, **kw)),
    ]


@pytest.mark.parametrize("representation", ["dense", "sparse"])
@pytest.mark.parametrize("name, solver", _ssp_solvers(), ids=[n for n, _ in _ssp_solvers()])
def test_small_ssp_solved_exactly_in_fractions(representation, name, solver):
    """A hand-solved SSP (tests/tabular/known_answers.py): v* = (-3, -2, 0), M = (4, 2, 0)."""
    from rltheory.tabular._ssp import termination_bound

    from .known_answers import SMALL_SSP_M, SMALL_SSP_POLICY, SMALL_SSP_V_STAR, small_ssp

    mdp = small_ssp(representation)
    w = termination_bound(mdp)
    M = np.array([float(x) for x in SMALL_SSP_M])
    assert np.all(w >= M) and np.all(w <= M * (1 + 1e-9))  # a certified, tight upper bound on M
    v_star = np.array([float(x) for x in SMALL_SSP_V_STAR])
    res = solver(mdp, tol=1e-10)
    slack = _ssp_slack(mdp, w)
    assert res.converged and res.bound <= 1e-10
    assert np.all(res.v_lower <= v_star + slack) and np.all(v_star <= res.v_upper + slack)
    assert np.max(np.abs(res.v - v_star)) <= res.bound / 2 + slack
    assert res.policy[:2].tolist() == list(SMALL_SSP_POLICY) and res.v[2] == 0.0
    # after a single update the interval is wide but still brackets v*
    short = solver(mdp, tol=1e-12, max_iter=1)
    assert not short.converged and np.isfinite(short.bound)
    assert np.all(short.v_lower <= v_star + slack) and np.all(v_star <= short.v_upper + slack)


@pytest.fixture(scope="module")
def gambler():
    """Sutton & Barto (2018) Example 4.3 with p_h = 0.4 and goal 100, and its exact optimal values."""
    from .known_answers import gamblers_problem, gamblers_problem_values

    return gamblers_problem(100, representation="sparse"), np.array([float(x) for x in gamblers_problem_values(100)])


@pytest.mark.parametrize("name, solver", _ssp_solvers(), ids=[n for n, _ in _ssp_solvers()])
def test_gamblers_problem(gambler, name, solver):
    """v*(s) is the probability of reaching 100 under optimal play: v*(50) = 0.4 (one bold bet of 50 wins w.p. 0.4;
    optimal since bold play satisfies the optimality equation exactly), v*(25) = 0.4^2, v*(75) = 0.4 + 0.6 * 0.4,
    monotone in s. Every stake is >= 1, so every policy is proper and the SSP certificate applies."""
    from fractions import Fraction as F

    from rltheory.tabular._ssp import termination_bound

    from .known_answers import exact_policy_values, gamblers_problem_values

    exact = gamblers_problem_values(100)
    p = F(2, 5)
    assert exact[50] == p and exact[25] == p**2 and exact[75] == p + (1 - p) * p
    assert all(a <= b for a, b in zip(exact[:99], exact[1:100])) and exact[0] == 0
    mdp, v_star = gambler
    w = termination_bound(mdp)
    assert w is not None and np.all(np.isfinite(w))
    slack = _ssp_slack(mdp, w)
    res = solver(mdp, tol=1e-9)
    assert res.converged and res.bound <= 1e-9
    assert np.all(res.v_lower <= v_star + slack) and np.all(v_star <= res.v_upper + slack)
    assert abs(res.v[50] - 0.4) <= res.bound / 2 + slack
    # the greedy policy's exact probability of reaching 100 (rational linear solve) is within the policy bound
    v_pi = np.array([float(x) for x in exact_policy_values(mdp, res.policy, mdp.terminal_states)])
    assert np.max(v_star - v_pi) <= res.policy_suboptimality_bound + slack


def test_gamblers_problem_policy_iteration_and_lp(gambler):
    from rltheory.tabular import linear_programming, policy_iteration
    from rltheory.tabular._ssp import termination_bound

    mdp, v_star = gambler
    slack = _ssp_slack(mdp, termination_bound(mdp))
    pi = policy_iteration(mdp)
    assert pi.converged and np.max(np.abs(pi.v - v_star)) <= pi.bound + slack and np.isfinite(pi.bound)
    lp = linear_programming(mdp)
    assert np.isfinite(lp.bound) and np.max(np.abs(lp.v - v_star)) <= lp.bound + slack


def test_gamblers_problem_with_stake_zero_is_never_falsely_certified():
    """With Sutton & Barto's stake 0 (an improper policy of reward 0) T has many fixed points -- v = 1 on every
    capital is one -- so no certificate from T alone exists: bound = inf, whatever the start."""
    from rltheory.tabular._ssp import termination_bound

    from .known_answers import gamblers_problem, gamblers_problem_values

    mdp = gamblers_problem(100, stake_zero=True)
    v_star = np.array([float(x) for x in gamblers_problem_values(100)])
    assert termination_bound(mdp) is None
    from_zero = value_iteration(mdp, tol=1e-12)
    assert from_zero.converged and from_zero.bound == np.inf and np.all(from_zero.v_lower == -np.inf)
    assert np.all(from_zero.v <= v_star + 1e-12)  # T is monotone and 0 <= v*: the iterates stay below v*
    ones = np.ones(101)
    ones[[0, 100]] = 0.0
    stuck = value_iteration(mdp, tol=1e-12, v0=ones)  # a fixed point of T that is not v*
    assert stuck.iterations == 0 and stuck.converged and stuck.bound == np.inf
    assert np.max(np.abs(stuck.v - v_star)) > 0.5


def test_ssp_start_must_vanish_on_terminal_states():
    from .known_answers import small_ssp

    with pytest.raises(ValueError, match=r"v0\[2\] = 1.0 on a terminal state"):
        value_iteration(small_ssp(), v0=[0.0, 0.0, 1.0])


def test_mpi_default_start_is_monotone_on_an_ssp(gambler):
    """v0 = min(min r, 0) w has T v0 >= v0 (P_a w <= w - 1), so MPI increases monotonically to v*."""
    from rltheory.tabular._ssp import termination_bound

    mdp, v_star = gambler
    w = termination_bound(mdp)
    v0 = min(float(mdp.R[mdp.action_mask].min()), 0.0) * w
    assert np.all(bellman_operator(mdp, v0) >= v0)


def _shortest_path_gridworld(shape, slip=0.0):
    from rltheory.tabular.envs import gridworld

    goals = {(0, 0): 0.0, (shape[0] - 1, shape[1] - 1): 0.0}
    return gridworld(shape, slip=slip, step_reward=-1.0, terminal_rewards=goals, gamma=1.0)


@pytest.mark.parametrize("name, solver", _ssp_solvers(), ids=[n for n, _ in _ssp_solvers()])
def test_sutton_barto_example_4_1_shortest_paths(name, solver):
    """Sutton & Barto (2018), Example 4.1: 4 x 4 grid, terminal corners, reward -1 per step, gamma = 1.

    Moving into the edge keeps the agent in place, so "always up" is an improper policy (reward -inf) and
    M = inf; every step costs 1, and the negative-cost bounds certify v*(cell) = -(Manhattan distance to the
    nearer corner), the optimal values of deterministic shortest paths."""
    from rltheory.tabular import linear_programming, policy_iteration
    from rltheory.tabular._ssp import termination_bound

    mdp = _shortest_path_gridworld((4, 4))
    assert termination_bound(mdp) is None
    cells = np.array([(r, c) for r in range(4) for c in range(4)])
    v_star = -np.minimum(cells.sum(axis=1), 6 - cells.sum(axis=1)).astype(float)
    res = solver(mdp, tol=1e-10)
    assert res.converged and res.bound <= 1e-10
    assert np.all(res.v_lower <= v_star + 1e-12) and np.all(v_star <= res.v_upper + 1e-12)
    assert np.max(np.abs(res.v - v_star)) <= res.bound / 2 + 1e-12 and res.policy_suboptimality_bound <= 1e-10
    for other in (policy_iteration(mdp), linear_programming(mdp)):
        assert np.isfinite(other.bound) and np.max(np.abs(other.v - v_star)) <= other.bound + 1e-12


def test_slippery_shortest_paths_are_certified_without_m():
    """With slip every policy is proper but M is astronomically large (the 'bump into a wall' policies move only by
    slipping); the negative-cost bounds use the values instead and certify at 1e-6, agreeing with PI."""
    from rltheory.tabular import policy_evaluation, policy_iteration

    mdp = _shortest_path_gridworld((15, 15), slip=0.2)
    vi = value_iteration(mdp, tol=1e-6)
    pi = policy_iteration(mdp)
    assert vi.converged and vi.bound <= 1e-6 and pi.converged
    assert np.max(np.abs(vi.v - pi.v)) <= vi.bound / 2 + pi.bound + 1e-9
    v_pol = policy_evaluation(mdp, vi.policy)
    assert np.max(pi.v - v_pol.v) <= vi.policy_suboptimality_bound + pi.bound + v_pol.bound
