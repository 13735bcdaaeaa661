"""CE / CCE by convex programming, judged by their incentive constraints (recomputed by brute force).

Checked: the returned distribution satisfies every CE (resp. CCE) constraint within tol (Aumann 1974; Moulin &
Vial 1978), recomputed with explicit loops; the welfare-maximal CE of Aumann's chicken (1/4, 1/4, 1/2, welfare
10.5); Aumann's (1/3, 1/3, 1/3) CE; the product of a Nash equilibrium is a CE and every CE is a CCE; the
welfare optimum dominates the Nash product's welfare; the dual bound certifies optimality; the max-entropy CE
has at least the entropy of every other CE found; a game with a strictly dominant strategy has a unique CE.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.tabular.games import (
    CorrelatedEquilibriumResult,
    MatrixGame,
    cce_violation,
    ce_violation,
    coarse_correlated_equilibrium,
    correlated_equilibrium,
    nash_equilibria,
)


def brute_ce_violation(U, d):
    n = U.shape[0]
    worst = 0.0
    for i in range(n):
        k = U.shape[1 + i]
        for a, b in itertools.permutations(range(k), 2):
            total = 0.0
            for prof in itertools.product(*[range(s) for s in d.shape]):
                if prof[i] != a:
                    continue
                dev = list(prof)
                dev[i] = b
                total += d[prof] * (U[(i,) + tuple(dev)] - U[(i,) + prof])
            worst = max(worst, total)
    return worst


def brute_cce_violation(U, d):
    n = U.shape[0]
    worst = -np.inf
    for i in range(n):
        for b in range(U.shape[1 + i]):
            total = 0.0
            for prof in itertools.product(*[range(s) for s in d.shape]):
                dev = list(prof)
                dev[i] = b
                total += d[prof] * (U[(i,) + tuple(dev)] - U[(i,) + prof])
            worst = max(worst, total)
    return worst


@st.composite
def games(draw):
    n = draw(st.integers(2, 3))
    shape = tuple(draw(st.integers(1, 3)) for _ in range(n))
    size = n * int(np.prod(shape))
    U = np.array(draw(st.lists(st.integers(-4, 4), min_size=size, max_size=size)), dtype=float)
    return MatrixGame(U.reshape((n,) + shape))


@given(games(), st.sampled_from(["welfare", "max-entropy"]))
def test_incentive_constraints_hold(game, objective):
    tol = 1e-7
    U = np.asarray(game.payoffs)
    scale = max(1.0, float(np.max(np.abs(U))))
    ce = correlated_equilibrium(game, objective, tol=tol)
    assert isinstance(ce, CorrelatedEquilibriumResult) and ce.kind == "correlated" and ce.status == "optimal"
    d = np.asarray(ce.distribution)
    assert np.all(d >= 0) and abs(d.sum() - 1) <= 1e-12
    assert brute_ce_violation(U, d) <= tol * scale + 1e-12
    assert brute_cce_violation(U, d) <= tol * scale + 1e-12  # every CE is a CCE
    cce = coarse_correlated_equilibrium(game, objective, tol=tol)
    assert brute_cce_violation(U, np.asarray(cce.distribution)) <= tol * scale + 1e-12
    # the CCE set contains the CE set: its optimum is at least as good
    assert cce.objective_value >= ce.objective_value - 1e-5 * scale


@given(games())
def test_nash_product_is_a_ce_and_welfare_dominates_it(game):
    if game.n_players != 2:
        return
    ne = nash_equilibria(game, "support")
    ce = correlated_equilibrium(game, "welfare")
    for x, y, pay in zip(ne.row_strategies, ne.column_strategies, ne.payoffs):
        prod = np.outer(x, y)
        assert ce_violation(game, prod / prod.sum()) <= 1e-9 * max(1.0, float(np.max(np.abs(game.payoffs))))
        assert ce.objective_value >= float(pay.sum()) - 1e-6


def test_chicken_known_answers():
    chicken = MatrixGame([[[0, 7], [2, 6]], [[0, 2], [7, 6]]])  # actions (Dare, Chicken); Aumann (1974)
    aumann = np.array([[0, 1], [1, 1]]) / 3
    assert ce_violation(chicken, aumann) <= 1e-15
    res = correlated_equilibrium(chicken, "welfare", solver="HIGHS")
    assert np.allclose(res.distribution, [[0, 0.25], [0.25, 0.5]], atol=1e-7)
    assert res.objective_value == pytest.approx(10.5, abs=1e-7) and res.duality_gap <= 1e-6
    # an objective array: maximize the probability of (Chicken, Chicken) over the CE polytope -> 1/2 as well
    c = np.zeros((2, 2))
    c[1, 1] = 1.0
    assert correlated_equilibrium(chicken, c).objective_value == pytest.approx(0.5, abs=1e-6)


def test_max_entropy_ce():
    chicken = MatrixGame([[[0, 7], [2, 6]], [[0, 2], [7, 6]]])
    me = correlated_equilibrium(chicken, "max-entropy")
    welfare = correlated_equilibrium(chicken, "welfare")
    H = lambda d: float(-np.sum(d[d > 0] * np.log(d[d > 0])))  # noqa: E731
    assert me.objective == "max-entropy"
    assert me.objective_value == pytest.approx(H(np.asarray(me.distribution)), abs=1e-12)
    assert me.objective_value >= H(np.asarray(welfare.distribution)) - 1e-6
    assert me.objective_value >= H(np.array([[0, 1], [1, 1]]) / 3) - 1e-6
    pd = MatrixGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]])  # strictly dominant defection: the unique CE is (D, D)
    assert np.allclose(correlated_equilibrium(pd, "max-entropy").distribution, [[0, 0], [0, 1]], atol=1e-6)


def test_violation_functions_match_brute_force():
    rng = np.random.default_rng(0)
    for shape in [(2, 3), (2, 2, 3), (1, 4)]:
        U = rng.normal(size=(len(shape),) + shape)
        d = rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)
        g = MatrixGame(U)
        assert ce_violation(g, d) == pytest.approx(brute_ce_violation(U, d), abs=1e-12)
        assert cce_violation(g, d) == pytest.approx(brute_cce_violation(U, d), abs=1e-12)


def test_errors():
    g = MatrixGame.zero_sum(np.eye(2))
    with pytest.raises(ValueError, match=r"distribution has shape \(3,\), expected the joint action shape \(2, 2\)"):
        ce_violation(g, np.ones(3) / 3)
    with pytest.raises(ValueError, match=r"distribution sums to 2.0"):
        cce_violation(g, np.ones((2, 2)) / 2)
    with pytest.raises(ValueError, match=r"distribution\[0, 1\] = -0.25 is negative"):
        ce_violation(g, np.array([[0.75, -0.25], [0.25, 0.25]]))
    with pytest.raises(ValueError, match=r"objective = 'utilitarian' must be"):
        correlated_equilibrium(g, "utilitarian")
    with pytest.raises(ValueError, match=r"objective has shape \(3,\)"):
        correlated_equilibrium(g, np.ones(3))
    with pytest.raises(ValueError, match=r"not an installed cvxpy solver"):
        correlated_equilibrium(g, solver="NOPE")
    with pytest.raises(ValueError, match=r"HIGHS solves linear programs only"):
        correlated_equilibrium(g, "max-entropy", solver="HIGHS")
    with pytest.raises(ValueError, match=r"needs a MatrixGame"):
        coarse_correlated_equilibrium(np.eye(2))
