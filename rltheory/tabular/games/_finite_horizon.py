r"""Shapley backward induction: the exact solution of a finite-horizon zero-sum Markov game, certified.

With horizon ``H`` and terminal value ``v_H = 0``, the value of the game
with ``H - h`` stages to go is (Shapley 1953; Filar & Vrieze 1997, Sec. 4.1)

.. math::

    v^*_h(s) = \mathrm{val}\, Q_h(s), \qquad
    Q_h(s)[a, b] = r(s,a,b) + \gamma \sum_{s'} P(s'|s,a,b)\, v^*_{h+1}(s'),

and a maximin / minimax strategy pair of every stage game ``Q_h(s)`` is a
Markov (non-stationary) equilibrium of the whole game: it attains
:math:`v^*_h` against any opponent, by induction on ``h`` (Filar & Vrieze
1997, Thm. 4.1.1 / the finite-stage form of Shapley's argument).

*Certificates.* Each stage game is solved exactly by the compiled stage
solver of :mod:`._stage` (pure saddle, the 2x2 closed form, or a dense
simplex; a HiGHS LP fallback), and every solution ``(x, y)`` is certified
by weak duality on the matrix it solved: ``lo = min_b (x^T Q)_b <= val Q <=
max_a (Q y)_a = hi``. Stage ``h`` is solved at the midpoint ``m_{h+1}`` of
the certified interval of the next stage. Since ``P(.|s,a,b)`` sums to 1,
``Q_{m} - gamma max(m - w) <= Q_w <= Q_m + gamma max(w - m)`` elementwise
for any ``w``, and ``val`` is monotone, so

.. math::

    v^{\mathrm{lo}}_h = lo_h - \gamma \max_{s'} (m_{h+1} - v^{\mathrm{lo}}_{h+1})
    \;\le\; v^*_h \;\le\;
    hi_h + \gamma \max_{s'} (v^{\mathrm{hi}}_{h+1} - m_{h+1}) = v^{\mathrm{hi}}_h .

The same recursion bounds what the returned policies guarantee: with
``g_h`` the max player's guaranteed value ``min_{y'} v_h^{x, y'}``, ``g_h(s)
= min_b sum_a x_h(a|s) Q_{g_{h+1}}(s)[a, b] >= lo_h - gamma max(m_{h+1} -
g_{h+1})``, and ``g_H = 0``; symmetrically for the min player. So the
policy pair's duality gap is at most ``max_s (v_hi_0 - v_lo_0)``, the
certified width. All of this holds in exact arithmetic; rounding adds
``O(eps (S + A B) H (|r|_max + ||v||_inf))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import readonly
from rltheory.tabular.games._markov import MarkovGame
from rltheory.tabular.games._shapley import _Backup

__all__ = ["ShapleyBackwardInductionResult", "shapley_backward_induction"]


@dataclass(frozen=True, eq=False)
class ShapleyBackwardInductionResult:
    r"""Result of :func:`shapley_backward_induction`.

    Attributes
    ----------
    v : numpy.ndarray, shape (H + 1, S)
        Midpoints of the certified intervals, stage-major: ``v[h]`` is the
        value with ``H - h`` stages to go, ``v[H] = 0``.
    q : numpy.ndarray, shape (H, S, A, B)
        The stage matrices solved: ``q[h, s] = r(s) + gamma P(s) v[h + 1]``.
    max_action_probabilities : numpy.ndarray, shape (H, S, A)
        The max player's Markov policy: a maximin strategy of every ``q[h, s]``.
    min_action_probabilities : numpy.ndarray, shape (H, S, B)
        The min player's Markov policy (minimax strategies).
    v_lower, v_upper : numpy.ndarray, shape (H + 1, S)
        Certified ``v_lower <= v* <= v_upper`` (module docstring).
    bound : float
        ``max(v_upper - v_lower)`` over all stages and states.
    policy_suboptimality_bound : float
        Certified bound on the policy pair's duality gap
        ``max_s (max_{x'} v_0^{x', y}(s) - min_{y'} v_0^{x, y'}(s))``
        (``max_s (v_upper[0] - v_lower[0])``, module docstring).
    stage_gap : float
        Largest certified gap ``hi - lo`` of a stage solve.
    lp_fallbacks : int
        Stage games that needed the HiGHS LP fallback.
    iterations : int
        Stages solved (``H``).
    converged : bool
        Always ``True`` (backward induction is finite).

    Examples
    --------
    One state repeating ``[[3, -1], [-2, 1]]`` (value 1/7, maximin ``x = (3/7, 4/7)``,
    minimax ``y = (2/7, 5/7)``) for two undiscounted stages: 2/7 with two stages to go, 1/7 with one.

    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, shapley_backward_induction
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[3.0, -1.0], [-2.0, 1.0]]], gamma=1.0, horizon=2)
    >>> res = shapley_backward_induction(game)
    >>> res.v[:, 0].round(6).tolist(), res.iterations, res.converged
    ([0.285714, 0.142857, 0.0], 2, True)
    >>> res.max_action_probabilities[:, 0].round(6).tolist()  # the same stage game at both stages (shifted by 1/7)
    [[0.428571, 0.571429], [0.428571, 0.571429]]
    >>> res.min_action_probabilities[0, 0].round(6).tolist(), bool(res.bound <= 1e-9)
    ([0.285714, 0.714286], True)
    """

    v: np.ndarray
    q: np.ndarray
    max_action_probabilities: np.ndarray
    min_action_probabilities: np.ndarray
    v_lower: np.ndarray
    v_upper: np.ndarray
    bound: float
    policy_suboptimality_bound: float
    stage_gap: float
    lp_fallbacks: int
    iterations: int
    converged: bool


def shapley_backward_induction(game: MarkovGame) -> ShapleyBackwardInductionResult:
    r"""The value and a Markov equilibrium of a finite-horizon zero-sum Markov game, with certified bounds.

    Backward induction on Shapley's stage games (module docstring):
    ``v_H = 0``, then for ``h = H - 1, ..., 0`` every stage game
    ``Q_h(s) = r(s) + gamma P(s) v_{h+1}`` is solved exactly (one compiled
    call for all states) and certified by weak duality; the certified
    intervals are propagated by the monotone, translation-covariant
    recursion of the module docstring.

    Parameters
    ----------
    game : MarkovGame
        With a ``horizon`` (any ``gamma`` in ``[0, 1]``).

    Returns
    -------
    ShapleyBackwardInductionResult

    Raises
    ------
    ValueError
        When the game has no horizon (use :func:`shapley_value_iteration`).

    References
    ----------
    L. S. Shapley, "Stochastic games", PNAS 39(10) (1953).
    J. Filar and K. Vrieze, *Competitive Markov Decision Processes*,
    Springer (1997), Sec. 4.1 (finite-stage games).

    Examples
    --------
    Matching pennies played twice, the second round worth a bonus of +1 to
    the max player when both chose Heads in the first:

    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, shapley_backward_induction
    >>> P = np.zeros((2, 2, 2, 2)); P[:, :, :, 0] = 1.0; P[0, 0, 0] = [0.0, 1.0]
    >>> R = np.array([[[1.0, -1.0], [-1.0, 1.0]], [[2.0, 0.0], [0.0, 2.0]]])
    >>> res = shapley_backward_induction(MarkovGame(P, R, gamma=1.0, horizon=2))
    >>> np.round(res.v[:, 0], 6)  # val of [[1 + 1, -1], [-1, 1]] = 1/5 with one stage of pennies (value 0) left
    array([0.2, 0. , 0. ])
    >>> np.round(res.max_action_probabilities[0, 0], 6), res.policy_suboptimality_bound < 1e-12
    (array([0.4, 0.6]), True)
    """
    if not isinstance(game, MarkovGame):
        raise ValueError(f"shapley_backward_induction needs a MarkovGame, got {type(game).__name__}")
    if game.horizon is None:
        raise ValueError(
            "shapley_backward_induction solves finite-horizon games (MarkovGame(..., horizon=H)); "
            "use shapley_value_iteration for a discounted game"
        )
    H, S, A, B = game.horizon, game.n_states, game.n_max_actions, game.n_min_actions
    g = game.gamma
    backup = _Backup(game)
    v_lo = np.zeros((H + 1, S))
    v_hi = np.zeros((H + 1, S))
    mid = np.zeros((H + 1, S))
    Q = np.empty((H, S, A, B))
    X = np.empty((H, S, A))
    Y = np.empty((H, S, B))
    stage_gap = 0.0
    for h in range(H - 1, -1, -1):
        backup(mid[h + 1])
        lo, hi = backup.lo, backup.hi
        Q[h], X[h], Y[h] = backup.Q, backup.X, backup.Y
        # monotonicity and P(.|s,a,b) summing to 1 (module docstring)
        v_lo[h] = lo - g * float(np.max(mid[h + 1] - v_lo[h + 1]))
        v_hi[h] = hi + g * float(np.max(v_hi[h + 1] - mid[h + 1]))
        mid[h] = 0.5 * (v_lo[h] + v_hi[h])
        stage_gap = max(stage_gap, float(np.max(hi - lo)))
    return ShapleyBackwardInductionResult(
        v=readonly(mid),
        q=readonly(Q),
        max_action_probabilities=readonly(X),
        min_action_probabilities=readonly(Y),
        v_lower=readonly(v_lo),
        v_upper=readonly(v_hi),
        bound=float(np.max(v_hi - v_lo)),
        policy_suboptimality_bound=float(np.max(v_hi[0] - v_lo[0])),
        stage_gap=stage_gap,
        lp_fallbacks=int(backup.fallbacks),
        iterations=H,
        converged=True,
    )
