r"""Recovering bandits: exact planning, the fluid upper bound, and purely periodic schedules.

The model of Simchi-Levi, Zheng & Zhu (*Dynamic planning and learning under
recovering rewards*, ICML 2021; *Offline planning and online learning under
recovering rewards*, arXiv:2106.14813): :math:`N` arms, at most :math:`K`
pulls per period, and the expected reward of arm :math:`i` pulled after
being idle for :math:`d` periods is :math:`R_i(d)`, nondecreasing in
:math:`d` (the reward drops when the arm is pulled and recovers with its idle
time; here capped at :math:`d_{\max}`, :math:`R_i(d) = R_i(d_{\max})` beyond).
Arm :math:`i` pulled in period :math:`t` has idle time 1 in period
:math:`t + 1`; an arm never pulled starts at idle time ``initial_idle``.

* :func:`recovering_optimal_value`: the exact optimum over :math:`T` periods
  by backward induction on the idle-time states (:math:`d_{\max}^N` states,
  the subsets of at most :math:`K` arms as actions), with
  :func:`rltheory.tabular.backward_induction`;
* :func:`recovering_upper_bound`: the fluid (linear-programming) relaxation.
  If arm :math:`i` is pulled :math:`n_{i,d}` times at (capped) idle time
  :math:`d`, its gaps fill at most the horizon, :math:`\sum_d d\,n_{i,d} \le
  T + d^0_i - 1`, and :math:`\sum_{i,d} n_{i,d} \le KT`; so the optimum is
  at most the LP :math:`\max \sum_{i,d} R_i(d)\, n_{i,d}` under these
  constraints, and by weak duality at most, for every :math:`\beta \ge 0`,

  .. math::

      U(\beta) = \beta K T + \sum_i (T + d^0_i - 1) \max_d \frac{(R_i(d) - \beta)^+}{d},

  whose minimum over :math:`\beta` (attained at a breakpoint of the piecewise
  linear convex :math:`U`) is the LP value. This is the kind of
  concave-relaxation benchmark the paper's approximation ratio is measured
  against; the derivation here is this module's own;
* :func:`periodic_schedule_value` and :func:`best_periodic_schedule`: purely
  periodic policies (arm :math:`i` pulled in the periods :math:`t \equiv o_i
  \pmod{p_i}`, or never), the paper's policy class, evaluated exactly, and
  the best one found by brute force on small instances.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .._validation import check_int, check_shape, readonly


@dataclass(frozen=True)
class RecoveringBandit:
    r"""Arms whose expected reward recovers with the time since their last pull.

    Parameters
    ----------
    recovery : (N, d_max) array_like in [0, 1]
        ``recovery[i, d - 1]`` is :math:`R_i(d)`, nondecreasing in ``d``.
    pulls_per_period : int
        :math:`K`, ``1 <= K <= N``.
    initial_idle : (N,) array_like of int in [1, d_max], optional
        Idle times before period 1 (default ``d_max``: every arm fully recovered).

    Examples
    --------
    >>> b = RecoveringBandit([[0.1, 0.5, 0.9], [0.4, 0.4, 0.5]])
    >>> b.n_arms, b.max_idle, b.initial_idle.tolist()
    (2, 3, [3, 3])
    """

    recovery: np.ndarray
    pulls_per_period: int = 1
    initial_idle: np.ndarray | None = None

    def __post_init__(self):
        try:
            r = np.array(self.recovery, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError("recovery must be an (N, d_max) array of reals") from exc
        check_shape("recovery", r, (None, None))
        n, dmax = r.shape
        if n < 1 or dmax < 1:
            raise ValueError(f"recovery has shape {r.shape}; need at least one arm and one idle time")
        bad = ~np.isfinite(r) | (r < 0) | (r > 1)
        if bad.any():
            i, d = (int(x) for x in np.argwhere(bad)[0])
            raise ValueError(f"recovery[{i}, {d}] = {r[i, d]!r} is outside [0, 1]")
        drops = np.argwhere(np.diff(r, axis=1) < 0)
        if drops.size:
            i, d = (int(x) for x in drops[0])
            raise ValueError(
                f"recovery[{i}] decreases from idle time {d + 1} to {d + 2} ({r[i, d]!r} > {r[i, d + 1]!r}); "
                "recovering rewards are nondecreasing in the idle time"
            )
        object.__setattr__(self, "recovery", readonly(r))
        object.__setattr__(
            self, "pulls_per_period", check_int("pulls_per_period", self.pulls_per_period, low=1, high=n)
        )
        if self.initial_idle is None:
            d0 = np.full(n, dmax, dtype=np.int64)
        else:
            d0 = np.array(self.initial_idle)
            check_shape("initial_idle", d0, (n,))
            for i, d in enumerate(d0):
                check_int(f"initial_idle[{i}]", d.item() if hasattr(d, "item") else d, low=1, high=dmax)
            d0 = d0.astype(np.int64)
        object.__setattr__(self, "initial_idle", readonly(d0))

    @property
    def n_arms(self) -> int:
        """:math:`N`.

        Examples
        --------
        >>> RecoveringBandit([[0.5], [0.5], [0.5]]).n_arms
        3
        """
        return int(self.recovery.shape[0])

    @property
    def max_idle(self) -> int:
        r""":math:`d_{\max}`, the idle time at which the rewards stop recovering.

        Examples
        --------
        >>> RecoveringBandit([[0.1, 0.2]]).max_idle
        2
        """
        return int(self.recovery.shape[1])


@dataclass(frozen=True)
class RecoveringPlan:
    """The exact optimum of :func:`recovering_optimal_value`.

    Attributes
    ----------
    value : float, the optimal expected total reward over the horizon
    schedule : (T, N) read-only bool array, an optimal schedule (the dynamics are deterministic)
    n_states : int, idle-time states of the DP

    Examples
    --------
    >>> p = recovering_optimal_value(RecoveringBandit([[0.0, 1.0], [0.0, 1.0]]), 4)
    >>> p.value, p.schedule.sum(axis=1).tolist()
    (4.0, [1, 1, 1, 1])
    """

    value: float
    schedule: np.ndarray
    n_states: int


def _actions(n, k):
    return [c for m in range(k + 1) for c in itertools.combinations(range(n), m)]


def _check_bandit(bandit, who):
    if not isinstance(bandit, RecoveringBandit):
        raise ValueError(f"{who} needs a RecoveringBandit, got {type(bandit).__name__}")


def recovering_optimal_value(bandit: RecoveringBandit, horizon: int) -> RecoveringPlan:
    r"""The optimal total expected reward over ``horizon`` periods, exactly, by backward induction.

    The state is the vector of capped idle times :math:`(d_1, \dots, d_N) \in
    \{1..d_{\max}\}^N`; an action is a set :math:`A` of at most :math:`K` arms,
    paying :math:`\sum_{i \in A} R_i(d_i)` and moving to :math:`d_i' = 1` for
    :math:`i \in A`, :math:`\min(d_i + 1, d_{\max})` otherwise. Solved by
    :func:`rltheory.tabular.backward_induction` (Puterman 2005, Thm 4.5.1);
    :math:`d_{\max}^N \cdot \sum_{m \le K}\binom{N}{m}` state-action pairs,
    so meant for small instances.

    Examples
    --------
    >>> b = RecoveringBandit([[0.2, 0.6, 1.0], [0.5, 0.5, 0.5]])
    >>> round(recovering_optimal_value(b, 6).value, 10)   # 1.0 + 0.5 + 0.6 + 0.5 + 0.5 + 1.0
    4.1
    """
    from rltheory.tabular import FiniteMDP, backward_induction

    _check_bandit(bandit, "recovering_optimal_value")
    H = check_int("horizon", horizon, low=1)
    n, dmax = bandit.n_arms, bandit.max_idle
    states = list(itertools.product(range(1, dmax + 1), repeat=n))
    index = {s: j for j, s in enumerate(states)}
    actions = _actions(n, bandit.pulls_per_period)
    S, A = len(states), len(actions)
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    nxt = np.empty((S, A), dtype=np.int64)
    for j, s in enumerate(states):
        for a, pulled in enumerate(actions):
            R[j, a] = sum(bandit.recovery[i, s[i] - 1] for i in pulled)
            t = tuple(1 if i in pulled else min(s[i] + 1, dmax) for i in range(n))
            nxt[j, a] = index[t]
            P[j, a, index[t]] = 1.0
    res = backward_induction(FiniteMDP(P, R, gamma=1.0, horizon=H))
    s = index[tuple(int(d) for d in bandit.initial_idle)]
    value = float(res.v[0, s])
    schedule = np.zeros((H, n), dtype=bool)
    for t in range(H):
        a = int(res.policy[t, s])
        schedule[t, list(actions[a])] = True
        s = int(nxt[s, a])
    return RecoveringPlan(value, readonly(schedule), S)


@dataclass(frozen=True)
class RecoveringBound:
    r"""The fluid upper bound of :func:`recovering_upper_bound`.

    Attributes
    ----------
    bound : float, :math:`\min_\beta U(\beta)`, the LP value (an upper bound on the optimum)
    beta : float, the minimising capacity multiplier
    alpha : (N,) read-only array, the per-arm time multipliers :math:`\max_d (R_i(d) - \beta)^+ / d`

    Examples
    --------
    >>> r = recovering_upper_bound(RecoveringBandit([[0.0, 1.0]]), 10)
    >>> r.bound, r.beta   # one arm, worth 1 every second period: (10 + 2 - 1) / 2
    (5.5, 0.0)
    """

    bound: float
    beta: float
    alpha: np.ndarray


def _dual_value(R, budget, KT, beta):
    d = np.arange(1, R.shape[1] + 1)
    alpha = (np.maximum(R - beta, 0.0) / d).max(axis=1)
    return beta * KT + float(budget @ alpha), alpha


def recovering_upper_bound(bandit: RecoveringBandit, horizon: int) -> RecoveringBound:
    r"""The fluid LP bound :math:`\min_{\beta \ge 0} U(\beta)` on the optimal total reward (module docstring).

    :math:`U` is convex and piecewise linear in :math:`\beta`; its breakpoints
    are :math:`\beta = R_i(d)` and the crossings
    :math:`\beta = (d' R_i(d) - d R_i(d'))/(d' - d)`; every :math:`U(\beta)` is
    a valid bound (weak duality: :math:`\alpha_i = \max_d (R_i(d)-\beta)^+/d`
    and :math:`\beta` are dual feasible), and the least breakpoint value is
    the LP optimum (strong duality).

    Examples
    --------
    >>> b = RecoveringBandit([[0.2, 0.6, 1.0], [0.5, 0.5, 0.5]])
    >>> recovering_upper_bound(b, 6).bound >= recovering_optimal_value(b, 6).value
    True
    """
    _check_bandit(bandit, "recovering_upper_bound")
    T = check_int("horizon", horizon, low=1)
    R = np.asarray(bandit.recovery)
    budget = T + np.asarray(bandit.initial_idle, dtype=np.float64) - 1.0
    KT = float(bandit.pulls_per_period * T)
    cands = {0.0}
    dmax = R.shape[1]
    for i in range(R.shape[0]):
        for d in range(1, dmax + 1):
            cands.add(float(R[i, d - 1]))
            for e in range(d + 1, dmax + 1):
                cands.add(float((e * R[i, d - 1] - d * R[i, e - 1]) / (e - d)))
    best = None
    for beta in sorted(c for c in cands if c >= 0.0):
        val, alpha = _dual_value(R, budget, KT, beta)
        if best is None or val < best[0]:
            best = (val, beta, alpha)
    return RecoveringBound(best[0], best[1], readonly(best[2]))


def periodic_schedule_value(bandit: RecoveringBandit, periods, offsets, horizon: int) -> float:
    r"""Total expected reward of the purely periodic schedule: arm ``i`` in periods ``t = offsets[i] (mod periods[i])``.

    Periods are 1-based; ``periods[i] = 0`` means arm ``i`` is never pulled;
    ``0 <= offsets[i] < periods[i]``, and arm ``i`` is pulled in the periods
    :math:`t \ge 1` with :math:`t \equiv o_i \pmod{p_i}`. A schedule pulling
    more than :math:`K` arms in some period is refused (naming the period).

    Examples
    --------
    >>> b = RecoveringBandit([[0.2, 0.6, 1.0], [0.5, 0.5, 0.5]])
    >>> round(periodic_schedule_value(b, [2, 2], [1, 0], 6), 10)
    3.7
    """
    _check_bandit(bandit, "periodic_schedule_value")
    T = check_int("horizon", horizon, low=1)
    n = bandit.n_arms
    p = [check_int(f"periods[{i}]", int(x) if isinstance(x, np.integer) else x, low=0) for i, x in enumerate(periods)]
    o = [int(x) if isinstance(x, np.integer) else x for x in offsets]
    if len(p) != n or len(o) != n:
        raise ValueError(f"periods and offsets need {n} entries (one per arm), got {len(p)} and {len(o)}")
    for i in range(n):
        if p[i] > 0:
            check_int(f"offsets[{i}]", o[i], low=0, high=p[i] - 1)
    idle = [int(d) for d in bandit.initial_idle]
    dmax, total = bandit.max_idle, 0.0
    for t in range(1, T + 1):
        pulled = [i for i in range(n) if p[i] > 0 and t % p[i] == o[i]]
        if len(pulled) > bandit.pulls_per_period:
            raise ValueError(
                f"the schedule pulls {len(pulled)} arms in period {t}; at most {bandit.pulls_per_period} allowed"
            )
        for i in range(n):
            if i in pulled:
                total += float(bandit.recovery[i, idle[i] - 1])
                idle[i] = 1
            else:
                idle[i] = min(idle[i] + 1, dmax)
    return total


@dataclass(frozen=True)
class PeriodicSchedule:
    """The best purely periodic schedule found by :func:`best_periodic_schedule`.

    Attributes
    ----------
    value : float
    periods, offsets : (N,) read-only int64 arrays (period 0: never pulled)

    Examples
    --------
    >>> s = best_periodic_schedule(RecoveringBandit([[0.0, 1.0]]), 4, max_period=3)
    >>> s.value, s.periods.tolist()
    (2.0, [2])
    """

    value: float
    periods: np.ndarray
    offsets: np.ndarray


def best_periodic_schedule(bandit: RecoveringBandit, horizon: int, *, max_period: int) -> PeriodicSchedule:
    r"""The best feasible purely periodic schedule with periods at most ``max_period``, by brute force.

    Enumerates every period :math:`p_i \in \{0, 1, \dots, p_{\max}\}` (0:
    never) and offset :math:`0 \le o_i < p_i` of every arm, keeps those pulling
    at most :math:`K` arms per period, and evaluates each with
    :func:`periodic_schedule_value` (ties to the first found).
    :math:`(1 + p_{\max}(p_{\max}+1)/2)^N` schedules: small instances only.

    Examples
    --------
    >>> b = RecoveringBandit([[0.2, 0.6, 1.0], [0.5, 0.5, 0.5]])
    >>> round(best_periodic_schedule(b, 6, max_period=3).value, 10)
    3.7
    """
    _check_bandit(bandit, "best_periodic_schedule")
    T = check_int("horizon", horizon, low=1)
    pmax = check_int("max_period", max_period, low=1)
    per_arm = [(0, 0)] + [(p, o) for p in range(1, pmax + 1) for o in range(p)]
    best = None
    K = bandit.pulls_per_period
    for combo in itertools.product(per_arm, repeat=bandit.n_arms):
        if any(sum(1 for p, o in combo if p > 0 and t % p == o) > K for t in range(1, min(T, _lcm(combo)) + 1)):
            continue
        v = periodic_schedule_value(bandit, [p for p, _ in combo], [o for _, o in combo], T)
        if best is None or v > best[0]:
            best = (v, combo)
    periods = np.array([p for p, _ in best[1]], dtype=np.int64)
    offsets = np.array([o for _, o in best[1]], dtype=np.int64)
    return PeriodicSchedule(best[0], readonly(periods), readonly(offsets))


def _lcm(combo):
    m = 1
    for p, _ in combo:
        if p > 0:
            m = np.lcm(m, p)
    return int(m)
