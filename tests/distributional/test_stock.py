"""Stock-augmented optimization equals brute force over history-dependent policies (Avila Pires et al. 2025)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rltheory.distributional import (
    BandProbabilityObjective,
    CVaRObjective,
    FiniteDistribution,
    MeanVarianceObjective,
    brute_force_optimization,
    stock_augmented_optimization,
)
from rltheory.proofs_checks.strategies import stochastic_matrices
from rltheory.tabular import FiniteMDP

TOL = 1e-9  # the two sides sum the same few probabilities in another order


@st.composite
def integer_models(draw, max_states=3, max_horizon=3):
    S = draw(st.integers(1, max_states))
    A = draw(st.integers(1, 2))
    H = draw(st.integers(1, max_horizon))
    P = draw(stochastic_matrices(n_rows=S * A, n_cols=S, sparsity=0.5)).reshape(S, A, S)
    R = np.array(draw(st.lists(st.integers(-2, 2), min_size=S * A, max_size=S * A)), dtype=float).reshape(S, A)
    return FiniteMDP(P, R, gamma=1.0, horizon=H)


objectives = st.one_of(
    st.builds(CVaRObjective, st.sampled_from([0.1, 0.25, 0.5, 1.0])),
    st.builds(lambda lo, w: BandProbabilityObjective(lo, lo + w), st.integers(-3, 3), st.integers(0, 2)),
)


@settings(max_examples=40)
@given(integer_models(), objectives, st.sampled_from(["value_iteration", "policy_iteration"]))
def test_augmented_search_equals_history_brute_force(mdp, objective, method):
    res = stock_augmented_optimization(mdp, objective, method=method)
    bf = brute_force_optimization(mdp, objective)
    assert abs(res.value - bf.value) <= TOL
    assert abs(objective.value(res.distribution) - res.value) <= TOL
    # never better than the history-dependent optimum, never worse than the best Markov policy
    markov = brute_force_optimization(mdp, objective, policy_class="markov")
    assert markov.value <= bf.value + TOL


@settings(max_examples=30)
@given(integer_models(max_states=2, max_horizon=3), st.sampled_from([0.0, 1.0]), st.sampled_from([0.2, 1.0, 3.0]))
def test_alternating_mean_variance_is_monotone_and_matches_brute_force_from_every_start(mdp, w, lam):
    objective = MeanVarianceObjective(lam, mean_weight=w)
    bf = brute_force_optimization(mdp, objective)
    res = stock_augmented_optimization(mdp, objective, auxiliary="alternating")
    J = res.auxiliary_path[:, 1]
    assert np.all(np.diff(J) >= -TOL)  # block-coordinate ascent never decreases the objective
    assert res.value <= bf.value + TOL
    # started at the mean of an optimal policy's law, alternation returns the optimum at once
    start = bf.distribution.mean()
    res_star = stock_augmented_optimization(mdp, objective, auxiliary="alternating", initial_auxiliary=start)
    assert abs(res_star.value - bf.value) <= TOL


@settings(max_examples=30)
@given(integer_models(max_states=2, max_horizon=3), st.sampled_from([0.25, 0.5]))
def test_alternating_cvar_is_monotone(mdp, alpha):
    objective = CVaRObjective(alpha)
    res = stock_augmented_optimization(mdp, objective, auxiliary="alternating")
    assert np.all(np.diff(res.auxiliary_path[:, 1]) >= -TOL)
    assert res.value <= brute_force_optimization(mdp, objective).value + TOL


def _coin_then_correct():
    P = np.zeros((5, 2, 5))
    P[0, :, 1] = P[0, :, 2] = 0.5
    P[1:3, :, 3] = 1.0
    P[3:, :, 4] = 1.0
    R = np.zeros((5, 2))
    R[1] = 1
    R[3, 1] = 1
    return FiniteMDP(P, R, gamma=1.0, horizon=3)


def test_markov_policies_are_strictly_worse_on_a_homeostatic_instance():
    mdp = _coin_then_correct()
    objective = BandProbabilityObjective(1, 1)
    aug = stock_augmented_optimization(mdp, objective)
    assert aug.value == 1.0 and brute_force_optimization(mdp, objective).value == 1.0
    assert brute_force_optimization(mdp, objective, policy_class="markov").value == 0.5
    # the augmented policy at epoch 2 in state 3 depends on the stock
    k0, k1 = (int(np.flatnonzero(aug.stock_values == c)[0]) for c in (0, 1))
    assert aug.policy[2, 3, k0] == 1 and aug.policy[2, 3, k1] == 0


def test_markov_policies_are_strictly_worse_for_cvar():
    # after a fair coin paying 0 or 2, a last step offers a sure 0 or a gamble {-1, +3}:
    # CVaR_0.5 wants the gamble only with stock 2 (Markov cannot tell the stocks apart)
    P = np.zeros((6, 2, 6))
    P[0, :, 1] = P[0, :, 2] = 0.5
    P[1:3, :, 3] = 1.0
    P[3, 0, 5] = 1.0
    P[3, 1, 4] = 0.5
    P[3, 1, 5] = 0.5
    P[4:, :, 5] = 1.0
    P[4, :, 5] = 1.0
    R = np.zeros((6, 2))
    R[1] = 2
    R[4] = 3
    R[3, 1] = 0
    R[5] = 0
    # gamble: from 3 via action 1 go to 4 (then +3) or 5 (then 0), costing 1 now
    R[3, 1] = -1
    mdp = FiniteMDP(P, R, gamma=1.0, horizon=4)
    objective = CVaRObjective(0.5)
    aug = stock_augmented_optimization(mdp, objective)
    hist = brute_force_optimization(mdp, objective)
    markov = brute_force_optimization(mdp, objective, policy_class="markov")
    assert abs(aug.value - hist.value) <= TOL
    assert markov.value < hist.value - 1e-6


def test_history_brute_force_enumerates_every_policy_on_a_tiny_model():
    # literal enumeration of all deterministic history-dependent policies (S=2, A=2, H=2)
    P = np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.25, 0.75]]])
    R = np.array([[0.0, 1.0], [2.0, -1.0]])
    mdp = FiniteMDP(P, R, gamma=1.0, horizon=2)
    histories1 = [(0, a, s1) for a in range(2) for s1 in range(2)]
    laws = set()
    for a0 in range(2):
        for a1s in itertools.product(range(2), repeat=len(histories1)):
            pol = dict(zip(histories1, a1s))
            law = {}
            for s1 in range(2):
                p = P[0, a0, s1]
                if p == 0:
                    continue
                a1 = pol[(0, a0, s1)]
                g = R[0, a0] + R[s1, a1]
                law[g] = law.get(g, 0.0) + p
            laws.add(tuple(sorted((g, round(p, 12)) for g, p in law.items())))
    objective = CVaRObjective(0.5)
    best = max(objective.value(FiniteDistribution([g for g, _ in l], [p for _, p in l])) for l in laws)
    bf = brute_force_optimization(mdp, objective)
    assert bf.n_distributions == len(laws) and abs(bf.value - best) <= TOL


def test_stock_errors():
    mdp = _coin_then_correct()
    with pytest.raises(ValueError, match="continuous auxiliary"):
        stock_augmented_optimization(mdp, MeanVarianceObjective(1.0))
    with pytest.raises(ValueError, match="integers"):
        stock_augmented_optimization(
            FiniteMDP(np.ones((1, 1, 1)), np.array([[0.5]]), gamma=1.0, horizon=2), CVaRObjective(0.5)
        )
    with pytest.raises(ValueError, match="finite-horizon"):
        brute_force_optimization(FiniteMDP(np.ones((1, 1, 1)), np.array([[1.0]]), gamma=0.5), CVaRObjective(0.5))
    with pytest.raises(ValueError, match="alpha"):
        CVaRObjective(0.0)
    with pytest.raises(ValueError, match="initial_state"):
        stock_augmented_optimization(mdp, CVaRObjective(0.5), initial_state=9)
    with pytest.raises(ValueError, match="max_distributions"):
        brute_force_optimization(mdp, CVaRObjective(0.5), max_distributions=1)
