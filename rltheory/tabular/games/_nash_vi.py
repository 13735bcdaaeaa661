r"""Nash-VI: optimistic Nash value iteration for two-player zero-sum episodic Markov games (self-play).

Liu, Yu, Bai & Jin (2021, Sec. 3, Algorithm 1). The learner keeps, for
every step ``h`` and joint action ``(s, a, b)``, the visit count ``t``, the
empirical transition :math:`\hat P_h` and reward, and before each episode
computes by backward induction an *upper* and a *lower* action-value,

.. math::

    \overline Q_h = \min\{\hat r_h + \gamma \hat P_h \overline V_{h+1} + b_t,\; V^{\max}_h\}, \qquad
    \underline Q_h = \max\{\hat r_h + \gamma \hat P_h \underline V_{h+1} - b_t,\; 0\}

(unvisited: :math:`\overline Q_h = V^{\max}_h`, :math:`\underline Q_h = 0`;
rewards shifted to :math:`[0, W]`, :math:`V^{\max}_h = W \sum_{i<H-h}
\gamma^i`), then in every state a coarse correlated equilibrium
:math:`\pi_h(\cdot,\cdot|s)` of the general-sum matrix game in which the
max player receives :math:`\overline Q_h(s)` and the min player pays
:math:`\underline Q_h(s)`:

.. math::

    \mathbb{E}_{\pi}\overline Q_h \ge \max_{a'} \mathbb{E}_{b \sim \nu}\overline Q_h(a', b), \qquad
    \mathbb{E}_{\pi}\underline Q_h \le \min_{b'} \mathbb{E}_{a \sim \mu}\underline Q_h(a, b'),

with :math:`\overline V_h(s) = \mathbb{E}_\pi \overline Q_h`,
:math:`\underline V_h(s) = \mathbb{E}_\pi \underline Q_h`. The episode is
played with :math:`\pi` (both players sample one joint action); the output
policy is the pair of marginals of the episode with the smallest
:math:`\rho^\top(\overline V_1 - \underline V_1)`.

*The CCE subroutine* solves, with the compiled exact stage solver, the
zero-sum game between a mediator choosing a joint action and an adversary
choosing a unilateral deviation, whose payoff is minus the deviation's gain
(Hart & Schmeidler 1989): its maximin strategy is a CCE (value ``>= 0``,
certified by weak duality). The values are then set to
:math:`\overline V_h = \max(\mathbb{E}_\pi \overline Q_h, \max_{a'}
\mathbb{E}_\nu \overline Q_h(a', \cdot))` (and symmetrically), which equals
the paper's value at an exact CCE and keeps the optimism argument exact
whatever the solver's rounding.

*Bonuses.*

* ``bonus="bernstein"`` (the paper's Algorithm 1): :math:`b_t = \beta_t +
  \gamma_t` with :math:`\beta_t = c(\sqrt{\hat\sigma^2 \iota / t} + W H^2 S
  \iota / t)`, :math:`\hat\sigma^2` the empirical variance of :math:`\gamma
  (\overline V_{h+1} + \underline V_{h+1})/2` under :math:`\hat P_h`, the
  correction :math:`\gamma_t = (c/H)\, \gamma \hat P_h(\overline V_{h+1} -
  \underline V_{h+1})` and :math:`\iota = \log(SABT/\delta)`, ``T = KH``.
  The constant ``c`` is an unspecified absolute constant in the paper;
  ``c`` is a parameter here. Their analysis gives regret :math:`\tilde
  O(\sqrt{H^2 SAB T})` and an :math:`\epsilon`-Nash output after
  :math:`\tilde O(H^3 SAB / \epsilon^2)` episodes (rewards in ``[0, 1]``,
  ``gamma = 1``).
* ``bonus="l1"`` (derived here, with explicit constants): :math:`b_t =
  \tfrac{\gamma}{2} V^{\max}_{h+1} \sqrt{2 (S \log 2 + \log(HSABK/\delta)) / t}`,
  the :math:`\ell_1` deviation bound :math:`\Pr(\|\hat P - P\|_1 \ge \epsilon)
  \le (2^S - 2) e^{-t\epsilon^2/2}` (Weissman et al. 2003) under a union
  bound over ``(h, s, a, b)`` and ``t <= K``, times half the span of the
  next values. On that event (probability ``>= 1 - delta``) the optimism
  :math:`\overline V_h \ge V_h^{\dagger,\nu} \ge V_h^{\mu,\dagger} \ge
  \underline V_h` holds for every episode, step and state, by induction on
  ``h`` (the argument of Liu et al. 2021, with :math:`|(\hat P -
  P)V| \le \|\hat P - P\|_1 \mathrm{span}(V) / 2` in place of their
  Bernstein step). So :math:`\rho^\top(\overline V_1 - \underline V_1)`
  certifies the duality gap of every played pair, including the output.

Rewards are observed without noise (the ``"markov-game"`` kind pays
:math:`r(s, a, b)`), so the bonuses cover the transitions; the reward range
``[min R, max R]`` and the start distribution are known to the learner (the
paper assumes rewards in ``[0, 1]`` and a fixed start state).

References
----------
Q. Liu, T. Yu, Y. Bai and C. Jin, "A sharp analysis of model-based
reinforcement learning with self-play", ICML 2021 (Nash-VI, Sec. 3).
Y. Bai and C. Jin, "Provable self-play algorithms for competitive
reinforcement learning", ICML 2020 (the regret of self-play, VI-ULCB).
S. Hart and D. Schmeidler, "Existence of correlated equilibria",
Math. Oper. Res. 14(1) (1989).
T. Weissman, E. Ordentlich, G. Seroussi, S. Verdu and M. J. Weinberger,
"Inequalities for the L1 deviation of the empirical distribution", HP Labs
HPL-2003-97 (2003), Thm. 2.1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from rltheory._validation import check_choice, check_int, check_probability, check_real, readonly
from rltheory.simulation import MarkovGameAgent, rng_categorical, run_states
from rltheory.tabular.games._markov import MarkovGame, markov_exploitability
from rltheory.tabular.games._selfplay import start_distribution
from rltheory.tabular.games._stage import solve_stage

__all__ = ["NashVI", "NashVIResult", "nash_vi"]


class _NashVIParams(NamedTuple):
    bernstein: bool
    c: float
    log_term: float  # iota (bernstein) or 2 (S log 2 + log(HSABK / delta)) (l1)
    r_lo: float
    width: float
    gamma: float
    rho: np.ndarray


@njit(cache=True)
def _nash_vi_init(params, S, A, B, H):
    """State: (N, NS, RS, Qup, Qlo, Vup, Vlo, vmax, G, xs, ys, T, basis, best, info, mu, nu)."""
    vmax = np.zeros(H + 1)
    for h in range(H - 1, -1, -1):
        vmax[h] = params.width + params.gamma * vmax[h + 1]
    AB = A * B
    info = np.zeros(4)  # best certified gap, its episode, CCE failures, max CCE violation
    info[0] = np.inf
    info[1] = -1.0
    return (
        np.zeros((H, S, A, B)),
        np.zeros((H, S, A, B, S)),
        np.zeros((H, S, A, B)),
        np.zeros((H, S, A, B)),
        np.zeros((H, S, A, B)),
        np.zeros((H + 1, S)),
        np.zeros((H + 1, S)),
        vmax,
        np.empty((AB, A + B)),
        np.empty(AB),
        np.empty(A + B),
        np.empty((AB + 1, A + B + AB + 1)),
        np.empty(AB, dtype=np.int64),
        np.zeros((H, S, A, B)),
        info,
        np.empty(A),
        np.empty(B),
    )


@njit(cache=True)
def _optimistic_q(params, state, h):
    N, NS, RS, Qup, Qlo, Vup, Vlo, vmax = state[:8]
    _, S, A, B = N.shape
    H = N.shape[0]
    g = params.gamma
    L = params.log_term
    c = params.c
    W = params.width
    for s in range(S):
        for a in range(A):
            for b in range(B):
                t = N[h, s, a, b]
                if t == 0.0:
                    Qup[h, s, a, b] = vmax[h]
                    Qlo[h, s, a, b] = 0.0
                    continue
                r = RS[h, s, a, b] / t
                pu = 0.0
                pl = 0.0
                for u in range(S):
                    p = NS[h, s, a, b, u] / t
                    pu += p * Vup[h + 1, u]
                    pl += p * Vlo[h + 1, u]
                if params.bernstein:
                    # Liu et al. (2021), Algorithm 1: beta_t = c (sqrt(var iota / t) + H^2 S iota / t) (times W),
                    # gamma_t = (c / H) P_hat (V_up - V_lo)
                    m1 = 0.0
                    m2 = 0.0
                    for u in range(S):
                        p = NS[h, s, a, b, u] / t
                        x = g * 0.5 * (Vup[h + 1, u] + Vlo[h + 1, u])
                        m1 += p * x
                        m2 += p * x * x
                    var = max(m2 - m1 * m1, 0.0)
                    bonus = c * (math.sqrt(var * L / t) + W * H * H * S * L / t) + (c / H) * g * (pu - pl)
                else:
                    # l1 deviation (Weissman et al. 2003) times half the span of V_{h+1} in [0, vmax[h + 1]]
                    bonus = g * 0.5 * vmax[h + 1] * math.sqrt(L / t)
                up = r + g * pu + bonus
                lo = r + g * pl - bonus
                Qup[h, s, a, b] = up if up < vmax[h] else vmax[h]
                Qlo[h, s, a, b] = lo if lo > 0.0 else 0.0


@njit(cache=True)
def _cce_stage(state, h, s, out):
    """CCE of (Qup[h, s], Qlo[h, s]) into ``out`` (A, B); returns (Vup, Vlo) with the optimism safeguard."""
    Qup, Qlo = state[3], state[4]
    G, xs, ys, T, basis = state[8], state[9], state[10], state[11], state[12]
    info, mu, nu = state[14], state[15], state[16]
    A, B = out.shape
    # mediator's payoff = minus the gain of each unilateral deviation (Hart & Schmeidler 1989)
    for a in range(A):
        for b in range(B):
            j = a * B + b
            for d in range(A):
                G[j, d] = Qup[h, s, a, b] - Qup[h, s, d, b]
            for d in range(B):
                G[j, A + d] = Qlo[h, s, a, d] - Qlo[h, s, a, b]
    lo, hi, ok = solve_stage(G, xs, ys, T, basis)
    if not ok:
        info[2] += 1.0
    if -lo > info[3]:
        info[3] = -lo
    for a in range(A):
        mu[a] = 0.0
    for b in range(B):
        nu[b] = 0.0
    eu = 0.0
    el = 0.0
    for a in range(A):
        for b in range(B):
            p = xs[a * B + b]
            out[a, b] = p
            mu[a] += p
            nu[b] += p
            eu += p * Qup[h, s, a, b]
            el += p * Qlo[h, s, a, b]
    best_up = -np.inf
    for d in range(A):
        acc = 0.0
        for b in range(B):
            acc += nu[b] * Qup[h, s, d, b]
        if acc > best_up:
            best_up = acc
    best_lo = np.inf
    for d in range(B):
        acc = 0.0
        for a in range(A):
            acc += mu[a] * Qlo[h, s, a, d]
        if acc < best_lo:
            best_lo = acc
    return max(eu, best_up), min(el, best_lo)


@njit(cache=True)
def _nash_vi_plan(params, state, episode, policy, rng):
    Vup, Vlo = state[5], state[6]
    best, info = state[13], state[14]
    H, S = policy.shape[0], policy.shape[1]
    for h in range(H - 1, -1, -1):
        _optimistic_q(params, state, h)
        for s in range(S):
            vu, vl = _cce_stage(state, h, s, policy[h, s])
            Vup[h, s] = vu
            Vlo[h, s] = vl
    gap = 0.0
    for s in range(S):
        gap += params.rho[s] * (Vup[0, s] - Vlo[0, s])
    if gap < info[0]:
        info[0] = gap
        info[1] = episode
        best[...] = policy


@njit(cache=True)
def _nash_vi_observe(params, state, h, s, a, b, reward, s_next, rng):
    N, NS, RS = state[0], state[1], state[2]
    N[h, s, a, b] += 1.0
    NS[h, s, a, b, s_next] += 1.0
    RS[h, s, a, b] += reward - params.r_lo


@dataclass(frozen=True)
class NashVI(MarkovGameAgent):
    r"""Nash-VI (Liu, Yu, Bai & Jin 2021, Algorithm 1): optimistic model-based self-play (module docstring).

    Parameters
    ----------
    bonus : {"bernstein", "l1"}
        The paper's Bernstein bonus with correction term (constant ``c``), or
        the certified :math:`\ell_1` bonus whose optimism holds with
        probability ``>= 1 - delta`` (module docstring).
    c : float > 0
        The absolute constant of the Bernstein bonus (ignored by ``"l1"``).
    delta : float in (0, 1)
        Failure probability in the logarithmic terms.

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.simulation import simulate
    >>> from rltheory.tabular.games import MarkovGame, NashVI
    >>> rng = np.random.default_rng(0)
    >>> game = MarkovGame(rng.dirichlet(np.ones(2), size=(2, 2, 2)), rng.uniform(size=(2, 2, 2)), gamma=1.0,
    ...                   horizon=2)
    >>> curve = simulate(game, NashVI(c=0.1), n_episodes=200, n_runs=2, seed=0, checkpoints=4)
    >>> curve.regret.shape, bool((np.diff(curve.regret, axis=1) >= -1e-12).all())  # gaps are >= 0
    ((2, 4), True)
    >>> NashVI(bonus="hoeffding")
    Traceback (most recent call last):
    ...
    ValueError: bonus = 'hoeffding' must be one of ('bernstein', 'l1')
    """

    bonus: str = "bernstein"
    c: float = 1.0
    delta: float = 0.05

    name: ClassVar[str] = "Nash-VI"
    Params: ClassVar = _NashVIParams
    init: ClassVar = staticmethod(_nash_vi_init)
    plan: ClassVar = staticmethod(_nash_vi_plan)
    observe: ClassVar = staticmethod(_nash_vi_observe)

    def __post_init__(self):
        check_choice("bonus", self.bonus, ("bernstein", "l1"))
        object.__setattr__(self, "c", check_real("c", self.c, low=0.0, low_open=True))
        object.__setattr__(self, "delta", check_probability("delta", self.delta))

    def compiled_params(self, problem, budget):
        S, A, B, H = problem.n_states, problem.n_max_actions, problem.n_min_actions, problem.horizon
        R = np.asarray(problem.R)
        if self.bonus == "bernstein":
            log_term = math.log(S * A * B * budget * H / self.delta)  # iota = log(SABT / delta), T = KH
        else:
            log_term = 2.0 * (S * math.log(2.0) + math.log(H * S * A * B * budget / self.delta))
        return _NashVIParams(
            self.bonus == "bernstein",
            float(self.c),
            float(log_term),
            float(R.min()),
            float(R.max() - R.min()),
            float(problem.gamma),
            np.ascontiguousarray(start_distribution(problem), dtype=np.float64),
        )


@njit(cache=True)
def _run_nash_vi(params, cumP, R, cum0, n_episodes, stream, certified):
    """Self-play of Nash-VI for ``n_episodes`` on one stream; returns the final state (certified gaps written).

    ``cumP`` (H, S, A, B, S) are the cumulative transition rows per step, ``R`` (S, A, B) the rewards.
    """
    S, A, B = R.shape[0], R.shape[1], R.shape[2]
    H = cumP.shape[0]
    state = _nash_vi_init(params, S, A, B, H)
    pol = np.zeros((H, S, A, B))
    cum = np.zeros(A * B)
    Vup, Vlo = state[5], state[6]
    for k in range(n_episodes):
        _nash_vi_plan(params, state, k, pol, stream)
        acc = 0.0
        for s in range(S):
            acc += params.rho[s] * (Vup[0, s] - Vlo[0, s])
        certified[k] = acc
        s = rng_categorical(stream, cum0)
        for h in range(H):
            acc = 0.0
            for a in range(A):
                for b in range(B):
                    acc += pol[h, s, a, b]
                    cum[a * B + b] = acc
            cum[A * B - 1] = max(cum[A * B - 1], 1.0)
            j = rng_categorical(stream, cum)
            a = j // B
            b = j - a * B
            s2 = rng_categorical(stream, cumP[h, s, a, b])
            _nash_vi_observe(params, state, h, s, a, b, R[s, a, b], s2, stream)
            s = s2
    return state


@dataclass(frozen=True, eq=False)
class NashVIResult:
    r"""Result of :func:`nash_vi`: the output policy of Nash-VI with its certificate and its exact gap.

    Attributes
    ----------
    max_action_probabilities : numpy.ndarray, shape (H, S, A)
        :math:`\mu^{\mathrm{out}}`, the max player's marginal of the output episode's policy.
    min_action_probabilities : numpy.ndarray, shape (H, S, B)
        :math:`\nu^{\mathrm{out}}`.
    joint_action_probabilities : numpy.ndarray, shape (H, S, A, B)
        The output episode's correlated policy :math:`\pi^{\mathrm{out}}`.
    certified_gap : float
        :math:`\rho^\top(\overline V_1 - \underline V_1)` of the output episode: a bound on
        ``duality_gap`` on the event of the bonus (``bonus="l1"``: probability ``>= 1 - delta``).
    duality_gap : float
        The exact :math:`\rho^\top(V_1^{\dagger,\nu} - V_1^{\mu,\dagger})` of the output marginals
        (:func:`markov_exploitability`).
    best_episode : int
        The output episode (0-based).
    certified_gap_history : numpy.ndarray, shape (n_episodes,)
        :math:`\rho^\top(\overline V_1^k - \underline V_1^k)` for every episode.
    cce_failures : int
        Stage CCE solves whose simplex hit its pivot cap (the optimism safeguard still holds).
    cce_violation : float
        Largest CCE incentive violation of a stage solve (rounding, ``>= 0``).
    n_episodes : int

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, nash_vi
    >>> game = MarkovGame(np.ones((1, 2, 2, 1)), [[[1.0, 0.0], [0.0, 1.0]]], gamma=1.0, horizon=2)  # 0-1 pennies twice
    >>> res = nash_vi(game, 200, seed=0)
    >>> res.n_episodes, res.max_action_probabilities.shape, res.joint_action_probabilities.shape
    (200, (2, 1, 2), (2, 1, 2, 2))
    >>> bool(np.allclose(res.joint_action_probabilities.sum(axis=3), res.max_action_probabilities))  # its marginal
    True
    >>> bool(0.0 <= res.duality_gap <= res.certified_gap), bool(res.certified_gap == res.certified_gap_history.min())
    (True, True)
    """

    max_action_probabilities: np.ndarray
    min_action_probabilities: np.ndarray
    joint_action_probabilities: np.ndarray
    certified_gap: float
    duality_gap: float
    best_episode: int
    certified_gap_history: np.ndarray
    cce_failures: int
    cce_violation: float
    n_episodes: int


def nash_vi(
    game: MarkovGame, n_episodes: int, *, bonus: str = "l1", c: float = 1.0, delta: float = 0.05, seed: int = 0
) -> NashVIResult:
    r"""Run Nash-VI self-play for ``n_episodes`` and return its output policy, certified and evaluated exactly.

    The same compiled functions as the :class:`NashVI` agent, on one run
    whose stream is that of run 0 of ``simulate(..., seed=seed)``. The output
    policy is the marginal pair of the episode with the smallest certified
    gap (Liu et al. 2021, Algorithm 1, output rule); its exact duality gap is
    computed independently by :func:`markov_exploitability`. With
    ``bonus="l1"`` (the default here), ``duality_gap <= certified_gap`` with
    probability at least ``1 - delta`` (module docstring).

    Parameters
    ----------
    game : MarkovGame
        With a horizon.
    n_episodes : int
        ``K >= 1``.
    bonus, c, delta
        As for :class:`NashVI`.
    seed : int
        Root seed of the run's stream.

    Returns
    -------
    NashVIResult

    Examples
    --------
    >>> import numpy as np
    >>> from rltheory.tabular.games import MarkovGame, nash_vi
    >>> rng = np.random.default_rng(1)
    >>> game = MarkovGame(rng.dirichlet(np.ones(2), size=(2, 2, 2)), rng.uniform(size=(2, 2, 2)), gamma=1.0,
    ...                   horizon=2)
    >>> res = nash_vi(game, 300, seed=0)
    >>> bool(0.0 <= res.duality_gap <= res.certified_gap), res.certified_gap_history.shape
    (True, (300,))
    """
    if not isinstance(game, MarkovGame):
        raise ValueError(f"nash_vi needs a MarkovGame, got {type(game).__name__}")
    if game.horizon is None:
        raise ValueError("nash_vi learns finite-horizon games (MarkovGame(..., horizon=H))")
    n_episodes = check_int("n_episodes", n_episodes, low=1)
    seed = check_int("seed", seed, low=0)
    agent = NashVI(bonus=bonus, c=c, delta=delta)
    params = agent.compiled_params(game, n_episodes)
    H = game.horizon
    cumP = np.ascontiguousarray(np.broadcast_to(np.cumsum(np.asarray(game.P), axis=3), (H,) + game.P.shape))
    rho = start_distribution(game)
    stream = run_states(seed, np.arange(1), 1)[0, 0].copy()
    certified = np.zeros(n_episodes)
    state = _run_nash_vi(params, cumP, np.asarray(game.R), np.cumsum(rho), n_episodes, stream, certified)
    best, info = state[13], state[14]
    joint = np.array(best)
    mu, nu = joint.sum(axis=3), joint.sum(axis=2)
    mu = mu / mu.sum(axis=2, keepdims=True)
    nu = nu / nu.sum(axis=2, keepdims=True)
    ex = markov_exploitability(game, mu, nu)
    return NashVIResult(
        max_action_probabilities=readonly(mu),
        min_action_probabilities=readonly(nu),
        joint_action_probabilities=readonly(joint),
        certified_gap=float(info[0]),
        duality_gap=float(rho @ np.asarray(ex.gap[0])),
        best_episode=int(info[1]),
        certified_gap_history=readonly(certified),
        cce_failures=int(info[2]),
        cce_violation=float(info[3]),
        n_episodes=n_episodes,
    )
