r"""Correlated and coarse correlated equilibria of finite-horizon general-sum Markov games, by backward induction.

An ``n``-player episodic Markov game has joint actions :math:`a = (a_1,
\dots, a_n)`, rewards :math:`r_i(s, a)` and transitions :math:`P(\cdot|s,
a)`. A correlated Markov policy :math:`\pi_h(a | s)` is a (coarse)
correlated equilibrium when no player gains by deviating:

* *CCE*: player ``i`` commits to any policy while the others' joint action is
  drawn from the marginal :math:`\pi_{h,-i}(\cdot|s)`,
  :math:`V_{i,h}^{\dagger}(s) = \max_{a_i'} \sum_{a_{-i}} \pi_{h,-i}(a_{-i}|s)
  [r_i + P V^{\dagger}_{i,h+1}](s, a_i', a_{-i})`;
* *CE*: player ``i`` applies a strategy modification :math:`\phi_h(a_i, s)`
  to its recommendation, :math:`V_{i,h}^{\dagger}(s) = \sum_{a_i}
  \max_{a_i'} \sum_{a_{-i}} \pi_h(a_i, a_{-i}|s) [r_i + P V^{\dagger}_{i,h+1}](s,
  a_i', a_{-i})`.

The *deviation gain* of player ``i`` is :math:`\rho^\top(V^\dagger_{i,1} -
V^\pi_{i,1})` (``>= 0`` for a CE, whose deviations include the identity;
a CCE may beat every fixed deviation), computed exactly by the recursions
above. Solving, at
every ``(h, s)`` from the last step back, a CE (or CCE) of the stage game
:math:`Q_{i,h}(s, a) = r_i(s, a) + \sum_{s'} P(s'|s,a) V^\pi_{i,h+1}(s')`
gives an equilibrium of the whole game: by induction on ``h``,
:math:`V^\dagger_{i,h} \le V^\pi_{i,h} + \sum_{h' \ge h} \epsilon_{h'}`, with
:math:`\epsilon_h` the stage solves' largest incentive violation (the
regret decomposition of Liu, Yu, Bai & Jin 2021, Sec. 4, and Song, Mei &
Bai 2022, Sec. 3, for their learners; exact here, with the stage CE/CCE
linear programs of :func:`correlated_equilibrium` /
:func:`coarse_correlated_equilibrium`).

References
----------
Q. Liu, T. Yu, Y. Bai and C. Jin, "A sharp analysis of model-based
reinforcement learning with self-play", ICML 2021 (Markov CE/CCE).
Z. Song, S. Mei and Y. Bai, "When can we learn general-sum Markov games with
a large number of players sample-efficiently?", ICLR 2022.
R. J. Aumann, "Subjectivity and correlation in randomized strategies",
J. Math. Econ. 1 (1974).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import (
    PROBABILITY_SUM_ATOL,
    check_choice,
    check_finite,
    check_int,
    check_probability_vector,
    readonly,
)
from rltheory.tabular.games._correlated import coarse_correlated_equilibrium, correlated_equilibrium
from rltheory.tabular.games._matrix import MatrixGame

__all__ = ["GeneralSumMarkovGame", "MarkovCorrelatedResult", "markov_correlated_equilibrium", "markov_deviation_gains"]


@dataclass(frozen=True, eq=False)
class GeneralSumMarkovGame:
    r"""A finite-horizon ``n``-player general-sum Markov game (module docstring).

    Parameters
    ----------
    P : array_like, shape (S, A_1, ..., A_n, S)
    R : array_like, shape (n, S, A_1, ..., A_n)
        Every player maximizes its own reward.
    horizon : int
    initial_distribution : array_like, shape (S,), optional
        Uniform when omitted.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import GeneralSumMarkovGame
    >>> game = GeneralSumMarkovGame(np.ones((1, 2, 3, 1)), np.zeros((2, 1, 2, 3)), horizon=2)
    >>> game.n_players, game.n_states, game.n_actions
    (2, 1, (2, 3))
    >>> GeneralSumMarkovGame(np.ones((1, 2, 3, 1)), np.zeros((3, 1, 2, 3)), horizon=2)
    Traceback (most recent call last):
    ...
    ValueError: R has shape (3, 1, 2, 3), expected (2, 1, 2, 3) (one reward table per player)
    """

    P: np.ndarray
    R: np.ndarray
    horizon: int
    initial_distribution: np.ndarray | None = None

    def __post_init__(self):
        P = np.array(self.P, dtype=float)
        if P.ndim < 3 or P.shape[0] != P.shape[-1] or 0 in P.shape:
            raise ValueError(f"P has shape {P.shape}, expected (S, A_1, ..., A_n, S) with n >= 1")
        check_finite("P", P)
        if (P < 0).any():
            raise ValueError(f"P{[int(i) for i in np.argwhere(P < 0)[0]]} is negative")
        bad = np.abs(P.sum(axis=-1) - 1.0) > PROBABILITY_SUM_ATOL
        if bad.any():
            raise ValueError(
                f"P row {[int(i) for i in np.argwhere(bad)[0]]} does not sum to 1 within {PROBABILITY_SUM_ATOL:g}"
            )
        n = P.ndim - 2
        R = np.array(self.R, dtype=float)
        want = (n,) + P.shape[:-1]
        if R.shape != want:
            raise ValueError(f"R has shape {R.shape}, expected {want} (one reward table per player)")
        check_finite("R", R)
        S = P.shape[0]
        rho = (
            np.full(S, 1.0 / S)
            if self.initial_distribution is None
            else check_probability_vector("initial_distribution", self.initial_distribution, S)
        )
        object.__setattr__(self, "P", readonly(P))
        object.__setattr__(self, "R", readonly(R))
        object.__setattr__(self, "horizon", check_int("horizon", self.horizon, low=1))
        object.__setattr__(self, "initial_distribution", readonly(rho))

    @property
    def n_players(self) -> int:
        """Number of players ``n`` (the first axis of ``R``).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import GeneralSumMarkovGame
        >>> GeneralSumMarkovGame(np.ones((1, 2, 2, 2, 1)), np.zeros((3, 1, 2, 2, 2)), horizon=1).n_players
        3
        """
        return self.R.shape[0]

    @property
    def n_states(self) -> int:
        """Number of states ``S``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import GeneralSumMarkovGame
        >>> GeneralSumMarkovGame(np.full((2, 2, 3, 2), 0.5), np.zeros((2, 2, 2, 3)), horizon=1).n_states
        2
        """
        return self.P.shape[0]

    @property
    def n_actions(self) -> tuple:
        """``(A_1, ..., A_n)``, the middle axes of ``P``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import GeneralSumMarkovGame
        >>> GeneralSumMarkovGame(np.full((2, 2, 3, 2), 0.5), np.zeros((2, 2, 2, 3)), horizon=1).n_actions
        (2, 3)
        """
        return tuple(self.P.shape[1:-1])

    def q_values(self, V_next: np.ndarray) -> np.ndarray:
        r""":math:`Q_i(s, a) = r_i(s, a) + \sum_{s'} P(s'|s,a) V_i(s')` for ``V_next`` (n, S); shape (n, S, A_1..A_n).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import GeneralSumMarkovGame
        >>> game = GeneralSumMarkovGame(np.ones((1, 1, 1, 1)), np.ones((2, 1, 1, 1)), horizon=1)
        >>> game.q_values(np.array([[2.0], [3.0]])).ravel().tolist()
        [3.0, 4.0]
        """
        return self.R + np.tensordot(V_next, self.P, axes=(1, self.P.ndim - 1))

    def check_policy(self, policy) -> np.ndarray:
        """Validate a correlated Markov policy ``(H, S, A_1, ..., A_n)`` and return it as a float array.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import GeneralSumMarkovGame
        >>> game = GeneralSumMarkovGame(np.ones((1, 2, 2, 1)), np.zeros((2, 1, 2, 2)), horizon=2)
        >>> game.check_policy(np.full((2, 1, 2, 2), 0.25)).shape  # uniform over the 4 joint actions
        (2, 1, 2, 2)
        >>> game.check_policy(np.ones((2, 1, 2, 2)))
        Traceback (most recent call last):
        ...
        ValueError: policy must be a distribution over joint actions for every step and state
        """
        pi = np.array(policy, dtype=float)
        want = (self.horizon, self.n_states) + self.n_actions
        if pi.shape != want:
            raise ValueError(f"policy has shape {pi.shape}, expected {want}")
        check_finite("policy", pi)
        axes = tuple(range(2, pi.ndim))
        if (pi < 0).any() or (np.abs(pi.sum(axis=axes) - 1.0) > PROBABILITY_SUM_ATOL).any():
            raise ValueError("policy must be a distribution over joint actions for every step and state")
        return pi


def _policy_values(game, pi):
    """V^pi (H + 1, n, S) by backward induction."""
    H, n, S = game.horizon, game.n_players, game.n_states
    V = np.zeros((H + 1, n, S))
    axes = tuple(range(2, 2 + n))
    for h in range(H - 1, -1, -1):
        Q = game.q_values(V[h + 1])
        V[h] = (Q * pi[h][None]).sum(axis=axes)
    return V


def _deviation_values(game, pi, kind):
    """V^dagger (H + 1, n, S): each player's best CCE deviation (``kind="cce"``) or strategy modification (CE)."""
    H, n, S = game.horizon, game.n_players, game.n_states
    V = np.zeros((H + 1, n, S))
    for h in range(H - 1, -1, -1):
        for i in range(n):
            Q = game.q_values(V[h + 1])[i]  # (S, A_1..A_n), values of deviating from h + 1 on
            Qi = np.moveaxis(Q, 1 + i, 1)  # (S, A_i, A_-i...)
            p = np.moveaxis(pi[h], 1 + i, 1)  # (S, A_i, A_-i...)
            rest = tuple(range(2, Qi.ndim))
            if kind == "cce":
                others = p.sum(axis=1)  # (S, A_-i...)
                V[h, i] = (Qi * others[:, None]).sum(axis=rest).max(axis=1)
            else:
                # for each recommendation a_i: the best a_i' against pi(a_i, .), unnormalized
                k = p.shape[1]
                gain = np.einsum("srk,sdk->srd", p.reshape(S, k, -1), Qi.reshape(S, k, -1))
                V[h, i] = gain.max(axis=2).sum(axis=1)
    return V


def markov_deviation_gains(game: GeneralSumMarkovGame, policy, kind: str = "cce") -> np.ndarray:
    r"""Exact deviation gains :math:`\rho^\top(V^\dagger_{i,1} - V^\pi_{i,1})` of every player, shape (n,).

    Examples
    --------
    Two players, one state and step, a coordination game: the uniform joint
    distribution pays 1/4; always playing action 0 pays 1/2.

    >>> import numpy as np
    >>> from rltheory.tabular.games import GeneralSumMarkovGame, markov_deviation_gains
    >>> R = np.array([[[[1.0, 0.0], [0.0, 0.0]]], [[[1.0, 0.0], [0.0, 0.0]]]])
    >>> game = GeneralSumMarkovGame(np.ones((1, 2, 2, 1)), R, horizon=1)
    >>> markov_deviation_gains(game, np.full((1, 1, 2, 2), 0.25)).tolist()
    [0.25, 0.25]
    """
    kind = check_choice("kind", kind, ("cce", "ce"))
    pi = game.check_policy(policy)
    rho = np.asarray(game.initial_distribution)
    return (_deviation_values(game, pi, kind)[0] - _policy_values(game, pi)[0]) @ rho


@dataclass(frozen=True, eq=False)
class MarkovCorrelatedResult:
    r"""Result of :func:`markov_correlated_equilibrium`.

    Attributes
    ----------
    policy : numpy.ndarray, shape (H, S, A_1, ..., A_n)
        The correlated Markov policy.
    values : numpy.ndarray, shape (H + 1, n, S)
        :math:`V^\pi`.
    stage_violation : float
        Largest incentive violation of a stage solve (``>= 0``, the LP's tolerance).
    deviation_gains : numpy.ndarray, shape (n,)
        Exact gains of each player's best deviation (:func:`markov_deviation_gains`); at most
        ``H * stage_violation`` (module docstring).
    kind : str

    Examples
    --------
    A two-step coordination game (both players get 1 when both play action 0, else 0): the
    welfare-maximizing CCE plays ``(0, 0)`` at both steps, worth 2 to each player with two steps to go.

    >>> import numpy as np
    >>> from rltheory.tabular.games import GeneralSumMarkovGame, markov_correlated_equilibrium
    >>> R = np.array([[[[1.0, 0.0], [0.0, 0.0]]], [[[1.0, 0.0], [0.0, 0.0]]]])
    >>> res = markov_correlated_equilibrium(GeneralSumMarkovGame(np.ones((1, 2, 2, 1)), R, horizon=2))
    >>> res.kind, res.policy[:, 0].round(6).tolist()
    ('cce', [[[1.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]]])
    >>> res.values[:, :, 0].round(6).tolist()  # stage-major: 2, 1, then 0 steps to go
    [[2.0, 2.0], [1.0, 1.0], [0.0, 0.0]]
    >>> bool(np.all(res.deviation_gains <= 1e-6)), bool(res.stage_violation <= 1e-6)
    (True, True)
    """

    policy: np.ndarray
    values: np.ndarray
    stage_violation: float
    deviation_gains: np.ndarray
    kind: str


def markov_correlated_equilibrium(
    game: GeneralSumMarkovGame, kind: str = "cce", objective="welfare", *, tol: float = 1e-7
) -> MarkovCorrelatedResult:
    r"""A Markov CE or CCE by backward induction over stage CE/CCE linear programs (module docstring).

    ``objective`` and ``tol`` are passed to :func:`correlated_equilibrium` /
    :func:`coarse_correlated_equilibrium` for every stage game.

    Examples
    --------
    A two-step prisoner's dilemma: defection at both steps.

    >>> import numpy as np
    >>> from rltheory.tabular.games import GeneralSumMarkovGame, markov_correlated_equilibrium
    >>> pd = np.array([[[3, 0], [5, 1]], [[3, 5], [0, 1]]], dtype=float)[:, None]
    >>> game = GeneralSumMarkovGame(np.ones((1, 2, 2, 1)), pd, horizon=2)
    >>> res = markov_correlated_equilibrium(game, "ce")
    >>> np.round(res.policy[:, 0], 6).tolist(), res.values[0, :, 0].round(6).tolist()
    ([[[0.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 1.0]]], [2.0, 2.0])
    """
    if not isinstance(game, GeneralSumMarkovGame):
        raise ValueError(f"markov_correlated_equilibrium needs a GeneralSumMarkovGame, got {type(game).__name__}")
    kind = check_choice("kind", kind, ("cce", "ce"))
    solve = coarse_correlated_equilibrium if kind == "cce" else correlated_equilibrium
    H, n, S = game.horizon, game.n_players, game.n_states
    pi = np.zeros((H, S) + game.n_actions)
    V = np.zeros((H + 1, n, S))
    worst = 0.0
    axes = tuple(range(1, 1 + n))
    for h in range(H - 1, -1, -1):
        Q = game.q_values(V[h + 1])
        for s in range(S):
            res = solve(MatrixGame(Q[:, s]), objective, tol=tol)
            sigma = np.maximum(np.asarray(res.distribution), 0.0)
            pi[h, s] = sigma / sigma.sum()
            worst = max(worst, float(res.max_violation))
        V[h] = (Q * pi[h][None]).sum(axis=tuple(a + 1 for a in axes))
    gains = markov_deviation_gains(game, pi, kind)
    return MarkovCorrelatedResult(
        policy=readonly(pi),
        values=readonly(V),
        stage_violation=max(worst, 0.0),
        deviation_gains=readonly(gains),
        kind=kind,
    )
