r"""Finite-horizon tabular mean-field games: the model, exact exploitability, and three learning schemes.

A continuum of identical agents moves on ``S`` states in ``H`` steps. The
population's state distribution at step ``h`` is :math:`\mu_h`; a
representative agent in state ``s`` taking action ``a`` receives

.. math::

    r(s, a, \mu_h) = R(s, a) + (M \mu_h)(s)

and moves to :math:`s' \sim P(\cdot | s, a, \mu_h) = \sum_x \mu_h(x)\, K(\cdot | x, s, a)`
(mean-field dependent dynamics; ``P`` of shape ``(S, A, S)`` is the
independent special case). When everyone plays the Markov policy
:math:`\pi_h(a|s)` the population follows the *flow*

.. math::

    \mu_0 = m_0, \qquad \mu_{h+1}(s') = \sum_{s, a} \mu_h(s)\, \pi_h(a|s)\, P(s' | s, a, \mu_h).

The *exploitability* of :math:`\pi` (Perrin et al. 2020, Sec. 2; Laurière et
al. 2022) is what a single agent gains by deviating while the population
keeps the flow :math:`\mu^\pi`:

.. math::

    \phi(\pi) = \max_{\pi'} J(\pi', \mu^\pi) - J(\pi, \mu^\pi) \ge 0, \qquad
    J(\pi, \mu) = \mathbb{E}\Big[\sum_{h<H} r(s_h, a_h, \mu_h)\Big],\ s_0 \sim m_0,

computed exactly by backward induction on the MDP the flow induces;
:math:`\phi(\pi) = 0` exactly when :math:`\pi` is a mean-field Nash
equilibrium (MFNE). With ``P`` independent of :math:`\mu` and :math:`M +
M^\top \preceq 0` the game is *monotone* (Lasry & Lions 2007): the MFNE
flow is unique when :math:`M + M^\top \prec 0`, and with
:math:`-(M + M^\top)/2 \succeq \lambda I` every policy satisfies

.. math::

    \sum_{h} \|\mu_h^\pi - \mu_h^*\|_2^2 \;\le\; \phi(\pi) / \lambda

(from :math:`\phi(\pi) \ge J(\pi^*, \mu^\pi) - J(\pi, \mu^\pi)` and the
equilibrium inequality of :math:`\pi^*`; derived here, the standard
strong-monotonicity argument).

Learning schemes (each returns the exact exploitability of every iterate):

* :func:`mean_field_fixed_point` -- :math:`\pi_{k+1} = \mathrm{BR}(\mu^{\pi_k})`,
  the naive fixed-point iteration; it can cycle (crowd aversion: everyone
  flees to the empty state), which motivates the two below.
* :func:`mean_field_fictitious_play` -- Perrin, Pérolat, Laurière, Geist,
  Elie & Pietquin (2020), Algorithm 1 (discrete time): best respond to the
  averaged flow :math:`\bar\mu_k`, average the flows,
  :math:`\bar\mu_{k+1} = \bar\mu_k + (\mu^{\mathrm{BR}_{k+1}} - \bar\mu_k)/(k+2)`;
  the policy is the flow-weighted mixture :math:`\bar\pi_h(a|s) \propto \sum_j
  \mu^j_h(s) \pi^j_h(a|s)`, whose own flow *is* :math:`\bar\mu` when ``P``
  does not depend on :math:`\mu`. Their Thm. 5 (continuous time, monotone
  games) gives :math:`\phi = O(1/t)`.
* :func:`n_player_flow` -- the finite game behind the limit: ``N`` players
  play :math:`\pi` independently, each moving by :math:`P(\cdot|s,a,\mu^N_h)`
  with the *empirical* distribution :math:`\mu^N_h`; the law of the counts is
  propagated exactly (a Markov chain on count vectors), giving
  :math:`\mathbb{E}\|\mu^N_h - \mu_h\|_1`, which is :math:`O(N^{-1/2})`
  (propagation of chaos, Sznitman 1991, for Lipschitz dynamics; with
  population-independent dynamics the players are i.i.d. and the error is
  de Moivre's mean absolute deviation of multinomial counts).
* :func:`mean_field_mirror_descent` -- online mirror descent, Pérolat,
  Perrin, Elie, Laurière, Piliouras, Geist, Tuyls & Pietquin (2022),
  Algorithm 1: :math:`y^{k+1}_h = y^k_h + \alpha Q_h^{\pi_k, \mu^{\pi_k}}`,
  :math:`\pi_{k+1, h} = \mathrm{softmax}(y^{k+1}_h)`; converges in monotone
  games (their Thm. 1, continuous time).

References
----------
J.-M. Lasry and P.-L. Lions, "Mean field games", Jpn. J. Math. 2 (2007).
S. Perrin, J. Pérolat, M. Laurière, M. Geist, R. Elie and O. Pietquin,
"Fictitious play for mean field games: continuous time analysis and
applications", NeurIPS 2020.
J. Pérolat, S. Perrin, R. Elie, M. Laurière, G. Piliouras, M. Geist,
K. Tuyls and O. Pietquin, "Scaling up mean field games with online mirror
descent", AAMAS 2022.
A.-S. Sznitman, "Topics in propagation of chaos", École d'Été de
Probabilités de Saint-Flour XIX, LNM 1464, Springer (1991).
M. Laurière, S. Perrin, M. Geist and O. Pietquin, "Learning mean field
games: a survey", arXiv:2205.12944 (2022).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammaln, softmax

from rltheory._validation import (
    PROBABILITY_SUM_ATOL,
    check_finite,
    check_int,
    check_probability_vector,
    check_real,
    check_shape,
    readonly,
)

__all__ = [
    "MeanFieldGame",
    "MeanFieldExploitabilityResult",
    "MeanFieldLearningResult",
    "NPlayerFlowResult",
    "mean_field_exploitability",
    "mean_field_fictitious_play",
    "mean_field_fixed_point",
    "mean_field_mirror_descent",
    "n_player_flow",
]


@dataclass(frozen=True, eq=False)
class MeanFieldGame:
    r"""A finite-horizon tabular mean-field game (module docstring).

    Parameters
    ----------
    P : array_like, shape (S, A, S) or (S, S, A, S)
        ``P[s, a, s']``, or mean-field dependent ``P[x, s, a, s']`` with
        :math:`P(s'|s,a,\mu) = \sum_x \mu(x) P[x, s, a, s']` (every
        ``P[x, s, a]`` a distribution).
    R : array_like, shape (S, A)
        The population-independent reward ``R(s, a)``.
    interaction : array_like, shape (S, S)
        ``M`` in :math:`r(s, a, \mu) = R(s, a) + (M \mu)(s)`.
    horizon : int
        ``H >= 1`` steps.
    initial_distribution : array_like, shape (S,)
        :math:`m_0`.

    Attributes
    ----------
    n_states, n_actions : int
    mean_field_dynamics : bool
        Whether ``P`` depends on the population.

    Examples
    --------
    Two states, stay or switch, crowd aversion (``M = -I``):

    >>> import numpy as np
    >>> from rltheory.tabular.games import MeanFieldGame
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])  # action 0 stays, 1 switches
    >>> game = MeanFieldGame(P, np.zeros((2, 2)), -np.eye(2), horizon=2, initial_distribution=[1.0, 0.0])
    >>> stay = np.zeros((2, 2, 2)); stay[..., 0] = 1.0
    >>> game.flow(stay).tolist()
    [[1.0, 0.0], [1.0, 0.0]]
    >>> MeanFieldGame(P, np.zeros((2, 2)), -np.eye(2), horizon=0, initial_distribution=[1.0, 0.0])
    Traceback (most recent call last):
    ...
    ValueError: horizon = 0 must be >= 1
    """

    P: np.ndarray
    R: np.ndarray
    interaction: np.ndarray
    horizon: int
    initial_distribution: np.ndarray
    mean_field_dynamics: bool = field(init=False, repr=False)

    def __post_init__(self):
        P = np.array(self.P, dtype=float)
        if P.ndim == 3:
            P = np.broadcast_to(P, (P.shape[0],) + P.shape).copy()
            dependent = False
        elif P.ndim == 4:
            dependent = True
        else:
            raise ValueError(f"P has shape {P.shape}, expected (S, A, S) or (S, S, A, S)")
        S, _, A, _ = P.shape
        check_shape("P", P, (S, S, A, S))
        if S == 0 or A == 0:
            raise ValueError(f"P has shape {P.shape}; need at least one state and one action")
        check_finite("P", P)
        if (P < 0).any():
            raise ValueError(f"P{[int(i) for i in np.argwhere(P < 0)[0]]} is negative")
        bad = np.abs(P.sum(axis=3) - 1.0) > PROBABILITY_SUM_ATOL
        if bad.any():
            raise ValueError(
                f"P row {[int(i) for i in np.argwhere(bad)[0]]} does not sum to 1 within {PROBABILITY_SUM_ATOL:g}"
            )
        R = np.array(self.R, dtype=float)
        check_shape("R", R, (S, A))
        check_finite("R", R)
        M = np.array(self.interaction, dtype=float)
        check_shape("interaction", M, (S, S))
        check_finite("interaction", M)
        object.__setattr__(self, "P", readonly(P))
        object.__setattr__(self, "R", readonly(R))
        object.__setattr__(self, "interaction", readonly(M))
        object.__setattr__(self, "horizon", check_int("horizon", self.horizon, low=1))
        object.__setattr__(
            self,
            "initial_distribution",
            readonly(check_probability_vector("initial_distribution", self.initial_distribution, S)),
        )
        object.__setattr__(self, "mean_field_dynamics", dependent)

    @property
    def n_states(self) -> int:
        """Number of states ``S``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MeanFieldGame
        >>> game = MeanFieldGame(np.full((2, 3, 2), 0.5), np.zeros((2, 3)), np.zeros((2, 2)), horizon=1,
        ...                      initial_distribution=[1.0, 0.0])
        >>> game.n_states  # P is (S, A, S)
        2
        """
        return self.P.shape[1]

    @property
    def n_actions(self) -> int:
        """Number of actions ``A``.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MeanFieldGame
        >>> game = MeanFieldGame(np.full((2, 3, 2), 0.5), np.zeros((2, 3)), np.zeros((2, 2)), horizon=1,
        ...                      initial_distribution=[1.0, 0.0])
        >>> game.n_actions  # P is (S, A, S)
        3
        """
        return self.P.shape[2]

    def transitions(self, mu) -> np.ndarray:
        r""":math:`P(s'|s, a, \mu)`, shape (S, A, S).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MeanFieldGame
        >>> game = MeanFieldGame(np.ones((1, 1, 1)), [[0.0]], [[0.0]], horizon=1, initial_distribution=[1.0])
        >>> game.transitions([1.0]).shape
        (1, 1, 1)
        """
        return np.tensordot(np.asarray(mu, dtype=float), self.P, axes=(0, 0))

    def rewards(self, mu) -> np.ndarray:
        r""":math:`r(s, a, \mu) = R(s, a) + (M\mu)(s)`, shape (S, A).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MeanFieldGame
        >>> game = MeanFieldGame(np.ones((2, 1, 2)) / 2, [[1.0], [0.0]], -np.eye(2), horizon=1,
        ...                      initial_distribution=[0.5, 0.5])
        >>> game.rewards([0.25, 0.75]).ravel().tolist()
        [0.75, -0.75]
        """
        return self.R + (self.interaction @ np.asarray(mu, dtype=float))[:, None]

    def check_policy(self, policy) -> np.ndarray:
        """Validate a Markov policy of shape ``(H, S, A)`` (rows distributions) and return it as a float array.

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MeanFieldGame
        >>> game = MeanFieldGame(np.ones((1, 2, 1)), [[0.0, 0.0]], [[0.0]], horizon=1, initial_distribution=[1.0])
        >>> game.check_policy([[[0.5, 0.4]]])
        Traceback (most recent call last):
        ...
        ValueError: policy[h=0, s=0] sums to 0.9, expected 1 within 1e-10
        """
        pi = np.array(policy, dtype=float)
        check_shape("policy", pi, (self.horizon, self.n_states, self.n_actions))
        check_finite("policy", pi)
        if (pi < 0).any():
            raise ValueError(f"policy{[int(i) for i in np.argwhere(pi < 0)[0]]} is negative")
        sums = pi.sum(axis=2)
        bad = np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL
        if bad.any():
            h, s = (int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"policy[h={h}, s={s}] sums to {float(sums[h, s])!r}, expected 1 within {PROBABILITY_SUM_ATOL:g}"
            )
        return pi

    def flow(self, policy) -> np.ndarray:
        r"""The population flow :math:`(\mu_0, \dots, \mu_{H-1})` of everyone playing ``policy``, shape (H, S).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MeanFieldGame
        >>> game = MeanFieldGame(np.full((2, 1, 2), 0.5), np.zeros((2, 1)), np.zeros((2, 2)), horizon=2,
        ...                      initial_distribution=[1.0, 0.0])
        >>> game.flow(np.ones((2, 2, 1))).tolist()
        [[1.0, 0.0], [0.5, 0.5]]
        """
        pi = self.check_policy(policy)
        mu = np.empty((self.horizon, self.n_states))
        mu[0] = self.initial_distribution
        for h in range(self.horizon - 1):
            mu[h + 1] = np.einsum("s,sa,sat->t", mu[h], pi[h], self.transitions(mu[h]))
        return mu

    def q_values(self, policy, flow) -> np.ndarray:
        r""":math:`Q_h^{\pi, \mu}(s, a)` of ``policy`` against the fixed ``flow`` (H, S), shape (H, S, A).

        Examples
        --------
        >>> import numpy as np
        >>> from rltheory.tabular.games import MeanFieldGame
        >>> game = MeanFieldGame(np.ones((1, 2, 1)), [[1.0, 0.0]], [[0.0]], horizon=3, initial_distribution=[1.0])
        >>> game.q_values(np.full((3, 1, 2), 0.5), np.ones((3, 1)))[:, 0].tolist()
        [[2.0, 1.0], [1.5, 0.5], [1.0, 0.0]]
        """
        pi = self.check_policy(policy)
        return _backward(self, np.asarray(flow, dtype=float), pi)[0]


def _backward(game: MeanFieldGame, mu: np.ndarray, pi: np.ndarray | None):
    """Q of ``pi`` (or of the best response when ``pi`` is None) against ``mu``; returns (Q, V (H + 1, S))."""
    H, S, A = game.horizon, game.n_states, game.n_actions
    Q = np.empty((H, S, A))
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        Q[h] = game.rewards(mu[h]) + game.transitions(mu[h]) @ V[h + 1]
        V[h] = Q[h].max(axis=1) if pi is None else np.einsum("sa,sa->s", pi[h], Q[h])
    return Q, V


def _greedy(Q: np.ndarray) -> np.ndarray:
    """The deterministic policy taking the first maximizer of every ``Q[h, s]``, shape (H, S, A)."""
    pi = np.zeros(Q.shape)
    idx = Q.argmax(axis=2)
    np.put_along_axis(pi, idx[..., None], 1.0, axis=2)
    return pi


@dataclass(frozen=True, eq=False)
class MeanFieldExploitabilityResult:
    r"""Result of :func:`mean_field_exploitability`.

    Attributes
    ----------
    exploitability : float
        :math:`\phi(\pi) = m_0^\top(V^{*,\mu^\pi}_0 - V^{\pi,\mu^\pi}_0) \ge 0`.
    flow : numpy.ndarray, shape (H, S)
        :math:`\mu^\pi`.
    value : float
        :math:`J(\pi, \mu^\pi)`.
    best_response_value : float
        :math:`\max_{\pi'} J(\pi', \mu^\pi)`.
    best_response : numpy.ndarray, shape (H, S, A)
        A deterministic best response to :math:`\mu^\pi`.
    q : numpy.ndarray, shape (H, S, A)
        :math:`Q^{\pi, \mu^\pi}`.

    Examples
    --------
    Crowd aversion (reward ``-mu(s)``) on two states, everyone stays in state 0 for two steps: each step
    costs 1, so ``J = -2``; a deviator who switches at step 0 pays 1 once and then sits alone, ``-1``.

    >>> import numpy as np
    >>> from rltheory.tabular.games import MeanFieldGame, mean_field_exploitability
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])  # action 0 stays, 1 switches
    >>> game = MeanFieldGame(P, np.zeros((2, 2)), -np.eye(2), horizon=2, initial_distribution=[1.0, 0.0])
    >>> stay = np.zeros((2, 2, 2)); stay[..., 0] = 1.0
    >>> r = mean_field_exploitability(game, stay)
    >>> r.flow.tolist(), r.value, r.best_response_value, r.exploitability
    ([[1.0, 0.0], [1.0, 0.0]], -2.0, -1.0, 1.0)
    >>> r.q[0, 0].tolist(), r.best_response[0, 0].tolist()  # at step 0 in state 0: stay -2, switch -1
    ([-2.0, -1.0], [0.0, 1.0])
    """

    exploitability: float
    flow: np.ndarray
    value: float
    best_response_value: float
    best_response: np.ndarray
    q: np.ndarray


def mean_field_exploitability(game: MeanFieldGame, policy) -> MeanFieldExploitabilityResult:
    r"""The exact exploitability of a Markov policy in a mean-field game (module docstring).

    Examples
    --------
    Crowd aversion on two states, everyone stays in state 0: moving to the
    empty state gains the crowd's weight at the last step.

    >>> import numpy as np
    >>> from rltheory.tabular.games import MeanFieldGame, mean_field_exploitability
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    >>> game = MeanFieldGame(P, np.zeros((2, 2)), -np.eye(2), horizon=2, initial_distribution=[1.0, 0.0])
    >>> stay = np.zeros((2, 2, 2)); stay[..., 0] = 1.0
    >>> r = mean_field_exploitability(game, stay)
    >>> r.value, r.best_response_value, r.exploitability
    (-2.0, -1.0, 1.0)
    """
    if not isinstance(game, MeanFieldGame):
        raise ValueError(f"mean_field_exploitability needs a MeanFieldGame, got {type(game).__name__}")
    pi = game.check_policy(policy)
    mu = game.flow(pi)
    Q, V = _backward(game, mu, pi)
    Qs, Vs = _backward(game, mu, None)
    m0 = game.initial_distribution
    value, best = float(m0 @ V[0]), float(m0 @ Vs[0])
    return MeanFieldExploitabilityResult(
        exploitability=best - value,
        flow=readonly(mu),
        value=value,
        best_response_value=best,
        best_response=readonly(_greedy(Qs)),
        q=readonly(Q),
    )


@dataclass(frozen=True, eq=False)
class MeanFieldLearningResult:
    r"""Result of the mean-field learning schemes.

    Attributes
    ----------
    policy : numpy.ndarray, shape (H, S, A)
        The last iterate (fixed point, mirror descent) or the averaged policy (fictitious play).
    flow : numpy.ndarray, shape (H, S)
        Its flow :math:`\mu^\pi`.
    exploitability : float
        :math:`\phi` of ``policy`` (exact).
    exploitability_history : numpy.ndarray, shape (n_iterations + 1,)
        :math:`\phi` of the initial policy and of every iterate.
    iterations : int

    Examples
    --------
    One state, two actions paying 1 and 0, two steps, no interaction: the uniform start earns 1/2 a step
    and is exploitable by ``2 - 1 = 1``; one best response (always action 0) is the equilibrium.

    >>> import numpy as np
    >>> from rltheory.tabular.games import MeanFieldGame, mean_field_fixed_point
    >>> game = MeanFieldGame(np.ones((1, 2, 1)), [[1.0, 0.0]], [[0.0]], horizon=2, initial_distribution=[1.0])
    >>> res = mean_field_fixed_point(game, 2)
    >>> res.iterations, res.exploitability_history.tolist(), res.exploitability
    (2, [1.0, 0.0, 0.0], 0.0)
    >>> res.policy[:, 0].tolist(), res.flow.tolist()
    ([[1.0, 0.0], [1.0, 0.0]], [[1.0], [1.0]])
    """

    policy: np.ndarray
    flow: np.ndarray
    exploitability: float
    exploitability_history: np.ndarray
    iterations: int


def _start(game, initial_policy):
    if initial_policy is None:
        return np.full((game.horizon, game.n_states, game.n_actions), 1.0 / game.n_actions)
    return game.check_policy(initial_policy)


def _learning_result(game, pi, history, n):
    ex = mean_field_exploitability(game, pi)
    return MeanFieldLearningResult(
        policy=readonly(pi),
        flow=ex.flow,
        exploitability=ex.exploitability,
        exploitability_history=readonly(np.array(history)),
        iterations=n,
    )


def mean_field_fixed_point(game: MeanFieldGame, n_iterations: int, *, initial_policy=None) -> MeanFieldLearningResult:
    r"""Naive fixed-point iteration :math:`\pi_{k+1} = \mathrm{BR}(\mu^{\pi_k})` (first maximizer; module docstring).

    Examples
    --------
    Crowd aversion on two states: everyone flees to the state the crowd left, forever.

    >>> import numpy as np
    >>> from rltheory.tabular.games import MeanFieldGame, mean_field_fixed_point
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    >>> game = MeanFieldGame(P, np.zeros((2, 2)), -np.eye(2), horizon=2, initial_distribution=[1.0, 0.0])
    >>> mean_field_fixed_point(game, 4).exploitability_history.tolist()
    [0.0, 1.0, 1.0, 1.0, 1.0]
    """
    n = check_int("n_iterations", n_iterations, low=1)
    pi = _start(game, initial_policy)
    ex = mean_field_exploitability(game, pi)
    history = [ex.exploitability]
    for _ in range(n):
        pi = np.array(ex.best_response)
        ex = mean_field_exploitability(game, pi)
        history.append(ex.exploitability)
    return _learning_result(game, pi, history, n)


def mean_field_fictitious_play(
    game: MeanFieldGame, n_iterations: int, *, initial_policy=None
) -> MeanFieldLearningResult:
    r"""Fictitious play for mean-field games (Perrin et al. 2020, Algorithm 1, discrete time; module docstring).

    The returned policy is the flow-weighted mixture of the initial policy
    and the ``n_iterations`` best responses, weighted equally (each
    :math:`\pi^j` with its own flow :math:`\mu^{\pi^j}`).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MeanFieldGame, mean_field_fictitious_play
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    >>> game = MeanFieldGame(P, np.zeros((2, 2)), -np.eye(2), horizon=2, initial_distribution=[1.0, 0.0])
    >>> stay = np.zeros((2, 2, 2)); stay[..., 0] = 1.0
    >>> r = mean_field_fictitious_play(game, 99, initial_policy=stay)
    >>> r.flow[1].tolist(), r.exploitability  # half the crowd moved: the equilibrium
    ([0.5, 0.5], 0.0)
    """
    n = check_int("n_iterations", n_iterations, low=1)
    pi0 = _start(game, initial_policy)
    mu0 = game.flow(pi0)
    weighted = mu0[..., None] * pi0  # sum_j mu^j_h(s) pi^j_h(a|s)
    mu_bar = mu0.copy()
    history = [mean_field_exploitability(game, pi0).exploitability]
    pi_bar = pi0
    for k in range(n):
        br = _greedy(_backward(game, mu_bar, None)[0])
        mu_br = game.flow(br)
        weighted += mu_br[..., None] * br
        mu_bar += (mu_br - mu_bar) / (k + 2)
        mass = weighted.sum(axis=2, keepdims=True)
        pi_bar = np.where(mass > 0.0, weighted / np.where(mass > 0.0, mass, 1.0), 1.0 / game.n_actions)
        history.append(mean_field_exploitability(game, pi_bar).exploitability)
    return _learning_result(game, pi_bar, history, n)


def mean_field_mirror_descent(
    game: MeanFieldGame, n_iterations: int, *, learning_rate: float = 1.0, initial_policy=None
) -> MeanFieldLearningResult:
    r"""Online mirror descent for mean-field games (Pérolat et al. 2022, Algorithm 1; module docstring).

    :math:`y^0 = \log \pi_0`, :math:`y^{k+1} = y^k + \alpha Q^{\pi_k, \mu^{\pi_k}}`,
    :math:`\pi_{k+1} = \mathrm{softmax}(y^{k+1})` per step and state. The
    convergence theorem is in continuous time; discrete steps with
    :math:`\alpha \|M\|_2` large can cycle (take :math:`\alpha \lesssim
    1/\|M\|_2`). The initial policy needs full support (``y^0`` finite).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MeanFieldGame, mean_field_mirror_descent
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    >>> game = MeanFieldGame(P, np.zeros((2, 2)), -np.eye(2), horizon=2, initial_distribution=[1.0, 0.0])
    >>> r = mean_field_mirror_descent(game, 50)
    >>> bool(r.exploitability < 1e-6), np.round(r.flow[1], 6).tolist()
    (True, [0.5, 0.5])
    """
    n = check_int("n_iterations", n_iterations, low=1)
    lr = check_real("learning_rate", learning_rate, low=0.0, low_open=True)
    pi = _start(game, initial_policy)
    if (pi <= 0.0).any():
        h, s_, a = (int(i) for i in np.argwhere(pi <= 0.0)[0])
        raise ValueError(
            f"mean_field_mirror_descent needs an initial policy with full support; initial_policy[{h}, {s_}, {a}] = 0"
        )
    y = np.log(pi)
    ex = mean_field_exploitability(game, pi)
    history = [ex.exploitability]
    for _ in range(n):
        y = y + lr * np.asarray(ex.q)
        pi = softmax(y, axis=2)
        ex = mean_field_exploitability(game, pi)
        history.append(ex.exploitability)
    return _learning_result(game, pi, history, n)


@dataclass(frozen=True, eq=False)
class NPlayerFlowResult:
    r"""Result of :func:`n_player_flow`.

    Attributes
    ----------
    mean_l1_error : numpy.ndarray, shape (H,)
        :math:`\mathbb{E}\|\mu^N_h - \mu^\pi_h\|_1` (exact).
    expected_flow : numpy.ndarray, shape (H, S)
        :math:`\mathbb{E}\,\mu^N_h`.
    flow : numpy.ndarray, shape (H, S)
        The mean-field flow :math:`\mu^\pi`.
    n_players : int
    n_configurations : int
        Number of count vectors with ``N`` players on ``S`` states.

    Examples
    --------
    Two players each flip a fair coin between two states: ``X ~ Bin(2, 1/2)`` players land in state 0 and
    ``E|X/2 - 1/2| = 1/4``, so the ``l1`` error is 1/2; the players are independent, so the expected
    empirical flow is the mean-field flow; the count vectors are ``(0, 2), (1, 1), (2, 0)``.

    >>> import numpy as np
    >>> from rltheory.tabular.games import MeanFieldGame, n_player_flow
    >>> game = MeanFieldGame(np.full((2, 1, 2), 0.5), np.zeros((2, 1)), np.zeros((2, 2)), horizon=2,
    ...                      initial_distribution=[1.0, 0.0])
    >>> r = n_player_flow(game, np.ones((2, 2, 1)), 2)
    >>> r.mean_l1_error.round(12).tolist(), r.n_players, r.n_configurations
    ([0.0, 0.5], 2, 3)
    >>> r.flow.tolist(), r.expected_flow.round(12).tolist()
    ([[1.0, 0.0], [0.5, 0.5]], [[1.0, 0.0], [0.5, 0.5]])
    """

    mean_l1_error: np.ndarray
    expected_flow: np.ndarray
    flow: np.ndarray
    n_players: int
    n_configurations: int


def _compositions(n: int, k: int) -> np.ndarray:
    """Every vector of ``k`` nonnegative integers summing to ``n``, shape (C(n + k - 1, k - 1), k)."""
    if k == 1:
        return np.array([[n]], dtype=np.int64)
    rows = [
        np.column_stack([np.full(len(rest), i, dtype=np.int64), rest])
        for i in range(n + 1)
        for rest in [_compositions(n - i, k - 1)]
    ]
    return np.vstack(rows)


def n_player_flow(game: MeanFieldGame, policy, n_players: int) -> NPlayerFlowResult:
    r"""The exact law of the empirical distribution of ``N`` players all playing ``policy`` (module docstring).

    The ``N`` players start i.i.d. from :math:`m_0`; at step ``h`` each player
    in state ``s`` draws :math:`a \sim \pi_h(\cdot|s)` and moves by
    :math:`P(\cdot|s, a, \mu^N_h)`, independently given the counts. The law
    of the count vector is propagated exactly over all
    :math:`\binom{N+S-1}{S-1}` configurations (next counts: a sum of
    independent multinomials, one per occupied state).

    Examples
    --------
    One state-independent coin: :math:`\mathbb{E}|X/N - 1/2|` for
    :math:`X \sim \mathrm{Bin}(4, 1/2)` is :math:`3/16`, so the
    :math:`\ell_1` error is :math:`3/8`:

    >>> import numpy as np
    >>> from rltheory.tabular.games import MeanFieldGame, n_player_flow
    >>> game = MeanFieldGame(np.full((2, 1, 2), 0.5), np.zeros((2, 1)), np.zeros((2, 2)), horizon=2,
    ...                      initial_distribution=[1.0, 0.0])
    >>> r = n_player_flow(game, np.ones((2, 2, 1)), 4)
    >>> np.round(r.mean_l1_error, 12).tolist(), r.n_configurations
    ([0.0, 0.375], 5)
    """
    if not isinstance(game, MeanFieldGame):
        raise ValueError(f"n_player_flow needs a MeanFieldGame, got {type(game).__name__}")
    pi = game.check_policy(policy)
    N = check_int("n_players", n_players, low=1)
    S, H = game.n_states, game.horizon
    configs = _compositions(N, S)  # (C, S)
    index = {tuple(c): i for i, c in enumerate(configs)}
    C = len(configs)
    log_fact = gammaln(np.arange(N + 2) + 1.0)
    comps = {n: _compositions(n, S) for n in range(N + 1)}

    def multinomial(n, q):
        k = comps[n]
        positive = q > 0.0
        logp = log_fact[n] - log_fact[k].sum(axis=1) + (k * np.log(np.where(positive, q, 1.0))).sum(axis=1)
        return k, np.where(((k > 0) & ~positive).any(axis=1), 0.0, np.exp(logp))

    law = np.zeros(C)
    k0, p0 = multinomial(N, np.asarray(game.initial_distribution))
    for k, p in zip(k0, p0):
        law[index[tuple(k)]] += p
    mu = game.flow(pi)
    err = np.zeros(H)
    mean = np.zeros((H, S))
    for h in range(H):
        emp = configs / N
        err[h] = law @ np.abs(emp - mu[h]).sum(axis=1)
        mean[h] = law @ emp
        if h == H - 1:
            break
        nxt = np.zeros(C)
        for i in np.flatnonzero(law > 0.0):
            q = np.einsum("sa,sat->st", pi[h], game.transitions(emp[i]))  # (S, S') next-state law per state
            dist = {(0,) * S: law[i]}
            for s in np.flatnonzero(configs[i]):
                ks, ps = multinomial(int(configs[i, s]), q[s])
                new = {}
                for base, w in dist.items():
                    b = np.asarray(base)
                    for k, p in zip(ks, ps):
                        if p > 0.0:
                            key = tuple(b + k)
                            new[key] = new.get(key, 0.0) + w * p
                dist = new
            for key, w in dist.items():
                nxt[index[key]] += w
        law = nxt
    return NPlayerFlowResult(
        mean_l1_error=readonly(err), expected_flow=readonly(mean), flow=readonly(mu), n_players=N, n_configurations=C
    )
