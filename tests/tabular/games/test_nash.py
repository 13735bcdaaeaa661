"""Bimatrix Nash equilibria: every equilibrium verified by the best-response condition, nashpy's documented
examples, brute force on 2x2 games, and the odd-number theorem.

Checked: NashConv <= tol (recomputed by brute force over pure deviations); support enumeration on nondegenerate
(Gaussian) games finds an odd number of equilibria (Lemke & Howson 1964; Shapley 1974) that include nashpy's;
Lemke-Howson agrees with nashpy's lemke_howson label by label on random nondegenerate games; the documented
outputs of nashpy (README, docs/how-to/solve-with-lemke-howson.rst, docs/how-to/handle-degenerate-games.rst);
the degenerate game of the lrsnash documentation (quantecon, from von Stengel) with its known equilibria.
"""

import itertools
import signal
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.tabular.games import MatrixGame, NashEquilibriaResult, nash_equilibria
from tests.tabular.games._helpers import brute_gains

nash = pytest.importorskip("nashpy")


def pairs(res):
    return [(np.asarray(x), np.asarray(y)) for x, y in zip(res.row_strategies, res.column_strategies)]


def contains(found, x, y, atol=1e-8):
    return any(np.allclose(fx, x, atol=atol) and np.allclose(fy, y, atol=atol) for fx, fy in found)


def check_certified(game, res, tol=1e-9):
    U = np.asarray(game.payoffs)
    scale = max(1.0, float(np.max(np.abs(U))))
    for x, y in pairs(res):
        assert np.all(x >= 0) and np.all(y >= 0)
        assert np.all(brute_gains(U, [x, y]) <= tol * scale + 1e-12)
    assert np.all(res.nash_conv <= tol * scale)


def test_nashpy_readme_example():
    # nashpy README: A = [[1, 2], [3, 0]], B = [[0, 2], [3, 1]] -> (1,0),(0,1); (0,1),(1,0); (1/2,1/2),(1/2,1/2)
    A, B = np.array([[1, 2], [3, 0]]), np.array([[0, 2], [3, 1]])
    game = MatrixGame([A, B])
    res = nash_equilibria(game, "support")
    assert isinstance(res, NashEquilibriaResult) and res.method == "support" and res.n_equilibria == 3
    for x, y in nash.Game(A, B).support_enumeration():
        assert contains(pairs(res), x, y)
    check_certified(game, res)
    lh = nash_equilibria(game, "lemke-howson")
    for label in range(4):
        x, y = nash.Game(A, B).lemke_howson(initial_dropped_label=label)
        k = lh.label_equilibrium[label]
        assert np.allclose(lh.row_strategies[k], x) and np.allclose(lh.column_strategies[k], y)
    check_certified(game, lh)


def test_nashpy_matching_pennies_lemke_howson_example():
    # docs/how-to/solve-with-lemke-howson.rst: every label -> ((1/2, 1/2), (1/2, 1/2))
    A = np.array([[1, -1], [-1, 1]])
    res = nash_equilibria(MatrixGame.zero_sum(A), "lemke-howson")
    assert res.n_equilibria == 1 and res.label_equilibrium.tolist() == [0, 0, 0, 0]
    for eq in nash.Game(A).lemke_howson_enumeration():
        assert np.allclose(res.row_strategies[0], eq[0]) and np.allclose(res.column_strategies[0], eq[1])


def test_nashpy_degenerate_example():
    # docs/how-to/handle-degenerate-games.rst: support enumeration gives ((.5,.5,0),(.5,.5,0)) and
    # ((.5,0,.5),(.5,.5,0)); nashpy's Lemke-Howson fails (nan) there, the lexicographic rule does not
    A = np.array([[0, -1, 1], [-1, 0, 1], [-1, 0, 1]])
    game = MatrixGame.zero_sum(A)
    se = nash_equilibria(game, "support")
    assert contains(pairs(se), [0.5, 0.5, 0], [0.5, 0.5, 0]) and contains(pairs(se), [0.5, 0, 0.5], [0.5, 0.5, 0])
    check_certified(game, se)
    lh = nash_equilibria(game, "lemke-howson")
    check_certified(game, lh)
    assert np.all(lh.label_equilibrium >= 0)


def test_known_degenerate_game_from_lrsnash_docs():
    # quantecon jlgametheory.lrsnash documentation (von Stengel's example): the isolated equilibrium
    # ((0,1/3,2/3),(1/3,2/3)) and a non-singleton component containing ((1,0,0),(1,0)) and ((1,0,0),(2/3,1/3)).
    # Equal-size supports find the isolated one, (1,0,0),(1,0) and the component's point ((0.8,0.2,0),(2/3,1/3));
    # ((1,0,0),(2/3,1/3)) has supports of sizes 1 and 2 and is not found (documented: degenerate games)
    A = np.array([[3, 3], [2, 5], [0, 6]])
    B = np.array([[3, 2], [2, 6], [3, 1]])
    game = MatrixGame([A, B])
    se = nash_equilibria(game, "support")
    check_certified(game, se)
    assert contains(pairs(se), [0, 1 / 3, 2 / 3], [1 / 3, 2 / 3]) and contains(pairs(se), [1, 0, 0], [1, 0])
    assert contains(pairs(se), [0.8, 0.2, 0], [2 / 3, 1 / 3])
    lh = nash_equilibria(game, "lemke-howson")
    check_certified(game, lh)


def test_odd_number_and_nashpy_agreement_on_random_games():
    rng = np.random.default_rng(1)

    def alarm(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, alarm)
    for _ in range(40):
        m, n = rng.integers(2, 5, size=2)
        A, B = rng.normal(size=(m, n)), rng.normal(size=(m, n))
        game = MatrixGame([A, B])
        se = nash_equilibria(game, "support")
        assert se.n_equilibria % 2 == 1  # nondegenerate with probability one
        check_certified(game, se)
        # nashpy's support enumeration misses equilibria its 1e-16 tolerance rejects; ours contain all it finds
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # nashpy warns when its tolerance drops equilibria
            theirs = list(nash.Game(A, B).support_enumeration(non_degenerate=True))
        for x, y in theirs:
            assert contains(pairs(se), x, y, atol=1e-6)
        lh = nash_equilibria(game, "lemke-howson")
        check_certified(game, lh)
        for label in range(m + n):
            signal.alarm(5)  # a guard against the peer library cycling; never hit on these games
            try:
                x, y = nash.Game(A, B).lemke_howson(initial_dropped_label=label)
            finally:
                signal.alarm(0)
            k = lh.label_equilibrium[label]
            assert np.allclose(lh.row_strategies[k], x, atol=1e-6)
            assert np.allclose(lh.column_strategies[k], y, atol=1e-6)
            assert contains(pairs(se), lh.row_strategies[k], lh.column_strategies[k], atol=1e-6)


def brute_2x2(A, B):
    """All isolated equilibria of a nondegenerate 2x2 game: the pure ones and the mixed one."""
    out = []
    for i, j in itertools.product(range(2), range(2)):
        if A[i, j] >= A[1 - i, j] and B[i, j] >= B[i, 1 - j]:
            out.append((np.eye(2)[i], np.eye(2)[j]))
    dq = A[0, 0] - A[0, 1] - A[1, 0] + A[1, 1]
    dp = B[0, 0] - B[0, 1] - B[1, 0] + B[1, 1]
    if dq != 0 and dp != 0:
        q = (A[1, 1] - A[0, 1]) / dq
        p = (B[1, 1] - B[1, 0]) / dp
        if 0 < p < 1 and 0 < q < 1:
            out.append((np.array([p, 1 - p]), np.array([q, 1 - q])))
    return out


@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=8, max_size=8))
def test_two_by_two_against_brute_force(vals):
    A = np.array(vals[:4]).reshape(2, 2)
    B = np.array(vals[4:]).reshape(2, 2)
    if min(abs(A[0, 0] - A[1, 0]), abs(A[0, 1] - A[1, 1]), abs(B[0, 0] - B[0, 1]), abs(B[1, 0] - B[1, 1])) < 1e-3:
        return  # (near-)degenerate: ties make continua of equilibria
    game = MatrixGame([A, B])
    se = nash_equilibria(game, "support")
    expected = brute_2x2(A, B)
    assert se.n_equilibria == len(expected)
    for x, y in expected:
        assert contains(pairs(se), x, y, atol=1e-7)


def test_errors():
    with pytest.raises(ValueError, match=r"two-player games, got 3 players"):
        nash_equilibria(MatrixGame(np.zeros((3, 2, 2, 2))))
    with pytest.raises(ValueError, match=r"method = 'vertex' must be one of"):
        nash_equilibria(MatrixGame.zero_sum(np.eye(2)), "vertex")
    with pytest.raises(ValueError, match=r"needs a MatrixGame"):
        nash_equilibria([np.eye(2), np.eye(2)])
