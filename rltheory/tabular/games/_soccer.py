r"""Littman's (1994) grid soccer as a discounted zero-sum Markov game.

Two players, A (the max player) and B, on a ``rows x cols`` grid; one of
them holds the ball. Each picks N, S, E, W or stand; the two moves are
executed in random order (each order with probability 1/2). A player whose
move would enter the other's square does not move, and the ball goes to the
player who stood still (Littman 1994, Sec. 5). Carrying the ball off the
left edge through the goal rows (the middle two rows; the middle row when
``rows`` is odd) scores +1 for A; off the right edge, -1 (whoever carries
it). After a goal the game restarts from A at ``(rows // 2, cols - 2)``, B at
``(rows // 2 - 1, 1)`` (row, column; 0-based), the ball to either player with
probability 1/2; a move off any other edge leaves the player in place.
Littman's instance is ``rows = 4, cols = 5, gamma = 0.9``.

References
----------
M. L. Littman, "Markov games as a framework for multi-agent reinforcement
learning", ICML 1994.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import check_discount, check_int, readonly
from rltheory.tabular.games._markov import MarkovGame

__all__ = ["SoccerGame", "littman_soccer"]

#: Action order of both players.
SOCCER_ACTIONS = ("N", "S", "E", "W", "stand")
_MOVES = ((-1, 0), (1, 0), (0, 1), (0, -1), (0, 0))


@dataclass(frozen=True, eq=False)
class SoccerGame:
    r"""Result of :func:`littman_soccer`: the Markov game and its state layout.

    Attributes
    ----------
    game : MarkovGame
        ``S = 2 (rows cols) (rows cols - 1)`` states, 5 actions each, reward
        to A.
    states : numpy.ndarray of int64, shape (S, 3)
        ``(cell of A, cell of B, ball)`` with cell ``= row * cols + col`` and
        ``ball`` 0 when A holds it, 1 when B does.
    initial_states : numpy.ndarray of int64, shape (2,)
        The two restart states (ball to A, ball to B).
    rows, cols : int

    Examples
    --------
    >>> from rltheory.tabular.games import littman_soccer
    >>> soccer = littman_soccer(rows=2, cols=3)  # 6 cells: 2 * 6 * 5 = 60 states
    >>> soccer.game.n_states, soccer.rows, soccer.cols
    (60, 2, 3)
    >>> soccer.states[soccer.initial_states].tolist()  # A restarts at (1, 1) = cell 4, B at (0, 1) = cell 1
    [[4, 1, 0], [4, 1, 1]]
    """

    game: MarkovGame
    states: np.ndarray
    initial_states: np.ndarray
    rows: int
    cols: int

    def state_index(self, cell_a: int, cell_b: int, ball: int) -> int:
        """Index of the state ``(cell_a, cell_b, ball)``.

        Examples
        --------
        >>> from rltheory.tabular.games import littman_soccer
        >>> soccer = littman_soccer(rows=2, cols=3)
        >>> bool(soccer.state_index(4, 1, 0) == soccer.initial_states[0])
        True
        >>> s = soccer.state_index(3, 5, 0)  # A holds the ball at (1, 0), next to its goal on the left
        >>> float(soccer.game.R[s, 3, 4])  # A moves W while B stands: a goal in either order
        1.0
        """
        st = self.states
        hit = np.flatnonzero((st[:, 0] == cell_a) & (st[:, 1] == cell_b) & (st[:, 2] == ball))
        if hit.size != 1:
            raise ValueError(f"no state with A at {cell_a}, B at {cell_b}, ball {ball}")
        return int(hit[0])


def littman_soccer(rows: int = 4, cols: int = 5, gamma: float = 0.9) -> SoccerGame:
    r"""Build Littman's grid soccer game (module docstring).

    Examples
    --------
    >>> from rltheory.tabular.games import littman_soccer
    >>> soccer = littman_soccer()
    >>> soccer.game
    MarkovGame(n_states=760, n_max_actions=5, n_min_actions=5, gamma=0.9)
    """
    rows = check_int("rows", rows, low=2)
    cols = check_int("cols", cols, low=3)
    gamma = check_discount(gamma)
    cells = rows * cols
    goal_rows = {rows // 2 - 1, rows // 2} if rows % 2 == 0 else {rows // 2}
    states = [(a, b, ball) for a in range(cells) for b in range(cells) if a != b for ball in (0, 1)]
    index = {s: k for k, s in enumerate(states)}
    S = len(states)
    start = ((rows // 2) * cols + cols - 2, (rows // 2 - 1) * cols + 1)
    resets = np.array([index[(start[0], start[1], 0)], index[(start[0], start[1], 1)]], dtype=np.int64)
    P = np.zeros((S, 5, 5, S))
    R = np.zeros((S, 5, 5))

    def move(pos, ball, who, action):
        """One player's move: returns (positions, ball, goal) with goal in {0, +1, -1}."""
        mine = pos[who]
        r, c = divmod(mine, cols)
        dr, dc = _MOVES[action]
        nr, nc = r + dr, c + dc
        has_ball = ball == who
        if not (0 <= nc < cols) and 0 <= nr < rows and has_ball and r in goal_rows:
            return pos, ball, (1 if nc < 0 else -1)
        if not (0 <= nr < rows and 0 <= nc < cols):
            return pos, ball, 0
        target = nr * cols + nc
        if target == pos[1 - who]:
            return pos, 1 - who, 0  # blocked: the ball goes to the player standing still
        new = list(pos)
        new[who] = target
        return tuple(new), ball, 0

    for k, (a_cell, b_cell, ball) in enumerate(states):
        for ua in range(5):
            for ub in range(5):
                for first in (0, 1):
                    pos, bl = (a_cell, b_cell), ball
                    goal = 0
                    for who in (first, 1 - first):
                        pos, bl, goal = move(pos, bl, who, ua if who == 0 else ub)
                        if goal:
                            break
                    if goal:
                        R[k, ua, ub] += 0.5 * goal
                        P[k, ua, ub, resets] += 0.25
                    else:
                        P[k, ua, ub, index[(pos[0], pos[1], bl)]] += 0.5
    game = MarkovGame(P, R, gamma=gamma)
    return SoccerGame(
        game=game,
        states=readonly(np.array(states, dtype=np.int64)),
        initial_states=readonly(resets),
        rows=rows,
        cols=cols,
    )
