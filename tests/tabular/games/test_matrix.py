"""MatrixGame validation, profiles and payoffs, and exploitability (NashConv) against brute force.

Checked: u_i(x) equals the explicit multilinear sum over joint profiles; the gains are the best pure deviations
(Nash 1951: pure deviations suffice); in a two-player zero-sum game NashConv is the duality gap
max(A y) - min(x^T A). Tolerances: dot products of length m = prod A_j (Higham 2002, Lemma 3.1).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.tabular.games import ExploitabilityResult, MatrixGame, exploitability
from tests.tabular.games._helpers import EPS, brute_gains, brute_payoff


@st.composite
def games_and_profiles(draw):
    n = draw(st.integers(2, 3))
    shape = tuple(draw(st.integers(1, 3)) for _ in range(n))
    size = n * int(np.prod(shape))
    U = np.array(draw(st.lists(st.floats(-10, 10, allow_nan=False), min_size=size, max_size=size)))
    U = U.reshape((n,) + shape)
    xs = []
    for k in shape:
        w = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k)))
        xs.append(w / w.sum())
    return MatrixGame(U), xs


@given(games_and_profiles())
def test_payoffs_and_gains_match_brute_force(instance):
    game, xs = instance
    U = np.asarray(game.payoffs)
    slack = 8 * (U[0].size + 4) * EPS * max(1.0, float(np.max(np.abs(U))))
    assert np.allclose(game.expected_payoffs(xs), brute_payoff(U, xs), rtol=0, atol=slack)
    r = exploitability(game, xs)
    assert isinstance(r, ExploitabilityResult)
    assert np.allclose(r.gains, brute_gains(U, xs), rtol=0, atol=2 * slack)
    assert np.all(r.gains >= -slack)
    assert r.nash_conv == pytest.approx(float(np.sum(r.gains)), abs=slack)
    assert r.epsilon == pytest.approx(float(np.max(r.gains)), abs=slack)
    for i in range(game.n_players):
        dev = game.deviation_payoffs(xs, i)
        assert dev[r.best_responses[i]] == pytest.approx(dev.max(), abs=slack)
    assert not r.gains.flags.writeable


@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_zero_sum_nash_conv_is_the_duality_gap(m, n, data):
    A = np.array(data.draw(st.lists(st.floats(-5, 5), min_size=m * n, max_size=m * n))).reshape(m, n)
    x = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=m, max_size=m)))
    y = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=n, max_size=n)))
    x, y = x / x.sum(), y / y.sum()
    r = exploitability(MatrixGame.zero_sum(A), [x, y])
    assert r.nash_conv == pytest.approx(float(np.max(A @ y) - np.min(x @ A)), abs=32 * (m + n) * EPS * 5)


def test_pure_actions_and_known_payoffs():
    pd = MatrixGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]])  # prisoner's dilemma
    assert pd.expected_payoffs([1, 1]).tolist() == [1.0, 1.0]
    r = exploitability(pd, [0, 0])  # both cooperate: each gains 2 by defecting
    assert r.gains.tolist() == [2.0, 2.0] and r.best_responses.tolist() == [1, 1]
    assert exploitability(pd, [1, 1]).nash_conv == 0.0  # (D, D) is the Nash equilibrium


def test_constant_sum_and_zero_sum_properties():
    assert MatrixGame.zero_sum([[1, 2]]).is_zero_sum
    assert MatrixGame.zero_sum([[1, 2]]).constant_sum == 0.0
    P = np.array([[0.5, 0.7], [0.3, 0.5]])
    g = MatrixGame([P, 1 - P])
    assert not g.is_zero_sum and g.constant_sum == pytest.approx(1.0)
    assert MatrixGame([[[1, 0]], [[0, 0]]]).constant_sum is None
    assert MatrixGame(np.zeros((3, 2, 2, 2))).constant_sum is None  # three players
    assert "MatrixGame(n_players=2" in repr(g)


def test_arrays_are_read_only():
    g = MatrixGame.zero_sum([[1.0, 0.0]])
    with pytest.raises(ValueError):
        g.payoffs[0, 0, 0] = 2.0
    with pytest.raises(Exception):
        g.payoffs = None


@pytest.mark.parametrize(
    "payoffs, match",
    [
        ([[[1.0, np.nan]], [[0.0, 0.0]]], r"payoffs\[player 0\] at action profile \(0, 1\) is nan"),
        ([[[1.0, 0.0]], [[0.0, np.inf]]], r"payoffs\[player 1\] at action profile \(0, 1\) is inf"),
        ([np.zeros((2, 2)), np.zeros((2, 3))], r"payoffs\[player 1\] has shape \(2, 3\) but payoffs\[player 0\]"),
        (np.zeros((3, 2, 2)), r"3 players' tensors with 2 axes each"),
        (np.zeros((2, 2)), r"expected \(n, A_1, ..., A_n\) with n >= 2"),
        (np.zeros((2, 0, 2)), r"player 0 has no action"),
        ([["a", "b"], ["c", "d"]], r"cannot be converted"),
    ],
)
def test_bad_games_raise_clear_errors(payoffs, match):
    with pytest.raises(ValueError, match=match):
        MatrixGame(payoffs)


def test_bad_profiles_raise_clear_errors():
    g = MatrixGame.zero_sum([[1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match=r"has 1 strategies, but the game has 2 players"):
        g.expected_payoffs([[0.5, 0.5]])
    with pytest.raises(ValueError, match=r"profile\[player 1\] has shape \(2,\), expected \(3,\)"):
        g.expected_payoffs([[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"profile\[player 0\]\[1\] = -0.5 is negative"):
        exploitability(g, [[1.5, -0.5], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"profile\[player 0\] sums to 0.9"):
        exploitability(g, [[0.5, 0.4], 0])
    with pytest.raises(ValueError, match=r"profile\[player 1\] = 3 must be <= 2"):
        exploitability(g, [0, 3])
    with pytest.raises(ValueError, match=r"profile\[player 0\]\[0\] is nan"):
        exploitability(g, [[np.nan, 1.0], 0])
    with pytest.raises(ValueError, match=r"needs a MatrixGame"):
        exploitability(np.zeros((2, 2)), [0, 0])
    with pytest.raises(ValueError, match=r"player = 2 must be <= 1"):
        g.deviation_payoffs([0, 0], 2)
    with pytest.raises(ValueError, match=r"A has shape"):
        MatrixGame.zero_sum([1, 2])
