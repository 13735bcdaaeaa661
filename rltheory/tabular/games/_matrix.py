r"""Normal-form (matrix) games: the model, strategy profiles, expected payoffs and NashConv.

A :class:`MatrixGame` with ``n`` players stores one payoff tensor per player,
``payoffs[i, a_1, ..., a_n] = u_i(a_1, ..., a_n)``. A *profile* is one mixed
strategy per player; the expected payoff of player ``i`` under a profile
``x = (x_1, ..., x_n)`` is the multilinear form

.. math::

    u_i(x) = \sum_{a_1, \dots, a_n} u_i(a_1, \dots, a_n) \prod_j x_j(a_j).

A profile is a Nash equilibrium when no player gains by a unilateral
deviation (Nash 1951); since ``u_i`` is linear in ``x_i``, it suffices to
check pure deviations, so the *gain* of player ``i``

.. math::

    g_i(x) = \max_{a_i} u_i(a_i, x_{-i}) - u_i(x) \;\ge\; 0

is zero for every player exactly at an equilibrium. :func:`exploitability`
returns the gains, their sum ``NashConv`` (Lanctot et al. 2017, Sec. 3.1) and
their maximum (the ``epsilon`` of an epsilon-Nash equilibrium). In a
two-player zero-sum game ``NashConv(x, y) = max_i (A y)_i - min_j (x^T A)_j``,
the duality gap of the matrix game.

References
----------
J. Nash, "Non-cooperative games", Annals of Mathematics 54(2) (1951).
M. Lanctot et al., "A unified game-theoretic approach to multiagent
reinforcement learning", NeurIPS 2017 (NashConv, Sec. 3.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rltheory._validation import PROBABILITY_SUM_ATOL, check_finite, check_int, readonly

__all__ = ["MatrixGame", "ExploitabilityResult", "exploitability"]

#: Relative tolerance under which ``u_1 + u_2`` counts as constant (rounding of the payoffs only).
CONSTANT_SUM_RTOL = 16 * 2.0**-53


def _as_float(name: str, a) -> np.ndarray:
    try:
        return np.array(a, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} cannot be converted to a float array: {exc}") from None


@dataclass(frozen=True, eq=False, repr=False)
class MatrixGame:
    r"""A finite game in normal form with ``n >= 2`` players.

    Parameters
    ----------
    payoffs : array_like, shape (n, A_1, ..., A_n), or a sequence of n arrays of shape (A_1, ..., A_n)
        ``payoffs[i][a_1, ..., a_n]`` is player ``i``'s payoff when player
        ``j`` plays ``a_j``. Every player *maximizes* her payoff. A
        two-player game is ``MatrixGame([A, B])`` (row player's payoff ``A``,
        column player's ``B``, both of shape ``(A_1, A_2)``);
        :meth:`zero_sum` builds ``[A, -A]``.

    Attributes
    ----------
    payoffs : numpy.ndarray, shape (n, A_1, ..., A_n)
        Read-only float copy.
    n_players : int
    n_actions : tuple of int
        ``(A_1, ..., A_n)``.

    Raises
    ------
    ValueError
        When the tensors do not all have the same shape, when their number
        of axes is not the number of players (one axis per player), when a
        player has no action, when there are fewer than two players, or on a
        NaN or infinite payoff (the message names the player and the action
        profile).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame
    >>> rps = MatrixGame.zero_sum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]])
    >>> rps.n_players, rps.n_actions, rps.is_zero_sum
    (2, (3, 3), True)
    >>> rps.expected_payoffs([np.ones(3) / 3, 0])  # uniform row player against Rock
    array([0., 0.])
    >>> MatrixGame([[[1.0, 0.0]], [[np.nan, 2.0]]])
    Traceback (most recent call last):
    ...
    ValueError: payoffs[player 1] at action profile (0, 0) is nan; every payoff must be finite
    """

    payoffs: np.ndarray

    def __post_init__(self):
        raw = self.payoffs
        if isinstance(raw, (list, tuple)) and len(raw) > 0 and not np.isscalar(raw[0]):
            tensors = [_as_float(f"payoffs[player {i}]", t) for i, t in enumerate(raw)]
            shape0 = tensors[0].shape
            for i, t in enumerate(tensors[1:], start=1):
                if t.shape != shape0:
                    raise ValueError(
                        f"payoffs[player {i}] has shape {t.shape} but payoffs[player 0] has shape {shape0}; "
                        "every player's payoff tensor has the same shape (A_1, ..., A_n)"
                    )
            U = np.stack(tensors) if tensors else np.zeros((0,))
        else:
            U = _as_float("payoffs", raw)
        if U.ndim < 3:
            raise ValueError(
                f"payoffs has shape {U.shape}; expected (n, A_1, ..., A_n) with n >= 2 players "
                "(a two-player game is [A, B] with A and B of shape (A_1, A_2))"
            )
        n = U.shape[0]
        if U.ndim - 1 != n:
            raise ValueError(
                f"payoffs holds {n} players' tensors with {U.ndim - 1} axes each; each tensor needs one axis per "
                f"player, i.e. {n} axes (shape (n, A_1, ..., A_n))"
            )
        for i, a in enumerate(U.shape[1:]):
            if a == 0:
                raise ValueError(f"player {i} has no action (payoffs has shape {U.shape})")
        bad = ~np.isfinite(U)
        if bad.any():
            idx = tuple(int(k) for k in np.argwhere(bad)[0])
            raise ValueError(
                f"payoffs[player {idx[0]}] at action profile {idx[1:]} is {float(U[idx])!r}; "
                "every payoff must be finite"
            )
        object.__setattr__(self, "payoffs", readonly(np.ascontiguousarray(U)))

    # ------------------------------------------------------------ builders
    @classmethod
    def zero_sum(cls, A) -> MatrixGame:
        """The two-player zero-sum game ``[A, -A]``: the row player receives ``A[i, j]``, the column player pays it.

        Examples
        --------
        >>> from rltheory.tabular.games import MatrixGame
        >>> MatrixGame.zero_sum([[1, -1], [-1, 1]]).payoffs[1]
        array([[-1.,  1.],
               [ 1., -1.]])
        """
        A = _as_float("A", A)
        if A.ndim != 2:
            raise ValueError(f"A has shape {A.shape}, expected a matrix (A_1, A_2)")
        check_finite("A", A)
        return cls(np.stack([A, -A]))

    # ---------------------------------------------------------- properties
    @property
    def n_players(self) -> int:
        """Number of players ``n``.

        Examples
        --------
        >>> from rltheory.tabular.games import MatrixGame
        >>> MatrixGame([[[[1, 0]], [[0, 1]]]] * 3).n_players  # three players, shape (2, 1, 2)
        3
        """
        return int(self.payoffs.shape[0])

    @property
    def n_actions(self) -> tuple[int, ...]:
        """``(A_1, ..., A_n)``.

        Examples
        --------
        >>> from rltheory.tabular.games import MatrixGame
        >>> MatrixGame.zero_sum([[1, 2, 3], [4, 5, 6]]).n_actions  # 2 rows, 3 columns
        (2, 3)
        """
        return tuple(int(a) for a in self.payoffs.shape[1:])

    @property
    def is_zero_sum(self) -> bool:
        """Whether the payoffs sum to exactly zero at every action profile.

        Examples
        --------
        >>> from rltheory.tabular.games import MatrixGame
        >>> MatrixGame.zero_sum([[1, -1], [-1, 1]]).is_zero_sum  # matching pennies
        True
        >>> MatrixGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]]).is_zero_sum  # prisoner's dilemma: (C, C) sums to 6
        False
        """
        return bool(np.all(self.payoffs.sum(axis=0) == 0.0))

    @property
    def constant_sum(self) -> float | None:
        """For two players: the constant ``c`` with ``u_1 + u_2 = c`` at every profile, else ``None``.

        ``u_1 + u_2`` counts as constant when its range is within rounding
        (``CONSTANT_SUM_RTOL`` times the largest payoff); ``c`` is its mean.
        A zero-sum game has ``c = 0``; a preference game ``[P, 1 - P]`` has
        ``c = 1``.

        Examples
        --------
        >>> from rltheory.tabular.games import MatrixGame
        >>> MatrixGame([[[0.5, 0.2]], [[0.5, 0.8]]]).constant_sum  # every cell sums to 1
        1.0
        >>> MatrixGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]]).constant_sum is None  # prisoner's dilemma: 6, 5, 5, 2
        True
        """
        if self.n_players != 2:
            return None
        total = self.payoffs[0] + self.payoffs[1]
        scale = max(1.0, float(np.max(np.abs(self.payoffs))))
        if float(total.max() - total.min()) > CONSTANT_SUM_RTOL * scale:
            return None
        return float(total.mean())

    def __repr__(self) -> str:
        kind = ", zero_sum=True" if self.is_zero_sum else ""
        return f"MatrixGame(n_players={self.n_players}, n_actions={self.n_actions}{kind})"

    # ------------------------------------------------------------ profiles
    def strategy_profile(self, profile, name: str = "profile") -> tuple[np.ndarray, ...]:
        """Validate a profile and return it as a tuple of read-only probability vectors.

        ``profile`` holds one entry per player: a probability vector of
        length ``A_i``, or an int (a pure action, turned into a one-hot
        vector).

        Raises
        ------
        ValueError
            On a wrong number of entries, a wrong length, a negative or
            non-finite probability, a sum not 1 within ``1e-10``, or a pure
            action out of range; the message names the player.

        Examples
        --------
        >>> from rltheory.tabular.games import MatrixGame
        >>> pennies = MatrixGame.zero_sum([[1, -1], [-1, 1]])
        >>> [x.tolist() for x in pennies.strategy_profile([[0.25, 0.75], 1])]  # the int 1 is the pure action Tails
        [[0.25, 0.75], [0.0, 1.0]]
        >>> pennies.strategy_profile([[0.5, 0.6], 0])
        Traceback (most recent call last):
        ...
        ValueError: profile[player 0] sums to 1.1, expected 1 within 1e-10
        """
        if isinstance(profile, np.ndarray) and profile.ndim == 2 and len(set(self.n_actions)) == 1:
            profile = list(profile)
        if not isinstance(profile, (list, tuple)):
            raise ValueError(f"{name} must be a sequence of {self.n_players} strategies, got {type(profile).__name__}")
        if len(profile) != self.n_players:
            raise ValueError(f"{name} has {len(profile)} strategies, but the game has {self.n_players} players")
        out = []
        for i, (x, k) in enumerate(zip(profile, self.n_actions)):
            where = f"{name}[player {i}]"
            if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
                a = check_int(where, x, low=0, high=k - 1)
                e = np.zeros(k)
                e[a] = 1.0
                out.append(readonly(e))
                continue
            p = _as_float(where, x)
            if p.shape != (k,):
                raise ValueError(f"{where} has shape {p.shape}, expected ({k},) (player {i} has {k} actions)")
            check_finite(where, p)
            if (p < 0).any():
                a = int(np.argmax(p < 0))
                raise ValueError(f"{where}[{a}] = {float(p[a])!r} is negative")
            total = float(p.sum())
            if abs(total - 1.0) > PROBABILITY_SUM_ATOL:
                raise ValueError(f"{where} sums to {total!r}, expected 1 within {PROBABILITY_SUM_ATOL:g}")
            out.append(readonly(p))
        return tuple(out)

    def deviation_payoffs(self, profile, player: int) -> np.ndarray:
        """``u_i(a, x_{-i})`` for every pure action ``a`` of ``player`` (shape ``(A_i,)``).

        Examples
        --------
        >>> from rltheory.tabular.games import MatrixGame
        >>> rps = MatrixGame.zero_sum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]])
        >>> rps.deviation_payoffs([0, 0], player=0).tolist()  # against Rock: Rock ties, Paper wins, Scissors loses
        [0.0, 1.0, -1.0]
        """
        player = check_int("player", player, low=0, high=self.n_players - 1)
        xs = self.strategy_profile(profile)
        return readonly(_deviation_payoffs(self.payoffs, xs, player))

    def expected_payoffs(self, profile) -> np.ndarray:
        """``(u_1(x), ..., u_n(x))``, the expected payoffs of the profile (shape ``(n,)``).

        Examples
        --------
        >>> from rltheory.tabular.games import MatrixGame
        >>> pd = MatrixGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]])  # prisoner's dilemma, action 0 = cooperate
        >>> pd.expected_payoffs([1, 1]).tolist()  # mutual defection
        [1.0, 1.0]
        >>> pd.expected_payoffs([[0.5, 0.5], 0]).tolist()  # (3 + 5) / 2 and (3 + 0) / 2
        [4.0, 1.5]
        """
        xs = self.strategy_profile(profile)
        return readonly(np.array([_deviation_payoffs(self.payoffs, xs, i) @ xs[i] for i in range(self.n_players)]))


def _contract(tensor: np.ndarray, xs, keep: int | None) -> np.ndarray:
    """Contract the player axes of ``tensor`` (shape ``(A_1, ..., A_n)``) with ``xs``, except ``keep``."""
    out = tensor
    # contract from the last axis so the remaining axis indices stay valid
    for j in range(len(xs) - 1, -1, -1):
        if j == keep:
            continue
        out = np.tensordot(out, xs[j], axes=([j], [0]))
    return out


def _deviation_payoffs(payoffs: np.ndarray, xs, player: int) -> np.ndarray:
    """Unvalidated ``u_player(a, x_{-player})`` for all ``a``."""
    return np.asarray(_contract(payoffs[player], xs, player), dtype=float)


def _gains(payoffs: np.ndarray, xs):
    """Unvalidated per-player ``(best deviation value, payoff, best response)``."""
    n = payoffs.shape[0]
    best = np.empty(n)
    value = np.empty(n)
    br = np.empty(n, dtype=np.int64)
    for i in range(n):
        dev = _deviation_payoffs(payoffs, xs, i)
        br[i] = int(np.argmax(dev))
        best[i] = dev[br[i]]
        value[i] = float(dev @ xs[i])
    return best, value, br


@dataclass(frozen=True, eq=False)
class ExploitabilityResult:
    r"""Result of :func:`exploitability`.

    Attributes
    ----------
    nash_conv : float
        :math:`\sum_i g_i(x)`, NashConv (Lanctot et al. 2017). For a
        two-player zero-sum game it equals the duality gap
        :math:`\max_i (A y)_i - \min_j (x^\top A)_j`.
    epsilon : float
        :math:`\max_i g_i(x)`: the profile is an epsilon-Nash equilibrium.
    gains : numpy.ndarray, shape (n,)
        :math:`g_i(x) = \max_{a} u_i(a, x_{-i}) - u_i(x)`, each ``>= 0`` up
        to rounding.
    payoffs : numpy.ndarray, shape (n,)
        :math:`u_i(x)`.
    best_responses : numpy.ndarray of int64, shape (n,)
        A pure best response of each player to the others (lowest index).

    Examples
    --------
    >>> from rltheory.tabular.games import MatrixGame, exploitability
    >>> pd = MatrixGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]])  # prisoner's dilemma, action 0 = cooperate
    >>> r = exploitability(pd, [0, 0])  # mutual cooperation: each gains 5 - 3 = 2 by defecting
    >>> r.gains.tolist(), r.nash_conv, r.epsilon, r.best_responses.tolist()
    ([2.0, 2.0], 4.0, 2.0, [1, 1])
    >>> exploitability(pd, [1, 1]).nash_conv  # mutual defection is the Nash equilibrium
    0.0
    """

    nash_conv: float
    epsilon: float
    gains: np.ndarray
    payoffs: np.ndarray
    best_responses: np.ndarray


def exploitability(game: MatrixGame, profile) -> ExploitabilityResult:
    r"""NashConv and the per-player deviation gains of a strategy profile.

    .. math::

        g_i(x) = \max_{a \in A_i} u_i(a, x_{-i}) - u_i(x), \qquad
        \mathrm{NashConv}(x) = \sum_i g_i(x).

    ``x`` is a Nash equilibrium iff every ``g_i(x) = 0`` (pure deviations
    suffice because ``u_i`` is linear in ``x_i``; Nash 1951). Evaluated in
    floating point: each entry carries a rounding error of at most
    ``gamma_m * max|u_i|`` with ``m = prod_j A_j`` (Higham 2002, Lemma 3.1).

    Parameters
    ----------
    game : MatrixGame
    profile : sequence
        One mixed strategy (or pure action) per player.

    Returns
    -------
    ExploitabilityResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, exploitability
    >>> pennies = MatrixGame.zero_sum([[1, -1], [-1, 1]])
    >>> exploitability(pennies, [[0.5, 0.5], [0.5, 0.5]]).nash_conv
    0.0
    >>> r = exploitability(pennies, [[1.0, 0.0], [0.5, 0.5]])  # the column player exploits Heads
    >>> r.gains, r.best_responses
    (array([0., 1.]), array([0, 1]))
    """
    if not isinstance(game, MatrixGame):
        raise ValueError(f"exploitability needs a MatrixGame, got {type(game).__name__}")
    xs = game.strategy_profile(profile)
    best, value, br = _gains(game.payoffs, xs)
    gains = best - value
    return ExploitabilityResult(
        nash_conv=float(gains.sum()),
        epsilon=float(gains.max()),
        gains=readonly(gains),
        payoffs=readonly(value),
        best_responses=readonly(br),
    )
