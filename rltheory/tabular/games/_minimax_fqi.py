r"""Minimax fitted Q-iteration for discounted zero-sum Markov games, on tabular or linear features.

Fan, Wang, Xie & Yang (2020, Sec. 6, Algorithm 2, "Minimax-FQI"): at
iteration ``k`` draw ``n`` fresh samples :math:`(s_j, a_j, b_j) \sim \sigma`,
:math:`s_j' \sim P(\cdot|s_j, a_j, b_j)`, regress the targets

.. math::

    y_j = r(s_j, a_j, b_j) + \gamma\, \mathrm{val}\, Q_k(s_j', \cdot, \cdot)

on the features :math:`\phi(s, a, b)` by least squares (one-hot features:
the per-cell sample means, the tabular case), :math:`Q_{k+1} = \phi^\top
w_{k+1}`, and output the minimax policies of :math:`Q_K` (maximin for the
max player, minimax for the min player, per state).

*Error propagation* (the deterministic part of their Thm. 6.1, sup-norm
form): with :math:`\epsilon_k = \|Q_{k+1} - T Q_k\|_\infty` (``T`` the
Shapley-Bellman operator :math:`TQ = r + \gamma P\,\mathrm{val}\,Q`, a
:math:`\gamma`-contraction),

.. math::

    \|Q_K - Q^*\|_\infty \le \sum_{k<K} \gamma^{K-1-k} \epsilon_k + \gamma^K \|Q_0 - Q^*\|_\infty,

and the greedy minimax policies of :math:`Q_K` have duality gap at most
:math:`4\|Q_K - Q^*\|_\infty / (1-\gamma)` (each policy loses at most
:math:`2\|Q_K - Q^*\|_\infty/(1 - \gamma)`, the standard greedy-policy
bound applied to each player's induced MDP). ``bellman_errors`` reports
the :math:`\epsilon_k` measured on the true model (a diagnostic: the
algorithm sees only samples), so both bounds can be checked exactly.

References
----------
J. Fan, Z. Wang, Y. Xie and Z. Yang, "A theoretical analysis of deep
Q-learning", L4DC 2020 (Minimax-FQI, Algorithm 2 and Thm. 6.1).
L. S. Shapley, "Stochastic games", PNAS 39(10) (1953).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import as_generator, check_finite, check_int, check_probability_vector, readonly
from rltheory.tabular.games._markov import MarkovGame, markov_exploitability
from rltheory.tabular.games._stage import solve_stages

__all__ = ["MinimaxFQIResult", "minimax_fqi"]


def _stage_values(Q: np.ndarray):
    """Certified stage values of ``Q`` (S, A, B): (midpoints, half-widths, max strategies, min strategies)."""
    S, A, B = Q.shape
    X, Y = np.empty((S, A)), np.empty((S, B))
    lo, hi, ok = np.empty(S), np.empty(S), np.empty(S, dtype=np.bool_)
    solve_stages(np.ascontiguousarray(Q), X, Y, lo, hi, ok)
    return 0.5 * (lo + hi), 0.5 * (hi - lo), X, Y


@dataclass(frozen=True, eq=False)
class MinimaxFQIResult:
    r"""Result of :func:`minimax_fqi`.

    Attributes
    ----------
    q : numpy.ndarray, shape (S, A, B)
        :math:`Q_K`.
    max_action_probabilities : numpy.ndarray, shape (S, A)
    min_action_probabilities : numpy.ndarray, shape (S, B)
        Minimax strategies of every :math:`Q_K(s)`.
    bellman_errors : numpy.ndarray, shape (n_iterations,)
        :math:`\epsilon_k = \|Q_{k+1} - T Q_k\|_\infty` on the true model (plus the stage solves' certified
        half-widths, so the propagation bound holds as stated).
    duality_gap : float
        Exact duality gap of the output policies (:func:`markov_exploitability`).
    iterations : int

    Examples
    --------
    With one state and noiseless rewards every sampled target is exact, so tabular FQI is Shapley value
    iteration: on ``[[3, -1], [-2, 1]]`` (value 1/7) at ``gamma = 1/2``, ``Q_K -> r + gamma v* = r + 1/7``:

    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, minimax_fqi
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[3.0, -1.0], [-2.0, 1.0]]], gamma=0.5)
    >>> res = minimax_fqi(game, 40, 400, rng=0)
    >>> res.iterations, res.q[0].round(6).tolist()
    (40, [[3.142857, -0.857143], [-1.857143, 1.142857]])
    >>> res.max_action_probabilities.round(6).tolist(), res.min_action_probabilities.round(6).tolist()
    ([[0.428571, 0.571429]], [[0.285714, 0.714286]])
    >>> bool(res.bellman_errors.max() <= 1e-9), bool(res.duality_gap <= 1e-9)
    (True, True)
    """

    q: np.ndarray
    max_action_probabilities: np.ndarray
    min_action_probabilities: np.ndarray
    bellman_errors: np.ndarray
    duality_gap: float
    iterations: int


def minimax_fqi(
    game: MarkovGame, n_iterations: int, n_samples: int, *, features=None, sampling=None, rng=None
) -> MinimaxFQIResult:
    r"""Minimax-FQI (Fan et al. 2020, Algorithm 2) with fresh samples every iteration (module docstring).

    Parameters
    ----------
    game : MarkovGame
        Discounted (``gamma < 1``, no horizon); rewards observed without noise.
    n_iterations : int
        ``K``.
    n_samples : int
        ``n`` samples per iteration.
    features : array_like, shape (S, A, B, d), optional
        :math:`\phi`; one-hot (tabular) when omitted.
    sampling : array_like, shape (S, A, B), optional
        :math:`\sigma`, a distribution over state-action triples; uniform when omitted.
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    MinimaxFQIResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, minimax_fqi
    >>> rng = np.random.default_rng(0)
    >>> game = MarkovGame(rng.dirichlet(np.ones(2), size=(2, 2, 2)), rng.uniform(size=(2, 2, 2)), gamma=0.5)
    >>> res = minimax_fqi(game, 20, 4000, rng=1)
    >>> bool(res.duality_gap < 0.2), res.bellman_errors.shape
    (True, (20,))
    """
    if not isinstance(game, MarkovGame):
        raise ValueError(f"minimax_fqi needs a MarkovGame, got {type(game).__name__}")
    game.require_discounted("minimax_fqi")
    K = check_int("n_iterations", n_iterations, low=1)
    n = check_int("n_samples", n_samples, low=1)
    S, A, B = game.n_states, game.n_max_actions, game.n_min_actions
    if features is None:
        phi = np.eye(S * A * B)
    else:
        phi = np.array(features, dtype=float)
        if phi.ndim != 4 or phi.shape[:3] != (S, A, B):
            raise ValueError(f"features has shape {phi.shape}, expected ({S}, {A}, {B}, d)")
        check_finite("features", phi)
        phi = phi.reshape(S * A * B, -1)
    sigma = (
        np.full(S * A * B, 1.0 / (S * A * B))
        if sampling is None
        else check_probability_vector("sampling", np.asarray(sampling, dtype=float).ravel(), S * A * B)
    )
    gen = as_generator(rng)
    P = np.asarray(game.P).reshape(S * A * B, S)
    R = np.asarray(game.R).ravel()
    cumP = np.cumsum(P, axis=1)
    g = game.gamma
    Q = np.zeros(S * A * B)
    errors = np.empty(K)
    for k in range(K):
        v, half, _, _ = _stage_values(Q.reshape(S, A, B))
        cells = gen.choice(S * A * B, size=n, p=sigma)
        nxt = np.minimum((gen.random(n)[:, None] >= cumP[cells]).sum(axis=1), S - 1)
        y = R[cells] + g * v[nxt]
        w = np.linalg.lstsq(phi[cells], y, rcond=None)[0]
        Q_next = phi @ w
        errors[k] = float(np.max(np.abs(Q_next - (R + g * P @ v)))) + g * float(np.max(half))
        Q = Q_next
    _, _, X, Y = _stage_values(Q.reshape(S, A, B))
    X = np.maximum(X, 0.0)
    X /= X.sum(axis=1, keepdims=True)
    Y = np.maximum(Y, 0.0)
    Y /= Y.sum(axis=1, keepdims=True)
    ex = markov_exploitability(game, X, Y)
    return MinimaxFQIResult(
        q=readonly(Q.reshape(S, A, B)),
        max_action_probabilities=readonly(X),
        min_action_probabilities=readonly(Y),
        bellman_errors=readonly(errors),
        duality_gap=float(ex.duality_gap),
        iterations=K,
    )
