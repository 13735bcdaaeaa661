"""Sympy oracles against closed forms derived by hand."""

import itertools
from fractions import Fraction as F

import numpy as np
import sympy
from hypothesis import given, settings

from rltheory.proofs_checks import analytic
from rltheory.proofs_checks.strategies import finite_mdps, rational_policies
from rltheory.tabular import FiniteMDP

g = sympy.Symbol("gamma")


def _chain():
    # state 0 --(a0: stay, r=1 | a1: go to 1, r=0)--> ; state 1 absorbing with reward 2
    P = np.array([[[1, 0], [0, 1]], [[0, 1], [0, 1]]], dtype=object)
    R = np.array([[1, 0], [2, 2]], dtype=object)
    return FiniteMDP(P, R, gamma=F(1, 2))


def test_symbolic_values_match_hand_derivation():
    mdp = _chain()
    v_stay = analytic.value_function(mdp, np.array([0, 0]), gamma=g)
    v_go = analytic.value_function(mdp, np.array([1, 0]), gamma=g)
    # v(1) = 2 / (1 - gamma); staying: 1 / (1 - gamma); going: gamma * 2 / (1 - gamma)
    assert sympy.simplify(v_stay[0] - 1 / (1 - g)) == 0
    assert sympy.simplify(v_go[0] - 2 * g / (1 - g)) == 0
    assert sympy.simplify(v_go[1] - 2 / (1 - g)) == 0
    # at gamma = 1/2 going is better (2 > 2... no: 2*1/2/(1/2) = 2 = 1/(1/2)); a tie, both optimal
    v, pi = analytic.optimal_value(mdp)
    assert list(v) == [2, 4]


def test_q_advantage_occupancy_consistency():
    mdp = _chain()
    pi = np.array([[F(1, 3), F(2, 3)], [F(1), F(0)]], dtype=object)
    v = analytic.value_function(mdp, pi)
    Q = analytic.q_function(mdp, pi)
    A = analytic.advantage(mdp, pi)
    pm = analytic.policy_matrix(mdp, pi)
    for s in range(2):
        assert sum(pm[s, a] * Q[s, a] for a in range(2)) == v[s]  # v = sum_a pi q exactly
        assert sum(pm[s, a] * A[s, a] for a in range(2)) == 0
    d = analytic.discounted_occupancy(mdp, pi, 0)
    assert sum(d) == 1 and all(x >= 0 for x in d)


@settings(max_examples=25)
@given(finite_mdps(n_states=2, n_actions=2, exact=True, action_mask=True))
def test_optimal_value_dominates_every_deterministic_policy(mdp):
    v, pi = analytic.optimal_value(mdp)
    assert all(x == 0 for x in analytic.bellman_optimality_residual(mdp, v))
    mask = np.asarray(mdp.action_mask)
    for combo in itertools.product(*[np.flatnonzero(mask[s]) for s in range(mdp.n_states)]):
        vp = analytic.value_function(mdp, np.array(combo))
        assert all(vp[s] <= v[s] for s in range(mdp.n_states))  # Puterman Thm 6.2.10
    assert analytic.value_function(mdp, pi) == v


@settings(max_examples=20)
@given(finite_mdps(n_states=2, n_actions=2, exact=True).flatmap(lambda m: rational_policies(m).map(lambda p: (m, p))))
def test_value_function_solves_the_evaluation_equation_exactly(args):
    mdp, pi = args
    v = analytic.value_function(mdp, pi)
    P, R, gm = analytic.rational_model(mdp)
    pm = analytic.policy_matrix(mdp, pi)
    for s in range(mdp.n_states):
        rhs = sum(pm[s, a] * (R[s, a] + gm * (P[a][s, :] * v)[0, 0]) for a in range(mdp.n_actions))
        assert rhs == v[s]


def test_float_models_are_taken_at_their_binary_value():
    mdp = FiniteMDP(np.ones((1, 1, 1)), np.array([[0.1]]), gamma=0.5)
    v = analytic.value_function(mdp, np.array([0]))
    assert v[0] == 2 * sympy.Rational(0.1)  # exact value of the double nearest 0.1, doubled
