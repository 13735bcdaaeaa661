"""solve_zero_sum: the LP value and strategies of a matrix game, judged by weak duality and brute force.

Checked: the duality gap max(A y) - min(x^T A) <= tol max(1, max|A|) (von Neumann 1928 / LP duality);
value_lower <= v(A) <= value_upper with v(A) from vertex enumeration of the maximin polytope (brute force);
closed-form 2x2 values in exact rationals; rock-paper-scissors; constant-sum games; nashpy's value on its
documented matching-pennies example.
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.tabular.games import MatrixGame, ZeroSumResult, solve_zero_sum
from tests.tabular.games._helpers import EPS, brute_value


@st.composite
def matrices(draw, max_size=4):
    m, n = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    if draw(st.booleans()):
        vals = draw(st.lists(st.integers(-3, 3), min_size=m * n, max_size=m * n))  # degenerate games too
    else:
        vals = draw(st.lists(st.floats(-10, 10, allow_nan=False), min_size=m * n, max_size=m * n))
    return np.array(vals, dtype=float).reshape(m, n)


@given(matrices())
def test_certificate_and_brute_force_value(A):
    tol = 1e-9
    res = solve_zero_sum(MatrixGame.zero_sum(A), tol=tol)
    assert isinstance(res, ZeroSumResult) and res.status == "optimal"
    scale = max(1.0, float(np.max(np.abs(A))))
    x, y = np.asarray(res.max_strategy), np.asarray(res.min_strategy)
    assert np.all(x >= 0) and np.all(y >= 0)
    assert abs(x.sum() - 1) <= 4 * EPS * len(x) and abs(y.sum() - 1) <= 4 * EPS * len(y)
    rnd = 8 * (max(A.shape) + 2) * EPS * scale
    # the defining inequalities, recomputed here
    assert float(np.max(A @ y) - np.min(x @ A)) <= tol * scale + rnd
    v = brute_value(A)
    assert res.value_lower - rnd - 1e-9 * scale <= v <= res.value_upper + rnd + 1e-9 * scale
    assert abs(res.value - v) <= res.duality_gap / 2 + rnd + 1e-9 * scale
    assert res.primal_infeasibility <= tol * scale and res.dual_infeasibility <= tol * scale
    assert not res.max_strategy.flags.writeable


@given(st.lists(st.integers(-9, 9), min_size=4, max_size=4))
def test_two_by_two_exact_value(entries):
    a, b, c, d = entries
    A = np.array([[a, b], [c, d]], dtype=float)
    # exact value: a pure saddle point if max-min = min-max, else (ad - bc) / (a - b - c + d)
    # (von Neumann & Morgenstern 1944)
    lower = max(min(a, b), min(c, d))
    upper = min(max(a, c), max(b, d))
    exact = Fraction(lower) if lower == upper else Fraction(a * d - b * c, a - b - c + d)
    res = solve_zero_sum(MatrixGame.zero_sum(A))
    assert abs(res.value - float(exact)) <= 1e-9 * max(1, np.max(np.abs(A))) + 1e-15


def test_rock_paper_scissors_and_matching_pennies():
    rps = solve_zero_sum(MatrixGame.zero_sum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]]))
    assert abs(rps.value) <= 1e-9
    assert np.allclose(rps.max_strategy, 1 / 3, atol=1e-9) and np.allclose(rps.min_strategy, 1 / 3, atol=1e-9)
    # nashpy's documented example (docs/how-to/solve-with-support-enumeration.rst): matching pennies -> (1/2, 1/2)
    nash = pytest.importorskip("nashpy")
    A = np.array([[1, -1], [-1, 1]])
    (ref,) = list(nash.Game(A).support_enumeration())
    mp = solve_zero_sum(MatrixGame.zero_sum(A))
    assert np.allclose(mp.max_strategy, ref[0], atol=1e-9) and np.allclose(mp.min_strategy, ref[1], atol=1e-9)


def test_constant_sum_game():
    P = np.array([[0.5, 0.9, 0.2], [0.1, 0.5, 0.7], [0.8, 0.3, 0.5]])
    res = solve_zero_sum(MatrixGame([P, P.T]))  # P + P^T = 1: a symmetric constant-sum game of value 1/2
    assert abs(res.value - 0.5) <= res.duality_gap / 2 + 1e-12
    assert np.allclose(res.max_strategy, res.min_strategy, atol=1e-8)


def test_refuses_general_sum_and_other_inputs():
    with pytest.raises(ValueError, match=r"needs a constant-sum game, but payoffs\[0\] \+ payoffs\[1\] is"):
        solve_zero_sum(MatrixGame([[[1, 0]], [[1, 1]]]))
    with pytest.raises(ValueError, match=r"wrap a payoff matrix A as MatrixGame.zero_sum"):
        solve_zero_sum(np.eye(2))
    with pytest.raises(ValueError, match=r"two-player game, got 3 players"):
        solve_zero_sum(MatrixGame(np.zeros((3, 2, 2, 2))))
    with pytest.raises(ValueError, match=r"tol"):
        solve_zero_sum(MatrixGame.zero_sum([[1.0]]), tol=0.0)
