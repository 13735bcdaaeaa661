r"""Learning dynamics in normal-form games: no-regret self-play, fictitious play, MMD, replicator dynamics.

Every player runs the same full-information learner against the others'
current strategies: at round ``t`` player ``i`` plays ``x_i^t`` and observes
her *deviation payoff vector* ``g_i^t = u_i(., x_{-i}^t)``. Her external regret
after ``T`` rounds is

.. math::

    R_i(T) = \max_{a} \sum_{t=1}^T g_i^t(a) - \sum_{t=1}^T \langle x_i^t, g_i^t \rangle .

Two exact identities connect regret and equilibrium (the "folk theorem";
e.g. Cesa-Bianchi & Lugosi 2006, Sec. 7.2 and 7.4; Hart & Mas-Colell 2000):

* in a two-player zero-sum (or constant-sum) game the average iterates
  ``x_bar, y_bar`` satisfy ``NashConv(x_bar, y_bar) = (R_1(T) + R_2(T)) / T``
  (expand ``max_i (A y_bar)_i - min_j (x_bar^T A)_j``);
* in any game the empirical distribution of play
  ``sigma_T = (1/T) sum_t x_1^t (x) ... (x) x_n^t`` has coarse-correlated
  violation ``max_{i, a'} E_{sigma_T}[u_i(a', a_{-i}) - u_i(a)] = max_i R_i(T) / T``.

So a no-regret learner's average play converges to the Nash equilibria of a
zero-sum game and to the CCE set of any game. The results carry the regrets,
the average and last iterates and their NashConv at every round, so these
identities and the learners' regret bounds can be checked on every run
(:mod:`rltheory.proofs_checks._claims_games`).

Learners (``x^1`` = ``initial``, uniform by default):

* :func:`multiplicative_weights` (Hedge; Freund & Schapire 1997):
  ``x^{t+1} ∝ x^t exp(eta g^t)``;
* :func:`optimistic_multiplicative_weights` (Rakhlin & Sridharan 2013;
  Daskalakis & Panageas 2019): ``x^{t+1} ∝ x^t exp(eta (2 g^t - g^{t-1}))``;
* :func:`regret_matching` (Hart & Mas-Colell 2000): ``x^{t+1} ∝ [R^t]^+``;
* :func:`regret_matching_plus` (Tammelin 2014): ``Q^{t+1} = [Q^t + g^t -
  <x^t, g^t>]^+``, ``x^{t+1} ∝ Q^{t+1}``;
* :func:`fictitious_play` (Brown 1951; Robinson 1951): ``x^{t+1}`` a pure
  best response to the others' average play;
* :func:`magnetic_mirror_descent` (Sokota et al. 2023): ``x^{t+1} ∝ (x^t
  rho^{eta alpha} exp(eta g^t))^{1 / (1 + eta alpha)}``, whose fixed point is
  the logit QRE at temperature ``alpha`` with prior (magnet) ``rho``;
* :func:`replicator_dynamics` (Taylor & Jonker 1978): the continuous-time
  ``dx_i/dt = x_i (g_i - <x_i, g_i>)``, integrated in its exponential
  (continuous FTRL) coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce

import numpy as np
import scipy.integrate
import scipy.special

from rltheory._validation import check_int, check_real, readonly
from rltheory.tabular.games._matrix import MatrixGame, _deviation_payoffs

__all__ = [
    "LearningDynamicsResult",
    "ReplicatorResult",
    "fictitious_play",
    "magnetic_mirror_descent",
    "multiplicative_weights",
    "optimistic_multiplicative_weights",
    "regret_matching",
    "regret_matching_plus",
    "replicator_dynamics",
]


@dataclass(frozen=True, eq=False)
class LearningDynamicsResult:
    r"""Result of the discrete-time learners.

    Attributes
    ----------
    trajectory : tuple of numpy.ndarray
        Per player, the played strategies ``x_i^1, ..., x_i^T`` (shape ``(T, A_i)``).
    last_iterate, average_iterate : tuple of numpy.ndarray
        ``x_i^T`` and ``(1/T) sum_t x_i^t`` per player.
    regrets : numpy.ndarray, shape (n,)
        External regrets ``R_i(T)`` (module docstring).
    regret_history : numpy.ndarray, shape (T, n)
        ``R_i(t)`` for ``t = 1..T``.
    nash_conv_last : numpy.ndarray, shape (T,)
        NashConv of ``x^t``.
    nash_conv_average : numpy.ndarray, shape (T,)
        NashConv of the average of ``x^1, ..., x^t``.
    empirical_distribution : numpy.ndarray, shape (A_1, ..., A_n)
        ``(1/T) sum_t x_1^t (x) ... (x) x_n^t``.
    iterations : int
        ``T``.
    step_size : numpy.ndarray, shape (n,) or (0,)
        The per-player step sizes used (empty for the step-free learners).
    method : str

    Examples
    --------
    >>> from rltheory.tabular.games import MatrixGame, regret_matching
    >>> pennies = MatrixGame.zero_sum([[1, -1], [-1, 1]])
    >>> res = regret_matching(pennies, n_iterations=10)  # the uniform start is the equilibrium: no regret, no move
    >>> res.iterations, res.trajectory[0].shape, [x.tolist() for x in res.last_iterate]
    (10, (10, 2), [[0.5, 0.5], [0.5, 0.5]])
    >>> res.regrets.tolist(), res.empirical_distribution.tolist(), float(res.nash_conv_average[-1])
    ([0.0, 0.0], [[0.25, 0.25], [0.25, 0.25]], 0.0)
    """

    trajectory: tuple
    last_iterate: tuple
    average_iterate: tuple
    regrets: np.ndarray
    regret_history: np.ndarray
    nash_conv_last: np.ndarray
    nash_conv_average: np.ndarray
    empirical_distribution: np.ndarray
    iterations: int
    step_size: np.ndarray
    method: str


def _check_game(game, who):
    if not isinstance(game, MatrixGame):
        raise ValueError(f"{who} needs a MatrixGame, got {type(game).__name__}")


def _initial(game: MatrixGame, initial):
    if initial is None:
        return [np.full(k, 1.0 / k) for k in game.n_actions]
    return [np.array(x) for x in game.strategy_profile(initial, name="initial")]


def _payoff_ranges(game: MatrixGame) -> np.ndarray:
    U = np.asarray(game.payoffs)
    return np.array([float(U[i].max() - U[i].min()) for i in range(game.n_players)])


def _step_sizes(game: MatrixGame, step_size, default) -> np.ndarray:
    n = game.n_players
    if step_size is None:
        return np.asarray(default, dtype=float)
    if np.ndim(step_size) == 0:
        eta = check_real("step_size", step_size, low=0.0, low_open=True)
        return np.full(n, eta)
    etas = np.asarray(step_size, dtype=float)
    if etas.shape != (n,):
        raise ValueError(f"step_size has shape {etas.shape}; give one number or one per player ({n},)")
    for i, e in enumerate(etas):
        check_real(f"step_size[{i}]", float(e), low=0.0, low_open=True)
    return etas


def _run(game: MatrixGame, n_iterations, initial, method, update, step_size):
    """Self-play loop: plays x^1..x^T, records regrets, NashConv (last and average), the empirical distribution."""
    T = check_int("n_iterations", n_iterations, low=1)
    U = np.asarray(game.payoffs)
    n = game.n_players
    xs = _initial(game, initial)
    traj = [np.empty((T, k)) for k in game.n_actions]
    cum_gain = [np.zeros(k) for k in game.n_actions]
    cum_value = np.zeros(n)
    avg_sum = [np.zeros(k) for k in game.n_actions]
    emp = np.zeros(game.n_actions)
    regret_hist = np.empty((T, n))
    nc_last = np.empty(T)
    nc_avg = np.empty(T)
    state = {}
    for t in range(T):
        g = [_deviation_payoffs(U, xs, i) for i in range(n)]
        values = np.array([float(g[i] @ xs[i]) for i in range(n)])
        nc_last[t] = float(sum(g[i].max() - values[i] for i in range(n)))
        for i in range(n):
            traj[i][t] = xs[i]
            cum_gain[i] += g[i]
            avg_sum[i] += xs[i]
        cum_value += values
        emp += reduce(np.multiply.outer, xs)
        regret_hist[t] = [cum_gain[i].max() - cum_value[i] for i in range(n)]
        avg = [s / (t + 1) for s in avg_sum]
        g_avg = [_deviation_payoffs(U, avg, i) for i in range(n)]
        nc_avg[t] = float(sum(g_avg[i].max() - g_avg[i] @ avg[i] for i in range(n)))
        if t + 1 < T:
            xs = update(t, xs, g, values, cum_gain, cum_value, g_avg, state)
    avg = tuple(readonly(s / T) for s in avg_sum)
    return LearningDynamicsResult(
        trajectory=tuple(readonly(a) for a in traj),
        last_iterate=tuple(readonly(x.copy()) for x in xs),
        average_iterate=avg,
        regrets=readonly(regret_hist[-1].copy()),
        regret_history=readonly(regret_hist),
        nash_conv_last=readonly(nc_last),
        nash_conv_average=readonly(nc_avg),
        empirical_distribution=readonly(emp / T),
        iterations=T,
        step_size=readonly(np.asarray(step_size, dtype=float)),
        method=method,
    )


def _normalized_positive(r: np.ndarray) -> np.ndarray:
    p = np.maximum(r, 0.0)
    s = p.sum()
    return p / s if s > 0 else np.full(r.shape, 1.0 / r.size)


def multiplicative_weights(game: MatrixGame, *, n_iterations: int, step_size=None, initial=None):
    r"""Self-play with Hedge / multiplicative weights: ``x^{t+1}_i ∝ x^t_i exp(eta_i g^t_i)``.

    Regret bound (Cesa-Bianchi & Lugosi 2006, Thm. 2.2, rescaled from losses
    in ``[0, 1]`` to payoffs of range ``Delta_i = max u_i - min u_i``): from
    the uniform start, for every ``eta_i > 0`` and every opponent sequence,

    .. math::

        R_i(T) \le \frac{\ln A_i}{\eta_i} + \frac{\eta_i T \Delta_i^2}{8},

    minimized by the default ``eta_i = sqrt(8 ln A_i / T) / Delta_i``, which
    gives ``R_i(T) <= Delta_i sqrt(T ln(A_i) / 2)``.

    Parameters
    ----------
    game : MatrixGame
    n_iterations : int
        ``T >= 1`` rounds.
    step_size : float or array_like of shape (n,), optional
        ``eta`` (one per player or shared); default: the tuned value above.
    initial : profile, optional
        ``x^1`` (uniform by default).

    Returns
    -------
    LearningDynamicsResult

    References
    ----------
    Y. Freund and R. E. Schapire, "A decision-theoretic generalization of
    on-line learning and an application to boosting", JCSS 55 (1997).
    N. Cesa-Bianchi and G. Lugosi, *Prediction, Learning, and Games*, Cambridge (2006).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, multiplicative_weights
    >>> rps = MatrixGame.zero_sum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]])
    >>> res = multiplicative_weights(rps, n_iterations=2000, initial=[[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]])
    >>> bool(abs(res.nash_conv_average[-1] - res.regrets.sum() / 2000) < 1e-12)  # the folk identity
    True
    """
    _check_game(game, "multiplicative_weights")
    T = check_int("n_iterations", n_iterations, low=1)
    ranges = np.maximum(_payoff_ranges(game), 1e-300)
    default = np.array([math.sqrt(8 * math.log(max(k, 2)) / T) for k in game.n_actions]) / ranges
    eta = _step_sizes(game, step_size, default)
    with np.errstate(divide="ignore"):
        log0 = [np.log(x) for x in _initial(game, initial)]

    def update(t, xs, g, values, cum_gain, cum_value, g_avg, state):
        return [scipy.special.softmax(log0[i] + eta[i] * cum_gain[i]) for i in range(len(xs))]

    return _run(game, T, initial, "multiplicative-weights", update, eta)


def optimistic_multiplicative_weights(game: MatrixGame, *, n_iterations: int, step_size=None, initial=None):
    r"""Self-play with optimistic Hedge: ``x^{t+1}_i ∝ x^t_i exp(eta (2 g^t_i - g^{t-1}_i))``.

    Equivalently optimistic FTRL with the entropy and the last payoff as the
    prediction, ``x^{t+1} ∝ x^1 exp(eta (G^t + g^t))`` (Rakhlin & Sridharan
    2013; Syrgkanis et al. 2015). In two-player zero-sum games with a unique
    Nash equilibrium the *last* iterate converges to it (Daskalakis &
    Panageas 2019, for small constant ``eta``), at a linear rate (Wei, Lee,
    Zhang & Luo 2021, their OMWU theorem for bilinear games on simplices, with
    ``eta <= 1/8`` for payoffs in ``[-1, 1]``),
    whereas plain multiplicative weights spirals away from an interior
    equilibrium (Bailey & Piliouras 2018). Default ``eta = 1 / (8 max|u|)``.

    References
    ----------
    A. Rakhlin and K. Sridharan, "Optimization, learning, and games with
    predictable sequences", NeurIPS 2013.
    C. Daskalakis and I. Panageas, "Last-iterate convergence: zero-sum games
    and constrained min-max optimization", ITCS 2019.
    C.-Y. Wei, C.-W. Lee, M. Zhang and H. Luo, "Linear last-iterate
    convergence in constrained saddle-point optimization", ICLR 2021.

    Examples
    --------
    >>> from rltheory.tabular.games import MatrixGame, optimistic_multiplicative_weights
    >>> pennies = MatrixGame.zero_sum([[1.0, -1.0], [-1.0, 1.0]])
    >>> res = optimistic_multiplicative_weights(pennies, n_iterations=3000, initial=[[0.9, 0.1], [0.2, 0.8]])
    >>> bool(res.nash_conv_last[-1] < 1e-9)  # the last iterate converges (default eta = 1/8)
    True
    """
    _check_game(game, "optimistic_multiplicative_weights")
    scale = max(1e-300, float(np.max(np.abs(game.payoffs))))
    eta = _step_sizes(game, step_size, np.full(game.n_players, 1.0 / (8.0 * scale)))
    with np.errstate(divide="ignore"):
        log0 = [np.log(x) for x in _initial(game, initial)]

    def update(t, xs, g, values, cum_gain, cum_value, g_avg, state):
        return [scipy.special.softmax(log0[i] + eta[i] * (cum_gain[i] + g[i])) for i in range(len(xs))]

    return _run(game, n_iterations, initial, "optimistic-multiplicative-weights", update, eta)


def regret_matching(game: MatrixGame, *, n_iterations: int, initial=None):
    r"""Self-play with regret matching (Hart & Mas-Colell 2000): ``x^{t+1}_i ∝ [R^t_i]^+`` (uniform if all ``<= 0``).

    ``R^t_i(a) = sum_{s <= t} (g^s_i(a) - <x^s_i, g^s_i>)``. Regret bound
    (Hart & Mas-Colell 2000; Cesa-Bianchi & Lugosi 2006, Sec. 2.1, polynomial
    potential with ``p = 2``): ``R_i(T) <= Delta_i sqrt(A_i T)`` for any
    opponent sequence, ``Delta_i = max u_i - min u_i``.

    References
    ----------
    S. Hart and A. Mas-Colell, "A simple adaptive procedure leading to
    correlated equilibrium", Econometrica 68(5) (2000).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, regret_matching
    >>> res = regret_matching(MatrixGame.zero_sum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]]), n_iterations=1000)
    >>> bool(np.all(res.regrets <= 2 * np.sqrt(3 * 1000)))
    True
    """
    _check_game(game, "regret_matching")

    def update(t, xs, g, values, cum_gain, cum_value, g_avg, state):
        return [_normalized_positive(cum_gain[i] - cum_value[i]) for i in range(len(xs))]

    return _run(game, n_iterations, initial, "regret-matching", update, np.empty(0))


def regret_matching_plus(game: MatrixGame, *, n_iterations: int, initial=None):
    r"""Self-play with regret matching+ (Tammelin 2014): ``Q^{t+1} = [Q^t + g^t - <x^t, g^t>]^+``, ``x ∝ Q``.

    Same regret bound as regret matching, ``R_i(T) <= Delta_i sqrt(A_i T)``
    (Tammelin, Burch, Johanson & Bowling 2015, Sec. 3: the clipped sums
    dominate the regrets, ``R_i(T) <= max_a Q^T_i(a)``).

    References
    ----------
    O. Tammelin, "Solving large imperfect information games using CFR+", arXiv:1407.5042 (2014).
    O. Tammelin, N. Burch, M. Johanson and M. Bowling, "Solving heads-up limit
    Texas hold'em", IJCAI 2015.

    Examples
    --------
    >>> from rltheory.tabular.games import MatrixGame, regret_matching_plus
    >>> res = regret_matching_plus(MatrixGame.zero_sum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]]), n_iterations=1000)
    >>> bool(res.nash_conv_average[-1] < 0.1)
    True
    """
    _check_game(game, "regret_matching_plus")

    def update(t, xs, g, values, cum_gain, cum_value, g_avg, state):
        Q = state.setdefault("Q", [np.zeros(len(x)) for x in xs])
        out = []
        for i in range(len(xs)):
            Q[i] = np.maximum(Q[i] + g[i] - values[i], 0.0)
            out.append(_normalized_positive(Q[i]))
        return out

    return _run(game, n_iterations, initial, "regret-matching-plus", update, np.empty(0))


def fictitious_play(game: MatrixGame, *, n_iterations: int, initial=None):
    r"""Simultaneous fictitious play: each player best-responds (pure, lowest index) to the others' average play.

    ``x^{t+1}_i = e_{a}`` with ``a = argmax u_i(., xbar_{-i}^t)``, ``xbar^t``
    the average of ``x^1, ..., x^t``. In two-player zero-sum games the
    average iterates converge to the set of equilibria (Robinson 1951); the
    folk identity ``NashConv(xbar) = (R_1 + R_2) / T`` holds for any sequence.

    References
    ----------
    G. W. Brown, "Iterative solution of games by fictitious play" (1951).
    J. Robinson, "An iterative method of solving a game", Annals of Mathematics 54 (1951).

    Examples
    --------
    >>> from rltheory.tabular.games import MatrixGame, fictitious_play
    >>> res = fictitious_play(MatrixGame.zero_sum([[1, -1], [-1, 1]]), n_iterations=2000)
    >>> bool(res.nash_conv_average[-1] < 0.05)
    True
    """
    _check_game(game, "fictitious_play")

    def update(t, xs, g, values, cum_gain, cum_value, g_avg, state):
        out = []
        for i in range(len(xs)):
            e = np.zeros(len(xs[i]))
            e[int(np.argmax(g_avg[i]))] = 1.0
            out.append(e)
        return out

    return _run(game, n_iterations, initial, "fictitious-play", update, np.empty(0))


def magnetic_mirror_descent(
    game: MatrixGame, *, n_iterations: int, temperature: float, step_size=None, magnet=None, initial=None
):
    r"""Self-play with magnetic mirror descent (Sokota et al. 2023) with the entropy mirror map.

    .. math::

        x^{t+1}_i = \arg\max_{x} \; \eta\big(\langle g_i^t, x\rangle - \alpha\,\mathrm{KL}(x, \rho_i)\big)
                   - \mathrm{KL}(x, x_i^t)
        \;\propto\; \big(x_i^t\, \rho_i^{\eta\alpha}\, e^{\eta g_i^t}\big)^{1/(1+\eta\alpha)} ,

    whose fixed points are the logit QREs at temperature ``alpha`` with
    prior ``rho`` (uniform ``rho``: :func:`~rltheory.tabular.games.qre`).
    In two-player zero-sum games the last iterate converges linearly to the
    (unique) QRE (Sokota et al. 2023, Thm. 3.4, for ``eta <= alpha / L^2``,
    ``L = max|u|`` the Lipschitz constant of the payoff operator from
    ``l_1`` to ``l_inf``); default ``eta = alpha / L^2``.

    Parameters
    ----------
    temperature : float
        ``alpha > 0``.
    step_size : float or array_like, optional
    magnet : profile, optional
        ``rho`` (uniform by default).

    References
    ----------
    S. Sokota, R. D'Orazio, J. Z. Kolter, N. Loizou, M. Lanctot, I. Mitliagkas,
    N. Brown and C. Kroer, "A unified approach to reinforcement learning,
    quantal response equilibria, and two-player zero-sum games", ICLR 2023.

    Examples
    --------
    >>> from rltheory.tabular.games import MatrixGame, magnetic_mirror_descent, qre
    >>> game = MatrixGame.zero_sum([[3.0, -1.0], [-2.0, 1.0]])
    >>> res = magnetic_mirror_descent(game, n_iterations=1500, temperature=0.5)
    >>> q = qre(game, 0.5)
    >>> bool(abs(res.last_iterate[0] - q.strategies[0]).max() < 1e-9)
    True
    """
    _check_game(game, "magnetic_mirror_descent")
    alpha = check_real("temperature", temperature, low=0.0, low_open=True)
    L = max(1e-300, float(np.max(np.abs(game.payoffs))))
    eta = _step_sizes(game, step_size, np.full(game.n_players, alpha / L**2))
    rho = _initial(game, magnet) if magnet is not None else _initial(game, None)
    log_rho = [np.log(np.maximum(r, 1e-300)) for r in rho]

    def update(t, xs, g, values, cum_gain, cum_value, g_avg, state):
        out = []
        for i in range(len(xs)):
            ea = eta[i] * alpha
            logits = (np.log(np.maximum(xs[i], 1e-300)) + ea * log_rho[i] + eta[i] * g[i]) / (1.0 + ea)
            out.append(scipy.special.softmax(logits))
        return out

    return _run(game, n_iterations, initial, "magnetic-mirror-descent", update, eta)


@dataclass(frozen=True, eq=False)
class ReplicatorResult:
    r"""Result of :func:`replicator_dynamics`.

    Attributes
    ----------
    times : numpy.ndarray, shape (k,)
    trajectory : tuple of numpy.ndarray
        Per player, ``x_i(t)`` at ``times`` (shape ``(k, A_i)``).
    average_iterate : tuple of numpy.ndarray
        ``(1/t) int_0^t x_i(s) ds`` at the final time.
    regret_history : numpy.ndarray, shape (k, n)
        Continuous-time regrets ``max_a int_0^t g_i(a) ds - int_0^t <x_i, g_i> ds``.
    nash_conv_average : numpy.ndarray, shape (k,)
        NashConv of the time averages (``nan`` at ``t = 0``).
    status : int
        ``scipy.integrate.solve_ivp`` status (0: reached the final time).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, replicator_dynamics
    >>> pd = MatrixGame([[[3, 0], [5, 1]], [[3, 5], [0, 1]]])  # prisoner's dilemma, action 0 = cooperate
    >>> res = replicator_dynamics(pd, final_time=10.0, n_points=5)
    >>> res.status, res.times.tolist(), res.trajectory[0].shape
    (0, [0.0, 2.5, 5.0, 7.5, 10.0], (5, 2))
    >>> # defecting earns at least 1 more than cooperating, so the log-odds of defection grow at rate >= 1
    >>> bool(res.trajectory[0][-1, 1] > 1 - np.exp(-10)), bool(np.all(res.regret_history <= np.log(2) + 1e-9))
    (True, True)
    """

    times: np.ndarray
    trajectory: tuple
    average_iterate: tuple
    regret_history: np.ndarray
    nash_conv_average: np.ndarray
    status: int


def replicator_dynamics(
    game: MatrixGame, *, final_time: float, n_points: int = 200, initial=None, rtol: float = 1e-10, atol: float = 1e-12
) -> ReplicatorResult:
    r"""The replicator dynamics ``dx_i/dt = x_i (g_i(x) - <x_i, g_i(x)>)`` (Taylor & Jonker 1978).

    Integrated in its exponential coordinates, ``dy_i/dt = g_i(x)`` with
    ``x_i = softmax(y_i + log x_i(0))`` (continuous-time FTRL with the
    entropy: Mertikopoulos, Papadimitriou & Piliouras 2018), together with
    ``int <x_i, g_i>`` and ``int x_i`` (scipy's DOP853 at ``rtol``,
    ``atol``). Continuous-time FTRL has bounded regret,
    ``R_i(t) <= max_a log(1 / x_{i,a}(0))`` for all ``t`` (ibid., Sec. 3),
    and in a two-player zero-sum game with an interior equilibrium ``x*``,
    ``sum_i KL(x*_i, x_i(t))`` is a constant of motion (Hofbauer & Sigmund
    1998, Sec. 7.7 / 11.2): the orbits cycle and only the time averages converge.

    Parameters
    ----------
    final_time : float
        ``> 0``.
    n_points : int, default 200
        Output times ``linspace(0, final_time, n_points)``.
    initial : profile, optional
        Interior starting profile (uniform by default; zero entries stay zero).

    References
    ----------
    P. D. Taylor and L. B. Jonker, "Evolutionary stable strategies and game
    dynamics", Math. Biosciences 40 (1978).
    J. Hofbauer and K. Sigmund, *Evolutionary Games and Population Dynamics*, Cambridge (1998).
    P. Mertikopoulos, C. Papadimitriou and G. Piliouras, "Cycles in adversarial
    regularized learning", SODA 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MatrixGame, replicator_dynamics
    >>> rps = MatrixGame.zero_sum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]])
    >>> res = replicator_dynamics(rps, final_time=50.0, initial=[[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]])
    >>> bool(np.all(res.regret_history[-1] <= np.log(1 / 0.2) + 1e-6))
    True
    """
    _check_game(game, "replicator_dynamics")
    t_final = check_real("final_time", final_time, low=0.0, low_open=True)
    k = check_int("n_points", n_points, low=2)
    rtol = check_real("rtol", rtol, low=0.0, low_open=True)
    atol = check_real("atol", atol, low=0.0, low_open=True)
    U = np.asarray(game.payoffs)
    n = game.n_players
    sizes = game.n_actions
    x0 = _initial(game, initial)
    with np.errstate(divide="ignore"):
        log0 = [np.log(x) for x in x0]
    off = np.concatenate([[0], np.cumsum(sizes)])
    N = int(off[-1])

    def unpack(w):
        xs = []
        for i in range(n):
            y = w[off[i] : off[i + 1]]
            xs.append(scipy.special.softmax(y + log0[i]))
        return xs

    def rhs(t, w):
        xs = unpack(w)
        out = np.empty_like(w)
        for i in range(n):
            g = _deviation_payoffs(U, xs, i)
            out[off[i] : off[i + 1]] = g
            out[N + i] = g @ xs[i]
            out[N + n + off[i] : N + n + off[i + 1]] = xs[i]
        return out

    w0 = np.zeros(2 * N + n)
    times = np.linspace(0.0, t_final, k)
    sol = scipy.integrate.solve_ivp(rhs, (0.0, t_final), w0, method="DOP853", t_eval=times, rtol=rtol, atol=atol)
    W = sol.y.T
    traj = [np.empty((len(sol.t), s)) for s in sizes]
    regrets = np.empty((len(sol.t), n))
    nc = np.full(len(sol.t), np.nan)
    for r, w in enumerate(W):
        xs = unpack(w)
        for i in range(n):
            traj[i][r] = xs[i]
            regrets[r, i] = float(np.max(w[off[i] : off[i + 1]]) - w[N + i])
        if sol.t[r] > 0:
            avg = [w[N + n + off[i] : N + n + off[i + 1]] / sol.t[r] for i in range(n)]
            nc[r] = float(
                sum(_deviation_payoffs(U, avg, i).max() - _deviation_payoffs(U, avg, i) @ avg[i] for i in range(n))
            )
    t_last = sol.t[-1]
    avg = tuple(readonly(W[-1, N + n + off[i] : N + n + off[i + 1]] / t_last) for i in range(n))
    return ReplicatorResult(
        times=readonly(sol.t),
        trajectory=tuple(readonly(a) for a in traj),
        average_iterate=avg,
        regret_history=readonly(regrets),
        nash_conv_average=readonly(nc),
        status=int(sol.status),
    )
