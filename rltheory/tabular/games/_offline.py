r"""Offline two-player zero-sum Markov games: pessimistic minimax value iteration with a certified gap.

From a dataset of transitions (counts :math:`N_h(s, a, b, s')`, rewards
known) the learner builds a *lower* model for the max player and an *upper*
model for the min player (Zhong, Xiong, Yang & Wang 2022, PMVI, Algorithm 1;
the tabular form of Cui & Du 2022's pessimism):

.. math::

    \underline Q_h = \max\{r + \gamma \hat P_h \underline V_{h+1} - b_h,\ V^{\min}_h\}, \qquad
    \overline Q_h = \min\{r + \gamma \hat P_h \overline V_{h+1} + b_h,\ V^{\max}_h\},

unvisited joint actions at the bounds, and plays the max player's maximin
strategy :math:`\hat\mu_h(s)` of :math:`\underline Q_h(s)` and the min
player's minimax strategy :math:`\hat\nu_h(s)` of :math:`\overline Q_h(s)`,
with :math:`\underline V_h(s) = \min_b \hat\mu_h(s)^\top \underline Q_h(s)
e_b`, :math:`\overline V_h(s) = \max_a e_a^\top \overline Q_h(s)
\hat\nu_h(s)` (the compiled stage solver's weak-duality values, valid for
whatever strategies it returns).

*The bonus and the certificate* (derived here, explicit constants): with
:math:`b_h = \tfrac{\gamma}{2}(V^{\max}_{h+1} - V^{\min}_{h+1}) \sqrt{2(S\log 2
+ \log(HSABK/\delta))/N_h(s,a,b)}` the :math:`\ell_1` deviation bound of the
empirical transitions (Weissman et al. 2003) holds for every ``(h, s, a,
b)`` and every count up to the ``K`` episodes with probability ``>= 1 -
delta``; on that event, by induction on ``h``,
:math:`V_h^{\hat\mu,\dagger} \ge \underline V_h` and
:math:`V_h^{\dagger,\hat\nu} \le \overline V_h`, so the duality gap of
:math:`(\hat\mu, \hat\nu)` is at most :math:`\rho^\top(\overline V_1 -
\underline V_1)` -- a certificate computed from the data alone. It shrinks
to zero when the data cover every *unilateral* deviation from a Nash
equilibrium (:math:`(\mu^*, b)` and :math:`(a, \nu^*)` for all actions), the
coverage Cui & Du (2022) show is sufficient and, in general, necessary
(covering the Nash pair alone is not enough).

References
----------
H. Zhong, W. Xiong, J. Tan, L. Wang, T. Zhang, Z. Wang and Z. Yang,
"Pessimistic minimax value iteration: provably efficient equilibrium
learning from offline datasets", ICML 2022.
Q. Cui and S. S. Du, "When is offline two-player zero-sum Markov game
solvable?", NeurIPS 2022 (unilateral concentration).
T. Weissman, E. Ordentlich, G. Seroussi, S. Verdu and M. J. Weinberger,
"Inequalities for the L1 deviation of the empirical distribution", HP Labs
HPL-2003-97 (2003), Thm. 2.1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rltheory._validation import as_generator, check_finite, check_int, check_probability, check_shape, readonly
from rltheory.tabular.games._markov import MarkovGame, markov_exploitability
from rltheory.tabular.games._selfplay import start_distribution
from rltheory.tabular.games._stage import solve_stages

__all__ = ["PessimisticMinimaxResult", "pessimistic_minimax_value_iteration", "sample_transition_counts"]


def _require_horizon(game, who):
    if not isinstance(game, MarkovGame):
        raise ValueError(f"{who} needs a MarkovGame, got {type(game).__name__}")
    if game.horizon is None:
        raise ValueError(f"{who} works on finite-horizon games (MarkovGame(..., horizon=H))")


def sample_transition_counts(game: MarkovGame, behavior, n_episodes: int, *, rng=None) -> np.ndarray:
    r"""Counts :math:`N_h(s, a, b, s')` of ``n_episodes`` episodes played with a joint ``behavior`` policy.

    Parameters
    ----------
    game : MarkovGame
        With a horizon; start states from its initial distribution (uniform if none).
    behavior : array_like, shape (H, S, A, B)
        A joint distribution over ``(a, b)`` per step and state.
    n_episodes : int
    rng : int, numpy.random.Generator, optional

    Returns
    -------
    numpy.ndarray of int64, shape (H, S, A, B, S)

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, sample_transition_counts
    >>> game = MarkovGame(np.full((2, 1, 1, 2), 0.5), np.zeros((2, 1, 1)), gamma=1.0, horizon=3)
    >>> counts = sample_transition_counts(game, np.ones((3, 2, 1, 1)), 10, rng=0)
    >>> counts.shape, counts.sum(axis=(1, 2, 3, 4)).tolist()
    ((3, 2, 1, 1, 2), [10, 10, 10])
    """
    _require_horizon(game, "sample_transition_counts")
    H, S, A, B = game.horizon, game.n_states, game.n_max_actions, game.n_min_actions
    pol = np.array(behavior, dtype=float)
    check_shape("behavior", pol, (H, S, A, B))
    check_finite("behavior", pol)
    if (pol < 0).any() or (np.abs(pol.sum(axis=(2, 3)) - 1.0) > 1e-10).any():
        raise ValueError("behavior must be a joint distribution over (a, b) for every step and state")
    K = check_int("n_episodes", n_episodes, low=1)
    gen = as_generator(rng)
    counts = np.zeros((H, S, A, B, S), dtype=np.int64)
    cumP = np.cumsum(np.asarray(game.P), axis=3)
    s = np.minimum(np.searchsorted(np.cumsum(start_distribution(game)), gen.random(K), side="right"), S - 1)
    for h in range(H):
        cum = np.cumsum(pol[h, s].reshape(K, A * B), axis=1)
        j = np.minimum((gen.random(K)[:, None] >= cum).sum(axis=1), A * B - 1)
        a, b = j // B, j % B
        t = np.minimum((gen.random(K)[:, None] >= cumP[s, a, b]).sum(axis=1), S - 1)
        np.add.at(counts, (h, s, a, b, t), 1)
        s = t
    return counts


def _distribution(p: np.ndarray) -> np.ndarray:
    """Rows clipped at 0 and renormalized (the stage solver's strategies up to rounding)."""
    p = np.maximum(p, 0.0)
    return p / p.sum(axis=1, keepdims=True)


@dataclass(frozen=True, eq=False)
class PessimisticMinimaxResult:
    r"""Result of :func:`pessimistic_minimax_value_iteration`.

    Attributes
    ----------
    max_action_probabilities : numpy.ndarray, shape (H, S, A)
        :math:`\hat\mu`, maximin strategies of the lower model.
    min_action_probabilities : numpy.ndarray, shape (H, S, B)
        :math:`\hat\nu`, minimax strategies of the upper model.
    v_lower, v_upper : numpy.ndarray, shape (H + 1, S)
        :math:`\underline V`, :math:`\overline V` (on the bonus event, :math:`\underline V_h \le
        V_h^{\hat\mu,\dagger}` and :math:`V_h^{\dagger,\hat\nu} \le \overline V_h`).
    certified_gap : float
        :math:`\rho^\top(\overline V_1 - \underline V_1)`.
    duality_gap : float
        The exact :math:`\rho^\top(V_1^{\dagger,\hat\nu} - V_1^{\hat\mu,\dagger})` (:func:`markov_exploitability`).
    stage_failures : int
        Stage solves whose simplex hit its pivot cap (their values still certify the strategies returned).

    Examples
    --------
    With one state and one step there is nothing to learn (no next value, hence no bonus): PMVI solves the
    matrix game ``[[3, -1], [-2, 1]]`` exactly, value 1/7, ``x = (3/7, 4/7)``, ``y = (2/7, 5/7)``:

    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, pessimistic_minimax_value_iteration, sample_transition_counts
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[3.0, -1.0], [-2.0, 1.0]]], gamma=1.0, horizon=1)
    >>> counts = sample_transition_counts(game, np.full((1, 1, 2, 2), 0.25), 100, rng=0)  # every (a, b) seen
    >>> res = pessimistic_minimax_value_iteration(game, counts)
    >>> res.v_lower[:, 0].round(6).tolist(), res.v_upper[:, 0].round(6).tolist()
    ([0.142857, 0.0], [0.142857, 0.0])
    >>> res.max_action_probabilities[0].round(6).tolist(), res.min_action_probabilities[0].round(6).tolist()
    ([[0.428571, 0.571429]], [[0.285714, 0.714286]])
    >>> bool(abs(res.certified_gap) <= 1e-9), bool(abs(res.duality_gap) <= 1e-9)
    (True, True)
    """

    max_action_probabilities: np.ndarray
    min_action_probabilities: np.ndarray
    v_lower: np.ndarray
    v_upper: np.ndarray
    certified_gap: float
    duality_gap: float
    stage_failures: int


def pessimistic_minimax_value_iteration(game: MarkovGame, counts, *, delta: float = 0.05) -> PessimisticMinimaxResult:
    r"""PMVI on a dataset of transition counts, with the data-dependent certificate of the module docstring.

    The transitions are learned from ``counts``; the rewards ``game.R`` and
    the start distribution are known (``game.P`` is used only to measure the
    exact duality gap of the output).

    Parameters
    ----------
    game : MarkovGame
        With a horizon.
    counts : array_like of int, shape (H, S, A, B, S)
        :math:`N_h(s, a, b, s')` from ``K`` episodes (``K = counts[0].sum()``).
    delta : float in (0, 1)

    Returns
    -------
    PessimisticMinimaxResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, pessimistic_minimax_value_iteration, sample_transition_counts
    >>> rng = np.random.default_rng(0)
    >>> game = MarkovGame(rng.dirichlet(np.ones(2), size=(2, 2, 2)), rng.uniform(size=(2, 2, 2)), gamma=1.0,
    ...                   horizon=2)
    >>> counts = sample_transition_counts(game, np.full((2, 2, 2, 2), 0.25), 2000, rng=1)
    >>> res = pessimistic_minimax_value_iteration(game, counts)
    >>> bool(0.0 <= res.duality_gap <= res.certified_gap < 1.0)
    True
    """
    _require_horizon(game, "pessimistic_minimax_value_iteration")
    H, S, A, B = game.horizon, game.n_states, game.n_max_actions, game.n_min_actions
    N = np.asarray(counts)
    check_shape("counts", N, (H, S, A, B, S))
    if not np.issubdtype(N.dtype, np.integer) or (N < 0).any():
        raise ValueError("counts must be nonnegative integers")
    K = int(N[0].sum())
    if K < 1 or (N.sum(axis=(1, 2, 3, 4)) != K).any():
        raise ValueError(
            f"counts must hold the same number K >= 1 of episodes at every step; got "
            f"{N.sum(axis=(1, 2, 3, 4)).tolist()}"
        )
    delta = check_probability("delta", delta)
    g = game.gamma
    R = np.asarray(game.R)
    rmin, rmax = float(R.min()), float(R.max())
    disc = np.array([sum(g**i for i in range(H - h)) for h in range(H + 1)])
    vmin, vmax = rmin * disc, rmax * disc
    log_term = 2.0 * (S * math.log(2.0) + math.log(H * S * A * B * K / delta))
    n = N.sum(axis=4).astype(float)  # (H, S, A, B)
    V_lo = np.zeros((H + 1, S))
    V_hi = np.zeros((H + 1, S))
    X = np.zeros((H, S, A))
    Y = np.zeros((H, S, B))
    failures = 0
    lo, hi, ok = np.empty(S), np.empty(S), np.empty(S, dtype=np.bool_)
    Xs, Ys = np.empty((S, A)), np.empty((S, B))
    for h in range(H - 1, -1, -1):
        visited = n[h] > 0
        t = np.where(visited, n[h], 1.0)
        P_hat = N[h] / t[..., None]
        bonus = 0.5 * g * (vmax[h + 1] - vmin[h + 1]) * np.sqrt(log_term / t)
        q_lo = np.where(visited, np.maximum(R + g * P_hat @ V_lo[h + 1] - bonus, vmin[h]), vmin[h])
        q_hi = np.where(visited, np.minimum(R + g * P_hat @ V_hi[h + 1] + bonus, vmax[h]), vmax[h])
        failures += solve_stages(np.ascontiguousarray(q_lo), Xs, Ys, lo, hi, ok)
        X[h] = _distribution(Xs)
        failures += solve_stages(np.ascontiguousarray(q_hi), Xs, Ys, lo, hi, ok)
        Y[h] = _distribution(Ys)
        # the values the returned strategies guarantee in the two models (valid for any strategies: the induction
        # of the module docstring only needs V_lo[h] <= min_b mu_hat^T q_lo e_b and V_hi[h] >= max_a e_a^T q_hi nu_hat)
        V_lo[h] = np.einsum("sa,sab->sb", X[h], q_lo).min(axis=1)
        V_hi[h] = np.einsum("sab,sb->sa", q_hi, Y[h]).max(axis=1)
    rho = start_distribution(game)
    ex = markov_exploitability(game, X, Y)
    return PessimisticMinimaxResult(
        max_action_probabilities=readonly(X),
        min_action_probabilities=readonly(Y),
        v_lower=readonly(V_lo),
        v_upper=readonly(V_hi),
        certified_gap=float(rho @ (V_hi[0] - V_lo[0])),
        duality_gap=float(rho @ np.asarray(ex.gap[0])),
        stage_failures=failures,
    )
