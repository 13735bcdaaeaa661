"""Littman's soccer: the rules of Littman (1994, Sec. 5) on hand-picked transitions."""

import numpy as np
import pytest

from rltheory.tabular.games import SoccerGame, littman_soccer

N, S_, E, W, STAND = range(5)


@pytest.fixture(scope="module")
def soccer():
    return littman_soccer()


def cell(soccer, r, c):
    return r * soccer.cols + c


def test_layout(soccer):
    assert isinstance(soccer, SoccerGame)
    assert soccer.game.n_states == 2 * 20 * 19 and soccer.game.gamma == 0.9
    a, b, ball = soccer.states[soccer.initial_states[0]]
    assert (a, b, ball) == (cell(soccer, 2, 3), cell(soccer, 1, 1), 0)


def test_goal_and_reset(soccer):
    s = soccer.state_index(cell(soccer, 1, 0), cell(soccer, 3, 4), 0)  # A with the ball at the left goal mouth
    assert soccer.game.R[s, W, STAND] == 1.0  # scores whatever the order
    assert soccer.game.P[s, W, STAND, soccer.initial_states].tolist() == [0.5, 0.5]
    t = soccer.state_index(cell(soccer, 0, 0), cell(soccer, 3, 4), 0)  # row 0 is not a goal row: A stays
    assert soccer.game.R[t, W, STAND] == 0.0 and soccer.game.P[t, W, STAND, t] == 1.0
    u = soccer.state_index(cell(soccer, 3, 4), cell(soccer, 2, 4), 1)  # B carries the ball into the right goal
    assert soccer.game.R[u, STAND, E] == -1.0


def test_collision_passes_the_ball(soccer):
    s = soccer.state_index(cell(soccer, 1, 1), cell(soccer, 1, 2), 0)  # A (ball) walks into B standing still
    t = soccer.state_index(cell(soccer, 1, 1), cell(soccer, 1, 2), 1)
    assert soccer.game.P[s, E, STAND, t] == 1.0
    # B walks into A who holds the ball: nobody moves, A keeps it
    assert soccer.game.P[s, STAND, W, s] == 1.0


def test_random_order(soccer):
    # both step into the same free cell (1, 2): the first mover takes it, the second is blocked; with the ball
    # at A, A first -> A at (1, 2) keeps the ball; B first -> B at (1, 2), A blocked, ball to the standing B
    s = soccer.state_index(cell(soccer, 1, 1), cell(soccer, 1, 3), 0)
    a_first = soccer.state_index(cell(soccer, 1, 2), cell(soccer, 1, 3), 0)
    b_first = soccer.state_index(cell(soccer, 1, 1), cell(soccer, 1, 2), 1)
    assert soccer.game.P[s, E, W, a_first] == 0.5 and soccer.game.P[s, E, W, b_first] == 0.5
    assert np.allclose(soccer.game.P.sum(axis=3), 1.0)


def test_errors():
    with pytest.raises(ValueError, match=r"cols = 2 must be >= 3"):
        littman_soccer(cols=2)
    with pytest.raises(ValueError, match=r"no state with A at 0, B at 0"):
        littman_soccer(rows=2, cols=3).state_index(0, 0, 0)
