"""Plain NumPy + ``scipy.optimize.linprog`` references for the compiled stage solver (not public).

:func:`stage_values_reference` solves each matrix game with one HiGHS LP
(the row player's program of :mod:`._zero_sum`), and
:func:`shapley_backup_reference` is one Shapley backup built on it: the
reference the compiled sweep is held equal to (within the certificates) in
``tests/tabular/games/test_stage.py`` and timed against in
``benchmarks/bench_shapley.py``.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize


def _linprog_game(M: np.ndarray):
    """``(value, x, y)`` of one matrix game (row player maximizes) by one HiGHS LP."""
    m, n = M.shape
    c = np.zeros(m + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-M.T, np.ones((n, 1))])
    A_eq = np.zeros((1, m + 1))
    A_eq[0, :m] = 1.0
    res = scipy.optimize.linprog(
        c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0], bounds=[(0, None)] * m + [(None, None)], method="highs"
    )
    if res.status != 0:
        raise RuntimeError(f"linprog failed: {res.message}")
    return float(res.x[-1]), res.x[:m], -np.asarray(res.ineqlin.marginals)


def stage_values_reference(Q: np.ndarray):
    """Values, row strategies and column strategies of ``Q[s]`` for every ``s`` (one LP each)."""
    S, m, n = Q.shape
    values, X, Y = np.empty(S), np.empty((S, m)), np.empty((S, n))
    for s in range(S):
        values[s], X[s], Y[s] = _linprog_game(Q[s])
    return values, X, Y


def shapley_backup_reference(P: np.ndarray, R: np.ndarray, gamma: float, v: np.ndarray):
    """One Shapley backup ``(T v, X, Y)``: ``Q = R + gamma P v`` in NumPy, then one LP per state."""
    S, A, B = R.shape
    Q = R + gamma * (np.asarray(P).reshape(S * A * B, S) @ v).reshape(S, A, B)
    return stage_values_reference(Q)
