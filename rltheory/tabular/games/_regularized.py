r"""Entropy-regularized Markov games: the regularized Shapley operator, its certified fixed point, HASAC's tabular form.

*Zero-sum.* With temperature ``tau > 0`` the regularized value of a
stationary pair ``(x, y)`` is

.. math::

    v_\tau^{x,y} = \mathbb{E}^{x,y}\Big[\sum_t \gamma^t \big(r(s_t,a_t,b_t)
        + \tau H(x(s_t)) - \tau H(y(s_t))\big)\Big],

and the regularized Shapley operator replaces each stage value by the value
of the entropy-regularized matrix game (a logit QRE per state):

.. math::

    (T_\tau v)(s) = \mathrm{val}_\tau\, Q_v(s), \qquad
    \mathrm{val}_\tau(M) = \max_{x} \min_{y}\; x^\top M y + \tau H(x) - \tau H(y).

``val_tau`` is monotone in ``M`` (a max-min of functions increasing in
``M``) and ``val_tau(M + c) = val_tau(M) + c``, so ``T_tau`` is a monotone
``gamma``-contraction with ``T_tau(v + c) = T_tau v + gamma c``: the
MacQueen-Porteus bounds of :mod:`._shapley` hold verbatim and certify its
fixed point :math:`v^*_\tau`, the value of the regularized game, whose
stage strategies form its stationary QRE (Cen, Wei & Chi 2021, the
entropy-regularized zero-sum Markov game). Since ``val(M) - tau log B <= val_tau(M) <= val(M) + tau log A``,

.. math::

    -\frac{\tau \log B}{1-\gamma} \;\le\; v^*_\tau - v^* \;\le\; \frac{\tau \log A}{1-\gamma}

(apply the bounds through the monotone contraction). The stage games are
solved by the compiled kernel :mod:`._soft_stage` and certified in closed
form by weak duality; a stage it cannot certify falls back to the
continuation of :func:`~rltheory.tabular.games.qre`.

*Team games and HASAC.* :func:`heterogeneous_agent_soft_policy_iteration`
reads the game's ``R`` as a reward *both* players maximize (a cooperative
Markov game) and runs the tabular policy-iteration form of HASAC (Liu et al.
2024, Sec. 4): exact joint soft evaluation, then in a random order each
agent's soft improvement against the already-updated agent and the
not-yet-updated one,

.. math::

    \pi^{i_1}_{k+1}(\cdot|s) \propto
        \exp\big(\mathbb{E}_{a^{i_2} \sim \pi^{i_2}_k} Q_{\pi_k}(s, \cdot, a^{i_2}) / \alpha\big),
    \quad
    \pi^{i_2}_{k+1}(\cdot|s) \propto
        \exp\big(\mathbb{E}_{a^{i_1} \sim \pi^{i_1}_{k+1}} Q_{\pi_k}(s, a^{i_1}, \cdot) / \alpha\big),

where :math:`Q_{\pi}` is the soft joint action value (rewards plus
:math:`\alpha (H(\pi^1) + H(\pi^2))` from the next state on). The published
properties, checked here: the joint MaxEnt value improves monotonically,
and the limit is a quantal response equilibrium (each agent's policy is the
softmax of its own marginal soft action values).

References
----------
L. S. Shapley, "Stochastic games", PNAS 39(10) (1953).
S. Cen, Y. Wei and Y. Chi, "Fast policy extragradient methods for
competitive games with entropy regularization", NeurIPS 2021 (entropy-regularized
zero-sum Markov games and their QRE).
R. D. McKelvey and T. R. Palfrey, "Quantal response equilibria for normal form
games", Games Econ. Behav. 10 (1995).
J. Liu, Y. Zhong, S. Hu, H. Fu, Q. Fu, X. Chang and Y. Yang, "Maximum entropy
heterogeneous-agent reinforcement learning", ICLR 2024 (HASAC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.special

from rltheory._validation import as_generator, check_iteration_settings, check_real, check_tol, readonly
from rltheory.tabular.games import _soft_stage
from rltheory.tabular.games._markov import MarkovGame
from rltheory.tabular.games._matrix import MatrixGame
from rltheory.tabular.games._qre import qre
from rltheory.tabular.games._shapley import _check_v0, _macqueen

__all__ = [
    "RegularizedExploitabilityResult",
    "RegularizedShapleyResult",
    "TeamSoftPolicyIterationResult",
    "heterogeneous_agent_soft_policy_iteration",
    "regularized_markov_exploitability",
    "regularized_shapley_value_iteration",
]

#: Target certified gap of a regularized stage solve, relative to ``tau + max|Q(s)|``.
STAGE_RTOL = 1e-13


def _entropy_rows(p: np.ndarray) -> np.ndarray:
    return np.sum(scipy.special.entr(p), axis=-1)


@dataclass(frozen=True, eq=False)
class RegularizedShapleyResult:
    r"""Result of :func:`regularized_shapley_value_iteration`.

    Attributes
    ----------
    v : numpy.ndarray, shape (S,)
        Midpoint of ``[v_lower, v_upper]``: ``||v - v*_tau||_inf <= bound / 2``.
    q : numpy.ndarray, shape (S, A, B)
        ``Q_v(s) = r(s) + gamma P(s) v`` at the returned ``v``.
    max_action_probabilities, min_action_probabilities : numpy.ndarray, shapes (S, A), (S, B)
        The regularized stage equilibria (logit QRE) of ``Q_v(s)``.
    iterations : int
        Sweeps performed.
    converged : bool
        ``bound <= tol`` within ``max_iter``.
    residual : float
        Upper bound on ``||T_tau u - u||_inf`` at the last iterate ``u``.
    v_lower, v_upper : numpy.ndarray, shape (S,)
        Certified ``v_lower <= v*_tau <= v_upper``.
    bound : float
        ``max(v_upper - v_lower)``.
    policy_suboptimality_bound : float
        Certified bound on the regularized duality gap of the returned pair,
        ``max_s (max_{x'} v_tau^{x',y}(s) - min_{y'} v_tau^{x,y'}(s))``.
    stage_gap : float
        Largest certified gap of a stage solve at the last backup.
    fallbacks : int
        Stage games solved by the continuation of :func:`qre`.
    temperature : float

    Examples
    --------
    Repeated matching pennies: by symmetry the uniform pair is the stage QRE at any
    temperature, where the entropy bonuses of the two players cancel, so ``v*_tau = 0``:

    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, regularized_shapley_value_iteration
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=0.5)
    >>> res = regularized_shapley_value_iteration(game, 1.0)
    >>> res.max_action_probabilities.round(6).tolist(), res.min_action_probabilities.round(6).tolist()
    ([[0.5, 0.5]], [[0.5, 0.5]])
    >>> res.temperature, res.converged, bool(res.v_lower[0] <= 0.0 <= res.v_upper[0]), bool(res.bound <= 1e-8)
    (1.0, True, True, True)
    """

    v: np.ndarray
    q: np.ndarray
    max_action_probabilities: np.ndarray
    min_action_probabilities: np.ndarray
    iterations: int
    converged: bool
    residual: float
    v_lower: np.ndarray
    v_upper: np.ndarray
    bound: float
    policy_suboptimality_bound: float
    stage_gap: float
    fallbacks: int
    temperature: float


class _SoftBackup:
    """Preallocated buffers of the certified regularized Shapley backup, warm-started across sweeps."""

    def __init__(self, game: MarkovGame, tau: float):
        S, A, B = game.n_states, game.n_max_actions, game.n_min_actions
        self.game, self.tau = game, tau
        self.P2 = np.asarray(game.P).reshape(S * A * B, S)
        self.Q = np.empty((S, A, B))
        self.ZX, self.ZY = np.zeros((S, A)), np.zeros((S, B))
        self.X, self.Y = np.empty((S, A)), np.empty((S, B))
        self.lo, self.hi = np.empty(S), np.empty(S)
        self.ok = np.empty(S, dtype=np.bool_)
        self.u, self.w = np.empty(A), np.empty(B)
        self.fallbacks = 0

    def __call__(self, v: np.ndarray) -> None:
        g, tau = self.game, self.tau
        S, A, B = g.n_states, g.n_max_actions, g.n_min_actions
        np.multiply(self.P2 @ v, g.gamma, out=self.Q.reshape(S * A * B))
        self.Q += g.R
        failed = _soft_stage.solve_soft_stages(
            self.Q, tau, self.ZX, self.ZY, self.X, self.Y, self.lo, self.hi, self.ok, STAGE_RTOL
        )
        if failed:
            for s in np.flatnonzero(~self.ok):
                res = qre(MatrixGame.zero_sum(self.Q[s]), tau)
                x, y = (np.asarray(p, dtype=float) for p in res.strategies)
                lo, hi = _soft_stage.soft_certificate(self.Q[s], tau, x, y, self.u, self.w)
                if hi - lo < self.hi[s] - self.lo[s]:  # keep whichever certificate is tighter
                    self.X[s], self.Y[s], self.lo[s], self.hi[s] = x, y, lo, hi
                    with np.errstate(divide="ignore"):
                        self.ZX[s], self.ZY[s] = np.log(np.maximum(x, 1e-300)), np.log(np.maximum(y, 1e-300))
            self.fallbacks += int(failed)


def regularized_shapley_value_iteration(
    game: MarkovGame, temperature: float, *, tol: float = 1e-8, max_iter: int = 100_000, v0=None
) -> RegularizedShapleyResult:
    r"""Value iteration with the entropy-regularized Shapley operator, stopped on a certified bound.

    Iterates :math:`v_{k+1} = T_\tau v_k` (module docstring), each stage
    value replaced by the midpoint of its certified interval ``[lo, hi]``
    (``lo(x) = tau H(x) - tau log sum_b exp(-(x^T Q)_b / tau)``, ``hi(y) =
    -tau H(y) + tau log sum_a exp((Q y)_a / tau)``), and after each backup
    forms the MacQueen-Porteus interval

    .. math::

        lo + \tfrac{\gamma}{1-\gamma} \min(lo - v_k) \;\le\; v^*_\tau \;\le\;
        hi + \tfrac{\gamma}{1-\gamma} \max(hi - v_k)

    (valid for any monotone, ``gamma``-translation-covariant operator; proof
    in :mod:`._shapley`), stopping when its width is ``<= tol``. The
    returned policies are the stage QREs at the midpoint; fixing ``x`` gives
    the monotone operator ``T_x v(s) = lo(x(s); Q_v(s))`` whose fixed point
    is what ``x`` guarantees in the regularized game, which certifies
    ``policy_suboptimality_bound`` the same way.

    Parameters
    ----------
    game : MarkovGame
        Discounted (``gamma < 1``, no horizon).
    temperature : float
        ``tau > 0``.
    tol : float, default 1e-8
        Target width ``max(v_upper - v_lower)``.
    max_iter : int, default 100000
        Maximum number of sweeps (``0`` certifies ``v0`` with one backup).
    v0 : array_like, shape (S,), optional
        Start (zeros).

    Returns
    -------
    RegularizedShapleyResult

    References
    ----------
    S. Cen, Y. Wei and Y. Chi, NeurIPS 2021 (entropy-regularized Markov games);
    M. L. Puterman, *Markov Decision Processes* (2005), Thm. 6.6.3 (the bounds).

    Examples
    --------
    A one-state game: ``v*_tau = val_tau(A) / (1 - gamma)``, and the stage
    policy is the logit QRE of ``A`` (:func:`qre`):

    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, MatrixGame, qre, regularized_shapley_value_iteration
    >>> A = np.array([[3.0, -1.0], [-2.0, 1.0]])
    >>> res = regularized_shapley_value_iteration(MarkovGame(np.ones((1, 2, 2, 1)), A[None], gamma=0.5), 0.5)
    >>> x = qre(MatrixGame.zero_sum(A), 0.5).strategies[0]
    >>> res.converged, bool(np.allclose(res.max_action_probabilities[0], x, atol=1e-6))
    (True, True)
    """
    if not isinstance(game, MarkovGame):
        raise ValueError(f"regularized_shapley_value_iteration needs a MarkovGame, got {type(game).__name__}")
    game.require_discounted("regularized_shapley_value_iteration")
    tau = check_real("temperature", temperature, low=0.0, low_open=True)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    v = _check_v0(game, v0)
    backup = _SoftBackup(game, tau)
    k = 0
    while True:
        backup(v)
        lo, hi = backup.lo, backup.hi
        v_lower, v_upper = _macqueen(lo, hi, v, game.gamma)
        bound = float(np.max(v_upper - v_lower))
        residual = float(max(np.max(np.abs(lo - v)), np.max(np.abs(hi - v))))
        if bound <= tol or k >= max_iter:
            break
        v = 0.5 * (lo + hi)
        k += 1
    v_lower, v_upper = v_lower.copy(), v_upper.copy()
    v_mid = 0.5 * (v_lower + v_upper)
    backup(v_mid)
    c = game.gamma / (1.0 - game.gamma)
    lo, hi = backup.lo, backup.hi
    # T_x v_mid = lo and T_y v_mid = hi exactly for the returned strategies (module docstring of _shapley)
    policy_bound = float(np.max((hi + c * float(np.max(hi - v_mid))) - (lo + c * float(np.min(lo - v_mid)))))
    return RegularizedShapleyResult(
        v=readonly(v_mid),
        q=readonly(backup.Q.copy()),
        max_action_probabilities=readonly(backup.X.copy()),
        min_action_probabilities=readonly(backup.Y.copy()),
        iterations=int(k),
        converged=bool(bound <= tol),
        residual=residual,
        v_lower=readonly(v_lower),
        v_upper=readonly(v_upper),
        bound=float(np.max(v_upper - v_lower)),
        policy_suboptimality_bound=policy_bound,
        stage_gap=float(np.max(hi - lo)),
        fallbacks=int(backup.fallbacks),
        temperature=tau,
    )


@dataclass(frozen=True, eq=False)
class RegularizedExploitabilityResult:
    r"""Result of :func:`regularized_markov_exploitability`.

    Attributes
    ----------
    v : numpy.ndarray, shape (S,)
        :math:`v_\tau^{x,y}`, the regularized value of the pair.
    v_max_guarantee : numpy.ndarray, shape (S,)
        :math:`\min_{y'} v_\tau^{x,y'}` (midpoint of its certified interval).
    v_min_guarantee : numpy.ndarray, shape (S,)
        :math:`\max_{x'} v_\tau^{x',y}` (midpoint).
    gap : numpy.ndarray, shape (S,)
        ``v_min_guarantee - v_max_guarantee``, zero exactly at the regularized
        equilibrium (the stationary QRE).
    duality_gap : float
        ``max_s gap``.
    bound : float
        Certified: each guarantee is within ``bound / 2`` of the exact one, so
        the exact regularized duality gap is within ``bound`` of ``duality_gap``.
    temperature : float

    Examples
    --------
    Repeated matching pennies at ``tau = 1``, ``gamma = 1/2``; the max player always plays Heads, the min
    player flips a fair coin. Every stage pays 0 on average and costs the min player ``tau log 2`` of entropy,
    so ``v = -2 log 2``; the min player's soft best response earns ``-log(e + 1/e)`` per stage, so
    ``min_y' v = -2 log(e + 1/e)``; against the coin the max player can do no better than 0:

    >>> import math
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, regularized_markov_exploitability
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=0.5)
    >>> r = regularized_markov_exploitability(game, [0], [[0.5, 0.5]], 1.0)
    >>> r.v.round(6).tolist(), round(-2 * math.log(2), 6)
    ([-1.386294], -1.386294)
    >>> r.v_max_guarantee.round(6).tolist(), round(r.duality_gap, 6), round(2 * math.log(math.e + 1 / math.e), 6)
    ([-2.253856], 2.253856, 2.253856)
    >>> bool(abs(r.v_min_guarantee[0]) <= r.bound + 1e-9), r.temperature
    (True, 1.0)
    """

    v: np.ndarray
    v_max_guarantee: np.ndarray
    v_min_guarantee: np.ndarray
    gap: np.ndarray
    duality_gap: float
    bound: float
    temperature: float


def regularized_markov_exploitability(
    game: MarkovGame, max_policy, min_policy, temperature: float, *, tol: float = 1e-10
) -> RegularizedExploitabilityResult:
    r"""Regularized best-response values of a stationary pair: the certificate of a regularized equilibrium.

    With ``y`` fixed, the max player faces the entropy-regularized MDP with
    reward :math:`r^y(s,a) - \tau H(y(s))` and transitions :math:`P^y`, whose
    soft optimum :math:`\max_{x'} v_\tau^{x',y}` is computed with certified
    bounds by :func:`~rltheory.tabular.soft_value_iteration`; with ``x``
    fixed, the min player's MDP has reward :math:`-r^x(s,b) - \tau H(x(s))`
    and soft optimum :math:`-\min_{y'} v_\tau^{x,y'}`. Then

    .. math::

        \min_{y'} v_\tau^{x,y'} \le v^*_\tau \le \max_{x'} v_\tau^{x',y},

    with equality iff ``(x, y)`` is the regularized equilibrium.

    Parameters
    ----------
    game : MarkovGame
        Discounted.
    max_policy, min_policy : array_like
        ``(S,)`` actions or ``(S, A)`` / ``(S, B)`` probabilities.
    temperature : float
        ``tau > 0``.
    tol : float, default 1e-10
        Width of each soft value iteration's certified interval.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, regularized_markov_exploitability
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=0.5)
    >>> r = regularized_markov_exploitability(game, [[0.5, 0.5]], [[0.5, 0.5]], 1.0)  # the uniform pair is the QRE
    >>> bool(abs(r.duality_gap) <= r.bound + 1e-12), bool(np.allclose(r.v, 0.0))
    (True, True)
    """
    from rltheory.tabular import FiniteMDP, soft_value_iteration

    if not isinstance(game, MarkovGame):
        raise ValueError(f"regularized_markov_exploitability needs a MarkovGame, got {type(game).__name__}")
    game.require_discounted("regularized_markov_exploitability")
    tau = check_real("temperature", temperature, low=0.0, low_open=True)
    tol = check_tol(tol)
    x = game.policy_matrix(max_policy, "max")
    y = game.policy_matrix(min_policy, "min")
    hx, hy = _entropy_rows(x), _entropy_rows(y)
    Py = np.einsum("sb,sabt->sat", y, game.P)
    Ry = np.einsum("sb,sab->sa", y, game.R) - tau * hy[:, None]
    Px = np.einsum("sa,sabt->sbt", x, game.P)
    Rx = -np.einsum("sa,sab->sb", x, game.R) - tau * hx[:, None]
    up = soft_value_iteration(FiniteMDP(Py, Ry, gamma=game.gamma), tau, tol=tol)
    dn = soft_value_iteration(FiniteMDP(Px, Rx, gamma=game.gamma), tau, tol=tol)
    upper = np.asarray(up.v)
    lower = -np.asarray(dn.v)
    Pxy = np.einsum("sa,sb,sabt->st", x, y, game.P)
    rxy = np.einsum("sa,sb,sab->s", x, y, game.R) + tau * (hx - hy)
    v = np.linalg.solve(np.eye(game.n_states) - game.gamma * Pxy, rxy)
    gap = upper - lower
    return RegularizedExploitabilityResult(
        v=readonly(v),
        v_max_guarantee=readonly(lower),
        v_min_guarantee=readonly(upper),
        gap=readonly(gap),
        duality_gap=float(np.max(gap)),
        bound=float(up.bound + dn.bound),
        temperature=tau,
    )


@dataclass(frozen=True, eq=False)
class TeamSoftPolicyIterationResult:
    r"""Result of :func:`heterogeneous_agent_soft_policy_iteration`.

    Attributes
    ----------
    first_action_probabilities : numpy.ndarray, shape (S, A)
        Agent 1's policy (the game's first action axis).
    second_action_probabilities : numpy.ndarray, shape (S, B)
        Agent 2's policy.
    v : numpy.ndarray, shape (S,)
        The joint MaxEnt value :math:`V_\pi` of the final joint policy.
    q : numpy.ndarray, shape (S, A, B)
        Its soft joint action values :math:`r + \gamma P V_\pi`.
    values_history : numpy.ndarray, shape (iterations + 1, S)
        :math:`V_{\pi_k}` for every iterate (row 0 = the uniform start).
    orders : numpy.ndarray of int64, shape (iterations, 2)
        The update order of each iteration (``[0, 1]``: agent 1 first).
    residual : float
        QRE fixed-point residual of the final policy,
        ``max_{s, i} ||pi^i(s) - softmax(marginal soft Q of i / alpha)||_1``.
    iterations : int
    converged : bool
        ``residual <= tol`` within ``max_iter``.
    temperature : float
        :math:`\alpha`.

    Examples
    --------
    A one-state team game where only agent 1's action matters (reward 1 for action 0, 0 for action 1),
    ``alpha = 1``, ``gamma = 1/2``: agent 2 stays uniform and agent 1's QRE is ``softmax(1, 0)``, with
    ``V = 2 (log(e + 1) + log 2)``; the uniform start is worth ``2 (1/2 + 2 log 2)``:

    >>> import math
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, heterogeneous_agent_soft_policy_iteration
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, 1.0], [0.0, 0.0]]], gamma=0.5)
    >>> res = heterogeneous_agent_soft_policy_iteration(game, 1.0, rng=0)
    >>> res.first_action_probabilities.round(6).tolist(), round(math.e / (math.e + 1), 6)
    ([[0.731059, 0.268941]], 0.731059)
    >>> res.second_action_probabilities.round(6).tolist(), res.v.round(6).tolist()
    ([[0.5, 0.5]], [4.012818])
    >>> res.values_history[:, 0].round(6).tolist(), res.converged, res.temperature
    ([3.772589, 4.012818], True, 1.0)
    """

    first_action_probabilities: np.ndarray
    second_action_probabilities: np.ndarray
    v: np.ndarray
    q: np.ndarray
    values_history: np.ndarray
    orders: np.ndarray
    residual: float
    iterations: int
    converged: bool
    temperature: float


def _team_soft_evaluation(game: MarkovGame, x: np.ndarray, y: np.ndarray, alpha: float):
    """Exact joint soft value ``V = (I - gamma P^{xy})^{-1} (r^{xy} + alpha (H(x) + H(y)))``, ``Q = r + gamma P V``."""
    Pxy = np.einsum("sa,sb,sabt->st", x, y, game.P)
    rxy = np.einsum("sa,sb,sab->s", x, y, game.R) + alpha * (_entropy_rows(x) + _entropy_rows(y))
    V = np.linalg.solve(np.eye(game.n_states) - game.gamma * Pxy, rxy)
    return V, game.R + game.gamma * (game.P @ V)


def _team_residual(Q, x, y, alpha):
    bx = scipy.special.softmax(np.einsum("sab,sb->sa", Q, y) / alpha, axis=1)
    by = scipy.special.softmax(np.einsum("sa,sab->sb", x, Q) / alpha, axis=1)
    return float(max(np.max(np.sum(np.abs(bx - x), axis=1)), np.max(np.sum(np.abs(by - y), axis=1))))


def heterogeneous_agent_soft_policy_iteration(
    game: MarkovGame, temperature: float, *, tol: float = 1e-10, max_iter: int = 1_000, rng=None
) -> TeamSoftPolicyIterationResult:
    r"""HASAC in tabular form: heterogeneous-agent soft policy iteration on a two-agent team Markov game.

    The game's ``R`` is read as the reward *both* agents maximize, with the
    MaxEnt objective :math:`V_\pi = \mathbb{E}^\pi[\sum_t \gamma^t (r +
    \alpha H(\pi^1) + \alpha H(\pi^2))]`. Each iteration evaluates the joint
    policy exactly (one linear solve) and updates the agents in a uniformly
    random order, the second agent against the first agent's *new* policy
    (module docstring; Liu et al. 2024, Sec. 4). The iteration stops when
    the QRE fixed-point residual is ``<= tol``.

    Parameters
    ----------
    game : MarkovGame
        Discounted; ``R`` is the shared reward.
    temperature : float
        :math:`\alpha > 0`.
    tol : float, default 1e-10
    max_iter : int, default 1000
    rng : Generator, int, SeedSequence or None
        Draws the update orders.

    Returns
    -------
    TeamSoftPolicyIterationResult

    References
    ----------
    J. Liu, Y. Zhong, S. Hu, H. Fu, Q. Fu, X. Chang and Y. Yang, "Maximum entropy
    heterogeneous-agent reinforcement learning", ICLR 2024 (HASAC and its
    tabular soft policy iteration: monotonic improvement, convergence to a QRE).

    Examples
    --------
    A coordination game (both agents gain 1 when they match): the MaxEnt
    value improves monotonically from the uniform start:

    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, heterogeneous_agent_soft_policy_iteration
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, 0.0], [0.0, 0.9]]], gamma=0.5)
    >>> res = heterogeneous_agent_soft_policy_iteration(game, 0.1, rng=0)
    >>> res.converged, bool(np.all(np.diff(res.values_history[:, 0]) >= -1e-12))
    (True, True)
    >>> np.round(res.first_action_probabilities, 3)  # a QRE near the (0, 0) convention
    array([[1., 0.]])
    """
    if not isinstance(game, MarkovGame):
        raise ValueError(f"heterogeneous_agent_soft_policy_iteration needs a MarkovGame, got {type(game).__name__}")
    game.require_discounted("heterogeneous_agent_soft_policy_iteration")
    alpha = check_real("temperature", temperature, low=0.0, low_open=True)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    gen = as_generator(rng)
    S, A, B = game.n_states, game.n_max_actions, game.n_min_actions
    x, y = np.full((S, A), 1.0 / A), np.full((S, B), 1.0 / B)
    V, Q = _team_soft_evaluation(game, x, y, alpha)
    history, orders = [V], []
    residual = _team_residual(Q, x, y, alpha)
    k = 0
    while residual > tol and k < max_iter:
        order = gen.permutation(2)
        orders.append(order)
        if order[0] == 0:
            x = scipy.special.softmax(np.einsum("sab,sb->sa", Q, y) / alpha, axis=1)
            y = scipy.special.softmax(np.einsum("sa,sab->sb", x, Q) / alpha, axis=1)
        else:
            y = scipy.special.softmax(np.einsum("sa,sab->sb", x, Q) / alpha, axis=1)
            x = scipy.special.softmax(np.einsum("sab,sb->sa", Q, y) / alpha, axis=1)
        V, Q = _team_soft_evaluation(game, x, y, alpha)
        history.append(V)
        residual = _team_residual(Q, x, y, alpha)
        k += 1
    return TeamSoftPolicyIterationResult(
        first_action_probabilities=readonly(x),
        second_action_probabilities=readonly(y),
        v=readonly(V),
        q=readonly(Q),
        values_history=readonly(np.array(history)),
        orders=readonly(np.array(orders, dtype=np.int64).reshape(len(orders), 2)),
        residual=residual,
        iterations=k,
        converged=bool(residual <= tol),
        temperature=alpha,
    )
