r"""Two-player zero-sum discounted Markov games (Shapley 1953): the model and policy evaluation.

In state ``s`` the max player picks ``a`` and the min player ``b``
simultaneously; the max player receives ``r(s, a, b)`` (the min player pays
it) and the state moves to ``s' ~ P(. | s, a, b)``. Stationary mixed
policies ``x(a | s)``, ``y(b | s)`` have the value

.. math::

    v^{x,y} = (I - \gamma P^{x,y})^{-1} r^{x,y}, \qquad
    P^{x,y}(s, s') = \sum_{a,b} x(a|s) y(b|s) P(s'|s,a,b),

and the game has a value :math:`v^* = \max_x \min_y v^{x,y} = \min_y \max_x
v^{x,y}` (elementwise), the unique fixed point of Shapley's operator
:math:`(T v)(s) = \mathrm{val}\big(r(s,\cdot,\cdot) + \gamma \sum_{s'}
P(s'|s,\cdot,\cdot) v(s')\big)` (Shapley 1953).

Fixing one player's policy leaves the other an MDP:
:meth:`MarkovGame.max_player_mdp` and :meth:`MarkovGame.min_player_mdp`
build it as a :class:`~rltheory.tabular.FiniteMDP` (the min player's MDP
maximizes ``-r``), so best responses are exact solves with
:func:`~rltheory.tabular.policy_iteration`; :func:`markov_exploitability`
uses them to certify a policy pair by the defining inequalities of a
Markov equilibrium.

References
----------
L. S. Shapley, "Stochastic games", PNAS 39(10) (1953).
J. Filar and K. Vrieze, *Competitive Markov Decision Processes*, Springer (1997), Ch. 3-4.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from rltheory._validation import (
    PROBABILITY_SUM_ATOL,
    check_discount,
    check_finite,
    check_probability_vector,
    check_shape,
    readonly,
)

__all__ = ["MarkovGame", "MarkovExploitabilityResult", "markov_exploitability", "evaluate_policies"]


def _as_float(name: str, a) -> np.ndarray:
    try:
        return np.array(a, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} cannot be converted to a float array: {exc}") from None


@dataclass(frozen=True, eq=False, repr=False)
class MarkovGame:
    r"""A finite two-player zero-sum Markov (stochastic) game.

    Parameters
    ----------
    P : array_like, shape (S, A, B, S)
        ``P[s, a, b, s'] = Pr(s' | s, a, b)``; the max player has ``A``
        actions, the min player ``B``.
    R : array_like, shape (S, A, B) or (S, A, B, S)
        The max player's expected reward ``r(s, a, b)`` (the min player's
        cost), or ``r(s, a, b, s')`` reduced once to
        ``r(s, a, b) = sum_{s'} P(s'|s,a,b) r(s, a, b, s')``.
    gamma : float
        Discount factor in ``[0, 1)``; ``gamma = 1`` only with a ``horizon``.
    horizon : int, optional
        Number of stages ``H >= 1`` of a finite-horizon game (for the
        finite-horizon solvers; the discounted solvers refuse it).
    initial_distribution : array_like, shape (S,), optional

    Attributes
    ----------
    n_states, n_max_actions, n_min_actions : int
        ``S``, ``A``, ``B``.

    Raises
    ------
    ValueError
        On a shape mismatch, a NaN/inf entry, a negative probability, a row
        ``P[s, a, b]`` that does not sum to 1 within ``1e-10`` (the message
        gives ``s, a, b`` and the sum), or a discount out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame
    >>> P = np.ones((1, 2, 2, 1))  # one state: a repeated matching-pennies game
    >>> game = MarkovGame(P, [[[1.0, -1.0], [-1.0, 1.0]]], gamma=0.9)
    >>> game.n_states, game.n_max_actions, game.n_min_actions
    (1, 2, 2)
    >>> bad = np.full((2, 2, 2, 2), 0.5); bad[0, 1, 0] = [0.5, 0.4]
    >>> MarkovGame(bad, np.zeros((2, 2, 2)), gamma=0.9)
    Traceback (most recent call last):
    ...
    ValueError: P[s=0, a=1, b=0] sums to 0.9, expected 1 within 1e-10
    """

    P: np.ndarray
    R: np.ndarray
    gamma: float
    horizon: int | None = None
    initial_distribution: np.ndarray | None = None

    def __post_init__(self):
        P = _as_float("P", self.P)
        if P.ndim != 4 or P.shape[0] != P.shape[3]:
            raise ValueError(f"P has shape {P.shape}, expected (S, A, B, S) with the same S first and last")
        S, A, B = P.shape[:3]
        if S == 0 or A == 0 or B == 0:
            raise ValueError(f"P has shape {P.shape}; need at least one state and one action per player")
        check_finite("P", P)
        if (P < 0).any():
            s, a, b, t = (int(i) for i in np.argwhere(P < 0)[0])
            raise ValueError(f"P[{s}, {a}, {b}, {t}] = {float(P[s, a, b, t])!r} is negative")
        sums = P.sum(axis=3)
        bad = np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL
        if bad.any():
            s, a, b = (int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"P[s={s}, a={a}, b={b}] sums to {float(sums[s, a, b])!r}, expected 1 within {PROBABILITY_SUM_ATOL:g}"
            )
        R = _as_float("R", self.R)
        if R.shape == (S, A, B):
            check_finite("R", R)
        elif R.shape == (S, A, B, S):
            check_finite("R", R)
            R = np.einsum("sabt,sabt->sab", P, R)
        else:
            raise ValueError(f"R has shape {R.shape}, expected ({S}, {A}, {B}) or ({S}, {A}, {B}, {S})")
        horizon = self.horizon
        if horizon is not None:
            if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 1:
                raise ValueError(f"horizon = {horizon!r} must be an integer >= 1 or None")
            horizon = int(horizon)
        gamma = check_discount(self.gamma, allow_one=horizon is not None)
        init = None
        if self.initial_distribution is not None:
            init = readonly(check_probability_vector("initial_distribution", self.initial_distribution, S))
        object.__setattr__(self, "P", readonly(np.ascontiguousarray(P)))
        object.__setattr__(self, "R", readonly(np.ascontiguousarray(R)))
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "horizon", horizon)
        object.__setattr__(self, "initial_distribution", init)

    # ------------------------------------------------------------ properties
    @property
    def n_states(self) -> int:
        """Number of states ``S``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MarkovGame
        >>> MarkovGame(np.full((2, 2, 3, 2), 0.5), np.zeros((2, 2, 3)), gamma=0.9).n_states
        2
        """
        return int(self.R.shape[0])

    @property
    def n_max_actions(self) -> int:
        """Number of actions ``A`` of the max player.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MarkovGame
        >>> MarkovGame(np.full((2, 2, 3, 2), 0.5), np.zeros((2, 2, 3)), gamma=0.9).n_max_actions  # P is (S, A, B, S)
        2
        """
        return int(self.R.shape[1])

    @property
    def n_min_actions(self) -> int:
        """Number of actions ``B`` of the min player.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MarkovGame
        >>> MarkovGame(np.full((2, 2, 3, 2), 0.5), np.zeros((2, 2, 3)), gamma=0.9).n_min_actions  # P is (S, A, B, S)
        3
        """
        return int(self.R.shape[2])

    def __repr__(self) -> str:
        h = f", horizon={self.horizon}" if self.horizon is not None else ""
        return (
            f"MarkovGame(n_states={self.n_states}, n_max_actions={self.n_max_actions}, "
            f"n_min_actions={self.n_min_actions}, gamma={self.gamma!r}{h})"
        )

    def to_spec(self) -> dict:
        """JSON-serialisable description (every defining array as nested lists, exact float reprs).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MarkovGame
        >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=1.0, horizon=3)
        >>> spec = game.to_spec()
        >>> spec["type"], spec["horizon"]
        ('MarkovGame', 3)
        >>> again = MarkovGame(spec["P"], spec["R"], spec["gamma"], spec["horizon"], spec["initial_distribution"])
        >>> again.to_spec() == spec
        True
        """
        init = None if self.initial_distribution is None else self.initial_distribution.tolist()
        return {
            "type": "MarkovGame",
            "P": self.P.tolist(),
            "R": self.R.tolist(),
            "gamma": self.gamma,
            "horizon": self.horizon,
            "initial_distribution": init,
        }

    def require_discounted(self, who: str) -> None:
        """Raise ``ValueError`` naming ``who`` unless the game is discounted (``gamma < 1``, no horizon).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MarkovGame
        >>> MarkovGame(np.ones((1, 2, 2, 1)), np.zeros((1, 2, 2)), gamma=0.9).require_discounted("my_solver")  # passes
        >>> MarkovGame(np.ones((1, 2, 2, 1)), np.zeros((1, 2, 2)), gamma=1.0, horizon=3).require_discounted("my_solver")
        Traceback (most recent call last):
        ...
        ValueError: my_solver solves discounted games; this game has horizon 3
        """
        if self.horizon is not None:
            raise ValueError(f"{who} solves discounted games; this game has horizon {self.horizon}")
        if self.gamma >= 1.0:  # pragma: no cover - refused by the constructor without a horizon
            raise ValueError(f"{who} needs gamma < 1")

    # -------------------------------------------------------------- policies
    def policy_matrix(self, policy, player: str) -> np.ndarray:
        """Validate a policy of ``player`` (``"max"`` or ``"min"``) and return it as ``(S, A)`` / ``(S, B)``.

        ``policy`` is ``(S,)`` integer actions or a row-stochastic matrix.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MarkovGame
        >>> game = MarkovGame(np.full((2, 2, 3, 2), 0.5), np.zeros((2, 2, 3)), gamma=0.9)
        >>> game.policy_matrix(np.array([2, 0]), "min").tolist()  # integer actions become one-hot rows
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        >>> game.policy_matrix(np.array([2, 0]), "max")
        Traceback (most recent call last):
        ...
        ValueError: max_policy[0] = 2 is not an action in [0, 2)
        """
        if player not in ("max", "min"):
            raise ValueError(f"player = {player!r} must be 'max' or 'min'")
        S = self.n_states
        k = self.n_max_actions if player == "max" else self.n_min_actions
        name = f"{player}_policy"
        pol = np.asarray(policy)
        if pol.ndim == 1:
            check_shape(name, pol, (S,))
            if pol.dtype.kind not in "iu":
                raise ValueError(f"a deterministic {name} must hold integer actions, got dtype {pol.dtype}")
            bad = (pol < 0) | (pol >= k)
            if bad.any():
                s = int(np.argmax(bad))
                raise ValueError(f"{name}[{s}] = {int(pol[s])} is not an action in [0, {k})")
            out = np.zeros((S, k))
            out[np.arange(S), pol] = 1.0
            return out
        pol = _as_float(name, pol)
        check_shape(name, pol, (S, k))
        check_finite(name, pol)
        if (pol < 0).any():
            s, a = (int(i) for i in np.argwhere(pol < 0)[0])
            raise ValueError(f"{name}[{s}, {a}] = {float(pol[s, a])!r} is negative")
        sums = pol.sum(axis=1)
        bad = np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL
        if bad.any():
            s = int(np.argmax(bad))
            raise ValueError(f"{name}[{s}] sums to {float(sums[s])!r}, expected 1 within {PROBABILITY_SUM_ATOL:g}")
        return pol

    def stage_policies(self, policy, player: str) -> np.ndarray:
        """Validate a policy of a finite-horizon game and return it per stage, shape ``(H, S, k)``.

        ``policy`` is stationary (``(S,)`` integer actions or ``(S, k)``
        probabilities, repeated at every stage) or non-stationary: ``(H, S)``
        integer actions or ``(H, S, k)`` probabilities (``k = A`` for
        ``"max"``, ``B`` for ``"min"``).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MarkovGame
        >>> game = MarkovGame(np.ones((1, 2, 2, 1)), np.zeros((1, 2, 2)), gamma=1.0, horizon=3)
        >>> game.stage_policies(np.array([[0], [1], [1]]), "max")[:, 0]
        array([[1., 0.],
               [0., 1.],
               [0., 1.]])
        """
        if self.horizon is None:
            raise ValueError("stage_policies needs a finite-horizon game (MarkovGame(..., horizon=H))")
        H = self.horizon
        pol = np.asarray(policy)
        stationary = pol.ndim == 1 or (pol.ndim == 2 and pol.dtype.kind not in "iu")
        if stationary:
            one = self.policy_matrix(pol, player)
            return np.broadcast_to(one, (H,) + one.shape).copy()
        if player not in ("max", "min"):
            raise ValueError(f"player = {player!r} must be 'max' or 'min'")
        if pol.ndim not in (2, 3) or pol.shape[0] != H:
            k = self.n_max_actions if player == "max" else self.n_min_actions
            raise ValueError(
                f"{player}_policy has shape {pol.shape}; a policy of a game with horizon {H} is (S,) or "
                f"({self.n_states}, {k}) (stationary), ({H}, {self.n_states}) actions or ({H}, {self.n_states}, {k})"
            )
        out = []
        for h in range(H):
            try:
                out.append(self.policy_matrix(pol[h], player))
            except ValueError as exc:
                raise ValueError(f"stage {h}: {exc}") from None
        return np.stack(out)

    def joint_transition(self, max_policy, min_policy) -> np.ndarray:
        """``P^{x,y}[s, s'] = sum_{a,b} x(a|s) y(b|s) P(s'|s,a,b)`` (shape ``(S, S)``).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MarkovGame
        >>> P = np.zeros((2, 2, 2, 2)); P[1, :, :, 1] = 1.0  # state 1 absorbs
        >>> P[0, 0, 0, 1] = P[0, 1, 1, 1] = P[0, 0, 1, 0] = P[0, 1, 0, 0] = 1.0  # matching actions leave state 0
        >>> R = np.zeros((2, 2, 2)); R[0] = [[1.0, -1.0], [-1.0, 1.0]]  # matching pennies in state 0, then nothing
        >>> game = MarkovGame(P, R, gamma=0.9)
        >>> uniform = np.full((2, 2), 0.5)
        >>> game.joint_transition(uniform, uniform).tolist()  # the actions match with probability 1/2
        [[0.5, 0.5], [0.0, 1.0]]
        """
        x = self.policy_matrix(max_policy, "max")
        y = self.policy_matrix(min_policy, "min")
        return np.einsum("sa,sb,sabt->st", x, y, self.P)

    def joint_reward(self, max_policy, min_policy) -> np.ndarray:
        """``r^{x,y}[s] = sum_{a,b} x(a|s) y(b|s) r(s,a,b)`` (shape ``(S,)``).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MarkovGame
        >>> P = np.zeros((2, 2, 2, 2)); P[1, :, :, 1] = 1.0  # state 1 absorbs
        >>> P[0, 0, 0, 1] = P[0, 1, 1, 1] = P[0, 0, 1, 0] = P[0, 1, 0, 0] = 1.0  # matching actions leave state 0
        >>> R = np.zeros((2, 2, 2)); R[0] = [[1.0, -1.0], [-1.0, 1.0]]  # matching pennies in state 0, then nothing
        >>> game = MarkovGame(P, R, gamma=0.9)
        >>> game.joint_reward(np.array([0, 0]), np.array([0, 0])).tolist()  # (Heads, Heads) pays 1 in state 0
        [1.0, 0.0]
        >>> game.joint_reward(np.array([0, 0]), np.full((2, 2), 0.5)).tolist()  # against a fair coin: 0
        [0.0, 0.0]
        """
        x = self.policy_matrix(max_policy, "max")
        y = self.policy_matrix(min_policy, "min")
        return np.einsum("sa,sb,sab->s", x, y, self.R)

    def max_player_mdp(self, min_policy):
        """The max player's MDP against the fixed ``min_policy`` ``y``: ``FiniteMDP(P^y, r^y, gamma)``.

        ``P^y[s, a, s'] = sum_b y(b|s) P(s'|s,a,b)``; its optimal value is
        ``max_x v^{x,y}``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import policy_iteration
        >>> from rltheory.tabular.games import MarkovGame
        >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=0.5)  # repeated pennies
        >>> mdp = game.max_player_mdp([0])  # the min player always plays Heads
        >>> mdp.R.tolist(), policy_iteration(mdp).v.tolist()  # so the max player matches: 1 / (1 - 0.5)
        ([[1.0, -1.0]], [2.0])
        """
        from rltheory.tabular import FiniteMDP

        y = self.policy_matrix(min_policy, "min")
        P = np.einsum("sb,sabt->sat", y, self.P)
        R = np.einsum("sb,sab->sa", y, self.R)
        return FiniteMDP(P, R, gamma=self.gamma, horizon=self.horizon)

    def min_player_mdp(self, max_policy):
        """The min player's MDP against the fixed ``max_policy`` ``x``, as a maximization of ``-r``.

        ``FiniteMDP(P^x, -r^x, gamma)`` with ``P^x[s, b, s'] = sum_a x(a|s)
        P(s'|s,a,b)``; its optimal value is ``-min_y v^{x,y}``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular import policy_iteration
        >>> from rltheory.tabular.games import MarkovGame
        >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=0.5)  # repeated pennies
        >>> mdp = game.min_player_mdp([0])  # the max player always plays Heads
        >>> res = policy_iteration(mdp)  # the min player mismatches (Tails): min_y v = -1 / (1 - 0.5)
        >>> mdp.R.tolist(), res.policy.tolist(), res.v.tolist()
        ([[-1.0, 1.0]], [1], [2.0])
        """
        from rltheory.tabular import FiniteMDP

        x = self.policy_matrix(max_policy, "max")
        P = np.einsum("sa,sabt->sbt", x, self.P)
        R = -np.einsum("sa,sab->sb", x, self.R)
        return FiniteMDP(P, R, gamma=self.gamma, horizon=self.horizon)


def evaluate_policies(game: MarkovGame, max_policy, min_policy) -> np.ndarray:
    r"""The value of a policy pair: discounted ``(S,)``, or finite-horizon ``(H + 1, S)`` stage-major.

    *Discounted* (stationary policies): ``v^{x,y} = (I - gamma P^{x,y})^{-1}
    r^{x,y}`` by a dense LU solve (``numpy.linalg.solve``); ``I - gamma
    P^{x,y}`` is strictly diagonally dominant, so the solve is well
    conditioned (``kappa_inf <= (1 + gamma) / (1 - gamma)``).

    *Finite horizon* ``H`` (policies per stage, see
    :meth:`MarkovGame.stage_policies`): backward induction
    ``v_H = 0``, ``v_h = r^{x_h, y_h} + gamma P^{x_h, y_h} v_{h+1}``
    (Puterman 2005, Sec. 4.2, eq. (4.2.5)); ``v[h]`` is the value with
    ``H - h`` stages to go.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, evaluate_policies
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=0.5)
    >>> evaluate_policies(game, [0], [0])  # (Heads, Heads) forever: 1 / (1 - 0.5)
    array([2.])
    >>> finite = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=1.0, horizon=3)
    >>> evaluate_policies(finite, [0], [0])[:, 0]  # three stages of +1
    array([3., 2., 1., 0.])
    """
    if not isinstance(game, MarkovGame):
        raise ValueError(f"evaluate_policies needs a MarkovGame, got {type(game).__name__}")
    if game.horizon is not None:
        X = game.stage_policies(max_policy, "max")
        Y = game.stage_policies(min_policy, "min")
        V = np.zeros((game.horizon + 1, game.n_states))
        for h in range(game.horizon - 1, -1, -1):
            Q = game.R + game.gamma * (game.P @ V[h + 1])
            V[h] = np.einsum("sa,sb,sab->s", X[h], Y[h], Q)
        return readonly(V)
    game.require_discounted("evaluate_policies")
    Pxy = game.joint_transition(max_policy, min_policy)
    rxy = game.joint_reward(max_policy, min_policy)
    return readonly(np.linalg.solve(np.eye(game.n_states) - game.gamma * Pxy, rxy))


@dataclass(frozen=True, eq=False)
class MarkovExploitabilityResult:
    r"""Result of :func:`markov_exploitability`.

    Discounted games: arrays of shape ``(S,)``; finite-horizon games:
    values ``(H + 1, S)`` stage-major (``[h]`` = ``H - h`` stages to go, row
    ``H`` is zero) and best responses ``(H, S)``.

    Attributes
    ----------
    v : numpy.ndarray
        :math:`v^{x,y}`.
    v_max_guarantee : numpy.ndarray
        :math:`\min_{y'} v^{x,y'}`: what the max player's ``x`` guarantees
        (the min player best-responds).
    v_min_guarantee : numpy.ndarray
        :math:`\max_{x'} v^{x',y}`: what the min player's ``y`` concedes at
        most (the max player best-responds).
    gap : numpy.ndarray
        ``v_min_guarantee - v_max_guarantee >= 0``; :math:`v^*` lies in
        ``[v_max_guarantee, v_min_guarantee]``.
    duality_gap : float
        ``max_s gap`` (finite horizon: ``max_s gap[0]``, the whole game):
        zero exactly at a Markov equilibrium.
    max_best_response, min_best_response : numpy.ndarray of int64
        Deterministic best responses to ``y`` and to ``x`` (``(S,)``, or ``(H, S)``).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, markov_exploitability
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=0.5)  # repeated pennies
    >>> r = markov_exploitability(game, [0], [[0.5, 0.5]])  # max: always Heads; min: a fair coin
    >>> r.v.tolist(), r.v_max_guarantee.tolist(), r.v_min_guarantee.tolist()  # Tails exploits Heads: -1 / (1 - 0.5)
    ([0.0], [-2.0], [0.0])
    >>> r.gap.tolist(), r.duality_gap, r.min_best_response.tolist()
    ([2.0], 2.0, [1])
    """

    v: np.ndarray
    v_max_guarantee: np.ndarray
    v_min_guarantee: np.ndarray
    gap: np.ndarray
    duality_gap: float
    max_best_response: np.ndarray
    min_best_response: np.ndarray


def _finite_horizon_best_responses(game: MarkovGame, X: np.ndarray, Y: np.ndarray):
    """Backward induction of both best responses: ``(upper, lower, br_max, br_min)``, values ``(H + 1, S)``."""
    H, S = game.horizon, game.n_states
    upper = np.zeros((H + 1, S))
    lower = np.zeros((H + 1, S))
    br_max = np.zeros((H, S), dtype=np.int64)
    br_min = np.zeros((H, S), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        qu = np.einsum("sab,sb->sa", game.R + game.gamma * (game.P @ upper[h + 1]), Y[h])
        ql = np.einsum("sa,sab->sb", X[h], game.R + game.gamma * (game.P @ lower[h + 1]))
        br_max[h] = np.argmax(qu, axis=1)
        br_min[h] = np.argmin(ql, axis=1)
        upper[h] = qu[np.arange(S), br_max[h]]
        lower[h] = ql[np.arange(S), br_min[h]]
    return upper, lower, br_max, br_min


def markov_exploitability(game: MarkovGame, max_policy, min_policy) -> MarkovExploitabilityResult:
    r"""Best-response values of a policy pair: the defining inequalities of a Markov equilibrium.

    With one policy fixed the other player faces an MDP, solved exactly:

    .. math::

        \underline v = \min_{y'} v^{x,y'} \;\le\; v^* \;\le\; \max_{x'} v^{x',y} = \overline v,

    and ``(x, y)`` is an equilibrium iff ``underline v = overline v``
    (then both equal :math:`v^*`; Shapley 1953). In a discounted game the
    policies are stationary and each MDP is solved by Howard's policy
    iteration (:func:`~rltheory.tabular.policy_iteration`; Puterman 2005,
    Thm. 6.4.2); stationary best responses suffice (Puterman 2005, Thm.
    6.2.10). In a finite-horizon game the policies may depend on the stage
    and each MDP is solved by backward induction, whose greedy Markov
    deterministic policy is optimal among all history-dependent ones
    (Puterman 2005, Thm. 4.5.1).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, markov_exploitability
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=0.5)
    >>> r = markov_exploitability(game, [[0.5, 0.5]], [[0.5, 0.5]])
    >>> float(r.duality_gap) < 1e-12
    True
    >>> markov_exploitability(game, [0], [[0.5, 0.5]]).v_max_guarantee  # pure Heads loses 1 per stage
    array([-2.])
    >>> finite = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, -1.0], [-1.0, 1.0]]], gamma=1.0, horizon=2)
    >>> markov_exploitability(finite, [0], [[0.5, 0.5]]).gap[:, 0]  # per stage: 0 (vs uniform) minus -1 (Heads)
    array([2., 1., 0.])
    """
    from rltheory.tabular import policy_iteration

    if not isinstance(game, MarkovGame):
        raise ValueError(f"markov_exploitability needs a MarkovGame, got {type(game).__name__}")
    if game.horizon is not None:
        X = game.stage_policies(max_policy, "max")
        Y = game.stage_policies(min_policy, "min")
        upper, lower, br_max, br_min = _finite_horizon_best_responses(game, X, Y)
        gap = upper - lower
        return MarkovExploitabilityResult(
            v=evaluate_policies(game, X, Y),
            v_max_guarantee=readonly(lower),
            v_min_guarantee=readonly(upper),
            gap=readonly(gap),
            duality_gap=float(np.max(gap[0])),
            max_best_response=readonly(br_max),
            min_best_response=readonly(br_min),
        )
    game.require_discounted("markov_exploitability")
    x = game.policy_matrix(max_policy, "max")
    y = game.policy_matrix(min_policy, "min")
    br_max = policy_iteration(game.max_player_mdp(y))
    br_min = policy_iteration(game.min_player_mdp(x))
    upper = np.asarray(br_max.v, dtype=float)
    lower = -np.asarray(br_min.v, dtype=float)
    gap = upper - lower
    return MarkovExploitabilityResult(
        v=evaluate_policies(game, x, y),
        v_max_guarantee=readonly(lower),
        v_min_guarantee=readonly(upper),
        gap=readonly(gap),
        duality_gap=float(np.max(gap)),
        max_best_response=readonly(np.asarray(br_max.policy, dtype=np.int64)),
        min_best_response=readonly(np.asarray(br_min.policy, dtype=np.int64)),
    )
