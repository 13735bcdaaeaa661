"""Stackelberg commitment: Conitzer & Sandholm's example, brute force over the vertices of the follower's
best-response regions, and the commitment advantage over every Nash equilibrium (von Stengel & Zamir 2010).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rltheory.proofs_checks._claims_games import _brute_commitment
from rltheory.tabular.games import MatrixGame, StackelbergResult, nash_equilibria, stackelberg_commitment


@st.composite
def bimatrices(draw):
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    L = np.array(draw(st.lists(st.integers(-3, 3), min_size=m * n, max_size=m * n)), dtype=float).reshape(m, n)
    F = np.array(draw(st.lists(st.integers(-3, 3), min_size=m * n, max_size=m * n)), dtype=float).reshape(m, n)
    return L, F


@given(bimatrices())
def test_against_brute_force_and_nash(instance):
    L, F = instance
    game = MatrixGame([L, F])
    res = stackelberg_commitment(game)
    assert isinstance(res, StackelbergResult)
    x = np.asarray(res.leader_strategy)
    assert np.all(x >= 0) and abs(x.sum() - 1) <= 1e-12
    # the follower's response is a best response to x (the defining constraint), recomputed here
    assert float(np.max(x @ F) - x @ F[:, res.follower_response]) <= 1e-9 * max(1, np.max(np.abs(F)))
    assert res.leader_value == pytest.approx(float(x @ L[:, res.follower_response]), abs=1e-12)
    assert res.leader_value == pytest.approx(_brute_commitment(L, F), abs=1e-8)
    ne = nash_equilibria(game, "support")
    assert res.leader_value >= float(np.max(ne.payoffs[:, 0])) - 1e-8


def test_conitzer_sandholm_example():
    # Up strictly dominates for the leader (Nash value 2); committing to (1/2, 1/2) makes the follower (who breaks
    # the tie for the leader) play Right: value 3.5
    res = stackelberg_commitment(MatrixGame([[[2, 4], [1, 3]], [[1, 0], [0, 1]]]))
    assert np.allclose(res.leader_strategy, [0.5, 0.5], atol=1e-9)
    assert res.follower_response == 1 and res.leader_value == pytest.approx(3.5, abs=1e-9)
    assert res.lp_values[0] == pytest.approx(2.0, abs=1e-9)


def test_column_player_leads():
    L, F = np.array([[2, 4], [1, 3]]), np.array([[1, 0], [0, 1]])
    res = stackelberg_commitment(MatrixGame([F.T, L.T]), leader=1)  # the same game with the roles transposed
    assert res.leader_value == pytest.approx(3.5, abs=1e-9)


def test_errors():
    with pytest.raises(ValueError, match=r"two-player games, got 3"):
        stackelberg_commitment(MatrixGame(np.zeros((3, 2, 2, 2))))
    with pytest.raises(ValueError, match=r"leader = 2 must be <= 1"):
        stackelberg_commitment(MatrixGame.zero_sum(np.eye(2)), leader=2)
