"""Policy iteration: known answers, Puterman's theorems, exact vs float, SSP."""

from fractions import Fraction as F

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.proofs_checks.strategies import finite_mdps
from rltheory.tabular import FiniteMDP, bellman_operator, policy_iteration

from .known_answers import (
    REPRESENTATIONS,
    brute_force_optimal_values,
    discounted_catalogue,
    float_tolerance,
    invest_chain,
    invest_chain_symbolic,
    n_deterministic_policies,
    optimal_action_sets,
    puterman_two_state,
    puterman_two_state_symbolic,
)

CATALOGUE = discounted_catalogue()


# ------------------------------------------------------------ known answers
@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.name for e in CATALOGUE])
@pytest.mark.parametrize("representation", REPRESENTATIONS)
def test_catalogue(entry, representation):
    mdp = entry.build(representation)
    res = policy_iteration(mdp, exact=representation == "exact")
    v_star = np.array([float(x) for x in entry.v_star])
    for s, a in enumerate(res.policy):
        assert a in entry.optimal_actions[s]
    if representation == "exact":
        assert list(res.v_exact) == list(entry.v_star)
        assert res.residual == 0.0 and res.converged
        assert res.bound <= np.max(np.abs(res.v)) * np.finfo(float).eps  # the rounding of v_exact to float
    else:
        assert res.v_exact is None
    assert np.max(np.abs(res.v - v_star)) <= float_tolerance(mdp, np.max(np.abs(v_star)))


@pytest.mark.parametrize(
    "gamma", [F(0), F(1, 2), F(9, 10), F(10, 11), F(19, 20), F(99, 100)], ids=lambda g: f"gamma={g}"
)
def test_puterman_two_state_analytic_in_gamma(gamma):
    """Puterman (2005) Sec. 3.1 / Example 6.2.1: a_{1,1} (stay) optimal iff gamma >= 10/11."""
    g, v_stay, v_move, roots = puterman_two_state_symbolic()
    assert roots == [sympy.Rational(10, 11)]  # the switch point, derived symbolically
    sub = {g: sympy.Rational(gamma.numerator, gamma.denominator)}
    stay, move = (F(str(sympy.nsimplify(v[0].subs(sub)))) for v in (v_stay, v_move))
    v_s2 = F(str(sympy.nsimplify(v_stay[1].subs(sub))))
    assert v_s2 == F(-1) / (1 - gamma)  # -1/(1-gamma), Puterman Example 6.2.1
    res = policy_iteration(puterman_two_state(gamma, "exact"), exact=True)
    assert list(res.v_exact) == [max(stay, move), v_s2]
    if gamma > F(10, 11):
        assert res.policy.tolist() == [0, 0]
    elif gamma < F(10, 11):
        assert res.policy.tolist() == [1, 0]
    else:  # exact tie: PI keeps its (myopic) starting action a_{1,2}
        assert stay == move and res.policy.tolist() == [1, 0]
    if gamma != F(10, 11):
        for rep in ("dense", "sparse"):
            mdp = puterman_two_state(gamma, rep)
            fl = policy_iteration(mdp)
            assert fl.policy.tolist() == res.policy.tolist()
            assert np.max(np.abs(fl.v - res.v)) <= float_tolerance(mdp, np.max(np.abs(res.v)))


@pytest.mark.parametrize("gamma", [F(1, 10), F(1, 3), F(1, 2), F(3, 4), F(9, 10), F(99, 100)])
def test_invest_chain_sympy(gamma):
    """v* = pointwise max of the four sympy closed forms v^pi(gamma) (Puterman Thm 6.2.10)."""
    g, values = invest_chain_symbolic()
    sub = {g: sympy.Rational(gamma.numerator, gamma.denominator)}
    v_star = [max(F(str(sympy.nsimplify(v[s].subs(sub)))) for v in values.values()) for s in range(2)]
    res = policy_iteration(invest_chain(gamma, "exact"), exact=True)
    assert list(res.v_exact) == v_star
    mdp = invest_chain(gamma, "sparse")
    fl = policy_iteration(mdp)
    assert fl.policy.tolist() == res.policy.tolist()
    assert np.max(np.abs(fl.v - np.array(v_star, dtype=float))) <= float_tolerance(mdp, float(max(map(abs, v_star))))


# ------------------------------------------------------------------ theorems
@settings(max_examples=30)
@given(finite_mdps(n_states=st.integers(1, 3), n_actions=st.integers(1, 3), exact=True, action_mask=True))
def test_exact_pi_matches_brute_force_and_float_pi(mdp):
    """Exact PI = max over deterministic policies (Puterman Thm 6.4.2 + 6.2.10); float PI agrees."""
    res = policy_iteration(mdp, exact=True)
    v_star = brute_force_optimal_values(mdp)
    assert list(res.v_exact) == v_star
    optimal = optimal_action_sets(mdp, v_star)
    assert all(a in optimal[s] for s, a in enumerate(res.policy))
    # the same model in floating point
    flt = FiniteMDP(
        mdp.P_exact.astype(float), mdp.R_exact.astype(float), gamma=float(mdp.gamma_exact), action_mask=mdp.action_mask
    )
    fres = policy_iteration(flt)
    if all(len(o) == 1 for o in optimal):
        assert fres.policy.tolist() == res.policy.tolist()
    assert all(a in optimal[s] for s, a in enumerate(fres.policy))
    assert np.max(np.abs(fres.v - res.v)) <= float_tolerance(flt, np.max(np.abs(res.v)))


@settings(max_examples=40)
@given(finite_mdps(n_states=st.integers(1, 5), n_actions=st.integers(1, 3), sparse=st.booleans(), action_mask=True))
def test_monotone_values_and_finite_termination(mdp):
    """v_{k+1} >= v_k (Puterman Prop. 6.4.1); at most prod_s |A(s)| evaluations (Thm 6.4.2)."""
    res = policy_iteration(mdp)
    hist = res.values_history
    assert res.converged and hist.shape == (res.iterations + 1, mdp.n_states)
    tol = float_tolerance(mdp, np.max(np.abs(hist)))
    assert np.all(np.diff(hist, axis=0) >= -tol)
    assert res.iterations + 1 <= n_deterministic_policies(mdp.action_mask)
    np.testing.assert_array_equal(hist[-1], res.v)
    # optimality: the Bellman residual is the reported one, and ||v - v*|| <= residual / (1 - gamma)
    tv = bellman_operator(mdp, res.v)
    assert np.max(np.abs(tv - res.v)) <= res.residual + tol
    assert res.residual <= 1e-12 * max(1.0, np.max(np.abs(res.v))) + tol
    assert res.bound == res.residual / (1 - mdp.gamma)
    from rltheory.tabular._reference import optimal_values_reference

    v_star, _, err = optimal_values_reference(mdp.P, mdp.R, mdp.gamma, mdp.action_mask)
    assert np.max(np.abs(res.v - v_star)) <= res.bound + err + tol


@settings(max_examples=30)
@given(finite_mdps(n_states=st.integers(1, 5), n_actions=st.integers(1, 3), action_mask=True))
def test_dense_and_sparse_agree(mdp):
    import scipy.sparse as sp

    S, A = mdp.n_states, mdp.n_actions
    sparse = FiniteMDP(
        sp.csr_array(np.asarray(mdp.P).reshape(S * A, S)), mdp.R, gamma=mdp.gamma, action_mask=mdp.action_mask
    )
    a, b = policy_iteration(mdp), policy_iteration(sparse)
    assert np.max(np.abs(a.v - b.v)) <= 2 * float_tolerance(mdp, np.max(np.abs(a.v)))


@settings(max_examples=30)
@given(finite_mdps(n_states=st.integers(1, 5), n_actions=st.integers(1, 4), gamma=0.0, action_mask=True))
def test_gamma_zero_is_greedy_on_rewards(mdp):
    res = policy_iteration(mdp)
    best = np.where(mdp.action_mask, mdp.R, -np.inf).max(axis=1)
    np.testing.assert_array_equal(res.v, best)
    np.testing.assert_array_equal(mdp.R[np.arange(mdp.n_states), res.policy], best)
    assert res.iterations == 0  # the myopic start is already optimal: no improvement step


def test_ties_never_cycle():
    """Two identical actions everywhere: PI must stop at once, keeping the start policy."""
    P = np.full((3, 2, 3), 1 / 3)
    R = np.array([[1.0, 1.0], [0.3, 0.3], [0.1, 0.1]])
    res = policy_iteration(FiniteMDP(P, R, gamma=0.99), v0_policy=np.array([1, 0, 1]))
    assert res.iterations == 0 and res.policy.tolist() == [1, 0, 1]


def test_v0_policy_is_used():
    res = policy_iteration(puterman_two_state(F(19, 20)), v0_policy=np.array([0, 0]))
    assert res.iterations == 0 and res.policy.tolist() == [0, 0]


# ----------------------------------------------------------- SSP (gamma = 1)
def _ssp_walk_or_gamble(N=5, rest_reward=-1.0):
    """States 0..N, N terminal. walk: k -> k+1; gamble: -> N or stay w.p. 1/2; rest: stay. Reward -1 except rest."""
    S, A = N + 1, 3
    P = np.zeros((S, A, S))
    R = np.full((S, A), -1.0)
    for k in range(N):
        P[k, 0, k + 1] = 1.0
        P[k, 1, N] = P[k, 1, k] = 0.5
        P[k, 2, k] = 1.0
        R[k, 2] = rest_reward
    P[N, :, N] = 1.0
    R[N] = 0.0
    return FiniteMDP(P, R, gamma=1.0, terminal_states=[N])


def test_ssp_known_answer():
    """Walking takes N-k steps, gambling 2 in expectation (geometric(1/2)): v*(k) = -min(N-k, 2)."""
    N = 5
    res = policy_iteration(_ssp_walk_or_gamble(N))
    expected = -np.minimum(N - np.arange(N + 1), 2)
    np.testing.assert_allclose(res.v, expected, rtol=0, atol=float_tolerance(_ssp_walk_or_gamble(N), 2, condition=4))
    assert res.policy[N - 1] == 0 and all(res.policy[: N - 2] == 1)


def test_ssp_exact():
    N = 4
    S = N + 1
    P = np.full((S, 2, S), F(0))
    R = np.full((S, 2), F(-1))
    for k in range(N):
        P[k, 0, k + 1] = F(1)
        P[k, 1, N] = P[k, 1, k] = F(1, 2)
    P[N, :, N] = F(1)
    R[N] = F(0)
    res = policy_iteration(FiniteMDP(P, R, gamma=F(1), terminal_states=[N]), exact=True)
    assert list(res.v_exact) == [F(-2), F(-2), F(-2), F(-1), F(0)]


def test_ssp_improper_v0_policy():
    with pytest.raises(ValueError, match=r"v0_policy is improper: from state 0 no terminal state is reachable"):
        policy_iteration(_ssp_walk_or_gamble(), v0_policy=np.array([2, 2, 2, 2, 2, 0]))


def test_ssp_assumption_violated():
    """A positive-reward loop: the improved policy is improper; B&T's assumption fails."""
    with pytest.raises(ValueError, match=r"violates the stochastic shortest path assumption"):
        policy_iteration(_ssp_walk_or_gamble(rest_reward=1.0))


def test_ssp_no_proper_policy():
    P = np.zeros((3, 1, 3))
    P[0, 0, 1] = P[1, 0, 1] = P[2, 0, 2] = 1.0
    mdp = FiniteMDP(P, np.array([[-1.0], [-1.0], [0.0]]), gamma=1.0, terminal_states=[2])
    with pytest.raises(ValueError, match=r"no proper policy exists: from state 0 no terminal state is reachable"):
        policy_iteration(mdp)


# -------------------------------------------------------------------- errors
def test_exact_needs_rational_model():
    with pytest.raises(ValueError, match=r"exact=True needs a model built from rationals"):
        policy_iteration(puterman_two_state(F(1, 2), "dense"), exact=True)


def test_finite_horizon_model_rejected():
    mdp = FiniteMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), gamma=0.5, horizon=3)
    with pytest.raises(ValueError, match=r"horizon=3.*backward_induction"):
        policy_iteration(mdp)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_iter": -1}, r"max_iter = -1 must be >= 0"),
        ({"tie_tol": -1.0}, r"tie_tol = -1.0 must be >= 0.0"),
        ({"exact": "yes"}, r"exact = 'yes' must be True or False"),
        ({"v0_policy": np.ones((2, 2)) / 2}, r"v0_policy must be a deterministic policy"),
        ({"v0_policy": np.array([1, 1])}, r"policy\[1\] = 1 is disallowed by action_mask"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        policy_iteration(puterman_two_state(F(1, 2)), **kwargs)


def test_max_iter_reached_is_a_result_not_an_error():
    """Hitting max_iter gives converged=False (issue 10, sec. 2); it used to raise RuntimeError."""
    mdp = puterman_two_state(F(19, 20))
    full = policy_iteration(mdp)
    assert full.converged and full.iterations == 1
    res = policy_iteration(mdp, max_iter=0)
    assert not res.converged and res.iterations == 0 and res.values_history.shape == (1, 2)
    v0 = policy_iteration(mdp, v0_policy=np.asarray(res.policy), max_iter=0)
    np.testing.assert_array_equal(res.v, v0.v)
    # the bound still holds for the unconverged values: ||v - v*|| <= ||T v - v|| / (1 - gamma)
    assert np.max(np.abs(res.v - full.v)) <= res.bound + 1e-9
    assert res.bound == res.residual / (1 - 0.95) and res.residual > 0


def test_result_arrays_are_read_only():
    res = policy_iteration(puterman_two_state(F(19, 20)))
    for name in ("v", "q", "policy", "values_history"):
        assert not getattr(res, name).flags.writeable, name


def test_ssp_default_start_is_well_conditioned():
    """With slip the lowest action reaching the next BFS layer could take ~1e11 steps; its evaluation broke down to
    v = 0 and policy iteration stopped there as 'converged'. The start now moves closer with the largest
    probability, and PI agrees with the certified value iteration."""
    from rltheory.tabular import value_iteration
    from rltheory.tabular.envs import gridworld

    mdp = gridworld((15, 15), slip=0.2, step_reward=-1.0, terminal_rewards={(14, 14): 0.0}, gamma=1.0)
    vi = value_iteration(mdp, tol=1e-8)
    res = policy_iteration(mdp)
    assert res.converged and np.isfinite(res.bound)
    assert np.max(np.abs(res.v - vi.v)) <= vi.bound / 2 + res.bound + 1e-9
    assert res.v.min() < -28  # at least the 28 steps of the Manhattan distance from the far corner
