r"""Preference games (Nash learning from human feedback) in tabular form: Nash-MD, Nash-MP, SPO.

A *preference game* over ``n`` responses is a matrix ``P`` with ``P[i, j] =
Pr(y_i ≻ y_j)`` and ``P + P^T = 1`` (so ``P[i, i] = 1/2``). For policies
``pi, pi'``, ``P(pi ≻ pi') = pi^T P pi'``; the two-player constant-sum game
``max_pi min_pi' P(pi ≻ pi')`` is symmetric, its value is ``1/2``, and its
equilibria ``(pi, pi)`` are the *minimax (von Neumann) winners*: policies
with ``max_y P(y ≻ pi) = 1/2`` (Dudík et al. 2015). The *exploitability*
``max_y P(y ≻ pi) - 1/2 >= 0`` measures the distance to that set.

With a reference policy ``mu`` and temperature ``tau > 0`` the *regularized*
game (Munos et al. 2023, Sec. 3)

.. math::

    f(\pi, \pi') = P(\pi \succ \pi') - \tau \mathrm{KL}(\pi \| \mu) + \tau \mathrm{KL}(\pi' \| \mu)

is strongly concave-convex and has a unique equilibrium ``(pi*_tau, pi*_tau)``,
the fixed point ``pi* ∝ mu exp(P pi* / tau)``. Its duality gap at ``(pi, pi)``,

.. math::

    \mathrm{gap}(\pi) = \tau \log E_\mu e^{P\pi/\tau} + \tau \log E_\mu e^{-P^\top \pi/\tau}
      + 2 \tau \mathrm{KL}(\pi \| \mu) \;\ge\; 2\tau\, \mathrm{KL}(\pi \| \pi^*_\tau),

is the certificate of :func:`regularized_nash` (the inequality is the
``tau``-strong convexity of ``tau KL(. || mu)`` relative to the entropy at the
saddle point).

Algorithms (tabular, exact preference oracle ``P(. ≻ pi)``):

* :func:`nash_md` (Munos et al. 2023, Sec. 5): ``pi_t^mu ∝ pi_t^{1 - eta tau}
  mu^{eta tau}`` (geometric mixture), ``pi_{t+1} ∝ pi_t^mu exp(eta P(. ≻
  pi_t^mu))``; one preference query per step; last-iterate convergence to
  ``pi*_tau``;
* :func:`nash_mp` (Tiapkin et al. 2025, Nash Mirror Prox): two proximal
  steps per iteration, ``pi_{k+1/2} = argmax eta [P(pi ≻ pi_k) - beta
  KL(pi || mu)] - KL(pi || pi_k)`` and ``pi_{k+1}`` the same with ``pi_{k+1/2}``
  as the opponent; linear last-iterate convergence of ``KL(pi*_beta, pi_k)``
  at rate ``(1 + 2 beta)^{-N/2}`` in the number ``N = 2k`` of preference
  queries, independent of ``n``;
* :func:`self_play_preference_optimization` (SPO; Swamy et al. 2024): Hedge
  self-play on the win rate ``P(. ≻ pi_t)``; the average policy is a
  ``Reg_T / T``-approximate minimax winner (exactly: ``max_y P(y ≻ pi_bar) -
  1/2 = Reg_T / T``, because ``P(pi ≻ pi) = 1/2``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.special

from rltheory._validation import (
    check_finite,
    check_int,
    check_iteration_settings,
    check_probability_vector,
    check_real,
    readonly,
)
from rltheory.tabular.games._matrix import MatrixGame

__all__ = [
    "PreferenceDynamicsResult",
    "PreferenceGame",
    "RegularizedNashResult",
    "nash_md",
    "nash_mp",
    "regularized_nash",
    "self_play_preference_optimization",
]

#: Tolerance on ``P + P^T = 1``.
PREFERENCE_ATOL = 1e-12


@dataclass(frozen=True, eq=False, repr=False)
class PreferenceGame:
    r"""A preference matrix over ``n`` responses: ``P[i, j] = Pr(y_i ≻ y_j)``, ``P + P^T = 1``.

    Raises
    ------
    ValueError
        On a non-square or empty matrix, an entry outside ``[0, 1]`` or not
        finite, or ``P[i, j] + P[j, i] != 1`` (within ``1e-12``; the message
        names the pair).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import PreferenceGame
    >>> cycle = PreferenceGame([[0.5, 0.9, 0.2], [0.1, 0.5, 0.7], [0.8, 0.3, 0.5]])  # intransitive
    >>> cycle.n_responses, cycle.preference([1, 0, 0], [0, 1, 0])
    (3, 0.9)
    >>> PreferenceGame([[0.5, 0.6], [0.6, 0.5]])
    Traceback (most recent call last):
    ...
    ValueError: P[0, 1] + P[1, 0] = 1.2, expected 1 within 1e-12 (preferences are complementary)
    """

    P: np.ndarray

    def __post_init__(self):
        try:
            P = np.array(self.P, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"P cannot be converted to a float array: {exc}") from None
        if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] == 0:
            raise ValueError(f"P has shape {P.shape}, expected a non-empty square matrix (n, n)")
        check_finite("P", P)
        bad = (P < 0) | (P > 1)
        if bad.any():
            i, j = (int(k) for k in np.argwhere(bad)[0])
            raise ValueError(f"P[{i}, {j}] = {float(P[i, j])!r} is not a probability")
        off = np.abs(P + P.T - 1.0) > PREFERENCE_ATOL
        if off.any():
            i, j = (int(k) for k in np.argwhere(off)[0])
            raise ValueError(
                f"P[{i}, {j}] + P[{j}, {i}] = {float(P[i, j] + P[j, i])!r}, expected 1 within {PREFERENCE_ATOL:g} "
                "(preferences are complementary)"
            )
        object.__setattr__(self, "P", readonly(P))

    @property
    def n_responses(self) -> int:
        """Number of responses ``n``.

        Examples
        --------
        >>> from rltheory.tabular.games import PreferenceGame
        >>> PreferenceGame([[0.5, 0.7], [0.3, 0.5]]).n_responses
        2
        """
        return int(self.P.shape[0])

    def __repr__(self) -> str:
        return f"PreferenceGame(n_responses={self.n_responses})"

    def matrix_game(self) -> MatrixGame:
        """The two-player constant-sum game ``[P, P^T]`` (sum 1): player 1's payoff is ``P(pi ≻ pi')``.

        Examples
        --------
        >>> from rltheory.tabular.games import PreferenceGame
        >>> g = PreferenceGame([[0.5, 0.7], [0.3, 0.5]]).matrix_game()
        >>> g.n_actions, g.constant_sum, g.payoffs[1].tolist()  # the column player's payoff is P^T
        ((2, 2), 1.0, [[0.5, 0.3], [0.7, 0.5]])
        """
        return MatrixGame([self.P, self.P.T])

    def preference(self, policy, other) -> float:
        """``P(policy ≻ other) = policy^T P other``.

        Examples
        --------
        >>> from rltheory.tabular.games import PreferenceGame
        >>> game = PreferenceGame([[0.5, 0.7], [0.3, 0.5]])
        >>> round(game.preference([1, 0], [0.5, 0.5]), 12)  # (0.5 + 0.7) / 2
        0.6
        >>> game.preference([0.5, 0.5], [0.5, 0.5])  # any policy ties with itself: P + P^T = 1
        0.5
        """
        p = check_probability_vector("policy", policy, self.n_responses)
        q = check_probability_vector("other", other, self.n_responses)
        return float(p @ self.P @ q)

    def exploitability(self, policy) -> float:
        """``max_y P(y ≻ policy) - 1/2 >= 0``: zero exactly at a minimax winner.

        Examples
        --------
        >>> from rltheory.tabular.games import PreferenceGame
        >>> game = PreferenceGame([[0.5, 0.7], [0.3, 0.5]])  # response 0 beats response 1 w.p. 0.7
        >>> game.exploitability([1, 0])  # a Condorcet winner: nothing beats it more than half the time
        0.0
        >>> round(game.exploitability([0, 1]), 12)  # response 0 beats it w.p. 0.7
        0.2
        """
        p = check_probability_vector("policy", policy, self.n_responses)
        return float(np.max(self.P @ p) - 0.5)


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.sum(scipy.special.rel_entr(p, q)))


def _check_game(game, who):
    if not isinstance(game, PreferenceGame):
        raise ValueError(f"{who} needs a PreferenceGame, got {type(game).__name__}")


def _reference(game, reference) -> np.ndarray:
    n = game.n_responses
    if reference is None:
        return np.full(n, 1.0 / n)
    mu = check_probability_vector("reference", reference, n)
    if (mu <= 0).any():
        raise ValueError(f"reference[{int(np.argmax(mu <= 0))}] = 0: the reference policy needs full support")
    return mu


def _regularized_gap(P, pi, mu, tau) -> float:
    """The regularized duality gap at ``(pi, pi)`` (module docstring)."""
    log_mu = np.log(mu)
    a = tau * float(scipy.special.logsumexp(log_mu + (P @ pi) / tau))
    b = tau * float(scipy.special.logsumexp(log_mu - (P.T @ pi) / tau))
    return a + b + 2.0 * tau * _kl(pi, mu)


@dataclass(frozen=True, eq=False)
class RegularizedNashResult:
    r"""Result of :func:`regularized_nash`.

    Attributes
    ----------
    policy : numpy.ndarray, shape (n,)
        ``pi*_tau`` (both players' strategy).
    duality_gap : float
        The regularized duality gap at ``(policy, policy)`` (the certificate;
        ``KL(policy || pi*_tau) <= duality_gap / (2 tau)``).
    residual : float
        ``||policy - softmax(log mu + P policy / tau)||_1``.
    iterations : int
        Newton steps taken.
    converged : bool
        ``duality_gap <= tol``.
    temperature : float
    reference : numpy.ndarray, shape (n,)

    Examples
    --------
    >>> from rltheory.tabular.games import PreferenceGame, regularized_nash
    >>> rps = PreferenceGame([[0.5, 0.0, 1.0], [1.0, 0.5, 0.0], [0.0, 1.0, 0.5]])  # rock-paper-scissors
    >>> res = regularized_nash(rps, temperature=0.1)  # by symmetry, uniform (= the default reference) is pi*_tau
    >>> res.policy.round(6).tolist(), res.reference.round(6).tolist(), res.temperature
    ([0.333333, 0.333333, 0.333333], [0.333333, 0.333333, 0.333333], 0.1)
    >>> res.converged, bool(res.duality_gap <= 1e-13), bool(res.residual <= 1e-12)
    (True, True, True)
    """

    policy: np.ndarray
    duality_gap: float
    residual: float
    iterations: int
    converged: bool
    temperature: float
    reference: np.ndarray


def _newton(P, log_mu, tau, z, max_steps):
    """Damped Newton on ``H(z) = z - log softmax(log mu + P e^z / tau)``; returns ``(z, ||H||_inf, steps)``."""
    n = z.size

    def H(z):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # rejected trial steps may overflow
            return z - scipy.special.log_softmax(log_mu + P @ np.exp(z) / tau)

    h = H(z)
    norm = float(np.max(np.abs(h)))
    steps = 0
    while steps < max_steps and norm > 1e-15:
        x = np.exp(z)
        s = scipy.special.softmax(log_mu + P @ x / tau)
        J = np.eye(n) - (P - s[None, :] @ P) * x[None, :] / tau
        try:
            dz = np.linalg.solve(J, -h)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while t > 1e-4:
            cand = z + t * dz
            hc = H(cand)
            nc = float(np.max(np.abs(hc)))
            if np.isfinite(nc) and nc < norm:
                break
            t *= 0.5
        steps += 1
        if t <= 1e-4:
            break
        z, h, norm = cand, hc, nc
    return z, norm, steps


def regularized_nash(game: PreferenceGame, temperature: float, reference=None, *, tol=1e-13, max_iter=10_000):
    r"""The equilibrium ``pi*_tau`` of the KL-regularized preference game, certified by its duality gap.

    ``pi*_tau`` is the unique fixed point of ``pi = softmax(log mu + P pi / tau)``.
    It is traced by continuation in the temperature, from ``max(1, tau)``
    (where ``pi*`` is close to ``mu``) down to ``tau`` by factors of at most
    ``0.7``, with damped Newton steps on ``log pi`` at each temperature
    (the path is smooth: the regularized game is strongly monotone, so the
    equilibrium is unique at every temperature); the result is accepted when
    the regularized duality gap (module docstring) is ``<= tol``.

    At the fixed point ``(P pi*)_y = tau log(pi*_y / mu_y) + const``, so the
    unregularized exploitability is ``tau (max_y log(pi*_y / mu_y) -
    KL(pi* || mu)) <= tau log n`` for a uniform ``mu``: ``pi*_tau`` tends to the
    set of minimax winners as ``tau -> 0``.

    Parameters
    ----------
    game : PreferenceGame
    temperature : float
        ``tau > 0``.
    reference : array_like, shape (n,), optional
        ``mu`` (full support; uniform by default).
    tol : float, default 1e-13
        Target duality gap.
    max_iter : int, default 10000
        Newton steps over the whole path.

    Returns
    -------
    RegularizedNashResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import PreferenceGame, regularized_nash
    >>> game = PreferenceGame([[0.5, 0.9, 0.2], [0.1, 0.5, 0.7], [0.8, 0.3, 0.5]])
    >>> res = regularized_nash(game, temperature=0.1)
    >>> res.converged, res.duality_gap <= 1e-13
    (True, True)
    """
    _check_game(game, "regularized_nash")
    tau = check_real("temperature", temperature, low=0.0, low_open=True)
    tol, max_iter = check_iteration_settings(tol, max_iter)
    mu = _reference(game, reference)
    P = np.asarray(game.P)
    log_mu = np.log(mu)
    z = log_mu.copy()
    current = max(1.0, tau)
    ratio = 0.7
    used = 0
    while used < max_iter:
        z_new, norm, steps = _newton(P, log_mu, current, z, min(50, max_iter - used))
        used += steps
        if norm <= 1e-12:
            z = z_new
            if current == tau:
                break
            current = max(tau, current * ratio)
            ratio = max(0.3, ratio * 0.9)
        else:
            # back off: a smaller temperature step from the last accepted point
            ratio = min(0.99, ratio**0.5)
            current = max(tau, current / ratio if current < max(1.0, tau) else current)
    z, _, steps = _newton(P, log_mu, tau, z, max(0, min(20, max_iter - used)))
    used += steps
    pi = np.exp(z)
    pi /= pi.sum()
    gap = _regularized_gap(P, pi, mu, tau)
    residual = float(np.sum(np.abs(pi - scipy.special.softmax(log_mu + P @ pi / tau))))
    return RegularizedNashResult(
        policy=readonly(pi),
        duality_gap=float(gap),
        residual=residual,
        iterations=int(used),
        converged=bool(gap <= tol),
        temperature=tau,
        reference=readonly(mu),
    )


@dataclass(frozen=True, eq=False)
class PreferenceDynamicsResult:
    r"""Result of :func:`nash_md`, :func:`nash_mp` and :func:`self_play_preference_optimization`.

    Attributes
    ----------
    trajectory : numpy.ndarray, shape (T + 1, n)
        ``pi_0, ..., pi_T``.
    last_iterate : numpy.ndarray, shape (n,)
        ``pi_T``.
    average_iterate : numpy.ndarray, shape (n,)
        ``(1/T) sum_{t < T} pi_t`` (the policies played).
    exploitability : numpy.ndarray, shape (T + 1,)
        ``max_y P(y ≻ pi_t) - 1/2`` (unregularized).
    regret_history : numpy.ndarray, shape (T,)
        Self-play regret ``max_y sum_{s <= t} P(y ≻ pi_s) - (t + 1)/2`` of the played policies.
    step_sizes : numpy.ndarray, shape (T,)
    preference_queries : int
        Evaluations of ``P(. ≻ pi)`` used (``T`` for Nash-MD and SPO, ``2T`` for Nash-MP).
    temperature : float
        ``tau`` / ``beta`` (0 for SPO).
    reference : numpy.ndarray, shape (n,)
    method : str

    Examples
    --------
    >>> from rltheory.tabular.games import PreferenceGame, nash_md
    >>> rps = PreferenceGame([[0.5, 0.0, 1.0], [1.0, 0.5, 0.0], [0.0, 1.0, 0.5]])  # rock-paper-scissors
    >>> res = nash_md(rps, 0.5, n_iterations=3)  # starts at the uniform reference, the minimax winner: no move
    >>> res.trajectory.shape, res.last_iterate.round(6).tolist(), res.preference_queries
    ((4, 3), [0.333333, 0.333333, 0.333333], 3)
    >>> res.step_sizes.round(6).tolist()  # the default eta_t = 2 / (tau (t + 2))
    [2.0, 1.333333, 1.0]
    >>> res.exploitability.round(9).tolist(), res.regret_history.round(9).tolist()
    ([0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0])
    """

    trajectory: np.ndarray
    last_iterate: np.ndarray
    average_iterate: np.ndarray
    exploitability: np.ndarray
    regret_history: np.ndarray
    step_sizes: np.ndarray
    preference_queries: int
    temperature: float
    reference: np.ndarray
    method: str


def _initial(game, initial, mu):
    if initial is None:
        return mu.copy()
    p = check_probability_vector("initial", initial, game.n_responses)
    if (p <= 0).any():
        raise ValueError(f"initial[{int(np.argmax(p <= 0))}] = 0: the initial policy needs full support")
    return p


def _finish(game, traj, steps, queries, tau, mu, method):
    P = np.asarray(game.P)
    traj = np.array(traj)
    T = traj.shape[0] - 1
    wins = traj[:-1] @ P.T  # row t: P(. ≻ pi_t)
    regret = np.max(np.cumsum(wins, axis=0), axis=1) - 0.5 * np.arange(1, T + 1)
    return PreferenceDynamicsResult(
        trajectory=readonly(traj),
        last_iterate=readonly(traj[-1].copy()),
        average_iterate=readonly(traj[:-1].mean(axis=0) if T else traj[0].copy()),
        exploitability=readonly(np.max(traj @ P.T, axis=1) - 0.5),
        regret_history=readonly(regret),
        step_sizes=readonly(np.asarray(steps, dtype=float)),
        preference_queries=int(queries),
        temperature=float(tau),
        reference=readonly(mu),
        method=method,
    )


def nash_md(
    game: PreferenceGame, temperature: float, *, n_iterations: int, step_size=None, reference=None, initial=None
) -> PreferenceDynamicsResult:
    r"""Nash-MD (Munos et al. 2023): mirror descent against the geometric mixture with the reference.

    .. math::

        \pi_t^\mu(y) \propto \pi_t(y)^{1-\eta_t\tau}\mu(y)^{\eta_t\tau}, \qquad
        \pi_{t+1} = \arg\max_\pi \; \eta_t P(\pi \succ \pi_t^\mu) - \mathrm{KL}(\pi, \pi_t^\mu)
        \;\propto\; \pi_t^\mu\, e^{\eta_t P(\cdot \succ \pi_t^\mu)} .

    Guarantee (Munos et al. 2023, Thm. 1, for ``eta_t tau <= 1`` and
    preferences in ``[0, 1]``): ``KL(pi*_tau, pi_{t+1}) <= (1 - eta_t tau)
    KL(pi*_tau, pi_t) + 2 eta_t^2``; with the default schedule ``eta_t = 2 /
    (tau (t + 2))``, ``KL(pi*_tau, pi_T) <= 8 / (tau^2 (T + 1))``.

    Parameters
    ----------
    game : PreferenceGame
    temperature : float
        ``tau > 0``.
    n_iterations : int
        ``T >= 0``.
    step_size : float, optional
        A constant ``eta`` with ``eta tau <= 1``; default the schedule above.
    reference, initial : array_like, shape (n,), optional
        ``mu`` and ``pi_0`` (full support; both uniform / ``mu`` by default).

    References
    ----------
    R. Munos, M. Valko, D. Calandriello, M. G. Azar, M. Rowland, Z. D. Guo,
    Y. Tang, M. Geist, T. Mesnard, A. Michi, M. Selvi, S. Girgin, N. Momchev,
    O. Bachem, D. J. Mankowitz, D. Precup and B. Piot, "Nash learning from
    human feedback", ICML 2024 (arXiv:2312.00886, 2023).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import PreferenceGame, nash_md, regularized_nash
    >>> game = PreferenceGame([[0.5, 0.9, 0.2], [0.1, 0.5, 0.7], [0.8, 0.3, 0.5]])
    >>> star = regularized_nash(game, 0.2).policy
    >>> res = nash_md(game, 0.2, n_iterations=2000)
    >>> kl = float(np.sum(star * np.log(star / res.last_iterate)))
    >>> bool(kl <= 8 / (0.2**2 * 2001))
    True
    """
    _check_game(game, "nash_md")
    tau = check_real("temperature", temperature, low=0.0, low_open=True)
    T = check_int("n_iterations", n_iterations, low=0)
    if step_size is None:
        steps = 2.0 / (tau * (np.arange(T) + 2.0))
    else:
        eta = check_real("step_size", step_size, low=0.0, high=1.0 / tau, low_open=True)
        steps = np.full(T, eta)
    mu = _reference(game, reference)
    P = np.asarray(game.P)
    log_mu = np.log(mu)
    pi = _initial(game, initial, mu)
    traj = [pi]
    for t in range(T):
        e = steps[t]
        log_mix = (1.0 - e * tau) * np.log(pi) + e * tau * log_mu
        mix = scipy.special.softmax(log_mix)
        pi = scipy.special.softmax(log_mix + e * (P @ mix))
        traj.append(pi)
    return _finish(game, traj, steps, T, tau, mu, "nash-md")


def nash_mp(
    game: PreferenceGame, temperature: float, *, n_iterations: int, step_size: float = 2.0, reference=None, initial=None
) -> PreferenceDynamicsResult:
    r"""Nash-MP, Nash mirror prox (Tiapkin et al. 2025): two proximal steps per iteration.

    With ``beta = temperature``,

    .. math::

        \pi_{k+1/2} \propto \big(\pi_k\, \mu^{\eta\beta}\, e^{\eta P(\cdot \succ \pi_k)}\big)^{1/(1+\eta\beta)},
        \qquad
        \pi_{k+1} \propto \big(\pi_k\, \mu^{\eta\beta}\, e^{\eta P(\cdot \succ \pi_{k+1/2})}\big)^{1/(1+\eta\beta)},

    the closed forms of ``argmax_pi eta [P(pi ≻ pi') - beta KL(pi || mu)] -
    KL(pi || pi_k)`` with ``pi' = pi_k`` then ``pi_{k+1/2}``. The abstract's
    rate: ``KL(pi*_beta, pi_k)`` decreases like ``(1 + 2 beta)^{-N/2}`` in the
    number ``N = 2k`` of preference queries, independently of ``n``, which is
    ``(1 + eta beta)^{-k}`` at the default ``eta = 2 = 1/L`` (``L = 1/2`` is
    the Lipschitz constant of ``pi -> P pi - 1/2`` from ``l_1`` to ``l_inf``).

    References
    ----------
    D. Tiapkin, D. Calandriello, D. Belomestny, E. Moulines, A. Naumov,
    K. Rasul, M. Valko and P. Ménard, "Accelerating Nash learning from human
    feedback via Mirror Prox", arXiv:2505.19731 (2025).

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import PreferenceGame, nash_mp, regularized_nash
    >>> game = PreferenceGame([[0.5, 0.9, 0.2], [0.1, 0.5, 0.7], [0.8, 0.3, 0.5]])
    >>> star = regularized_nash(game, 0.1).policy
    >>> res = nash_mp(game, 0.1, n_iterations=50)
    >>> kl = lambda p: float(np.sum(star * np.log(star / p)))
    >>> bool(kl(res.last_iterate) <= 1.2 ** -50 * kl(res.trajectory[0]))
    True
    """
    _check_game(game, "nash_mp")
    beta = check_real("temperature", temperature, low=0.0, low_open=True)
    T = check_int("n_iterations", n_iterations, low=0)
    eta = check_real("step_size", step_size, low=0.0, low_open=True)
    mu = _reference(game, reference)
    P = np.asarray(game.P)
    log_mu = np.log(mu)
    pi = _initial(game, initial, mu)
    traj = [pi]
    c = 1.0 / (1.0 + eta * beta)
    for _ in range(T):
        base = np.log(pi) + eta * beta * log_mu
        half = scipy.special.softmax(c * (base + eta * (P @ pi)))
        pi = scipy.special.softmax(c * (base + eta * (P @ half)))
        traj.append(pi)
    return _finish(game, traj, np.full(T, eta), 2 * T, beta, mu, "nash-mp")


def self_play_preference_optimization(
    game: PreferenceGame, *, n_iterations: int, step_size=None, initial=None
) -> PreferenceDynamicsResult:
    r"""SPO (Swamy et al. 2024): Hedge self-play on the win rate ``P(pi ≻ pi_t)``; the average is a minimax winner.

    ``pi_{t+1} ∝ pi_t exp(eta P(. ≻ pi_t))``. Since ``P(pi ≻ pi) = 1/2``, the
    average of the played policies satisfies exactly
    ``max_y P(y ≻ pi_bar_T) - 1/2 = Reg_T / T`` (Swamy et al. 2024, Sec. 3:
    "the average iterate is an ``epsilon``-minimax winner"), and Hedge's
    bound (Cesa-Bianchi & Lugosi 2006, Thm. 2.2, payoffs in ``[0, 1]``) with
    the default ``eta = sqrt(8 ln n / T)`` gives ``Reg_T <= sqrt(T ln(n) / 2)``.

    References
    ----------
    G. Swamy, C. Dann, R. Kidambi, Z. S. Wu and A. Agarwal, "A minimaximalist
    approach to reinforcement learning from human feedback", ICML 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import PreferenceGame, self_play_preference_optimization
    >>> game = PreferenceGame([[0.5, 0.9, 0.2], [0.1, 0.5, 0.7], [0.8, 0.3, 0.5]])
    >>> res = self_play_preference_optimization(game, n_iterations=1000)
    >>> bool(game.exploitability(res.average_iterate) <= np.sqrt(np.log(3) / (2 * 1000)))
    True
    """
    _check_game(game, "self_play_preference_optimization")
    T = check_int("n_iterations", n_iterations, low=1)
    n = game.n_responses
    eta = (
        math.sqrt(8.0 * math.log(max(n, 2)) / T)
        if step_size is None
        else check_real("step_size", step_size, low=0.0, low_open=True)
    )
    P = np.asarray(game.P)
    mu = np.full(n, 1.0 / n)
    pi = _initial(game, initial, mu)
    log0 = np.log(pi)
    cum = np.zeros(n)
    traj = [pi]
    for _ in range(T):
        cum += P @ pi
        pi = scipy.special.softmax(log0 + eta * cum)
        traj.append(pi)
    return _finish(game, traj, np.full(T, eta), T, 0.0, mu, "spo")
